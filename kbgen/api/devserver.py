"""A built site and the API on one origin, for browser tests and the benchmark (the real
`kbgen serve` does the same with live rebuilds)."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn
from starlette.staticfiles import StaticFiles

API_PREFIXES = ("/api", "/agent", "/internal")


def site_with_api(api_app, site_dir: Path | None):
    static = StaticFiles(directory=site_dir, html=True) if site_dir else None

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
