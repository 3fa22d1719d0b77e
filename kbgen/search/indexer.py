"""Builds one lunr index per language (or widget) and turns it into the sharded data files the
browser runtime (assets/js/search-index.js) reads.

Why a transform and not lunr's own serialization: lunr's JSON for 5,000 articles is ~25 MB and all
of it is needed before the first result. lunr's score for a document is
    sum over fields f of  dot(query_vector_f, field_vector_{doc,f}) / |query_vector_f|
(`Vector.similarity` divides by the query's magnitude only, and returns 0 when either magnitude
is 0 — which only happens when the dot product is 0 too). The query vector holds the clause boost
per matched term, so the only per-document numbers scoring needs are, for each term, the
field-vector value of that term in each document/field that contains it. We store exactly those,
next to the postings, in shards of the sorted term list; a query loads the shards of its terms.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline

from .tokenizer import index_terms, is_cjk

# title and keyword matches must rank first; the category title is metadata (it lets "billing"
# find the billing articles, but weighs less than an article's own words); code blocks are
# searchable (identifiers, commands, config keys) at a lower weight than prose.
# "lead" holds the first term of the title: it is never scored, it tells the runtime which
# titles start with the query (those come first).
FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 10),
    ("keywords", 8),
    ("description", 3),
    ("headings", 3),
    ("body", 1),
    ("category", 1),
    ("code", 0.5),
    ("lead", 1),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)
SCORED_FIELDS = tuple(name for name in FIELD_NAMES if name != "lead")
LEAD_NUMBER = FIELD_NAMES.index("lead")

SHARD_TARGET_BYTES = 24_000
STORE_CHUNK_DOCS = 32
CALLBACK = "__kbSearchData"
# 3: payloads passed through JSON.parse; 4: the manifest lists "initials"; 5: one vocabulary file
# per character; 6: the manifest lists "chunkLeads"; 7: each shard's last term too
DATA_FORMAT = 7
# Typo candidates come from small word lists (terms only, with their document counts), grouped by
# first and by second character, one file per character: a misspelt word loads at most two.
VOCAB_MIN_LENGTH = 3
# A letter typed alone (never shown, a warm-up for the next keystroke) expands to at most this many
# of its most frequent terms, from at most this many shards: one round of downloads (a browser opens
# six connections to a host over HTTP/1.1) instead of every shard of the letter (nine for "d" at
# 10,000 articles).
INITIAL_TERMS = 16
INITIAL_SHARDS = 3
# Documents are numbered (and their display records chunked) in the order of their titles' first
# terms: the results a prefix ranks first, titles starting with it, then share a file or two. In
# site order, the eight results of a keystroke came from four to eight record files (two rounds
# of a browser's six connections over HTTP/1.1).
DOCUMENT_ORDER = "title lead"
# How a content-addressed file is named (part of the cache key, like every setting below).
FILE_NAMES = "sha1 of the shipped JSON, 10 hex digits"


def data_layout() -> list[Any]:
    """Every setting the data files' bytes depend on besides the articles: part of the cache key,
    so files cached under other settings (a kbgen upgrade that changed one) are never reused."""
    return [DATA_FORMAT, [list(field) for field in FIELDS], SHARD_TARGET_BYTES, STORE_CHUNK_DOCS, CALLBACK,
            VOCAB_MIN_LENGTH, INITIAL_TERMS, INITIAL_SHARDS, DOCUMENT_ORDER, FILE_NAMES]


def tokenize_fields(doc: Any) -> dict[str, list[str]]:
    """The terms of each field of a SearchDoc (the expensive per-article work that is cached)."""
    return {
        "title": index_terms(doc.title),
        "keywords": index_terms("\n".join(doc.keywords)),
        "description": index_terms(doc.description),
        "headings": index_terms("\n".join(doc.headings)),
        "body": index_terms(doc.body),
        "category": index_terms(doc.category_title),
        "code": index_terms(getattr(doc, "code", "")),
        "lead": index_terms(doc.title)[:1],
    }


# Never inside a term (the tokenizer keeps letters, digits, marks and CJK characters only).
_TERM_SEPARATOR = "\x1f"


def _pre_tokenized(token, i, tokens):
    # The one step of the indexing pipeline. lunr's tokenizer wraps every list element in a Token
    # with a deep copy of its metadata, a cost per term; a field is therefore handed over as one
    # string of its terms (already normalized and stemmed by our tokenizer), split back here into
    # exactly the terms lunr would have indexed from the list.
    text = str(token)
    return text.split(_TERM_SEPARATOR) if text else None


Pipeline.register_function(_pre_tokenized, "kbgenPreTokenized")


def lunr_index(tokenized: Sequence[dict[str, list[str]]]) -> Index:
    """lunr.py's index of pre-tokenized fields, through its public API (Builder → build); refs
    are "0", "1", … in input order. The search pipeline stays empty: queries are tokenized by
    kbgen's own tokenizer (Python and JS), never by lunr."""
    builder = Builder()
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    builder.pipeline.add(_pre_tokenized)
    for position, fields in enumerate(tokenized):
        builder.add({"ref": str(position),
                     **{name: [_TERM_SEPARATOR.join(fields.get(name, ()))] for name in FIELD_NAMES}})
    return builder.build()


