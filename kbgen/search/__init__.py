"""Search stage: per-language search data, widget scripts and the service worker.

The builder hands over the articles of the audience being built (never both audiences at once,
so internal articles can only end up in the internal build's data) and writes what we return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .pipeline import build_search_files
from .service_worker import build_service_worker_files


@dataclass(frozen=True)
class SearchDoc:
    ref: str  # stable id, unique within (lang, audience); short
    url: str  # site path relative to the output root, e.g. "en/getting-started/quick-start/"
    title: str
    keywords: tuple[str, ...]
    description: str
    headings: tuple[str, ...]
    body: str  # plain text of the rendered article
    category: str  # category path, e.g. "ticket-system/customer-portal"
    category_title: str  # e.g. "Ticket system › Customer portal"
    summary: str  # description, or the first ~200 chars of body
    translation_key: str
    lang: str
    digest: str  # hash of everything above: key for caching per-article work between builds
    code: str = ""  # text of the article's code blocks (searchable at a lower weight than prose)


def build_search(
    docs: dict[str, list[SearchDoc]],
    *,
    languages: dict[str, str],
    widgets: dict[str, dict],
    site_url: str,
    cache_dir: Path | None,
    workers: int,
) -> dict[str, bytes]:
    """Output-relative path -> bytes: `search/<lang>/…` data files and `widgets/<name>.js` (+ data)."""
    return build_search_files(
        docs, languages=languages, widgets=widgets, site_url=site_url, cache_dir=cache_dir, workers=workers
    )


def build_service_worker(files: Mapping[str, bytes], *, precache_limit_bytes: int,
                         fingerprinted: Mapping[str, tuple[str, int]] | None = None) -> dict[str, bytes]:
    """`{"sw.js": …}` for every output file, its cache named after a hash of all of them.
    ``fingerprinted``: path → (fingerprint, size) for pages passed by fingerprint, not bytes."""
    return build_service_worker_files(files, precache_limit_bytes=precache_limit_bytes,
                                      fingerprinted=fingerprinted)


__all__ = ["SearchDoc", "build_search", "build_service_worker"]
