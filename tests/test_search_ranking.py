"""Our query runtime (search-index.js, run in node) must return lunr.py's results in lunr.py's
order, on lunr's own serialized index and on kbgen's sharded data files."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from lunr import lunr
from lunr.builder import Builder
from lunr.query import Query, QueryPresence

from kbgen.search.indexer import FIELDS, build_data_files, tokenize_fields
from kbgen.search.sample_corpus import generate
from kbgen.search.tokenizer import query_terms, runs

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "fixtures" / "search" / "run_search.mjs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_js(request: dict) -> list:
    completed = subprocess.run(["node", str(RUNNER)], input=json.dumps(request), capture_output=True,
                               text=True, check=True, encoding="utf-8")
    return json.loads(completed.stdout)


def reference_index(tokenized):
    """Built through lunr.py's public API alone (a fresh Builder: empty pipelines, so the
    pre-tokenized terms are indexed as they are), independent of kbgen's indexer."""
    documents = [{"ref": str(n), **fields} for n, fields in enumerate(tokenized)]
    return lunr(ref="ref", fields=[{"field_name": name, "boost": boost} for name, boost in FIELDS],
                documents=documents, builder=Builder())


def lunr_results(index, clauses):
    query = index.create_query()
    for term, prefix in clauses:
        query.clause(term, presence=QueryPresence.REQUIRED, use_pipeline=False,
                     wildcard=Query.WILDCARD_TRAILING if prefix else Query.WILDCARD_NONE)
    return [(match["ref"], match["score"]) for match in index.query(query)]


def tie_groups(results, tolerance=1e-9):
    """Results as a list of sets of refs with equal scores: order inside a tie is not ranking."""
    groups: list[tuple[float, set[str]]] = []
    for ref, score in results:
        if groups and abs(groups[-1][0] - score) <= tolerance * max(1.0, abs(score)):
            groups[-1][1].add(ref)
        else:
            groups.append((score, {ref}))
    return [refs for _, refs in groups]


def make_queries(docs, rng: random.Random, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        doc = rng.choice(docs)
        words = [run.text for run in runs(doc.title + " " + doc.body[:300])]
        kind = rng.random()
        if doc.lang == "ja":
            text = doc.title[: rng.randint(2, 6)] if kind < 0.5 else rng.choice(doc.body.split("。"))[:rng.randint(2, 8)]
        elif kind < 0.3:
            text = rng.choice(words)
        elif kind < 0.6:
            text = " ".join(rng.sample(words, k=min(2, len(words))))
        else:
            word = rng.choice(words)
            text = f"{rng.choice(words)} {word[: rng.randint(2, max(2, len(word)))]}"  # last word typed halfway
        texts.append(text)
    return texts + ["reset pass", "in", "a", "ticket ticket", "顧客ポータル", "顧", "パスワード"]


@pytest.fixture(scope="module")
def corpus():
    return generate(120)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_runtime_ranks_like_lunr_py(corpus, lang, tmp_path):
    docs = corpus[lang]
    tokenized = [tokenize_fields(doc) for doc in docs]
    index = reference_index(tokenized)
    texts = make_queries(docs, random.Random(lang), 60)
    clause_lists = [query_terms(text) for text in texts]
    expected = [lunr_results(index, clauses) for clauses in clause_lists]
    assert sum(1 for results in expected if len(results) > 1) > 20, "the queries should mostly match several articles"

    for path, data in build_data_files(docs, tokenized, prefix=f"search/{lang}/", lang=lang).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    queries = [[{"term": term, "prefix": prefix} for term, prefix in clauses] for clauses in clause_lists]
    from_lunr_json = run_js({"lunr": index.serialize(), "queries": queries})
    from_shards = run_js({"output": str(tmp_path), "prefix": f"search/{lang}/", "queries": queries})
    from_text = run_js({"output": str(tmp_path), "prefix": f"search/{lang}/", "texts": texts})

    for text, want, got_json, got_shards, got_text in zip(texts, expected, from_lunr_json, from_shards, from_text):
        assert tie_groups(got_json) == tie_groups(want), text
        assert tie_groups(got_shards) == tie_groups(want), text
        assert got_text == got_shards, text  # the JS tokenizer produced the same clauses
        for (_, score), (_, lunr_score) in zip(got_shards, want):
            assert score == pytest.approx(lunr_score, rel=1e-9)
        # lunr's own order, ties included, is kept as long as scores are bit-identical
        assert [ref for ref, _ in got_json] == [ref for ref, _ in want] or tie_groups(want) != [{r} for r, _ in want]


def test_field_vectors_of_zero_magnitude_score_like_lunr(corpus):
    """lunr's similarity returns 0 when a field vector's magnitude is 0 (every value rounded to
    0.000); the runtime only sums dot products, which are 0 there too. Force the case."""
    tokenized = [tokenize_fields(doc) for doc in corpus["en"][:30]]
    index = reference_index(tokenized)
    for field_ref in ("title/0", "body/1", "title/2", "body/2"):
        vector = index.field_vectors[field_ref]
        vector.elements = [value if position % 2 == 0 else 0 for position, value in enumerate(vector.elements)]
        vector._magnitude = 0
    texts = [corpus["en"][n].title for n in range(3)] + ["ticket", "customer"]
    clause_lists = [query_terms(text) for text in texts]
    queries = [[{"term": term, "prefix": prefix} for term, prefix in clauses] for clauses in clause_lists]
    got = run_js({"lunr": index.serialize(), "queries": queries})
    for text, clauses, results in zip(texts, clause_lists, got):
        want = lunr_results(index, clauses)
        assert tie_groups(results) == tie_groups(want), text
        for (_, score), (_, lunr_score) in zip(results, want):
            assert score == pytest.approx(lunr_score, rel=1e-9, abs=1e-12)


def test_stored_values_are_lunrs_field_vectors_bit_for_bit(corpus):
    docs = corpus["ja"][:60] + corpus["en"][:60]
    tokenized = [tokenize_fields(doc) for doc in docs]
    tokenized[5] = {**tokenized[5], "keywords": [], "description": []}  # empty fields too
    index = reference_index(tokenized)
    expected = {}
    for field_ref, vector in index.field_vectors.items():
        field, ref = field_ref.split("/", 1)
        for term_index, value in zip(vector.elements[0::2], vector.elements[1::2]):
            expected[(term_index, field, int(ref))] = value
    term_numbers = {term: posting["_index"] for term, posting in index.inverted_index.items()}
    from kbgen.search.indexer import FIELD_NAMES, lunr_builder, term_postings
    got = {}
    for term, flat in term_postings(lunr_builder(tokenized)).items():
        i = 0
        while i < len(flat):
            field, count, doc, i = FIELD_NAMES[flat[i]], flat[i + 1], 0, i + 2
            for _ in range(count):
                doc += flat[i]
                got[(term_numbers[term], field, doc)] = flat[i + 1] / 1000  # what the runtime computes
                i += 2
    assert got == expected
