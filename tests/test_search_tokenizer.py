"""The Python tokenizer and its JS twin must agree token for token (the index is built in
Python, queries are tokenized in the browser)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from kbgen.search.tokenizer import STOP_WORDS, Run, index_terms, is_cjk, query_terms, query_units, runs, stem

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "search"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_js(cases=(), words=()):
    completed = subprocess.run(
        ["node", str(FIXTURES / "run_tokenizer.mjs")],
        input=json.dumps({"cases": list(cases), "words": list(words)}),
        capture_output=True, text=True, check=True, encoding="utf-8",
    )
    return json.loads(completed.stdout)


def test_japanese_becomes_overlapping_bigrams():
    # ... and the run's last character, so "ル" (or 書 in 請求書) finds the compound it ends
    assert index_terms("顧客ポータル") == ["顧客", "客ポ", "ポー", "ータ", "タル", "ル"]
    assert index_terms("東") == ["東"]


def test_japanese_punctuation_and_middle_dot_split_runs():
    assert index_terms("「引用」・中黒、終わり。") == ["引用", "用", "中黒", "黒", "終わ", "わり", "り"]


def test_full_width_and_half_width_forms_are_the_same_terms():
    assert index_terms("ＡＰＩ１２") == index_terms("API12") == ["api12"]
    assert index_terms("ﾊﾟｽﾜｰﾄﾞ") == index_terms("パスワード")


def test_english_words_are_stemmed_and_stop_words_dropped():
    assert index_terms("The Passwords of running users") == ["password", "run", "user"]
    # question words are stop words too: a customer's question keeps only its topic
    assert index_terms("How do I reset my password? I cannot sign in") == ["reset", "password", "sign"]


def test_code_identifiers_are_split_and_also_indexed_whole():
    assert index_terms("snake_case foo.bar()") == ["snake", "case", "foo", "bar", "snake_case", "foo.bar"]
    assert index_terms("Run `setup:upgrade`.") == ["run", "setup", "upgrad", "setup:upgrade"]


def test_last_unfinished_word_is_exact_or_a_prefix():
    assert query_terms("reset pass") == [("reset", False), ("pass", False), ("pass", True)]
    assert query_terms("passwords") == [("password", False), ("password", True)]
    assert query_terms("in") == [("in", True)]  # beginning of "invoice", not a stop word yet
    assert query_terms("invoice ") == [("invoic", False)]
    assert query_terms("顧") == [("顧", True)]
    assert query_terms("二段階") == [("二段", False), ("段階", False)]


def test_query_units_are_scored_parts_of_the_question():
    units = query_units("how do I reset my passw")
    assert [unit["word"] for unit in units] == ["reset", "passw"]
    assert [form["credit"] for form in units[1]["forms"]] == [1, 0.75]  # whole word above prefix
    assert query_units("my")[0]["weak"] is False  # a lone stop word still searches what starts with it
    assert [u["weak"] for u in query_units("reset my")] == [False, True]
    assert [u["typo"] for u in query_units("pasword api パスワード 認証")] == ["word", None, "kana", None]


def test_japanese_query_drops_particles_and_inflection():
    terms = query_units("パスワードを忘れました")[0]["forms"][0]["terms"]
    assert terms == ["パス", "スワ", "ワー", "ード", "忘れ"]
    assert query_units("支払い方法を変更したい")[0]["forms"][0]["terms"] == ["支払", "方法", "変更"]
    assert query_units("ありがとう")[0]["forms"][0]["terms"] == ["あり", "りが", "がと", "とう"]  # all kana: kept


def test_runs_are_split_between_scripts():
    assert [(r.text, r.cjk) for r in runs("Wi-Fi設定")] == [("wi", False), ("fi", False), ("設定", True)]


def _runs_per_character(text: str) -> list[Run]:
    """The former definition of runs (a loop over characters), kept as the reference the compiled
    regular expression must reproduce exactly."""
    import unicodedata
    text = unicodedata.normalize("NFKC", text).lower()
    found, current, current_cjk = [], [], False
    word = lambda c: unicodedata.category(c)[0] in "LNM"  # noqa: E731

    def flush(closed):
        if current:
            found.append(Run("".join(current), current_cjk, closed))
            current.clear()

    for position, char in enumerate(text):
        if is_cjk(char):
            if current and not current_cjk:
                flush(True)
            current_cjk = True
            current.append(char)
        elif word(char):
            if current and current_cjk:
                flush(True)
            current_cjk = False
            current.append(char)
        elif (char in "'\u2019" and current and not current_cjk and position + 1 < len(text)
              and word(text[position + 1]) and not is_cjk(text[position + 1])):
            continue
        else:
            flush(True)
    flush(False)
    return found


def test_compiled_runs_equal_the_per_character_definition():
    from search_corpus import generate
    cases = json.loads((FIXTURES / "tokenizer_cases.json").read_text(encoding="utf-8"))
    texts = cases + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "content").rglob("*.md"))]
    for docs in generate(40).values():
        texts += [doc.title + "\n" + doc.body for doc in docs]
    texts += ["a'", "'a", "a''b", "a'b'c", "a\u2019\u3042", "\u3042'a", "x\u0301y", "\U0001d400bc", "e\u0301"]
    for text in texts:
        assert runs(text) == _runs_per_character(text), text[:60]


@needs_node
def test_js_tokenizer_matches_python_on_tricky_fixture():
    cases = json.loads((FIXTURES / "tokenizer_cases.json").read_text(encoding="utf-8"))
    js = run_js(cases=cases)
    assert js["stopWords"] == sorted(STOP_WORDS)
    for text, js_index, js_units in zip(cases, js["index"], js["units"]):
        assert js_index == index_terms(text), text
        assert js_units == query_units(text), text


def _sample_words() -> list[str]:
    words: set[str] = set()
    for path in sorted((ROOT / "content").rglob("*.md")):
        for run in runs(path.read_text(encoding="utf-8")):
            if not run.cjk:
                words.add(run.text)
    return sorted(words)


@needs_node
def test_js_tokenizer_matches_python_on_every_word_of_the_sample_content():
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "content").rglob("*.md"))]
    assert texts, "the sample content is missing"
    js = run_js(cases=texts)
    for text, js_index in zip(texts, js["index"]):
        assert js_index == index_terms(text)


@needs_node
def test_js_stemmer_matches_lunr_on_a_large_vocabulary():
    # Every distinct lowercase word of the Python standard library's sources: tens of thousands
    # of real English (and not so English) words, including the short ones with quirks.
    vocabulary: set[str] = set(_sample_words())
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py"))[:400]:
        vocabulary.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8", errors="ignore").lower()))
    vocabulary.update(["y", "ys", "yy", "ies", "sses", "eed", "ing", "ed", "lay", "try", "bly", "aing"])
    words = sorted(vocabulary)
    assert len(words) > 10000
    js = run_js(words=words)
    mismatches = [(w, s, stem(w)) for w, s in zip(words, js["stems"]) if s != stem(w)]
    assert mismatches == []


@needs_node
def test_js_tokenizer_matches_python_on_every_field_of_the_built_sample_site():
    from kbgen.build import BuildOptions, build, search_documents

    result = build(ROOT, BuildOptions(write=False, use_cache=False, workers=1))
    docs = [doc for language_docs in search_documents(result.site).values() for doc in language_docs]
    assert {doc.lang for doc in docs} == {"en", "ja"}
    texts = [text for doc in docs for text in (doc.title, doc.description, doc.body, doc.category_title,
                                                "\n".join(doc.keywords), "\n".join(doc.headings))]
    js = run_js(cases=texts)
    mismatches = [text[:60] for text, js_index in zip(texts, js["index"]) if js_index != index_terms(text)]
    assert mismatches == []




def test_the_word_class_is_what_unicodedata_says_without_walking_every_code_point_per_process():
    import unicodedata
    from pathlib import Path

    from kbgen.search import tokenizer, word_ranges

    assert tokenizer._WORD_RANGES == tuple(tokenizer.compute_word_ranges())
    if word_ranges.UNICODE_VERSION == unicodedata.unidata_version:   # the stored file is this version's
        assert Path(word_ranges.__file__).read_text(encoding="utf-8") == tokenizer.word_ranges_source()
