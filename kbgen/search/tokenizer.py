"""The one tokenizer of kbgen's search, Python side (its twin is assets/js/tokenizer.js).

lunr's own tokenizer splits on spaces, which leaves a Japanese sentence as one useless token.
Here text is NFKC-normalized and lowercased, then cut into runs:

* CJK runs (han, hiragana, katakana, the prolonged sound mark and iteration marks) become
  overlapping character bigrams, so any substring of two or more characters finds the article;
  the last character of a run is also indexed alone, so a one-character query finds a compound
  that ends with it (one that starts with it or holds it inside is found by its bigrams).
* Latin-script (any non-CJK letter/digit/mark) runs are words: stop words dropped, the rest
  stemmed with lunr.py's Porter stemmer so the JS stemmer can be checked against it.
* Everything else (spaces, punctuation, Japanese punctuation 、。「」・, emoji, `_`, `.`) separates.

Runs are found with one compiled regular expression (the per-character loop it replaces was a
quarter of a cold build). Both implementations must return identical terms for identical input;
tests run the JS twin in node over a fixture of tricky strings and over every word of the sample
content, and compare the runs with the former per-character definition.

A query is a list of units, one per word or CJK run (see `query_units`): each unit is optional and
scored, documents matching more units rank first (search-index.js).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from lunr.stemmer import porter_stemmer

# Dropped from documents and queries alike: a stop word in the index only costs space, and
# customers ask questions ("how do I …", "I cannot …", "why is my …") whose little words would
# otherwise rank every article that happens to contain them. Must equal STOP_WORDS in tokenizer.js.
STOP_WORDS = frozenset(
    """a an and are as at be but by for from has have if in into is it its of on or so
    such than that the their then there these they this to was were will with
    i me my mine myself we our ours us you your yours he him his she her hers them
    am been being do does did doing done can cannot cant could should would shall may might must
    how what when where which who whom whose why
    all any both each few more most other some no nor not only own same too very just also
    please about again once here those dont doesnt didnt isnt arent wasnt werent wont im ive mean""".split()
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


def _class(ranges: list[tuple[int, int]]) -> str:
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


def _word_ranges() -> tuple[tuple[int, int], ...]:
    """The ranges of compute_word_ranges(), read from word_ranges.py when it was written for this
    Python's Unicode version: computing them walks every code point, 0.65 s in every process that
    imports the tokenizer (the build's and each search worker's)."""
    from . import word_ranges

    if word_ranges.UNICODE_VERSION == unicodedata.unidata_version:
        return word_ranges.RANGES
    return tuple(compute_word_ranges())


def compute_word_ranges() -> list[tuple[int, int]]:
    """Code point ranges of letters, digits and marks (Unicode categories L, N, M) that are not
    CJK: Python's re has no \\p{L}, so the class is computed from unicodedata."""
    ranges: list[tuple[int, int]] = []
    start = None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and unicodedata.category(chr(code))[0] in "LNM" and not is_cjk(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    return ranges


def word_ranges_source() -> str:
    """The text of word_ranges.py for this Python's Unicode version (write it there to update)."""
    lines = ['"""Letters, digits and marks that are not CJK, as ranges: what compute_word_ranges() in',
             'tokenizer.py finds for this Unicode version (another version computes its own). Rewritten by',
             'Path("kbgen/search/word_ranges.py").write_text(word_ranges_source()); a test compares."""',
             f'UNICODE_VERSION = "{unicodedata.unidata_version}"', "RANGES = ("]
    ranges = [f"(0x{a:X}, 0x{b:X})," for a, b in compute_word_ranges()]
    lines += ["    " + " ".join(ranges[i:i + 6]) for i in range(0, len(ranges), 6)]
    return "\n".join(lines + [")"]) + "\n"


_WORD_RANGES = _word_ranges()
_CJK = _class(list(_CJK_RANGES))
_WORD = _class(list(_WORD_RANGES))
# re checks code points above U+FFFF in a class one range at a time (the rest is a bitmap), which
# made every space cost hundreds of comparisons: text without them uses classes without them.
_CJK_BMP = _class([(a, min(b, 0xFFFF)) for a, b in _CJK_RANGES if a <= 0xFFFF])
_WORD_BMP = _class([(a, min(b, 0xFFFF)) for a, b in _WORD_RANGES if a <= 0xFFFF])
# A word may hold an apostrophe between two of its letters ("don't" is one word, as a reader sees it).
_RUN = re.compile(f"([{_CJK}]+)|([{_WORD}]+(?:['\u2019][{_WORD}]+)*)")
_RUN_BMP = re.compile(f"([{_CJK_BMP}]+)|([{_WORD_BMP}]+(?:['\u2019][{_WORD_BMP}]+)*)")
_APOSTROPHE = re.compile("['\u2019]")
# Code identifiers (`tickets:read`, `Retry-After`, `ORBIT_API_KEY`, `app.config.json`) are also
# indexed whole: word runs joined by exactly one of these characters, so the article that holds
# the identifier ranks above those that merely hold its words.
_JOINERS = frozenset("-_:./@")
COMPOUND_MAX_LENGTH = 48


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return porter_stemmer.stem(word)


class Run(NamedTuple):
    text: str
    cjk: bool
    closed: bool  # followed by a separator (the user finished typing this word)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _scan(text: str) -> tuple[str, list[tuple[int, int, str, bool]]]:
    """Normalized text and its runs as (start, end, text, cjk)."""
    normalized = normalize(text)
    found = []
    pattern = _RUN if normalized and max(normalized) > "\uffff" else _RUN_BMP
    for match in pattern.finditer(normalized):
        cjk, word = match.groups()
        if cjk is not None:
            found.append((match.start(), match.end(), cjk, True))
        else:
            found.append((match.start(), match.end(), _APOSTROPHE.sub("", word) if "'" in word or "\u2019" in word else word, False))
    return normalized, found


def runs(text: str) -> list[Run]:
    """Splits normalized text into CJK and word runs."""
    normalized, found = _scan(text)
    length = len(normalized)
    return [Run(run, cjk, end < length) for _, end, run, cjk in found]


def _compounds(normalized: str, found: list[tuple[int, int, str, bool]]) -> list[tuple[str, bool]]:
    """(identifier, closed) for every chain of two or more word runs joined by one joiner."""
    compounds = []
    chain: list[str] = []
    previous_end = -2
    for start, end, run, cjk in found + [(-1, -1, "", True)]:
        if not cjk and start == previous_end + 1 and normalized[previous_end] in _JOINERS and chain:
            chain += [normalized[previous_end], run]
        else:
            if len(chain) > 1:
                text = "".join(chain)
                if len(text) <= COMPOUND_MAX_LENGTH:
                    compounds.append((text, previous_end < len(normalized)))
            chain = [] if cjk else [run]
        previous_end = end
    return compounds


def compounds(text: str) -> list[tuple[str, bool]]:
    return _compounds(*_scan(text))


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> list[str]:
    """Terms to index for a field's text, in order, duplicates kept (they are term frequency)."""
    terms: list[str] = []
    normalized, found = _scan(text or "")
    for _, _, run, cjk in found:
        if cjk:
            if len(run) == 1:
                terms.append(run)
            else:
                terms.extend([run[i : i + 2] for i in range(len(run) - 1)])
                terms.append(run[-1])
        elif run not in STOP_WORDS:
            terms.append(stem(run))
    if found:
        terms.extend(compound for compound, _ in _compounds(normalized, found))
    return terms


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    return a[:size]


# Japanese query noise: inflection and particles carry no topic ("パスワードを忘れました" is about
# パスワード and 忘れ). In a run that is not all hiragana, a bigram of two hiragana (ました, して,
# できません) and a bigram joining a particle to a word (ドを, を忘) are left out of the query.
_PARTICLES = frozenset("をがはにでとのもへや")


def _is_hiragana(char: str) -> bool:
    return "\u3041" <= char <= "\u309f"


def _kept_bigrams(run: str) -> list[str]:
    """Also left out: a bigram joining a word already covered by its own bigram to the kana after
    or before it (変更し in 変更したい, い方 in 支払い方法); 忘れ (one kanji and its kana) stays."""
    grams = _bigrams(run)
    hira = [_is_hiragana(char) for char in run]
    if all(hira):
        return grams
    kept = []
    for i, gram in enumerate(grams):
        a, b = hira[i], hira[i + 1]
        if a and b:
            continue
        if (gram[0] in _PARTICLES and not b) or (gram[1] in _PARTICLES and not a):
            continue
        if not a and b and i > 0 and not hira[i - 1]:
            continue
        if a and not b and i + 2 < len(run) and not hira[i + 2]:
            continue
        kept.append(gram)
    return kept or grams


# How Japanese questions are asked, not what about ("広告の方法を教えてください" is about 広告): cut
# out of a query's CJK runs. Must equal JA_QUESTION in tokenizer.js.
_JA_QUESTION = re.compile("を教えてください|教えてください|を教えて|の方法|のやり方|やり方|を知りたい|について|とは")

# Credit a unit earns toward "how much of the query a document matches", and the weight its terms
# get in lunr's score: a whole word counts fully, a prefix of the last word or a typo variant less.
PREFIX_CREDIT = 0.75
PREFIX_BOOST = 0.5
TYPO_CREDIT = 0.75
TYPO_BOOST = 0.3
TYPO_MIN_LENGTH = 4


def query_units(text: str) -> list[dict]:
    """The query as units, each a list of alternative forms; the browser runtime scores them.

    unit: {"forms": [{"terms": [...], "prefix": str|None, "credit": float, "boost": float}],
           "weak": bool (scores but does not count as a matched part of the query),
           "typo": "word"|"kana"|None (typo variants may be tried), "word": the stem typos start from
           (the run for CJK), "identifier": bool (a whole code identifier, besides its words)}

    * a finished word: its stem (stop words dropped);
    * the unfinished last word: its stem, and, at lower credit, every term starting with the common
      prefix of word and stem ("passwo" finds "password", "happy" finds "happi"); a stop word there
      is kept as a weak prefix ("in" is the beginning of "invoice");
    * a CJK run: its bigrams minus particle/inflection noise, credited by the share found;
      a lone CJK character: every term starting with it (bigrams, and the run-final unigram).
    """
    all_runs = []
    for run in runs(text or ""):
        pieces = [piece for piece in _JA_QUESTION.split(run.text) if piece] if run.cjk else []
        if len(pieces) > 1 or (pieces and pieces[0] != run.text):
            all_runs += [Run(piece, True, True) for piece in pieces[:-1]] + [Run(pieces[-1], True, run.closed)]
        else:
            all_runs.append(run)
    units: list[dict] = []
    for position, run in enumerate(all_runs):
        if run.cjk:
            if len(run.text) == 1:
                units.append({"forms": [{"terms": [], "prefix": run.text, "credit": 1, "boost": 1}],
                              "weak": False, "typo": None, "word": run.text, "identifier": False})
            else:
                has_kana = any("\u3041" <= char <= "\u30ff" for char in run.text)
                units.append({"forms": [{"terms": _kept_bigrams(run.text), "prefix": None, "credit": 1, "boost": 1}],
                              "weak": False, "typo": "kana" if has_kana else None, "word": run.text,
                              "identifier": False})
            continue
        is_open_last = position == len(all_runs) - 1 and not run.closed
        stop = run.text in STOP_WORDS
        stemmed = stem(run.text)
        forms = []
        if not stop:
            forms.append({"terms": [stemmed], "prefix": None, "credit": 1, "boost": 1})
        if is_open_last:
            prefix = _common_prefix(run.text, stemmed)
            if prefix:  # an empty prefix would match everything
                forms.append({"terms": [], "prefix": prefix, "credit": PREFIX_CREDIT, "boost": PREFIX_BOOST})
        if not forms:
            continue
        units.append({"forms": forms, "weak": stop, "word": stemmed, "identifier": False,
                      "typo": "word" if len(run.text) >= TYPO_MIN_LENGTH and not stop else None})
    for compound, closed in compounds(text):
        forms = [{"terms": [compound], "prefix": None, "credit": 1, "boost": 1}]
        if not closed:
            forms.append({"terms": [], "prefix": compound, "credit": PREFIX_CREDIT, "boost": PREFIX_BOOST})
        units.append({"forms": forms, "weak": False, "typo": None, "word": compound, "identifier": True})
    if units and all(unit["weak"] for unit in units):
        for unit in units:
            unit["weak"] = False  # "in" alone is still a search for what starts with "in"
    return units


def title_key(text: str) -> str:
    """What a title and a query must share to count as the same title: the words without stop
    words, stemmed, and the CJK runs ("Resetting your password" = "reset password")."""
    return " ".join(run.text if run.cjk else stem(run.text) for run in runs(text)
                    if run.cjk or run.text not in STOP_WORDS)


def query_terms(text: str) -> list[tuple[str, bool]]:
    """(term, is_prefix) of every form of every unit, in order (what the runtime looks up first)."""
    found: list[tuple[str, bool]] = []
    for unit in query_units(text):
        for form in unit["forms"]:
            found.extend((term, False) for term in form["terms"])
            if form["prefix"]:
                found.append((form["prefix"], True))
    return found
