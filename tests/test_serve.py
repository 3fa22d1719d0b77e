"""kbgen serve: pages with live reload; a broken save shows the problem in the browser and
the server stays up; the fix brings the page back."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, run_kbgen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def poll(url: str, condition, timeout: float = 20) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fetch(url)
            if condition(*last):
                return last
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {url}; last response: {last and (last[0], last[1][:500])}")


def start_serve(site: Path, port: int, **env: str) -> subprocess.Popen:
    """`kbgen serve --no-api` of this checkout in `site`, output and errors on one pipe."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
    return subprocess.Popen([sys.executable, "-m", "kbgen", "serve", "--no-api", "--port", str(port)],
                            cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def server(tmp_path):
    assert run_kbgen("init", str(tmp_path / "kb")).returncode == 0
    port = free_port()
    process = start_serve(tmp_path / "kb", port)
    try:
        yield tmp_path / "kb", f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_a_stopped_server_leaves_nothing_in_the_temporary_folder(tmp_path, stop):
    """The preview is built in a folder of its own under the temporary folder (a copy of the whole
    site); stopped with Ctrl+C, or terminated by a process manager, the server removes it. With a
    preview tab open (its live-reload stream), Ctrl+C did not stop the server at all."""
    assert run_kbgen("init", str(tmp_path / "kb")).returncode == 0
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    port = free_port()
    process = start_serve(tmp_path / "kb", port, TMPDIR=str(temporary))
    try:
        poll(f"http://127.0.0.1:{port}/en/", lambda status, _: status == 200, timeout=60)
        previews = [path.name for path in temporary.iterdir()]
        assert len(previews) == 1 and previews[0].startswith("kbgen-serve-"), previews
        tab = http.client.HTTPConnection("127.0.0.1", port, timeout=10)   # an open tab's reload stream
        tab.request("GET", "/__kbgen/reload")
        assert tab.getresponse().readline().startswith(b"data: ")
        process.send_signal(stop)
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert list(temporary.iterdir()) == [], output
    assert "Traceback" not in output, output


def test_serve_reload_error_page_and_recovery(server):
    root, base = server
    url = f"{base}/en/getting-started/welcome/"
    status, html = poll(url, lambda status, body: status == 200)
    assert "<h1" in html and "Welcome" in html
    assert "/__kbgen/reload" in html, "the live-reload script is injected"
    assert poll(f"{base}/ja/", lambda status, body: status == 200)[1].count("ようこそ") >= 1

    article = root / "content/en/getting-started/welcome.md"
    good = article.read_text(encoding="utf-8")
    article.write_text(good.replace('title: "Welcome"\n', 'title: "Welcome"\ndraft: maybe\n'), encoding="utf-8")
    status, html = poll(url, lambda status, body: status != 200)
    assert status == 500
    assert "content/en/getting-started/welcome.md" in html and "draft" in html
    assert "/__kbgen/reload" in html, "the error page reloads itself once fixed"

    article.write_text(good.replace("This is your first article.", "Edited while serving."), encoding="utf-8")
    status, html = poll(url, lambda status, body: status == 200 and "Edited while serving." in body)
    assert "Welcome" in html
    missing, _ = fetch(f"{base}/en/no-such-page/")
    assert missing == 404
    assert b"<html" in raw_get(base, "/en/")
    outside = raw_get(base, "/%2e%2e" * 12 + "/etc/passwd")   # a file that exists on any Linux
    assert outside.startswith(b"HTTP/1.1 404") and b"root:" not in outside, "no files outside the built site"
    status, worker = fetch(f"{base}/sw.js")
    assert status == 200 and "unregister()" in worker, "no offline cache while writing; an old one is removed"


def raw_get(base: str, path: str) -> bytes:
    """A request line sent as is (urllib would normalise the dots away)."""
    host, port = base.rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_readme_serve_command_serves_the_sample_portal_and_the_api(tmp_path):
    """README's quick start, `.venv/bin/kbgen serve` in the repository (on a free port, in a copy
    so the repo's var/ and output/ stay untouched): the portal page and /api/health answer."""
    from conftest import copy_sample

    site = copy_sample(tmp_path / "sample")
    kbgen = Path(sys.executable).with_name("kbgen")   # the console script pip installed beside python
    assert kbgen.exists(), f"{kbgen} missing: install the package (pip install -e '.[api]')"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KBGEN_DATABASE_URL", "KBGEN_CONFIG")}
    process = subprocess.Popen([str(kbgen), "serve", "--port", str(port)], cwd=site, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        status, page = poll(f"{base}/en/", lambda status, _: status == 200, timeout=120)
        assert "Orbit Desk" in page
        status, health = poll(f"{base}/api/health", lambda status, _: status == 200, timeout=30)
        assert json.loads(health) == {"status": "ok"}
        assert (site / "var" / "api" / "kbgen.sqlite3").exists(), "the API keeps its data beside the site"
    finally:
        process.terminate()
        try:
            output = process.communicate(timeout=10)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode("utf-8", "replace")
    assert "Traceback" not in output and "Deprecat" not in output, output


def test_a_rebuild_runs_without_the_cyclic_collector_until_its_pages_are_in_place(tmp_path, monkeypatch):
    """The collector would walk every parsed article and page kept between builds, several times
    per rebuild; it is off while the pages are built, and on again before the search data is, and
    after a failed build too. Both durations are recorded (kbgen benchmark reports them)."""
    import gc

    from kbgen import serve
    from kbgen.build import BuildOptions

    assert run_kbgen("init", str(tmp_path / "kb")).returncode == 0
    seen = {}

    def recording_build(*args, **kwargs):
        seen["building"] = gc.isenabled()
        if kwargs["cache"].pages:  # the second rebuild fails
            raise serve.KbgenError("broken on purpose")
        result = real_build(*args, **kwargs)
        finish = result.finish_search

        def finish_search():
            seen["searching"] = gc.isenabled()
            return finish()
        result.finish_search = finish_search
        return result

    real_build = serve.build
    monkeypatch.setattr(serve, "build", recording_build)
    output = tmp_path / "serve-out"
    state = serve.SiteState(tmp_path / "kb", output, BuildOptions(output_dir=output, in_place=True, defer_search=True))
    assert gc.isenabled()
    state.rebuild()
    assert seen == {"building": False, "searching": True} and gc.isenabled()
    assert 0 < state.pages_seconds < state.search_seconds
    state.rebuild()
    assert state.error and "broken on purpose" in state.error and gc.isenabled()


@pytest.mark.parametrize("site_folder", ["site", ".sites/kb"], ids=["site", "site in a hidden folder"])
def test_the_watcher_tells_the_rebuild_which_files_were_saved(tmp_path, site_folder):
    """What lets a text edit show its page before the full rebuild: the paths saved since the
    last rebuild, gathered from the file system's events (editors' hidden files left out)."""
    import threading

    from kbgen import serve

    content = tmp_path / site_folder / "content"
    (content / "en").mkdir(parents=True)
    calls = []
    called = threading.Event()

    class RecordingState:
        def rebuild(self, reason="", changed=()):
            calls.append(list(changed))
            called.set()

    observer = serve._watch(RecordingState(), [content])
    try:
        time.sleep(0.3)
        article = content / "en" / "article.md"
        article.write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
        time.sleep(0.6)
        calls.clear()
        called.clear()
        article.write_text("---\ntitle: A\n---\n\nEdited text.\n", encoding="utf-8")
        (content / "en" / ".article.md.swp").write_text("editor state", encoding="utf-8")
        other = content / "en" / "other.md"   # saved as editors' atomic writes do: hidden file, renamed
        (content / "en" / ".other.md.tmp").write_text("---\ntitle: B\n---\n\nText.\n", encoding="utf-8")
        (content / "en" / ".other.md.tmp").rename(other)
        assert called.wait(10), "no rebuild after a save"
        time.sleep(0.5)   # events of the same save that arrive late start one more rebuild at most
    finally:
        observer.stop()
        observer.join(5)
    saved = {path for paths in calls for path in paths}
    assert saved == {article, other}, "the articles alone: not their folder, not the editors' hidden files"
