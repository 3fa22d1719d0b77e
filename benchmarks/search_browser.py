"""Search in Chromium on a generated corpus: how much search data a first query downloads, what a
typo adds, how long each keystroke takes, and the golden set (kbgen beside Pagefind).

    python benchmarks/search_browser.py --articles 10000            # kbgen benchmark's corpus, then Chromium
    python benchmarks/search_browser.py --output /tmp/b/output      # an existing build of it, Chromium only

Needs the test and benchmark extras (playwright; pagefind for its column):
pip install -e '.[test,benchmark]'. Lives outside the package, which installs neither.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
import sys
import time
from pathlib import Path

# The golden set's runner is shared with the tests (tests/test_search_golden.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

POPUP_RESULTS = 8
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# A misspelt word, typed after a first query, to measure what typo tolerance downloads.
TYPO_QUERIES = {"en": ("password", "pasword"), "ja": ("パスワード", "パスワート")}


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def _search_data_bytes(output_dir: Path, urls: list[str], base: str) -> dict:
    """Raw and gzipped bytes of the search data files among the loaded URLs."""
    raw = gz = files = 0
    for url in sorted(set(urls)):
        if not url.startswith(base):
            continue
        path = output_dir / url[len(base):].split("?")[0]
        if "search/" not in path.as_posix() or not path.is_file():
            continue
        data = path.read_bytes()
        raw, gz, files = raw + len(data), gz + _gz(data), files + 1
    return {"files": files, "raw": raw, "gzip": gz}


def index_sizes(output_dir: Path) -> dict:
    """Bytes of all search data per language, raw and gzipped."""
    sizes = {}
    for folder in sorted(p for p in (Path(output_dir) / "search").iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.js"))
        sizes[folder.name] = {"files": len(files), "raw": sum(p.stat().st_size for p in files),
                              "gzip": sum(_gz(p.read_bytes()) for p in files)}
    return sizes


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def measure_in_browser(output_dir: Path, lang: str, queries: list[str], rounds: int = 1) -> dict:
    """Chromium on a loopback server: time from typing the first query (fresh page load, empty
    cache, no service worker) to the first result on screen and the search data downloaded until
    then (gzipped, as a server would send it); what a typo query downloads on top; then
    per-keystroke query time (search + rendering, as measured by search-ui.js) while typing every
    query letter by letter."""
    from search_golden_set import served

    output_dir = Path(output_dir)
    with served(output_dir) as base:
        return _measure_served(output_dir, base, lang, queries, rounds)


def _measure_served(output_dir: Path, base: str, lang: str, queries: list[str], rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    url = f"{base}{lang}/index.html"
    box = "form[data-kb-search] input[name=q]"
    option = "form[data-kb-search] [role=listbox] [role=option]"
    loaded = "performance.getEntriesByType('resource').map((e) => e.name)"

    def timed_first_query(page) -> float:
        """Milliseconds from typing the first query into the box to its first result on screen."""
        page.locator(box).first.click()
        started = time.perf_counter()
        page.locator(box).first.fill(queries[0])
        page.locator(option).first.wait_for(timeout=30000)
        return (time.perf_counter() - started) * 1000

    with sync_playwright() as playwright:
        launch = {"args": CHROMIUM_ARGS}
        if Path(CHROMIUM).exists():
            launch["executable_path"] = CHROMIUM
        browser = playwright.chromium.launch(**launch)
        try:
            context = browser.new_context(service_workers="block")
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.evaluate("performance.setResourceTimingBufferSize(10000)")
            first_result_ms = timed_first_query(page)
            # what was loaded until the first result was on screen (background loading
            # starts after it)
            first_urls = page.evaluate("(() => { const m = performance.getEntriesByName('kb-search');"
                                       " const end = m.length ? m[0].startTime + m[0].duration : Infinity;"
                                       " return performance.getEntriesByType('resource').filter((e) => e.startTime <= end)"
                                       ".map((e) => e.name); })()")
            # What a misspelt word costs on top of the same word spelt right, each typed
            # after the first query in a fresh page.
            correct, typo = TYPO_QUERIES.get(lang, TYPO_QUERIES["en"])
            second = {}
            records = sorted(f"search/{lang}/{p.name}" for p in (output_dir / "search" / lang).glob("d-*.js"))
            all_records = ("(records) => { const names = performance.getEntriesByType('resource').map((e) => e.name);"
                           " return records.every((r) => names.some((n) => n.endsWith(r))); }")
            for word in (correct, typo):
                other = context.new_page()
                other.goto(url, wait_until="load")
                other.evaluate("performance.setResourceTimingBufferSize(10000)")
                other.locator(box).first.fill(queries[0])
                other.locator(option).first.wait_for(timeout=30000)
                # the display records load in the background after the first results: what
                # the word costs is then its shards and word lists alone
                other.wait_for_function(all_records, arg=records, timeout=60000)
                before = set(other.evaluate(loaded))
                other.locator(box).first.fill(word)
                other.wait_for_timeout(1500)
                second[word] = [u for u in other.evaluate(loaded) if u not in before]
                other.close()
            # A visitor points at the box (or focuses it) a moment before the first keystroke lands,
            # and the search box uses that moment (search-ui.js, prepare): the same first query,
            # typed 300 ms after the pointer reached the box, in fresh contexts.
            pointed_ms: list[float] = []
            for _ in range(rounds):
                fresh = browser.new_context(service_workers="block")
                try:
                    other = fresh.new_page()
                    other.goto(url, wait_until="load")
                    other.locator(box).first.hover()
                    other.wait_for_timeout(300)
                    pointed_ms.append(timed_first_query(other))
                finally:
                    fresh.close()
            timings: list[float] = []
            since_keystroke: list[float] = []
            # Each round types the queries in a fresh browser context (empty cache, shards not yet
            # loaded), so a p95 is taken over more than the dozen keystrokes of one round (of
            # which it is the maximum).
            for round_number in range(rounds):
                if round_number:
                    context.close()
                    context = browser.new_context(service_workers="block")
                    page = context.new_page()
                    page.goto(url, wait_until="load")
                    page.locator(box).first.fill(queries[0])
                    page.locator(option).first.wait_for(timeout=30000)
                page.evaluate("performance.clearMeasures('kb-search')")
                for query in queries:
                    page.locator(box).first.fill("")
                    page.locator(box).first.press_sequentially(query, delay=150)
                    page.wait_for_timeout(400)
                measured = page.evaluate("performance.getEntriesByName('kb-search')"
                                         ".map(e => [e.duration, e.startTime + e.duration - e.detail.typed])")
                timings += [duration for duration, _ in measured]
                since_keystroke += [whole for _, whole in measured]
            context.close()
        finally:
            browser.close()
    return {
        "records_gzip": _search_data_bytes(output_dir, [base + r for r in records], base)["gzip"],
        "first_query": queries[0],
        "time_to_first_result_ms": round(first_result_ms, 1),
        "time_to_first_result_pointed_ms": round(statistics.median(pointed_ms), 1),
        "first_result_download": _search_data_bytes(output_dir, first_urls, base),
        "typo_query": typo,
        "typo_download": _search_data_bytes(output_dir, second[typo], base),
        "correct_spelling_download": _search_data_bytes(output_dir, second[correct], base),
        "typo_extra_gzip": _search_data_bytes(output_dir, second[typo], base)["gzip"]
        - _search_data_bytes(output_dir, second[correct], base)["gzip"],
        "keystroke_queries": len(timings),
        "keystroke_median_ms": round(statistics.median(timings), 2) if timings else None,
        "keystroke_p95_ms": round(_percentile(timings, 0.95), 2) if timings else None,
        # what the visitor waits: the same, from the keystroke (the search box's typing pause included)
        "keystroke_to_results_p95_ms": round(_percentile(since_keystroke, 0.95), 2) if since_keystroke else None,
    }


def golden_comparison(workdir: Path) -> dict:
    """The golden set (tests/fixtures/search/golden.json) typed into kbgen's search box and run
    through Pagefind on the same build output: recall, top-1 and MRR of both."""
    from search_golden_set import run_golden
    import importlib.util
    with_pagefind = importlib.util.find_spec("pagefind") is not None
    report = run_golden(Path(workdir) / "golden", pagefind=with_pagefind)
    summary = {name: {k: report[name][k] for k in ("queries", "recall", "top1", "mrr")}
               for name in ("kbgen", "pagefind") if report.get(name)}
    if not with_pagefind:
        summary["pagefind"] = "not installed: pip install 'kbgen[benchmark]'"
    return summary


def print_golden(summary: dict) -> None:
    for name, figures in summary.items():
        if isinstance(figures, str):
            print(f"golden set, {name}: {figures}")
        else:
            print(f"golden set, {name:<8} {figures['queries']} queries: recall {figures['recall']:.1%}, "
                  f"top-1 {figures['top1']:.1%}, MRR {figures['mrr']:.3f}")


# Typed letter by letter in each language's search box (keystroke timings).
KEYSTROKE_QUERIES = {"en": ["ticket", "export data"], "ja": ["顧客ポータル", "請求書"]}


def measure(output: Path, workdir: Path | None, *, golden: bool = True, rounds: int = 1) -> dict:
    figures: dict = {"browser": {lang: measure_in_browser(output, lang, queries, rounds)
                                 for lang, queries in KEYSTROKE_QUERIES.items()}}
    if golden and workdir is not None:
        figures["golden_set"] = golden_comparison(workdir)
    return figures


def print_measured(figures: dict) -> None:
    for lang, found in figures["browser"].items():
        first = found["first_result_download"]
        print(f"search {lang}: first result for {found['first_query']!r} after {found['time_to_first_result_ms']:.0f} ms "
              f"({found['time_to_first_result_pointed_ms']:.0f} ms typed 300 ms after pointing at the box), "
              f"{first['gzip'] / 1024:.1f} KB gzipped in {first['files']} files; typo {found['typo_query']!r} "
              f"+{found['typo_extra_gzip'] / 1024:.1f} KB; keystroke p95 {found['keystroke_p95_ms']} ms, median "
              f"{found['keystroke_median_ms']} ms ({found['keystroke_queries']} keystrokes; p95 from the keystroke, "
              f"its 60 ms typing pause included, {found['keystroke_to_results_p95_ms']} ms); display records loaded in "
              f"the background after the first results {found['records_gzip'] / 1024:.0f} KB gzipped")
    if isinstance(figures.get("golden_set"), dict):
        print_golden(figures["golden_set"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="corpus size (kbgen benchmark --articles)")
    parser.add_argument("--article-kb", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=1, help="builds per build figure")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the corpus and its build here")
    parser.add_argument("--output", type=Path, default=None, help="measure this existing build output only")
    parser.add_argument("--no-golden", action="store_true", help="skip the golden set")
    parser.add_argument("--rounds", type=int, default=3, help="fresh pages the keystroke queries are typed in")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.output:
        figures = measure(args.output, args.workdir, golden=not args.no_golden and args.workdir is not None,
                          rounds=args.rounds)
        if args.json:
            print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        from kbgen.benchmark import run_benchmark

        figures = run_benchmark(args.articles, args.workdir, article_kb=args.article_kb, repeat=args.repeat,
                                as_json=args.json, measure=lambda output, workdir: measure(output, workdir, golden=not args.no_golden,
                                                                        rounds=args.rounds))
    if not args.json:
        print_measured(figures)


if __name__ == "__main__":
    main()
