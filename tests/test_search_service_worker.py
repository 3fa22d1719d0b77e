"""The offline service worker answers only for what the build wrote: never for the API,
the agent page or event streams that share the portal's origin."""
import json
import shutil
import subprocess

import pytest

from kbgen.search import build_service_worker

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

FILES = {
    "index.html": b"<html></html>", "404.html": b"404", "en/index.html": b"home",
    "en/billing/invoices/index.html": b"page", "assets/kbgen/kbgen.js": b"js",
    "search/en/index.js": b"x", "sitemap.xml": b"<urlset/>",
}

HARNESS = r"""
const listeners = {};
globalThis.self = {
  registration: { scope: 'https://help.example/' },
  location: { origin: 'https://help.example', href: 'https://help.example/sw.js' },
  addEventListener: (type, fn) => { listeners[type] = fn; },
  skipWaiting: () => {}, clients: { claim: () => {} },
};
globalThis.caches = { open: async () => ({ put: async () => {}, match: async () => undefined }), keys: async () => [] };
globalThis.fetch = async () => new Response('');
eval(require('fs').readFileSync(process.argv[2], 'utf8'));
const answered = [];
for (const [path, accept] of JSON.parse(process.argv[3])) {
  let responded = false;
  const headers = new Headers(accept ? { accept } : {});
  listeners.fetch({ request: { method: 'GET', url: 'https://help.example' + path, mode: 'cors', headers },
                    respondWith: () => { responded = true; } });
  answered.push(responded);
}
console.log(JSON.stringify(answered));
"""


def handled(tmp_path, requests):
    script = tmp_path / "sw.js"
    script.write_bytes(build_service_worker(FILES, precache_limit_bytes=10**6)["sw.js"])
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    result = subprocess.run(["node", str(harness), str(script), json.dumps(requests)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_site_pages_and_data_are_served_by_the_worker(tmp_path):
    assert handled(tmp_path, [["/en/billing/invoices/", "text/html"], ["/assets/kbgen/kbgen.js", None],
                              ["/search/en/index.js", None], ["/", "text/html"]]) == [True, True, True, True]


def test_api_agent_and_streams_pass_through(tmp_path):
    assert handled(tmp_path, [["/api/tickets/", None], ["/api/chat/abc/events", "text/event-stream"],
                              ["/agent/chat/", "text/html"], ["/agent/", "text/html"],
                              ["/en/", "text/event-stream"]]) == [False, False, False, False, False]
