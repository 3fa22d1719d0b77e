"""A built site and the API on one origin in a background thread, and throwaway PostgreSQL
schemas, for browser tests and benchmarks/api_load.py (the real `kbgen serve` does the same
with live rebuilds). No pytest here, so the benchmark can import it."""
from __future__ import annotations

import secrets
import socket
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kbgen.sitefiles import static_app

API_PREFIXES = ("/api", "/agent", "/internal")


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
