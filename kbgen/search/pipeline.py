"""Orchestrates the search stage: tokenize (cached per article digest), build each language's and
each widget's index (in parallel), and produce the files."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..collector import cyclic_gc_paused
from .indexer import build_data_files, data_layout, data_script, tokenize_fields
from .widget import widget_script

# Bump when tokenizer output changes, so cached terms from older builds are not reused.
TOKENIZER_VERSION = 3
# lunr.py stems the terms and computes the index's values: another version may do either
# differently, so it is part of every cache key.
LUNR_VERSION = version("lunr")
# Below this many articles, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 300
WIDGET_FEATURED = 5
# Never inside a term: the tokenizer keeps letters, digits, marks and CJK characters only.
_TERM_SEPARATOR = "\x1f"


def _job_name(prefix: str) -> str:
    return prefix.strip("/").replace("/", "-")


def _cache_file(cache_dir: Path, prefix: str) -> Path:
    return cache_dir / f"terms-v{TOKENIZER_VERSION}-lunr{LUNR_VERSION}-{_job_name(prefix)}.pickle"


def _load_cache(cache_dir: Path | None, prefix: str) -> dict[str, dict[str, list[str]]]:
    if cache_dir is None:
        return {}
    try:
        with _cache_file(cache_dir, prefix).open("rb") as handle:
            cached = pickle.load(handle)
        return cached if isinstance(cached, dict) else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return {}  # a missing or damaged cache only costs time


def _save_cache(cache_dir: Path | None, prefix: str, entries: dict[str, dict[str, list[str]]]) -> None:
    if cache_dir is None:
        return
    target = _cache_file(cache_dir, prefix)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".tmp{os.getpid()}")
    with temporary.open("wb") as handle:
        pickle.dump(entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, target)


def _build_job(job: dict[str, Any]) -> dict[str, bytes]:
    """Tokenizes what the job's term cache lacks, builds its index, updates its caches.
    Runs in a worker process: the big term lists never cross process boundaries."""
    # index building allocates millions of small containers and no reference cycles: without the
    # pause, the collector took a third of the build time at 10,000 articles
    with cyclic_gc_paused():
        cache_dir = job["cache_dir"]
        known = {digest: {field: joined.split(_TERM_SEPARATOR) if joined else [] for field, joined in fields.items()}
                 for digest, fields in _load_cache(cache_dir, job["prefix"]).items()}
        tokenized = []
        fresh = 0
        for doc in job["docs"]:
            fields = known.get(doc.digest)
            if fields is None:
                fields = known[doc.digest] = tokenize_fields(doc)
                fresh += 1
            tokenized.append(fields)
        if fresh or len(known) != len(job["docs"]):
            used = {doc.digest for doc in job["docs"]}
            # One string per field: pickling millions of short strings is 30x slower.
            _save_cache(cache_dir, job["prefix"], {d: {field: _TERM_SEPARATOR.join(terms) for field, terms in f.items()}
                                                   for d, f in known.items() if d in used})
        # the term lists are the biggest thing alive here: build_data_files empties `tokenized`
        # once lunr has indexed it, and nothing else may hold them
        del known
        files = build_data_files(
            job["docs"], tokenized, prefix=job["prefix"], lang=job["lang"],
            translations=job["translations"], featured=job["featured"],
        )
        _store_output(cache_dir, job, files)
        return files


def _job_key(job: dict[str, Any]) -> str:
    """Everything a job's output depends on: when one English article changes, the Japanese
    data (and widgets not showing it) are reused from the last build instead of rebuilt."""
    keys = {doc.translation_key for doc in job["docs"] if doc.translation_key}
    linked = sorted((key, job["translations"][key]) for key in keys if key in job["translations"])
    material = [data_layout(), TOKENIZER_VERSION, LUNR_VERSION, job["prefix"], job["lang"], job["featured"],
                [doc.digest for doc in job["docs"]], linked]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode("utf-8")).hexdigest()


def _output_cache_file(cache_dir: Path, prefix: str) -> Path:
    return cache_dir / f"data-{_job_name(prefix)}.pickle"


def _cached_output(cache_dir: Path | None, job: dict[str, Any]) -> dict[str, bytes] | None:
    if cache_dir is None:
        return None
    try:
        with _output_cache_file(cache_dir, job["prefix"]).open("rb") as handle:
            cached = pickle.load(handle)
        return cached["files"] if cached.get("key") == job["key"] else None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, KeyError, TypeError):
        return None


def _store_output(cache_dir: Path | None, job: dict[str, Any], files: dict[str, bytes]) -> None:
    if cache_dir is None:
        return
    target = _output_cache_file(cache_dir, job["prefix"])
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".tmp{os.getpid()}")
    with temporary.open("wb") as handle:
        pickle.dump({"key": job["key"], "files": files}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, target)


def _in_category(doc: Any, categories: Sequence[str]) -> bool:
    if not categories:
        return True
    path = doc.category.strip("/")
    return any(path == c.strip("/") or path.startswith(c.strip("/") + "/") for c in categories)


def build_search_files(
    docs: dict[str, list[Any]],
    *,
    languages: dict[str, str],
    widgets: dict[str, dict],
    site_url: str,
    cache_dir: Path | None,
    workers: int,
) -> dict[str, bytes]:
    all_docs = [doc for lang in docs for doc in docs[lang]]
    parallel = max(1, workers) > 1 and len(all_docs) >= PARALLEL_THRESHOLD

    translations: dict[str, dict[str, list[str]]] = {}
    for doc in all_docs:
        if doc.translation_key:
            translations.setdefault(doc.translation_key, {})[doc.lang] = [doc.url, doc.title]

    jobs: list[dict[str, Any]] = []
    for lang in list(languages) + [code for code in docs if code not in languages]:
        jobs.append({"prefix": f"search/{lang}/", "lang": lang, "docs": docs.get(lang, []), "featured": 0})
    for name, settings in widgets.items():
        lang = settings.get("language") or next(iter(languages), "en")
        chosen = [doc for doc in docs.get(lang, []) if _in_category(doc, settings.get("categories") or [])]
        jobs.append({"prefix": f"widgets/{name}/", "lang": lang, "docs": chosen, "featured": WIDGET_FEATURED})

    files: dict[str, bytes] = {}
    for job in jobs:
        job["translations"] = translations
        job["key"] = _job_key(job)
    pending = []
    for job in jobs:
        cached = _cached_output(cache_dir, job)
        if cached is None:
            pending.append(job)
        else:
            files.update(cached)
    # Biggest first, so the last worker to finish is not the one that started the longest job.
    pending.sort(key=lambda job: -sum(len(doc.body) for doc in job["docs"]))
    for job in pending:
        job["cache_dir"] = cache_dir
    if parallel and len(pending) > 1:
        with ProcessPoolExecutor(max_workers=min(max(1, workers), len(pending))) as executor:
            outputs = list(executor.map(_build_job, pending))
    else:
        outputs = [_build_job(job) for job in pending]
    for output in outputs:
        files.update(output)

    # Lets a page offer matches in the other languages when its own has none.
    files["search/languages.js"] = data_script("search/languages.js", {"languages": [[code, name] for code, name in languages.items()]})
    for name, settings in widgets.items():
        lang = settings.get("language") or next(iter(languages), "en")
        files[f"widgets/{name}.js"] = widget_script(
            name, lang=lang, title=settings.get("title"), max_results=int(settings.get("max_results") or 8),
            site_url=site_url, language_name=languages.get(lang, lang), strings=settings.get("strings"),
        )
    return files
