"""Our query runtime (search-index.js, run in node) must rank as an independent computation says:
lunr.py's own score for the query's clauses (every term optional, with its boost), then the rules
kbgen adds on top, recomputed here from lunr.py's index: titles that start with the query first,
then documents matching more of the query (coverage), then score. On lunr's own serialized index
and on kbgen's sharded data files."""

from __future__ import annotations

import bisect
import json
import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from lunr import lunr
from lunr.builder import Builder
from lunr.query import Query, QueryPresence

from kbgen.search import indexer
from kbgen.search.indexer import (FIELDS, SCORED_FIELDS, build_data_files, data_payload, document_order, tokenize_fields,
                                  utf16_key)
from search_corpus import generate
from kbgen.search.tokenizer import query_units, runs, title_key

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "fixtures" / "search" / "run_search.mjs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_js(request: dict) -> list:
    completed = subprocess.run(["node", str(RUNNER)], input=json.dumps(request), capture_output=True,
                               text=True, check=True, encoding="utf-8")
    return json.loads(completed.stdout)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)


def shipped_order(docs, tokenized=None):
    """`docs` and their term lists in the order the data files number them (by title), so that
    reference_index's refs are the runtime's document numbers."""
    tokenized = [tokenize_fields(doc) for doc in docs] if tokenized is None else tokenized
    order = document_order(docs, tokenized)
    return [docs[i] for i in order], [tokenized[i] for i in order]


def reference_index(tokenized):
    """Built through lunr.py's public API alone (a fresh Builder: empty pipelines, so the
    pre-tokenized terms are indexed as they are), independent of kbgen's indexer."""
    documents = [{"ref": str(n), **fields} for n, fields in enumerate(tokenized)]
    return lunr(ref="ref", fields=[{"field_name": name, "boost": boost} for name, boost in FIELDS],
                documents=documents, builder=Builder())


def lunr_scores(index, clauses):
    """lunr.py's scores for optional (term, boost) clauses over the scored fields."""
    query = index.create_query()
    for term, boost in clauses:
        query.clause(term, presence=QueryPresence.OPTIONAL, use_pipeline=False, boost=boost,
                     wildcard=Query.WILDCARD_NONE, fields=list(SCORED_FIELDS))
    return {match["ref"]: match["score"] for match in index.query(query)}


def expected_ranking(index, forms_by_unit, scores, units=None, titles=None):
    """kbgen's order recomputed from lunr.py's inverted index: (tier, coverage, score)."""
    def fields_of(term, ref):
        posting = index.inverted_index.get(term, {})
        return {field for field in posting if field != "_index" and ref in posting[field]}

    ranked = []
    for ref, score in scores.items():
        coverage, whole_title = 0.0, True
        for unit in forms_by_unit:
            if unit["weak"]:
                continue
            best, titled = 0.0, False
            for form in unit["forms"]:
                terms = form["terms"]
                if not terms:
                    continue
                in_doc = [t for t in terms if fields_of(t, ref) - {"lead"}]
                in_title = [t for t in terms if "title" in fields_of(t, ref)]
                share = (1.0 if in_doc else 0.0) if form["any"] else len(in_doc) / len(terms)
                best = max(best, form["credit"] * share)
                title_share = (1.0 if in_title else 0.0) if form["any"] else len(in_title) / len(terms)
                titled = titled or (not form["typo"] and title_share == 1)
            coverage += best
            whole_title = whole_title and titled
        leading = any(not form["typo"] and any("lead" in fields_of(t, ref) for t in form["terms"])
                      for form in forms_by_unit[0]["forms"])
        ranked.append((ref, score, math.floor(coverage * 4 + 0.5) / 4, 1 if whole_title and leading else 0))  # as JS rounds
    best = max((c for _, _, c, _ in ranked), default=0)
    whole = min(1, sum(1 for unit in forms_by_unit if not unit["weak"]))
    enough = max(best, whole) / 2
    ranked = sorted([r for r in ranked if r[3] or r[2] >= enough], key=lambda r: (-r[3], -r[2], -r[1]))
    # Among the first eight, a title equal to the query (stop words aside, stemmed) is first of all.
    if titles is not None and len(ranked) > 1:
        wanted = " ".join(unit["word"] for unit in units if not unit["weak"] and not unit["identifier"])
        ranked = [(ref, score, coverage, 2 if position < 8 and title_key(titles[int(ref)]) == wanted else tier)
                  for position, (ref, score, coverage, tier) in enumerate(ranked)]
        ranked.sort(key=lambda r: (-r[3], -r[2], -r[1]))
    return ranked


