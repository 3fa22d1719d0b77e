"""Search figures for `kbgen benchmark`: how big the search data is, how much of it a first query
needs, and how fast search feels in Chromium."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import math
import re
import statistics
import threading
import time
from pathlib import Path

from .tokenizer import query_terms

TYPICAL_QUERIES = {"en": "reset password", "ja": "顧客ポータル"}
POPUP_RESULTS = 8
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _payload(path: Path):
    text = path.read_text(encoding="utf-8")
    match = re.fullmatch(r'__kbSearchData\("[^"]+",(.*)\);\n', text, re.DOTALL)
    return json.loads(match.group(1)) if match else None


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def _utf16(term: str) -> bytes:
    return term.encode("utf-16-be")


def _shards_for(manifest: dict, term: str, prefix: bool) -> list[int]:
    firsts = [_utf16(first) for first, _ in manifest["shards"]]
    key = _utf16(term)
    position = max(0, sum(1 for first in firsts if first <= key) - 1)
    positions = [position]
    if prefix:
        positions += [p for p in range(position + 1, len(firsts)) if manifest["shards"][p][0].startswith(term)]
    return positions if firsts else []


def _first_result_files(folder: Path, manifest: dict, query: str) -> list[Path]:
    """The files the runtime loads to show the popup for `query`: manifest, the shards of its
    terms, and the store chunks of the top results (ranked the way the runtime ranks them)."""
    needed = [folder / "index.js", folder.parent / "languages.js"]
    clauses = query_terms(query)
    shard_data: dict[int, dict] = {}
    for term, prefix in clauses:
        for position in _shards_for(manifest, term, prefix):
            if position not in shard_data:
                shard_data[position] = _payload(folder / manifest["shards"][position][1])
                needed.append(folder / manifest["shards"][position][1])
    # Score as lunr does (see indexer.py), to know which documents are displayed.
    times: dict[str, int] = {}
    expansions = []
    for term, prefix in clauses:
        expanded = sorted({t for data in shard_data.values() for t in data["terms"]
                           if (t.startswith(term) if prefix else t == term)})
        expansions.append(expanded)
        for t in expanded:
            times[t] = times.get(t, 0) + 1
    postings = {}
    for data in shard_data.values():
        for t, flat in zip(data["terms"], data["postings"]):
            if t in times:
                entries, i = [], 0
                while i < len(flat):
                    count, doc, i = flat[i + 1], 0, i + 2
                    for _ in range(count):
                        doc += flat[i]
                        entries.append((doc, flat[i + 1] / 1000))
                        i += 2
                postings[t] = entries
    required = None
    for expanded in expansions:
        docs = {doc for t in expanded for doc, _ in postings.get(t, [])}
        required = docs if required is None else required & docs
    magnitude = math.sqrt(sum(n * n for n in times.values())) or 1
    scores: dict[int, float] = {}
    for t, entries in postings.items():
        for doc, value in entries:
            if required and doc in required:
                scores[doc] = scores.get(doc, 0) + times[t] * value / magnitude
    top = sorted(scores, key=lambda d: -scores[d])[:POPUP_RESULTS]
    for chunk in sorted({doc // manifest["chunkSize"] for doc in top}):
        needed.append(folder / manifest["chunks"][chunk])
    return needed


def index_sizes(output_dir: Path, queries: dict[str, str] | None = None) -> dict:
    """Bytes per language, raw and gzipped: all search data, and what a typical query needs
    before its first result (manifest + touched shards + displayed documents)."""
    output_dir = Path(output_dir)
    queries = {**TYPICAL_QUERIES, **(queries or {})}
    sizes: dict[str, dict] = {}
    for folder in sorted(p for p in (output_dir / "search").iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.js"))
        manifest = _payload(folder / "index.js")
        query = queries.get(folder.name, TYPICAL_QUERIES["en"])
        needed = _first_result_files(folder, manifest, query)
        sizes[folder.name] = {
            "articles": manifest["docCount"],
            "files": len(files),
            "total_raw": sum(p.stat().st_size for p in files),
            "total_gzip": sum(_gz(p.read_bytes()) for p in files),
            "first_result_query": query,
            "first_result_files": len(needed),
            "first_result_raw": sum(p.stat().st_size for p in needed),
            "first_result_gzip": sum(_gz(p.read_bytes()) for p in needed),
        }
    bundle = output_dir / "assets" / "kbgen" / "kbgen.js"
    if bundle.exists():
        sizes["_page_script"] = {"raw": bundle.stat().st_size, "gzip": _gz(bundle.read_bytes())}
    return sizes


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def measure_in_browser(output_dir: Path, lang: str, queries: list[str]) -> dict:
    """Chromium on a loopback server: time from typing the first query (fresh page load, empty
    cache, no service worker) to the first result on screen, then per-keystroke query time
    (search + rendering, as measured by search-ui.js) while typing every query letter by letter."""
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(output_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/{lang}/index.html"
    box = "form[data-kb-search] input[name=q]"
    option = "form[data-kb-search] [role=listbox] [role=option]"
    try:
        with sync_playwright() as playwright:
            launch = {"args": CHROMIUM_ARGS}
            if Path(CHROMIUM).exists():
                launch["executable_path"] = CHROMIUM
            browser = playwright.chromium.launch(**launch)
            try:
                context = browser.new_context(service_workers="block")
                page = context.new_page()
                page.goto(url, wait_until="load")
                page.locator(box).first.click()
                started = time.perf_counter()
                page.locator(box).first.fill(queries[0])
                page.locator(option).first.wait_for(timeout=30000)
                first_result_ms = (time.perf_counter() - started) * 1000
                page.evaluate("performance.clearMeasures('kb-search')")
                for query in queries:
                    page.locator(box).first.fill("")
                    page.locator(box).first.press_sequentially(query, delay=150)
                    page.wait_for_timeout(400)
                timings = page.evaluate("performance.getEntriesByName('kb-search').map(e => e.duration)")
                context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return {
        "first_query": queries[0],
        "time_to_first_result_ms": round(first_result_ms, 1),
        "keystroke_queries": len(timings),
        "keystroke_median_ms": round(statistics.median(timings), 2) if timings else None,
        "keystroke_p95_ms": round(_percentile(timings, 0.95), 2) if timings else None,
    }
