"""The one tokenizer of kbgen's search, Python side (its twin is assets/js/tokenizer.js).

lunr's own tokenizer splits on spaces, which leaves a Japanese sentence as one useless token.
Here text is NFKC-normalized and lowercased, then cut into runs:

* CJK runs (han, hiragana, katakana, the prolonged sound mark and iteration marks) become
  overlapping character bigrams, so any substring of two or more characters finds the article;
  a run of one character stays a unigram.
* Latin-script (any non-CJK letter/digit/mark) runs are words: stop words dropped, the rest
  stemmed with lunr.py's Porter stemmer so the JS stemmer can be checked against it.
* Everything else (spaces, punctuation, Japanese punctuation 、。「」・, emoji, `_`, `.`) separates.

Both implementations must return identical terms for identical input; tests run the JS twin in
node over a fixture of tricky strings and over every word of the sample content.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from lunr.stemmer import porter_stemmer

# Kept short on purpose: with every query term required, a stop word in the index only costs
# space, but a missing one in the query would find nothing. Must equal STOP_WORDS in tokenizer.js.
STOP_WORDS = frozenset(
    """a an and are as at be but by for from has have if in into is it its of on or so
    such than that the their then there these they this to was were will with""".split()
)

_CJK_RANGES = (
    (0x3005, 0x3007),  # 々 〆 〇
    (0x303B, 0x303B),  # 〻
    (0x3041, 0x3096),  # hiragana
    (0x3099, 0x309F),  # (semi-)voiced sound marks, ゝ ゞ ゟ
    (0x30A1, 0x30FA),  # katakana (not ・ U+30FB, which separates)
    (0x30FC, 0x30FF),  # ー ヽ ヾ ヿ
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x3134F),  # extensions B–G and compatibility supplement
)


def is_cjk(char: str) -> bool:
    code = ord(char)
    for low, high in _CJK_RANGES:
        if code < low:
            return False
        if code <= high:
            return True
    return False


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


_APOSTROPHES = "'\u2019"


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return porter_stemmer.stem(word)


@dataclass(frozen=True)
class Run:
    text: str
    cjk: bool
    closed: bool  # followed by a separator (the user finished typing this word)


def runs(text: str) -> list[Run]:
    """Splits normalized text into CJK and word runs."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: list[Run] = []
    current: list[str] = []
    current_cjk = False
    length = len(text)

    def flush(closed: bool) -> None:
        if current:
            found.append(Run("".join(current), current_cjk, closed))
            current.clear()

    for position, char in enumerate(text):
        if is_cjk(char):
            if current and not current_cjk:
                flush(True)
            current_cjk = True
            current.append(char)
        elif _is_word_char(char):
            if current and current_cjk:
                flush(True)
            current_cjk = False
            current.append(char)
        elif (
            char in _APOSTROPHES
            and current
            and not current_cjk
            and position + 1 < length
            and _is_word_char(text[position + 1])
            and not is_cjk(text[position + 1])
        ):
            continue  # don't -> dont: one word, as a reader sees it
        else:
            flush(True)
    flush(False)
    return found


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> list[str]:
    """Terms to index for a field's text, in order, duplicates kept (they are term frequency)."""
    terms: list[str] = []
    for run in runs(text or ""):
        if run.cjk:
            terms.extend(_bigrams(run.text))
        elif run.text not in STOP_WORDS:
            terms.append(stem(run.text))
    return terms


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    return a[:size]


def query_terms(text: str) -> list[tuple[str, bool]]:
    """(term, is_prefix) clauses for a query; every clause is required.

    The last word, if the user has not typed a separator after it yet, is a prefix: it is
    matched against the longest common prefix of the word and its stem, so "passwords" still
    finds "password" and "happy" finds "happi". A stop word is kept when it is that prefix
    ("in" is the beginning of "invoice"). A single CJK character is a prefix of its bigrams.
    """
    all_runs = runs(text or "")
    clauses: list[tuple[str, bool]] = []
    for position, run in enumerate(all_runs):
        if run.cjk:
            if len(run.text) == 1:
                clauses.append((run.text, True))
            else:
                clauses.extend((gram, False) for gram in _bigrams(run.text))
            continue
        is_open_last = position == len(all_runs) - 1 and not run.closed
        if is_open_last:
            prefix = _common_prefix(run.text, stem(run.text))
            if prefix:  # an empty prefix would require nothing and match everything
                clauses.append((prefix, True))
        elif run.text not in STOP_WORDS:
            clauses.append((stem(run.text), False))
    return clauses
