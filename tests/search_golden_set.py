"""The golden queries (tests/fixtures/search/golden.json) measured the way a customer searches:
typed into the real search box of a built site in Chromium, the popup's first result read, Enter
pressed, the results page read. Recall, top-1 and MRR over those answers; the same queries through
Pagefind (PyPI `pagefind[extended]`) on the same build output, for benchmarks/search_browser.py.
Shared by tests/test_search_golden.py and that benchmark; not part of the package.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

GOLDEN_FILE = Path(__file__).resolve().parent / "fixtures" / "search" / "golden.json"
CHROMIUM = "/usr/bin/chromium"
BOX = "header form[data-kb-search] input[name=q], form[data-kb-search] input[name=q]"


def load_golden(path: Path = GOLDEN_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _typo(word: str) -> str:
    return word[:2] + word[3:]


def resolve_benchmark_cases(cases: list[dict], docs: dict[str, list]) -> list[dict]:
    """Turns `nth` benchmark cases into queries: docs are the SearchDocs of the built benchmark
    site (kbgen.build.search_documents), the n-th by URL of the case's language."""
    resolved = []
    for case in cases:
        if "nth" not in case:
            resolved.append(case)
            continue
        ordered = sorted(docs[case["lang"]], key=lambda doc: doc.url)
        doc = ordered[case["nth"] % len(ordered)]
        title = doc.title
        if case["kind"] == "title_prefix":
            query = title[: max(2, len(title) - 3)]
        elif case["kind"] == "title_typo":
            words = title.split()
            longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
            words[longest] = _typo(words[longest])
            query = " ".join(words)
        else:
            query = title
        resolved.append({**case, "query": query, "first": doc.url, "found": [doc.url]})
    return resolved


def metrics(cases: list[dict], answers: list[list[str]]) -> dict:
    """recall: share of the must-find articles found (all cases); top1: share of cases whose
    first result is the expected one; mrr: mean of 1/rank of the expected first article."""
    found = wanted = top1 = 0
    reciprocal = 0.0
    failures = []
    for case, urls in zip(cases, answers):
        must = set(case["found"]) | ({case["first"]} if case.get("first") else set())
        hit = must & set(urls)
        found += len(hit)
        wanted += len(must)
        if case.get("first"):
            if urls[:1] == [case["first"]]:
                top1 += 1
            if case["first"] in urls:
                reciprocal += 1 / (urls.index(case["first"]) + 1)
        if hit != must or (case.get("first") and urls[:1] != [case["first"]]):
            failures.append({"query": case["query"], "lang": case["lang"], "kind": case["kind"],
                             "required": case.get("required", False), "expected": case.get("first"),
                             "got": urls[:3], "missing": sorted(must - hit)})
    with_first = sum(1 for case in cases if case.get("first")) or 1
    return {"queries": len(cases), "recall": round(found / max(1, wanted), 3), "top1": round(top1 / with_first, 3),
            "mrr": round(reciprocal / with_first, 3), "failures": failures}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # http.server writes a response's headers and body in two sends. With Nagle's algorithm on,
    # the body then waits for the browser's delayed ACK of the headers: up to 40 ms per file on
    # loopback, which the static hosts a portal is published on (nginx's tcp_nodelay, CDNs) do
    # not add. Timings taken through this server would otherwise measure that stall.
    disable_nagle_algorithm = True
    # Keep-alive, as every static host a portal is published on keeps connections open: over
    # HTTP/1.0 each data file paid for a new connection, and a keystroke's five shards and
    # records queued behind the setups (english keystroke p95 at 10,000 articles 85 → 67 ms).
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


@contextmanager
def served(directory: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def _site_path(base: str, href: str) -> str:
    path = unquote(urlsplit(href).path)
    path = path[len(urlsplit(base).path):] if path.startswith(urlsplit(base).path) else path.lstrip("/")
    return re.sub(r"index\.html$", "", path)


def kbgen_answers(page, base: str, cases: list[dict]) -> list[dict]:
    """Each query typed into the page's search box: {"popup": [urls], "page": [urls], "errors":
    [what the page logged as an error meanwhile]} (a search that fails shows no results; its
    reason is then in the test's failure message)."""
    answers = []
    current_lang = None
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for case in cases:
        errors.clear()
        if case["lang"] != current_lang:
            page.goto(f"{base}{case['lang']}/index.html", wait_until="load")
            current_lang = case["lang"]
        box = page.locator("form[data-kb-search] input[name=q]").first
        box.fill("")
        box.fill(case["query"])
        popup = page.locator("form[data-kb-search] [role=listbox]").first
        try:
            page.wait_for_function(
                "(box) => { const list = box.form.querySelector('[role=listbox]');"
                " const status = box.form.querySelector('[role=status]');"
                " return list && !list.hidden && status && status.textContent; }",
                arg=box.element_handle(), timeout=15000)
            popup_urls = [_site_path(base, href) for href in popup.locator("[role=option]").evaluate_all(
                "(nodes) => nodes.filter((n) => n.dataset.kbDoc).map((n) => new URL(n.dataset.kbDoc, location.origin + '/').href)")]
        except Exception:  # noqa: BLE001 - nothing shown counts as no results
            popup_urls = []
        box.press("Enter")
        page.wait_for_url(re.compile(r"search\.html\?"), timeout=15000)
        page.wait_for_function(
            "() => { const s = document.querySelector('.kb-search-summary'); return s && s.textContent; }",
            timeout=15000)
        urls = [_site_path(base, href) for href in page.locator(".kb-search-results a.kb-search-title").evaluate_all(
            "(nodes) => nodes.map((n) => n.href)")]
        answers.append({"popup": popup_urls, "page": urls, "errors": list(errors)})
    return answers


def pagefind_index(output_dir: Path) -> None:
    """Pagefind's own index of the same output (written to output/pagefind/)."""
    # Its index of the pages' main content (not the navigation every page repeats), to be fair.
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(output_dir), "--root-selector", "main"],
                   check=True, capture_output=True)