def utf16_key(term: str) -> bytes:
    # JS compares strings by UTF-16 code units; sorting the same way keeps shard ranges valid
    # in the browser even for characters outside the BMP.
    return term.encode("utf-16-be")


def term_postings(serialized: dict[str, Any]) -> dict[str, list[int]]:
    """term -> flat [field, count, docDelta, value*1000, docDelta, value*1000, …, field, …], a
    lossless re-packing of lunr's serialized index (`Index.serialize()`): the documents of each
    term per field come from its inverted index, the values from the field vectors (lunr rounds
    them to 3 decimals, so value*1000 is an integer and value = integer/1000 exactly)."""
    field_numbers = {name: number for number, name in enumerate(FIELD_NAMES)}
    term_of = {posting["_index"]: term for term, posting in serialized["invertedIndex"]}
    # term -> per field, a flat [doc, value, doc, value…]: two ints per entry, not a tuple (the
    # index of 5,000 articles has millions of entries, and this runs while lunr's index is alive)
    per_term: dict[str, list[list[int]]] = {}
    # lunr lists the field vectors document by document, so every list below is in document
    # order; checked once here, and sorted only if that ever changes (delta encoding needs it)
    in_order, last_doc = True, -1
    for field_ref, elements in serialized["fieldVectors"]:
        field_name, doc_ref = field_ref.split("/", 1)
        doc = int(doc_ref)
        in_order, last_doc = in_order and doc >= last_doc, doc
        number = field_numbers[field_name]
        for index, value in zip(elements[0::2], elements[1::2]):
            term = term_of[index]
            lists = per_term.get(term)
            if lists is None:
                lists = per_term[term] = [[] for _ in FIELD_NAMES]
            lists[number] += (doc, round(value * 1000))

    encoded: dict[str, list[int]] = {}
    for term in list(per_term):
        lists = per_term.pop(term)   # freed as it is packed
        flat: list[int] = []
        for number, pairs in enumerate(lists):
            if not pairs:
                continue
            if not in_order:
                pairs = [item for pair in sorted(zip(pairs[0::2], pairs[1::2])) for item in pair]
            docs = pairs[0::2]
            flat.append(number)
            flat.append(len(docs))
            # [docDelta, value, docDelta, value, …]: each document minus the one before it (0 first)
            pairs[0::2] = [doc - previous for doc, previous in zip(docs, [0, *docs])]
            flat += pairs
        encoded[term] = flat
    return encoded


def _json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def data_script(file_id: str, payload: Any) -> bytes:
    return _script(file_id, _json(payload))


