"""Golden queries. The golden set (tests/fixtures/search/golden.json, over the sample content and
the benchmark corpus) typed into the real search box in Chromium: every required query finds its
articles and ranks the expected one first. And on a small bilingual site
(tests/fixtures/search/site), through the browser runtime in node: each query finds every article
that contains it, and the article whose title matches comes first."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "search" / "site"
RUNNER = ROOT / "tests" / "fixtures" / "search" / "run_search.mjs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

GOLDEN = [
    ("en", "invoice", "en/billing/download-invoice/"),
    ("en", "password", "en/security/reset-password/"),
    ("en", "reset pass", "en/security/reset-password/"),  # last word typed halfway
    ("en", "customer portal", "en/portal/enable-portal/"),
    ("en", "two-step verification", "en/security/two-step/"),
    ("en", "INVOICES", "en/billing/download-invoice/"),
    ("ja", "顧客ポータル", "ja/portal/enable-portal/"),
    ("ja", "パスワード", "ja/security/reset-password/"),
    ("ja", "二段階認証", "ja/security/two-step/"),
    ("ja", "請求書", "ja/billing/download-invoice/"),
    ("ja", "ﾊﾟｽﾜｰﾄﾞ", "ja/security/reset-password/"),  # half-width katakana
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    output = tmp_path_factory.mktemp("golden") / "output"
    build(SITE, BuildOptions(output_dir=output, use_cache=False, workers=1))
    return output


def search(output: Path, lang: str, texts: list[str]) -> list[list[list]]:
    request = {"output": str(output), "prefix": f"search/{lang}/", "texts": texts, "withDocuments": True}
    completed = subprocess.run(["node", str(RUNNER)], input=json.dumps(request), capture_output=True,
                               text=True, check=True, encoding="utf-8")
    return json.loads(completed.stdout)


def articles_containing(lang: str, query: str) -> set[str]:
    words = unicodedata.normalize("NFKC", query).lower().split()
    found = set()
    for path in (SITE / "content" / lang).rglob("*.md"):
        if path.name == "_index.md" or "internal: true" in path.read_text(encoding="utf-8"):
            continue  # not in the public build
        text = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8")).lower()
        if all(word in text for word in words):
            found.add(f"{lang}/{path.parent.relative_to(SITE / 'content' / lang).as_posix()}/{path.stem}/")
    return found


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_golden_queries(built, lang):
    cases = [(query, first) for code, query, first in GOLDEN if code == lang]
    answers = search(built, lang, [query for query, _ in cases])
    for (query, first), results in zip(cases, answers):
        urls = [row[4] for row in results]
        assert urls, f"{query!r} found nothing"
        assert urls[0] == first, f"{query!r}: {urls}"
        assert articles_containing(lang, query) <= set(urls), query


def test_every_two_character_japanese_substring_finds_its_article(built):
    title = "二段階認証を有効にする"
    substrings = sorted({title[i:j] for i in range(len(title)) for j in range(i + 2, len(title) + 1)})
    for query, results in zip(substrings, search(built, "ja", substrings)):
        assert "ja/security/two-step/" in [row[4] for row in results], query


def test_a_word_in_no_article_finds_nothing_and_costs_nothing(built):
    nothing, invoice = search(built, "en", ["zeppelin", "invoice zeppelin"])
    assert nothing == []
    assert invoice[0][4] == "en/billing/download-invoice/"  # terms are optional: the rest still finds


def test_more_of_the_question_ranks_first(built):
    (results,) = search(built, "en", ["I forgot my password"])
    assert results[0][4] == "en/security/reset-password/"
    assert all(row[2] <= results[0][2] for row in results)


# ---- the golden set in Chromium ------------------------------------------------------------

@pytest.fixture(scope="module")
def golden_report(tmp_path_factory):
    from pathlib import Path as _Path
    if not _Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    from search_golden_set import run_golden
    return run_golden(tmp_path_factory.mktemp("golden-set"))


@pytest.mark.browser
def test_golden_set_has_enough_queries_of_every_kind():
    from search_golden_set import load_golden
    cases = load_golden()["cases"]
    assert len(cases) >= 80
    kinds = {case["kind"] for case in cases}
    assert {"question", "typo", "prefix", "code", "cross", "kanji", "width", "title"} <= kinds
    assert {case["lang"] for case in cases if case["kind"] == "question"} == {"en", "ja"}


@pytest.mark.browser
def test_golden_set_required_queries_in_chromium(golden_report):
    failures = []
    for case, answer in zip(golden_report["cases"], golden_report["answers"]):
        if not case.get("required"):
            continue
        urls = answer["page"]
        missing = set(case["found"]) - set(urls)
        if missing or (case.get("first") and urls[:1] != [case["first"]]):
            failures.append((case["lang"], case["query"], case.get("first"), urls[:3], sorted(missing), answer["errors"]))
    assert failures == []


@pytest.mark.browser
def test_golden_set_popup_ranks_like_the_results_page(golden_report):
    different = [(case["query"], answer["popup"][:1], answer["page"][:1], answer["errors"])
                 for case, answer in zip(golden_report["cases"], golden_report["answers"])
                 if answer["popup"][:1] != answer["page"][:1]]
    assert different == []
