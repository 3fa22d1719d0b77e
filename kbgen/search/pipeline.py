"""Orchestrates the search stage: tokenize (cached per article digest), build each language's and
each widget's index (in parallel), and produce the files."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .indexer import DATA_FORMAT, build_data_files, data_script, tokenize_fields
from .widget import widget_script

# Bump when tokenizer output changes, so cached terms from older builds are not reused.
TOKENIZER_VERSION = 1
# Below this many articles, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 300
WIDGET_FEATURED = 5


def _cache_file(cache_dir: Path) -> Path:
    return cache_dir / "search" / f"terms-v{TOKENIZER_VERSION}.pickle"


def _load_cache(cache_dir: Path | None) -> dict[str, dict[str, list[str]]]:
    if cache_dir is None:
        return {}
    try:
        with _cache_file(cache_dir).open("rb") as handle:
            cached = pickle.load(handle)
        return cached if isinstance(cached, dict) else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return {}  # a missing or damaged cache only costs time


def _save_cache(cache_dir: Path | None, entries: dict[str, dict[str, list[str]]]) -> None:
    if cache_dir is None:
        return
    target = _cache_file(cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".tmp{os.getpid()}")
    with temporary.open("wb") as handle:
        pickle.dump(entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, target)


class _NoCyclicGc:
    """Index building allocates millions of small containers and no reference cycles; the cyclic
    collector would walk them over and over (a third of the build time at 10,000 articles)."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()


def _tokenize_many(docs: Sequence[Any]) -> list[tuple[str, dict[str, list[str]]]]:
    with _NoCyclicGc():
        return [(doc.digest, tokenize_fields(doc)) for doc in docs]


def _build_job(job: dict[str, Any]) -> dict[str, bytes]:
    with _NoCyclicGc():
        return build_data_files(
            job["docs"], job["tokenized"], prefix=job["prefix"], lang=job["lang"],
            translations=job["translations"], featured=job["featured"],
        )


def _job_key(job: dict[str, Any]) -> str:
    """Everything a job's output depends on: when one English article changes, the Japanese
    data (and widgets not showing it) are reused from the last build instead of rebuilt."""
    keys = {doc.translation_key for doc in job["docs"] if doc.translation_key}
    linked = sorted((key, job["translations"][key]) for key in keys if key in job["translations"])
    material = [DATA_FORMAT, TOKENIZER_VERSION, job["prefix"], job["lang"], job["featured"],
                [doc.digest for doc in job["docs"]], linked]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode("utf-8")).hexdigest()


def _output_cache_file(cache_dir: Path, prefix: str) -> Path:
    return cache_dir / "search" / ("data-" + prefix.strip("/").replace("/", "-") + ".pickle")


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
    cache = _load_cache(cache_dir)
    missing = list({doc.digest: doc for doc in all_docs if doc.digest not in cache}.values())
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
    needed = {doc.digest for job in pending for doc in job["docs"]}
    missing = [doc for doc in missing if doc.digest in needed]
    parallel = parallel and (len(pending) > 1 or len(missing) >= PARALLEL_THRESHOLD)
    executor = ProcessPoolExecutor(max_workers=max(1, workers)) if parallel else None
    try:
        if missing:
            if executor:
                batch = max(50, len(missing) // (workers * 4) + 1)
                batches = [missing[i : i + batch] for i in range(0, len(missing), batch)]
                for results in executor.map(_tokenize_many, batches):
                    cache.update(results)
            else:
                cache.update(_tokenize_many(missing))
        for job in pending:
            job["tokenized"] = [cache[doc.digest] for doc in job["docs"]]
        outputs = executor.map(_build_job, pending) if executor else map(_build_job, pending)
        for job, output in zip(pending, outputs):
            files.update(output)
            _store_output(cache_dir, job, output)
    finally:
        if executor:
            executor.shutdown()

    if missing or len(cache) != len({doc.digest for doc in all_docs}):
        used = {doc.digest for doc in all_docs}
        _save_cache(cache_dir, {digest: fields for digest, fields in cache.items() if digest in used})

    # Lets a page offer matches in the other languages when its own has none.
    files["search/languages.js"] = data_script("search/languages.js", {"languages": [[code, name] for code, name in languages.items()]})
    for name, settings in widgets.items():
        lang = settings.get("language") or next(iter(languages), "en")
        files[f"widgets/{name}.js"] = widget_script(
            name, lang=lang, title=settings.get("title"), max_results=int(settings.get("max_results") or 8),
            site_url=site_url, language_name=languages.get(lang, lang),
        )
    return files