def tie_groups(results, tolerance=1e-9):
    """Results as a list of sets of refs with equal scores: order inside a tie is not ranking."""
    groups: list[tuple[float, set[str]]] = []
    for ref, score in results:
        if groups and abs(groups[-1][0] - score) <= tolerance * max(1.0, abs(score)):
            groups[-1][1].add(ref)
        else:
            groups.append((score, {ref}))
    return [refs for _, refs in groups]


def tie_groups_of(rows, tolerance=1e-9):
    """Rows (ref, score, coverage, tier) as a list of sets of refs ranked equal."""
    groups: list[tuple[tuple, set[str]]] = []
    for ref, score, coverage, tier in rows:
        key = (tier, coverage, score)
        if groups and groups[-1][0][:2] == key[:2] and abs(groups[-1][0][2] - score) <= tolerance * max(1.0, abs(score)):
            groups[-1][1].add(ref)
        else:
            groups.append((key, {ref}))
    return [refs for _, refs in groups]


def make_queries(docs, rng: random.Random, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        doc = rng.choice(docs)
        words = [run.text for run in runs(doc.title + " " + doc.body[:300])]
        kind = rng.random()
        if doc.lang == "ja":
            text = doc.title[: rng.randint(2, 6)] if kind < 0.5 else rng.choice(doc.body.split("。"))[:rng.randint(2, 12)]
        elif kind < 0.3:
            text = rng.choice(words)
        elif kind < 0.6:
            text = " ".join(rng.sample(words, k=min(3, len(words))))
        elif kind < 0.75:
            word = rng.choice([w for w in words if len(w) > 4] or words)
            text = word[:2] + word[3:]  # a letter left out: a typo
        else:
            word = rng.choice(words)
            text = f"{rng.choice(words)} {word[: rng.randint(2, max(2, len(word)))]}"  # last word typed halfway
        texts.append(text)
    titles = [rng.choice(docs).title for _ in range(6)]  # whole titles: some are equal to the query
    return texts + titles + ["reset pass", "in", "a", "ticket ticket", "顧客ポータル", "顧", "パスワード", "how do I reset my password",
                    "パスワードを忘れました", "パスワート", "tickets:read"]


@pytest.fixture(scope="module")
def corpus():
    return generate(120)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_runtime_ranks_like_the_independent_computation(corpus, lang, tmp_path):
    docs, tokenized = shipped_order(corpus[lang])
    index = reference_index(tokenized)
    texts = make_queries(docs, random.Random(lang), 60)
    write_files(tmp_path, build_data_files(docs, tokenized, prefix=f"search/{lang}/", lang=lang))
    units = [query_units(text) for text in texts]
    from_shards = run_js({"output": str(tmp_path), "prefix": f"search/{lang}/", "queries": units, "withPlan": True})
    from_text = run_js({"output": str(tmp_path), "prefix": f"search/{lang}/", "texts": texts})
    several = typos = equal_titles = 0
    for text, answer, got_text in zip(texts, from_shards, from_text):
        got = [tuple(row) for row in answer["results"]]
        assert got_text == answer["results"], text  # the JS tokenizer made the same units
        forms = answer["forms"]
        # Prefix expansions are every indexed term with that prefix (lunr's index says which).
        for unit_in, unit_out in zip(units[texts.index(text)], forms):
            for form_in, form_out in zip(unit_in["forms"], unit_out["forms"]):
                if form_in["prefix"]:
                    exact = {t for f in unit_in["forms"] for t in f["terms"]}
                    want = {t for t in index.inverted_index if t.startswith(form_in["prefix"]) and t not in exact}
                    assert set(form_out["terms"]) == want, text
        typos += any(form["typo"] for unit in forms for form in unit["forms"])
        clauses = [(term, form["boost"]) for unit in forms for form in unit["forms"] for term in form["terms"]
                   if term in index.inverted_index]
        assert sorted(clauses) == sorted(tuple(c) for c in answer["plan"]), text
        query_units_ = units[texts.index(text)]
        want = expected_ranking(index, forms, lunr_scores(index, clauses), query_units_,
                                [doc.title for doc in docs]) if clauses else []
        several += len(want) > 1
        equal_titles += bool(got) and got[0][3] == 2
        assert tie_groups_of(got) == tie_groups_of(want), (text, got[:5], want[:5])
        for (_, score, coverage, tier), (_, lunr_score, want_coverage, want_tier) in zip(got, want):
            assert score == pytest.approx(lunr_score, rel=1e-9)
            assert (coverage, tier) == (want_coverage, want_tier)
    assert several > 20, "the queries should mostly match several articles"
    assert equal_titles >= 3, "some queries should be whole titles"
    if lang == "en":
        assert typos >= 3, "some queries should have needed typo variants"


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
    units = [query_units(text) for text in texts]
    answers = run_js({"lunr": index.serialize(), "queries": units, "withPlan": True})
    for text, answer in zip(texts, answers):
        got = [tuple(row) for row in answer["results"]]
        clauses = [tuple(clause) for clause in answer["plan"]]
        want = expected_ranking(index, answer["forms"], lunr_scores(index, clauses))
        assert tie_groups_of(got) == tie_groups_of(want), text
        for (_, score, *_), (_, lunr_score, *_) in zip(got, want):
            assert score == pytest.approx(lunr_score, rel=1e-9, abs=1e-12)


def test_a_letter_typed_alone_warms_up_with_its_most_frequent_terms_and_shown_queries_expand_fully(
        corpus, tmp_path, monkeypatch):
    """A letter typed alone is not shown; the search box warms up with it: the letter's most
    frequent terms, from at most INITIAL_SHARDS shards, ranked as lunr scores them. A shown query
    ("customer b") still expands its last letter to every term: the frequent ones alone lost the
    article being typed on a real KB."""
    monkeypatch.setattr(indexer, "SHARD_TARGET_BYTES", 1500)  # many shards from a small corpus
    docs, tokenized = shipped_order(corpus["en"])
    # In how many (document, field) pairs each term is, from the tokenizer's output (not the index).
    frequency: dict[str, int] = {}
    for fields in tokenized:
        for name, terms in fields.items():
            for term in set(terms) if name != "lead" else ():
                frequency[term] = frequency.get(term, 0) + 1
    index = reference_index(tokenized)
    write_files(tmp_path, build_data_files(docs, tokenized, prefix="search/en/", lang="en"))
    manifest = data_payload((tmp_path / "search/en/index.js").read_bytes())[1]
    firsts = [utf16_key(first) for first, _, _ in manifest["shards"]]
    initials = dict(manifest["initials"])
    assert len(initials) >= 3
    for letter, listed in initials.items():
        of_letter = [t for t in index.inverted_index if t.startswith(letter)]
        assert len({bisect.bisect_right(firsts, utf16_key(t)) for t in of_letter}) > indexer.INITIAL_SHARDS
        assert 0 < len(listed) <= indexer.INITIAL_TERMS and set(listed) <= set(of_letter)
        assert len({bisect.bisect_right(firsts, utf16_key(t)) for t in listed}) <= indexer.INITIAL_SHARDS
        most = max(frequency.get(t, 0) for t in of_letter)
        assert any(frequency.get(t, 0) == most for t in listed), letter
    letters = sorted(initials)[:3]
    request = {"output": str(tmp_path), "prefix": "search/en/", "withPlan": True}
    warm = run_js({**request, "warmUp": True, "queries": [query_units(letter) for letter in letters]})
    shown = run_js({**request, "queries": [query_units(f"customer {letter}") for letter in letters]})
    for letter, warmed, answer in zip(letters, warm, shown):
        prefix_form = warmed["forms"][-1]["forms"][-1]
        assert prefix_form["any"] and set(prefix_form["terms"]) == set(initials[letter]) - {letter}, letter
        clauses = [(term, form["boost"]) for unit in warmed["forms"] for form in unit["forms"] for term in form["terms"]
                   if term in index.inverted_index]
        want = expected_ranking(index, warmed["forms"], lunr_scores(index, clauses), query_units(letter),
                                [doc.title for doc in docs])
        assert tie_groups_of([tuple(row) for row in warmed["results"]]) == tie_groups_of(want), letter
        every = {t for t in index.inverted_index if t.startswith(letter) and t != letter}
        assert set(answer["forms"][-1]["forms"][-1]["terms"]) == every, f"customer {letter}"


def test_a_query_loads_only_the_shards_that_can_hold_its_terms(corpus, tmp_path, monkeypatch):
    """A shard closes where the first two letters change, so a prefix being typed usually starts a
    shard, and the shard before it holds none of its terms: the manifest lists each shard's last
    term, and that shard is not loaded (it was, for every such keystroke, when only first terms
    were listed)."""
    monkeypatch.setattr(indexer, "SHARD_TARGET_BYTES", 1500)  # many shards from a small corpus
    docs, tokenized = shipped_order(corpus["en"])
    write_files(tmp_path, build_data_files(docs, tokenized, prefix="search/en/", lang="en"))
    manifest = data_payload((tmp_path / "search/en/index.js").read_bytes())[1]
    shards = manifest["shards"]
    terms_of = {file: data_payload((tmp_path / "search/en" / file).read_bytes())[1]["terms"] for _, file, _ in shards}
    assert all([first, last] == [terms_of[file][0], terms_of[file][-1]] for first, file, last in shards)
    starting = sorted({first[:2] for n, (first, _, _) in enumerate(shards)
                       if n and first[:2].isalpha() and utf16_key(shards[n - 1][2]) < utf16_key(first[:2])})
    assert len(starting) >= 4
    for text in starting:   # each in a fresh page: nothing loaded yet
        answer = run_js({"output": str(tmp_path), "prefix": "search/en/", "trace": True, "texts": [text]})[0]
        loaded = {name.split("/")[-1] for name in answer["loads"] if "/t-" in name}
        holding = {file for file, terms in terms_of.items() if any(term.startswith(text) for term in terms)}
        assert answer["results"] and loaded == holding, text


def split_at_first_arrival(loads):
    """A trace's files asked for with the search's first requests (before any file arrived), and
    those asked for once one had (none, when the search ended before any arrived: a word that no
    shard can hold loads none)."""
    if "(first file arrived)" not in loads:
        return loads, []
    first = loads.index("(first file arrived)")
    return loads[:first], loads[first + 1:]


def test_the_records_of_titles_starting_with_the_first_word_load_with_the_shards_not_after_them(
        corpus, tmp_path, monkeypatch):
    """Results whose title starts with the query's first word rank first (tier 1); their record
    files are known from the manifest's chunkLeads before any shard arrives, so a keystroke whose
    first results are such titles waits for one round trip, not two (shards, then records)."""
    monkeypatch.setattr(indexer, "STORE_CHUNK_DOCS", 4)   # many record files from a small corpus
    docs, tokenized = shipped_order(corpus["en"])
    leads = [(fields.get("lead") or [""])[0] for fields in tokenized]
    write_files(tmp_path, build_data_files(docs, tokenized, prefix="search/en/", lang="en"))
    manifest = data_payload((tmp_path / "search/en/index.js").read_bytes())[1]
    assert manifest["chunkLeads"] == leads[::4] and len(manifest["chunks"]) == len(manifest["chunkLeads"]) == 30
    chunk_of = {name: n for n, name in enumerate(manifest["chunks"])}
    # words that start 10 to 20 titles (3 to 6 files): "cancel…", "password…"
    words = sorted({lead for lead in leads if 10 <= leads.count(lead) <= 20})
    assert len(words) >= 2
    second = next(doc.title.split()[-1] for doc, lead in zip(docs, leads) if lead == words[0] and len(doc.title.split()) > 1)
    texts = [*words, *(word[:4] for word in words), f"{words[0]} {second}"]
    for text in texts:   # each in a fresh page: nothing loaded yet
        answer = run_js({"output": str(tmp_path), "prefix": "search/en/", "trace": True, "texts": [text]})[0]
        lead_chunks, loads = answer["leadChunks"], answer["loads"]
        titled = {int(ref) // 4 for ref, _, _, tier in answer["results"] if tier >= 1}
        assert titled and all(tier >= 1 for _, _, _, tier in answer["results"][:3]), text
        assert 0 < len(lead_chunks) <= 8, text
        # every title-led result's record file is among them…
        assert titled <= set(lead_chunks), text
        # …and asked for with the shards, before any file arrived (after them, so that they do
        # not queue ahead of what ranking waits for): what is read later are records of results
        # that are not title-led
        before, after = split_at_first_arrival(loads)
        shards = [n for n, name in enumerate(before) if "/t-" in name]
        assert shards and all("/t-" in name for name in before[:len(shards)]), text
        read_before = {chunk_of[name.split("/")[-1]] for name in before if "/d-" in name}
        read_after = {chunk_of[name.split("/")[-1]] for name in after if name.startswith("search/en/d-")}
        assert read_before == set(lead_chunks), text
        assert not read_after & titled, text
    # A letter that starts more titles than eight files hold loads no records ahead: which of
    # them rank first is not known before the shards.
    letter = max("abcdefghijklmnopqrstuvwxyz", key=lambda c: sum(lead.startswith(c) for lead in leads))
    assert sum(lead.startswith(letter) for lead in leads) > 8 * 4
    assert run_js({"output": str(tmp_path), "prefix": "search/en/", "trace": True,
                   "texts": [f"{letter}"]})[0]["leadChunks"] == []
    # A small knowledge base (eight files or fewer): every record loads with the shards.
    small = tmp_path / "small"
    write_files(small, build_data_files(*shipped_order(corpus["en"][:30]), prefix="search/en/", lang="en"))
    for text in ["password", "reset pass", "zzz"]:
        answer = run_js({"output": str(small), "prefix": "search/en/", "trace": True, "texts": [text]})[0]
        assert answer["leadChunks"] == list(range(8)), text
        assert not any("/d-" in name for name in split_at_first_arrival(answer["loads"])[1]), text


def test_a_japanese_query_loads_ahead_the_records_of_titles_starting_with_its_first_bigram_only(
        corpus, tmp_path, monkeypatch):
    """A Japanese run's terms are its bigrams; a title starts with the first one. Loading the
    files of titles starting with each bigram took the first result's download at 10,000
    articles from 9 files to 14."""
    monkeypatch.setattr(indexer, "STORE_CHUNK_DOCS", 4)
    docs, tokenized = shipped_order(corpus["ja"])
    leads = [(fields.get("lead") or [""])[0] for fields in tokenized]
    write_files(tmp_path, build_data_files(docs, tokenized, prefix="search/ja/", lang="ja"))
    firsts = leads[::4]
    text = next(doc.title[:6] for doc in docs if len(doc.title) >= 6 and len(set(runs(doc.title[:6]))) == 1)
    first = query_units(text)[0]["forms"][0]["terms"][0]
    assert first == text[:2] and len(query_units(text)[0]["forms"][0]["terms"]) > 1
    expected = list(range(max(0, bisect.bisect_left(firsts, first) - 1), bisect.bisect_left(firsts, first + "\0")))
    answer = run_js({"output": str(tmp_path), "prefix": "search/ja/", "trace": True, "texts": [text]})[0]
    assert answer["leadChunks"] == expected, text
    assert answer["results"][0][3] >= 1 and int(answer["results"][0][0]) // 4 in expected, text


def test_a_search_whose_results_would_not_be_shown_ends_before_loading_records(corpus, tmp_path):
    """options.worth sees the first results before titles are compared with the query (which
    loads their records): a search in another language that matches no better ends there, with
    no results and no record file read; one that is worth showing ranks exactly as without it."""
    docs = corpus["en"]
    write_files(tmp_path, build_data_files(docs, [tokenize_fields(doc) for doc in docs], prefix="search/en/", lang="en"))
    texts = ["reset password", "cust", "how do I export invoices"]
    request = {"output": str(tmp_path), "prefix": "search/en/", "trace": True}
    for text in texts:   # each in a fresh page: nothing loaded yet
        plain = run_js({**request, "texts": [text]})[0]
        assert plain["results"] and any("/d-" in name for name in plain["loads"]), text
        worth = run_js({**request, "texts": [text], "worthAbove": 0})[0]
        assert worth["results"] == plain["results"], text
        # records only once the search is known to be shown: after its shards
        assert not any("/d-" in name for name in split_at_first_arrival(worth["loads"])[0]), worth["loads"]
        best = max(coverage for _, _, coverage, _ in plain["results"][:8])
        skipped = run_js({**request, "texts": [text], "worthAbove": best})[0]
        assert skipped["results"] == [], text
        assert not any("/d-" in name for name in skipped["loads"]), skipped["loads"]


def test_the_practice_run_before_a_first_query_leaves_no_trace_in_results(corpus, tmp_path):
    """When a visitor is about to search, the search box runs the search code once on a built-in
    practice index (warmUpSearch): real queries then rank and show exactly what they did without it."""
    docs = corpus["en"]
    write_files(tmp_path, build_data_files(docs, [tokenize_fields(doc) for doc in docs], prefix="search/en/", lang="en"))
    request = {"output": str(tmp_path), "prefix": "search/en/", "withPlan": True, "withDocuments": True,
               "texts": ["reset password", "how do I export invoices", "invoce", "cust", "パスワード"]}
    cold = run_js(request)
    practised = run_js({**request, "practiceFirst": True})
    assert practised["practised"] is True
    assert practised["answers"] == cold
    assert all(answer["results"] for answer in cold[:4])


def test_lunr_json_and_shards_rank_alike(corpus, tmp_path):
    docs, tokenized = shipped_order(corpus["en"][:80])
    index = reference_index(tokenized)
    write_files(tmp_path, build_data_files(docs, tokenized, prefix="search/en/", lang="en"))
    texts = ["ticket", "customer portal", "reset pass", "in"]
    units = [query_units(text) for text in texts]
    from_json = run_js({"lunr": index.serialize(), "queries": units})
    from_shards = run_js({"output": str(tmp_path), "prefix": "search/en/", "queries": units})
    for text, a, b in zip(texts, from_json, from_shards):
        assert tie_groups_of([tuple(r) for r in a]) == tie_groups_of([tuple(r) for r in b]), text
        assert a, text


def test_shipped_data_is_lunrs_serialized_index_repacked_bit_for_bit(corpus):
    """The term shards hold exactly lunr.py's serialized index (Index.serialize() of an index
    built through its public API alone, from plain term lists): the same (term, field, document)
    entries, and values that the runtime decodes to lunr's floats bit for bit."""
    docs = corpus["ja"][:60] + corpus["en"][:60]
    tokenized = [tokenize_fields(doc) for doc in docs]
    tokenized[5] = {**tokenized[5], "keywords": [], "description": []}  # empty fields too
    docs, tokenized = shipped_order(docs, tokenized)
    serialized = reference_index(tokenized).serialize()
    term_of = {posting["_index"]: term for term, posting in serialized["invertedIndex"]}
    expected = {}
    for field_ref, elements in serialized["fieldVectors"]:
        field, ref = field_ref.split("/", 1)
        for i in range(0, len(elements), 2):
            expected[(term_of[elements[i]], field, int(ref))] = elements[i + 1]
    posted = {(term, field, int(ref)) for term, posting in serialized["invertedIndex"]
              for field, refs in posting.items() if field != "_index" for ref in refs}
    assert posted == set(expected)

    files = build_data_files(docs, tokenized, prefix="search/x/", lang="ja")
    manifest = data_payload(files["search/x/index.js"])[1]
    assert manifest["fields"] == serialized["fields"]
    got = {}
    for name, data in files.items():
        if not name.startswith("search/x/t-"):
            continue
        shard = data_payload(data)[1]
        for term, flat in zip(shard["terms"], shard["postings"]):
            i = 0
            while i < len(flat):
                field, count, doc, i = manifest["fields"][flat[i]], flat[i + 1], 0, i + 2
                for _ in range(count):
                    doc += flat[i]
                    got[(term, field, doc)] = flat[i + 1] / 1000  # what the runtime computes
                    i += 2
    assert got == expected
    assert len(got) > 10_000


def test_repacking_orders_documents_whatever_order_lunr_lists_its_field_vectors_in(corpus):
    """lunr.py lists field vectors document by document, so the repacking reads each posting in
    order; were that to change, the documents are ordered (delta encoding needs it), not garbled."""
    from kbgen.search.indexer import term_postings

    tokenized = [tokenize_fields(doc) for doc in corpus["en"][:40]]
    serialized = reference_index(tokenized).serialize()
    in_order = term_postings(serialized)
    shuffled = {**serialized, "fieldVectors": list(reversed(serialized["fieldVectors"]))}
    assert term_postings(shuffled) == in_order
    assert any(len(flat) > 4 and flat[1] > 1 for flat in in_order.values())   # postings of several documents
