"""sw.js for a build: the cache is named after a hash of every output file, so each build gets a
new cache that replaces the old one only once it is complete (see assets/js/sw-template.js)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "assets" / "js" / "sw-template.js"

# Never precached: the worker itself, files for crawlers and feed readers, and widgets (they run
# on other sites, which this worker does not serve).
_NEVER = re.compile(r"^(sw\.js|robots\.txt|sitemap\.xml|.*\.xml|widgets/.*)$")
# The shell: what search and navigation need even for a site too big to precache whole.
_SHELL = re.compile(r"^(index\.html|404\.html|assets/.*|search/.*|[^/]+/index\.html|[^/]+/search\.html)$")


def _entries(files: Mapping[str, bytes], fingerprinted: Mapping[str, tuple[str, int]]) -> dict[str, tuple[bytes, int]]:
    """path → (content digest, size). A page given by its fingerprint is not read back from
    disk: equal fingerprints mean equal bytes, and cold builds fingerprint the same pages, so
    the cache name is the same whether a page was rendered now or reused."""
    entries = {path: (hashlib.sha256(data).digest(), len(data)) for path, data in files.items()}
    for path, (fingerprint, size) in fingerprinted.items():
        entries[path] = (b"fingerprint:" + fingerprint.encode("ascii"), size)
    return entries


def cache_name(entries: Mapping[str, tuple[bytes, int]]) -> str:
    digest = hashlib.sha256()
    for path in sorted(entries):
        if path == "sw.js":
            continue
        digest.update(path.encode("utf-8") + b"\0" + entries[path][0])
    return f"kbgen-{digest.hexdigest()[:16]}"


def precache_list(entries: Mapping[str, tuple[bytes, int]], precache_limit_bytes: int) -> list[str]:
    candidates = sorted(path for path in entries if not _NEVER.match(path))
    total = sum(entries[path][1] for path in candidates)
    if total <= precache_limit_bytes:
        return candidates
    return [path for path in candidates if _SHELL.match(path)]


def build_service_worker_files(files: Mapping[str, bytes], *, precache_limit_bytes: int,
                               fingerprinted: Mapping[str, tuple[str, int]] | None = None) -> dict[str, bytes]:
    entries = _entries(files, fingerprinted or {})
    template = TEMPLATE.read_text(encoding="utf-8")
    # The worker only ever answers for names this build wrote at the top of the site, so the
    # API, the agent page or anything else on the same origin passes straight through.
    top_level = sorted({path.split("/", 1)[0] + ("/" if "/" in path else "") for path in entries})
    script = template.replace("'__KB_CACHE_NAME__'", json.dumps(cache_name(entries))).replace(
        "__KB_PRECACHE__", json.dumps(precache_list(entries, precache_limit_bytes), ensure_ascii=False)
    ).replace("__KB_TOP_LEVEL__", json.dumps(top_level, ensure_ascii=False))
    return {"sw.js": script.encode("utf-8")}
