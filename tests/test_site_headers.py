"""Security headers of the static site: `kbgen serve` sends the CSP, frame and nosniff headers on
every page (portal pages included), the build writes the same policy to `_headers` for static
hosts, and the portal still works under that policy in Chromium while another origin cannot frame it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import REPO, build_site, copy_sample, run_kbgen
from kbgen.config import portal_url
from kbgen.site_headers import headers_file, nginx_snippet, site_csp


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("headers") / "kb"
    assert run_kbgen("init", str(root)).returncode == 0
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-m", "kbgen", "serve", "--no-api", "--port", str(port)],
                               cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/en/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("path", ["/en/", *("/" + portal_url("en", app) for app in ("tickets", "account", "community", "feedback")),
                                  "/assets/kbgen/kbgen.js", "/no-such-page/"])
def test_serve_sends_security_headers_on_every_page(served, path):
    try:
        response = urllib.request.urlopen(served + path, timeout=10)
    except urllib.error.HTTPError as error:   # the 404 page too
        response = error
    headers = response.headers
    assert headers["Content-Security-Policy"] == site_csp()
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_build_writes_the_same_policy_for_static_hosts(tmp_path):
    root = copy_sample(tmp_path / "site")
    result = build_site(root, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    written = (tmp_path / "out" / "_headers").read_text(encoding="utf-8")
    assert written.encode() == headers_file("/api")
    assert f"Content-Security-Policy: {site_csp()}" in written and "X-Frame-Options: SAMEORIGIN" in written
    assert f'"{site_csp()}" always;' in nginx_snippet()


def test_api_on_another_origin_is_allowed_to_be_called():
    assert "connect-src 'self' https://api.example.com;" in site_csp("https://api.example.com/api")


@pytest.mark.browser
def test_portal_page_works_under_the_policy_and_cannot_be_framed_by_another_site(browser, served):
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(served + "/" + portal_url("en", "tickets"))
    page.wait_for_selector("[data-kb-mount]")
    page.wait_for_timeout(500)
    assert violations == [], violations
    # another origin (localhost is not 127.0.0.1) framing the tickets page gets nothing
    other = served.replace("127.0.0.1", "localhost")
    page.route(other + "/frame-test", lambda route: route.fulfill(
        content_type="text/html", body=f'<iframe id="f" src="{served}/{portal_url("en", "tickets")}"></iframe>'))
    page.goto(other + "/frame-test")
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#f")
    assert frame.locator("[data-kb-mount]").count() == 0
    context.close()
