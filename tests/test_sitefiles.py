"""The one static-file helper behind kbgen serve, the API's pages and the test servers: what a
static host answers for a path, and never a file outside the folder."""
from __future__ import annotations

import asyncio
from pathlib import Path

from kbgen.sitefiles import find_file, lookup, media_type, static_app


def site(tmp_path):
    root = tmp_path / "site"
    (root / "en" / "請求").mkdir(parents=True)
    (root / "en" / "index.html").write_text("<p>home</p>", encoding="utf-8")
    (root / "en" / "請求" / "index.html").write_text("<p>billing</p>", encoding="utf-8")
    (root / "404.html").write_text("<p>gone</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    return root


def test_paths_map_to_files_and_never_outside_the_folder(tmp_path):
    root = site(tmp_path)
    assert find_file(root, "en/") == root / "en" / "index.html"
    assert find_file(root, "/en/請求/") == (root / "en" / "請求" / "index.html").resolve()
    for escape in ("../secret.txt", "en/../../secret.txt", "en\\..\\..\\secret.txt", "en/\x00"):
        assert find_file(root, escape) is None, escape


def test_a_static_host_answers(tmp_path):
    root = site(tmp_path)
    assert lookup(root, "/en/%E8%AB%8B%E6%B1%82/").status == 200
    assert lookup(root, "/en/%E8%AB%8B%E6%B1%82") == type(lookup(root, "/"))(301, location="/en/%E8%AB%8B%E6%B1%82/")
    missing = lookup(root, "/en/nothing-here/")
    assert (missing.status, missing.file) == (404, root / "404.html")
    assert lookup(root, "/%2e%2e/secret.txt").file == root / "404.html"


def test_text_is_served_as_utf8():
    assert media_type(Path("a.html")) == "text/html; charset=utf-8"
    assert media_type(Path("a.js")) in ("text/javascript; charset=utf-8", "application/javascript; charset=utf-8")
    assert media_type(Path("a.png")) == "image/png"


def test_the_asgi_app_serves_the_folder(tmp_path):
    root = site(tmp_path)
    sent = []

    async def call(path: bytes):
        sent.clear()

        async def receive():
            return {"type": "http.request"}

        async def send(message):
            sent.append(message)

        await static_app(root)({"type": "http", "method": "GET", "path": path.decode(), "raw_path": path}, receive, send)
        return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]

    status, headers, body = asyncio.run(call(b"/en/%E8%AB%8B%E6%B1%82/"))
    assert (status, body, headers[b"content-type"]) == (200, "<p>billing</p>".encode(), b"text/html; charset=utf-8")
    assert asyncio.run(call(b"/en"))[:2] == (301, {b"cache-control": b"no-store", b"location": b"/en/", b"content-type": b"text/plain; charset=utf-8"})
    assert asyncio.run(call(b"/nope"))[0::2] == (404, b"<p>gone</p>")
