"""pytest plugin with the API fixtures: a fresh database per test (a new SQLite file, or a new
schema on the PostgreSQL server named by KBGEN_TEST_POSTGRES_URL), the app, and clients that
behave like a browser (cookies + CSRF token). tests/conftest.py loads it for every test module,
so tests just name the fixtures; helpers are imported with `from api_fixtures import PASSWORD`.
"""
from __future__ import annotations

import os
import secrets
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kbgen.api.settings import Rate, Settings, settings_from_dict
from live_server import PASSWORD, drop_postgres_schema, fresh_postgres_schema

__all__ = ["_api_sqlite_template", "_api_postgres_schema", "api_db_url", "api_settings", "api_app", "api_client", "new_client", "make_user", "BrowserClient",
           "settings_for_tests", "fresh_postgres_schema", "drop_postgres_schema"]

TEST_ORIGIN = "http://testserver"


def settings_for_tests(tmp_path: Path, database_url: str, **overrides) -> Settings:
    raw = {"api": {"database_url": database_url, "data_dir": str(tmp_path / "api-data"),
                   "secret_key": "test-secret-" + secrets.token_hex(8), "public_url": TEST_ORIGIN,
                   # the overload guard measures event-loop lag, and in tests the loop shares its
                   # interpreter with the test (and Chromium's driver) on a loaded machine: it
                   # would refuse reads at random. It has its own tests (test_api_middleware).
                   "overload_lag_ms": 0}}
    source = overrides.get("source")
    if source and Path(source).is_file():   # a real kbgen.toml: its sections, as a start-up reads them
        import tomllib
        raw.update({k: v for k, v in tomllib.loads(Path(source).read_text(encoding="utf-8")).items() if k != "api"})
    raw.update(overrides.pop("raw", {}))
    previous = os.environ.pop("KBGEN_DATABASE_URL", None)
    try:
        settings = settings_from_dict(raw, source="test kbgen.toml", base_dir=tmp_path)
    finally:
        if previous is not None:
            os.environ["KBGEN_DATABASE_URL"] = previous
    return settings.with_overrides(**overrides) if overrides else settings


def reconfigure(app, path: Path, text: str) -> None:
    """Writes `text` to `path` (a kbgen.toml) and gives `app` settings read from it, as restarting
    the API would: settings are read once per start, never per request."""
    import tomllib

    path.write_text(text, encoding="utf-8")
    state = app.state.kb
    raw = {**state.settings.raw, **tomllib.loads(text)}
    fresh = settings_from_dict(raw, source=str(path), base_dir=path.parent, text=text, check_only=True)
    state.settings = state.settings.with_overrides(source=str(path), raw=raw, file=fresh.file, tickets=fresh.tickets,
                                                   warnings=fresh.warnings)
    drop_read_cache(app)


def drop_read_cache(app) -> None:
    """Empties the running app's read cache, as a restart does. Tests that give a live app other
    settings need it: a copy of the ticket form made under the previous settings is otherwise
    served for up to MAX_AGE seconds (the next browser test then saw the previous test's stricter
    form, refused to submit, and timed out: a rare CI failure)."""
    from kbgen.api.middleware import ReadCacheMiddleware

    layer = app.middleware_stack   # None until the app's first request
    while layer is not None:
        if isinstance(layer, ReadCacheMiddleware):
            layer.entries.clear()
        layer = getattr(layer, "app", None)


@pytest.fixture(autouse=True)
def _mail_workers_stopped():
    """Stops the mail workers a test's apps started (send() starts one, which lingers a while
    after the outbox empties). On PostgreSQL the tests of one xdist worker share a schema, so a
    worker left running would take a later test's mail and write it to its own test's outbox
    folder: that later test then finds no mail (seen as a rare CI failure)."""
    yield
    for thread in threading.enumerate():
        mailer = getattr(getattr(thread, "_target", None), "__self__", None)
        if thread.name == "kbgen-mail-outbox" and mailer is not None:
            mailer.stop_worker()


@pytest.fixture(scope="session")
def _api_sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per test session; each test gets a copy (migrating takes a second)."""
    from kbgen.api.db import make_engine
    from kbgen.api.migrate import upgrade

    path = tmp_path_factory.mktemp("api-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()   # the last connection to close folds the WAL back into the file
    return path


@pytest.fixture(scope="session")
def _api_postgres_schema():
    """One migrated schema per test session (per xdist worker); tests empty its tables."""
    base = os.environ.get("KBGEN_TEST_POSTGRES_URL")
    if not base:
        yield None
        return
    from kbgen.api.db import make_engine
    from kbgen.api.migrate import upgrade

    url, schema = fresh_postgres_schema(base)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_schema(base, schema)


def _empty_all_tables(url: str) -> None:
    from kbgen.api.all_models import metadata

    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in metadata().sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_db_url(request, tmp_path):
    """A fresh, migrated, empty database for one test: a new SQLite file, or the session's
    PostgreSQL schema with every table emptied."""
    if request.param == "sqlite":
        path = tmp_path / "api.sqlite3"
        template = request.getfixturevalue("_api_sqlite_template")
        shutil.copyfile(template, path)
        if Path(f"{template}-wal").exists():
            shutil.copyfile(f"{template}-wal", f"{path}-wal")
        return f"sqlite:///{path}"
    url = request.getfixturevalue("_api_postgres_schema")
    if url is None:
        pytest.skip("KBGEN_TEST_POSTGRES_URL is not set")
    _empty_all_tables(url)
    return url


@pytest.fixture
def api_settings(tmp_path, api_db_url) -> Settings:
    # limits high enough that only the rate-limit tests (which lower them) ever meet them
    generous = {name: Rate(10_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}
    return settings_for_tests(tmp_path, api_db_url, rates=generous)


@pytest.fixture
def api_app(api_settings):
    from kbgen.api.app import create_app

    app = create_app(api_settings)
    yield app
    app.state.engine.dispose()


class BrowserClient:
    """A TestClient that acts like our browser code: same-origin Origin header and the CSRF token
    on every state-changing request. `csrf=False` / `origin=…` let tests act like an attacker."""

    def __init__(self, app):
        from fastapi.testclient import TestClient

        self.http = TestClient(app, base_url=TEST_ORIGIN)
        self.user = None

    def csrf_token(self) -> str:
        return self.http.get("/api/session").json()["csrf_token"]

    def request(self, method: str, url: str, *, csrf: bool = True, origin: str | None = TEST_ORIGIN, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            if csrf:
                headers.setdefault("X-CSRF-Token", self.csrf_token())
            if origin:
                headers.setdefault("Origin", origin)
        return self.http.request(method, url, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        response = self.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        self.user = response.json()["user"]
        return self


@pytest.fixture
def api_client(api_app) -> BrowserClient:
    """An anonymous visitor."""
    return BrowserClient(api_app)


@pytest.fixture
def new_client(api_app):
    """Factory for more independent browsers (each with its own cookies)."""
    return lambda: BrowserClient(api_app)


@pytest.fixture
def make_user(api_app):
    """make_user("a@example.com", role="customer") → a BrowserClient signed in as that new user."""
    from kbgen.api.models import User
    from kbgen.api.security import hash_password

    hashed = hash_password(PASSWORD)  # argon2 is slow on purpose; hash once per test

    def factory(email: str, role: str = "customer", name: str = "") -> BrowserClient:
        with api_app.state.kb.sessions() as db:
            db.add(User(email=email, name=name or email.split("@")[0], password_hash=hashed, role=role))
            db.commit()
        return BrowserClient(api_app).sign_in(email)

    return factory
