"""Serving a folder of built files: the one place that maps a URL path to a file (never one
outside the folder), picks its content type, and answers it over ASGI. Used by `kbgen serve`,
the API's agent assets and internal KB, and the test and benchmark servers.
No dependency beyond the standard library, so the builder's dev server needs no web framework.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

TEXT_TYPES = ("application/javascript", "application/json", "application/xml", "image/svg+xml")


def find_file(root: Path, relative: str) -> Path | None:
    """The file `relative` (a decoded path) names inside `root`; a folder means its index.html.
    None when there is no such file or the path would leave `root` (.., NUL, backslashes)."""
    if "\x00" in relative or "\\" in relative:
        return None
    root = root.resolve()
    candidate = (root / relative.lstrip("/")).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def media_type(path: Path) -> str:
    """Content-Type for `path`, with charset=utf-8 on text (all kbgen writes is UTF-8)."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in TEXT_TYPES:
        kind += "; charset=utf-8"
    return kind


@dataclass(frozen=True)
class Found:
    status: int                     # 200, 301 (add a slash), 404 (body: the site's 404.html when it has one)
    file: Path | None = None
    location: str | None = None


def lookup(root: Path, url_path: str) -> Found:
    """What a static host answers for `url_path` (percent-encoded, as in the request line)."""
    relative = unquote(url_path)
    root = root.resolve()
    folder = (root / relative.lstrip("/")).resolve()
    if folder.is_dir() and not url_path.endswith("/") and (folder == root or root in folder.parents):
        return Found(301, location=url_path + "/")
    file = find_file(root, relative)
    if file is not None:
        return Found(200, file)
    missing = root / "404.html"
    return Found(404, missing if missing.is_file() else None)


async def no_lifespan(receive, send) -> None:
    """Answers the ASGI lifespan protocol for an app with nothing to start or stop."""
    message = await receive()
    while message["type"] != "lifespan.shutdown":
        await send({"type": message["type"] + ".complete"})
        message = await receive()
    await send({"type": "lifespan.shutdown.complete"})


def static_app(root: Path, *, cache_control: str = "no-store"):
    """An ASGI app serving `root` as a static host does (index.html, 404.html, redirects to a slash)."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            return await no_lifespan(receive, send)
        if scope["type"] != "http":
            return
        found = lookup(Path(root), scope.get("raw_path", b"").decode("latin-1").split("?")[0] or scope["path"])
        headers = [(b"cache-control", cache_control.encode())]
        if found.location:
            headers.append((b"location", found.location.encode()))
        body, kind = b"not found", "text/plain; charset=utf-8"
        if found.file is not None:
            body, kind = found.file.read_bytes(), media_type(found.file)
        elif found.status == 301:
            body = b""
        headers.append((b"content-type", kind.encode()))
        await send({"type": "http.response.start", "status": found.status, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})

    return app