def pagefind_answers(page, base: str, cases: list[dict], articles: set[str]) -> list[list[str]]:
    """Each query through Pagefind's JS API on a page of the case's language (Pagefind picks its
    index by the page's lang). Non-article pages (home, categories) are dropped from its results."""
    answers = []
    current_lang = None
    for case in cases:
        if case["lang"] != current_lang:
            page.goto(f"{base}{case['lang']}/search.html", wait_until="load")
            page.evaluate("async () => { window.__pf = await import('/pagefind/pagefind.js'); await window.__pf.init(); }")
            current_lang = case["lang"]
        hrefs = page.evaluate(
            "async (q) => { const r = await window.__pf.search(q); if (!r) return [];"
            " const data = await Promise.all(r.results.slice(0, 40).map((x) => x.data()));"
            " return data.map((d) => d.url); }", case["query"])
        urls = [_site_path(base, href) for href in hrefs]
        answers.append([url for url in urls if url in articles][:20])
    return answers


@contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launch = {"args": ["--no-sandbox", "--disable-gpu"]}
        if Path(CHROMIUM).exists():
            launch["executable_path"] = CHROMIUM
        browser = playwright.chromium.launch(**launch)
        try:
            context = browser.new_context(service_workers="block")
            yield context.new_page()
        finally:
            browser.close()


def build_golden_sites(workdir: Path, golden: dict) -> dict[str, tuple[Path, dict]]:
    """Builds the sample content and the benchmark corpus: corpus -> (output dir, search docs)."""
    from kbgen.benchmark import generate_corpus
    from kbgen.build import BuildOptions, build, search_documents

    root = Path(__file__).resolve().parent.parent
    sites = {}
    bench_site = workdir / "benchmark-site"
    if not bench_site.exists():
        generate_corpus(bench_site, golden.get("benchmark_articles", 200))
    for corpus, site in (("sample", root), ("benchmark", bench_site)):
        output = workdir / f"{corpus}-output"
        result = build(site, BuildOptions(output_dir=output, use_cache=False, workers=1))
        sites[corpus] = (output, search_documents(result.site))
    return sites


def run_golden(workdir: Path, *, pagefind: bool = False, sites=None) -> dict:
    """Builds both corpora, runs every golden query in Chromium (and through Pagefind)."""
    golden = load_golden()
    sites = sites or build_golden_sites(workdir, golden)
    report: dict = {"kbgen": {}, "pagefind": {}}
    all_cases, kb_answers, pf_answers = [], [], []
    for corpus, (output, docs) in sites.items():
        cases = resolve_benchmark_cases([c for c in golden["cases"] if c["corpus"] == corpus], docs)
        articles = {doc.url for lang_docs in docs.values() for doc in lang_docs}
        if pagefind:
            pagefind_index(output)
        with served(output) as base, chromium_page() as page:
            answers = kbgen_answers(page, base, cases)
            kb_answers += answers
            if pagefind:
                pf_answers += pagefind_answers(page, base, cases, articles)
        all_cases += cases
    report["cases"] = all_cases
    report["answers"] = kb_answers
    report["kbgen"] = metrics(all_cases, [a["page"] for a in kb_answers])
    report["kbgen_popup_top1"] = metrics(all_cases, [a["popup"] for a in kb_answers])["top1"]
    if pagefind:
        report["pagefind"] = metrics(all_cases, pf_answers)
    return report


def print_report(report: dict) -> None:
    rows = [("kbgen (search box)", report["kbgen"])]
    if report.get("pagefind"):
        rows.append(("Pagefind", report["pagefind"]))
    print(f"golden set: {report['kbgen']['queries']} queries (tests/fixtures/search/golden.json)")
    for name, figures in rows:
        print(f"  {name:<20} recall {figures['recall']:.1%}  top-1 {figures['top1']:.1%}  MRR {figures['mrr']:.3f}")
