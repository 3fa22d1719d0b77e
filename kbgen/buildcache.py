"""What a long-lived process keeps between builds of one site, in one object.

``kbgen serve`` owns one ``BuildCache`` and passes it to every ``build()``; a build given
none starts from an empty one, exactly as a fresh process does (it still reads the on-disk
cache under ``.kbgen-cache``). Nothing here is a module-level global, so two sites built in
one process never see each other's state, and dropping the object is a cold start.

Every entry is keyed by what its value depends on (a file's modification time and size, a
page's fingerprint, the template files' names), so a stale entry can only go unused, never
be used: that is what keeps a dev-server build equal to a cold build, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BuildCache:
    # content: (file, content path, [markdown] options + UI strings) -> ((mtime_ns, size), parsed Source)
    sources: dict[tuple[str, str, str], tuple[tuple[int, int], Any]] = field(default_factory=dict)
    # render: page fingerprint -> the bytes the last build rendered for it
    pages: dict[str, bytes] = field(default_factory=dict)
    # render: theme folders + their template files -> Jinja environment (Jinja reloads a changed file)
    templates: dict[tuple, Any] = field(default_factory=dict)
    # writer: folder updated in place -> output path -> content key of the file written there
    written: dict[str, dict[str, str]] = field(default_factory=dict)
    # build: (lang, content path) -> (parsed Source, the article's place in the site, SearchDoc)
    search_docs: dict[tuple[str, str], tuple[Any, tuple, Any]] = field(default_factory=dict)
    # build: folder -> the search files last written there (served while a deferred search runs)
    search_files: dict[str, dict[str, bytes]] = field(default_factory=dict)