def _script(file_id: str, body: str) -> bytes:
    """The data script of a payload already serialized by ``_json``."""
    # The payload as a string for JSON.parse: browsers parse JSON about three times faster than
    # the same data as a JavaScript literal, and a keystroke may parse 100 KB of new shards.
    # In a single-quoted JS string, backslashes and quotes are escaped; U+2028/U+2029 too (older
    # engines end a string at them).
    literal = (body.replace("\\", "\\\\").replace("'", "\\'")
               .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return f"{CALLBACK}({json.dumps(file_id)},JSON.parse('{literal}'));\n".encode("utf-8")


def data_payload(data: bytes) -> tuple[str, Any]:
    """(file id, payload) of a data script (tests, tools): the inverse of `data_script`."""
    text = data.decode("utf-8")
    head = f"{CALLBACK}("
    if not (text.startswith(head) and text.endswith("'));\n")):
        raise ValueError("not a kbgen search data script")
    file_id, rest = text[len(head):].split(",", 1)
    if not rest.startswith("JSON.parse('"):
        raise ValueError("not a kbgen search data script")
    literal = rest[len("JSON.parse('"):-len("'));\n")]
    return json.loads(file_id), json.loads(_unescape_js(literal))


def _unescape_js(literal: str) -> str:
    out, i = [], 0
    while i < len(literal):
        char = literal[i]
        if char == "\\":
            following = literal[i + 1]
            if following == "u":
                out.append(chr(int(literal[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _hashed_file(prefix: str, kind: str, payload: Any) -> tuple[str, bytes]:
    """(file id, data script) of a content-addressed file: its name is a hash of its payload."""
    body = _json(payload)
    file_id = f"{prefix}{kind}-{hashlib.sha1(body.encode('utf-8')).hexdigest()[:10]}.js"   # FILE_NAMES
    return file_id, _script(file_id, body)


def _prefix_key(term: str) -> str:
    # What a prefix typed in the search box usually is when it loads many terms: the first two
    # letters of a word, the first character of a CJK run.
    return term[:1] if is_cjk(term[0]) else term[:2]


def _shards(postings: dict[str, list[int]]) -> Iterable[tuple[list[str], list[list[int]]]]:
    """Consecutive runs of the sorted terms, about SHARD_TARGET_BYTES each. A shard past half its
    target also closes where the leading characters change, and a term bigger than half a shard
    (a common word's posting) gets a shard of its own: a prefix being typed ("ex", 請) then loads
    its own terms, not also its neighbours' big postings."""
    half = SHARD_TARGET_BYTES // 2
    terms: list[str] = []
    lists: list[list[int]] = []
    size = 0
    for term in sorted(postings, key=utf16_key):
        flat = postings[term]
        # its numbers' digits and a separator after each: repr's digits, plus ", " between numbers
        # and two brackets, is that plus one character per number
        term_size = len(term) + 4 + (len(repr(flat)) - len(flat) if flat else 0)
        if terms and (size >= SHARD_TARGET_BYTES or term_size >= half
                      or (size >= half and _prefix_key(term) != _prefix_key(terms[-1]))):
            yield terms, lists
            terms, lists, size = [], [], 0
        terms.append(term)
        lists.append(flat)
        size += term_size
        if term_size >= half:
            yield terms, lists
            terms, lists, size = [], [], 0
    if terms:
        yield terms, lists


def _vocabulary(postings: dict[str, list[int]]) -> list[tuple[str, list]]:
    """[(group key, [[term, document count], …])]: "1x" holds the terms starting with x, "2x"
    those whose second character is x (typos in the first letter are found through the second),
    "kx" the kana bigrams starting with x."""
    groups: dict[str, list] = {}
    for term in sorted(postings, key=utf16_key):
        kana = len(term) == 2 and all("\u3041" <= char <= "\u30ff" for char in term)
        if not kana and (len(term) < VOCAB_MIN_LENGTH or is_cjk(term[0])):
            continue
        documents = _document_count(postings[term])
        if not documents:
            continue
        if kana:  # kana respellings look their bigrams up here before loading any postings
            groups.setdefault("k" + term[0], []).append([term, documents])
            continue
        groups.setdefault("1" + term[0], []).append([term, documents])
        groups.setdefault("2" + term[1], []).append([term, documents])
    return sorted(groups.items(), key=lambda item: utf16_key(item[0]))


def _field_runs(flat: list[int]) -> Iterable[tuple[int, int, int]]:
    """(field number, entry count, position of its first entry) of each field in a flat posting."""
    i = 0
    while i < len(flat):
        yield flat[i], flat[i + 1], i + 2
        i += 2 + 2 * flat[i + 1]


def _document_count(flat: list[int]) -> int:
    """In how many documents a term is, in any field but "lead"."""
    docs: set[int] = set()
    for field, count, start in _field_runs(flat):
        if field != LEAD_NUMBER:
            docs.update(itertools.accumulate(flat[start:start + 2 * count:2]))
    return len(docs)


def _field_entries(flat: list[int]) -> int:
    """In how many (document, field) pairs a term is, "lead" aside: how common it is, read from
    the posting's field headers alone (counting distinct documents costs a set per term)."""
    return sum(count for field, count, _ in _field_runs(flat) if field != LEAD_NUMBER)


@functools.cache
def _warms_up(character: str) -> bool:
    # The search box shows nothing for one Latin letter or digit and warms up with it instead
    # (worthSearching in search-highlight.js); any other single character is a query of its own.
    return character.isnumeric() or unicodedata.name(character, "").startswith("LATIN")


def _initials(shard_terms: list[list[str]], postings: dict[str, list[int]]) -> list[list[Any]]:
    """[[letter, [term, …]]] for each letter or digit the search box warms up with whose terms span
    more than INITIAL_SHARDS shards: its most common terms, from at most INITIAL_SHARDS shards."""
    by_initial: dict[str, list[tuple[int, str]]] = {}
    for number, terms in enumerate(shard_terms):
        for term in terms:
            if _warms_up(term[0]):
                by_initial.setdefault(term[0], []).append((number, term))
    table: list[list[Any]] = []
    for letter in sorted(by_initial, key=utf16_key):
        entries = by_initial[letter]
        if len({number for number, _ in entries}) <= INITIAL_SHARDS:
            continue
        # most common first; terms are unique, so ties are broken by the term (in shard order)
        ranked = sorted((-_field_entries(postings[term]), number, term) for number, term in entries)
        shards: set[int] = set()
        chosen: list[str] = []
        for _, number, term in ranked:
            if number not in shards and len(shards) == INITIAL_SHARDS:
                continue
            shards.add(number)
            chosen.append(term)
            if len(chosen) == INITIAL_TERMS:
                break
        table.append([letter, sorted(chosen, key=utf16_key)])
    return table


def document_order(docs: Sequence[Any], tokenized: Sequence[dict[str, list[str]]]) -> list[int]:
    """The positions of `docs` in the order they are numbered in the data files (DOCUMENT_ORDER)."""
    return sorted(range(len(docs)), key=lambda i: (tokenized[i].get("lead", []), docs[i].title, docs[i].url))


def build_data_files(
    docs: Sequence[Any],
    tokenized: Sequence[dict[str, list[str]]],
    *,
    prefix: str,
    lang: str,
    translations: dict[str, dict[str, list[str]]] | None = None,
    featured: int = 0,
) -> dict[str, bytes]:
    """All data files of one index under `prefix` (e.g. "search/en/"); `prefix + "index.js"` is
    the manifest, everything else is content-hashed so it can be cached forever. A `tokenized`
    list is emptied: its term lists are taken over (in DOCUMENT_ORDER) and freed once lunr has
    indexed them (the memory is needed for what follows)."""
    translations = translations or {}
    files: dict[str, bytes] = {}
    order = document_order(docs, tokenized)
    number = {old: new for new, old in enumerate(order)}
    featured_numbers = [number[i] for i in range(min(featured, len(docs)))]   # the first, in site order
    docs = [docs[i] for i in order]
    ordered = [tokenized[i] for i in order]
    chunk_leads = [(ordered[i].get("lead") or [""])[0] for i in range(0, len(ordered), STORE_CHUNK_DOCS)]
    if isinstance(tokenized, list):
        tokenized.clear()   # the caller's list holds the same term lists: freed with ours below
    serialized = lunr_index(ordered).serialize() if docs else None
    ordered.clear()   # indexed: its millions of term strings are freed before the repacking
    postings = term_postings(serialized) if serialized else {}
    del serialized

    shard_table: list[list[str]] = []
    shard_terms: list[list[str]] = []
    for terms, lists in _shards(postings):
        payload = {"terms": terms, "postings": lists}
        file_id, script = _hashed_file(prefix, "t", payload)
        files[file_id] = script
        shard_table.append([terms[0], file_id[len(prefix):], terms[-1]])
        shard_terms.append(terms)

    categories: list[list[str]] = []
    category_numbers: dict[str, int] = {}
    doc_categories: list[int] = []
    for doc in docs:
        if doc.category not in category_numbers:
            category_numbers[doc.category] = len(categories)
            categories.append([doc.category, doc.category_title])
        doc_categories.append(category_numbers[doc.category])

    chunk_ids: list[str] = []
    for start in range(0, len(docs), STORE_CHUNK_DOCS):
        records = []
        for doc in docs[start : start + STORE_CHUNK_DOCS]:
            record: list[Any] = [doc.url, doc.title, category_numbers[doc.category], doc.summary, doc.translation_key]
            other = translations.get(doc.translation_key, {})
            linked = {code: target for code, target in other.items() if code != doc.lang}
            if linked:
                record.append(linked)
            records.append(record)
        payload = {"docs": records}
        file_id, script = _hashed_file(prefix, "d", payload)
        files[file_id] = script
        chunk_ids.append(file_id[len(prefix):])

    # One file per character: a typo lookup needs the groups of a word's first two characters
    # ("1p", "2p", "1a", "2a" for "pasword"), two requests instead of four.
    by_character: dict[str, list[tuple[str, list]]] = {}
    for key, entries in _vocabulary(postings):
        by_character.setdefault(key[1:], []).append((key, entries))
    vocab_table = []
    for character in sorted(by_character, key=utf16_key):
        groups = by_character[character]
        payload = {"vocab": [entry for _, entries in groups for entry in entries]}
        file_id, script = _hashed_file(prefix, "v", payload)
        files[file_id] = script
        vocab_table.extend([key, file_id[len(prefix):]] for key, _ in groups)
    vocab_table.sort(key=lambda row: utf16_key(row[0]))

    manifest = {
        "format": DATA_FORMAT,
        "lang": lang,
        "fields": list(FIELD_NAMES),
        "docCount": len(docs),
        "shards": shard_table,
        "chunkSize": STORE_CHUNK_DOCS,
        "chunks": chunk_ids,
        # The lead term of each chunk's first document: documents are numbered by lead term, so
        # the runtime knows which chunks hold the titles that start with a word before it ranks.
        "chunkLeads": chunk_leads,
        "categories": categories,
        "docCategories": doc_categories,
        "featured": featured_numbers,
        "vocab": vocab_table,
        "initials": _initials(shard_terms, postings),
    }
    manifest_id = prefix + "index.js"
    files[manifest_id] = data_script(manifest_id, manifest)
    return files
