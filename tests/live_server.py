"""A built site and the API on one origin in a background thread, and throwaway PostgreSQL
schemas, for browser tests and benchmarks/api_load.py (the real `kbgen serve` does the same
with live rebuilds). No pytest here, so the benchmark can import it."""
from __future__ import annotations

import secrets
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kbgen.sitefiles import static_app

API_PREFIXES = ("/api", "/agent", "/internal")
PASSWORD = "correct horse battery"   # every account the test servers create has it


def site_with_api(api_app, site_dir: Path | None):
    static = static_app(site_dir) if site_dir else None

    async def app(scope, receive, send):
        if scope["type"] == "lifespan" or static is None or scope.get("path", "").startswith(API_PREFIXES):
            return await api_app(scope, receive, send)
        return await static(scope, receive, send)

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerThread:
    """uvicorn in a background thread on a free loopback port."""

    def __init__(self, app, port: int | None = None):
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def generous_rates() -> dict:
    """Rate limits no browser test reaches (the limits themselves are tested in test_api_*)."""
    from kbgen.api.settings import Rate

    return {name: Rate(100_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}


def add_users(app, users: dict[str, tuple[str, str]], *, age_days: int = 0) -> str:
    """Accounts {email: (name, role)} with PASSWORD, created `age_days` ago (30: not "new"
    accounts, so the community's link limit stays out of the way). Returns the password hash,
    for tests that add more accounts."""
    from kbgen.api.db import utcnow
    from kbgen.api.models import User
    from kbgen.api.security import hash_password

    hashed = hash_password(PASSWORD)
    created = {"created_at": utcnow() - timedelta(days=age_days)} if age_days else {}
    with app.state.kb.sessions() as db:
        db.add_all([User(email=email, name=name, role=role, password_hash=hashed, **created)
                    for email, (name, role) in users.items()])
        db.commit()
    return hashed


@contextmanager
def live_site(settings, users: dict[str, tuple[str, str]] | None = None, *, site: Path | None = None, age_days: int = 0):
    """The API made from `settings`, with `users` ({email: (name, role)}, password PASSWORD), and
    the built site in `site` on one loopback origin, as `kbgen serve` runs them. Yields the
    running ServerThread with `.url`, `.app`, `.settings` (as started), `.site` and `.hashed`
    (the accounts' password hash); the database engine is closed afterwards.
    `settings=None`: the site alone, as a static host serves it."""
    if settings is None:
        with ServerThread(static_app(site)) as running:
            running.app = running.settings = running.hashed = None
            running.site = site
            yield running
        return
    from kbgen.api.app import create_app

    app = create_app(settings)
    try:
        hashed = add_users(app, users or {}, age_days=age_days)
        with ServerThread(site_with_api(app, site)) as running:
            running.app, running.settings, running.site, running.hashed = app, settings, site, hashed
            yield running
    finally:
        app.state.engine.dispose()


class PoliteClient(httpx.Client):
    """Asks again, after Retry-After, when the server answers 429 "busy": what the portal's own
    client does. The load shedding refuses before any endpoint runs, so a resend is safe; it
    triggers when the test process (Chromium driver and server thread share one interpreter) is
    slow on a loaded machine. Rate limits (429 "rate_limited") are passed on as they come.

    Idle connections are dropped after 1 s: uvicorn closes a keep-alive connection after 5 s
    idle, httpx reuses one for up to 5 s, and a request sent on a connection the server is
    closing at that moment fails with "Server disconnected without sending a response"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("limits", httpx.Limits(keepalive_expiry=1))
        super().__init__(*args, **kwargs)

    def send(self, request, **kwargs):
        for _ in range(20):
            response = super().send(request, **kwargs)
            if response.status_code != 429 or b'"busy"' not in response.read():
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        return response


def api_as(server, email: str | None = None) -> httpx.Client:
    """An HTTP client on the running server with its CSRF token, signed in as `email` (password
    PASSWORD) when given, a guest otherwise."""
    client = PoliteClient(base_url=server.url, timeout=30)
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]
    if email:
        assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
        client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]   # bound to the new session
    return client


def sign_in_on_account_page(page, email: str, path: str = "/en/_portal/account/") -> None:
    """Signs a customer in through the portal's account page in the browser."""
    page.goto(path)
    page.fill("#kb-a-email", email)
    page.fill("#kb-a-password", PASSWORD)
    page.click(".kb-account-signed-out form:first-of-type button[type=submit]")
    page.wait_for_selector("text=Signed in as")


def sign_in_as_agent(page, path: str = "/agent/", ready: str = "#agent-main section") -> None:
    """Signs agent@example.com in on a staff page and waits for `ready` to show."""
    page.goto(path)
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("#signin button[type=submit]")
    page.wait_for_selector(ready)


def axe_violations(page, context=None) -> list[str]:
    """axe-core's findings on the page (or the part `context` selects), one line each."""
    from axe_playwright_python.sync_playwright import Axe
    result = Axe().run(page, context=context) if context else Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in result.response["violations"]]


def fresh_postgres_schema(base_url: str) -> tuple[str, str]:
    """A new empty schema on the test server; returns (url whose search_path is that schema, schema)."""
    schema = "t_" + secrets.token_hex(6)
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_postgres_schema(base_url: str, schema: str) -> None:
    admin = create_engine(make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
