"""The pages of an edit that changed only what articles say, written before the full rebuild.

``kbgen serve`` rebuilds the whole site after every save (1.5-2 s at 10,000 articles), and
the writer waits for it to see the page they edited. Most saves change an article's text
and nothing else the site shows of it: not its title, date, category, description or
links, which other pages list. Then only that article's own page changes, and it can be
rendered from the last build's site model at once (tens of milliseconds).

This is a head start, not a second build: the full rebuild still runs right after it and
renders these pages again itself (nothing here is cached for it), so it alone decides what
the site shows; serve reloads the tab again if its bytes differ. Anything this module cannot
prove unchanged (a new or deleted file, front matter, links, config, a theme, a template
warning, a batch too big to be quick) makes it decline.
"""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Collection
from pathlib import Path

from .buildcache import BuildCache
from .content import MARKDOWN_SUFFIXES, Source, reload_source
from .render import Renderer, _origin
from .structure import Article, Site
from .writer import Output

# What may differ between an article's old and new parse when only its text changed: the
# rendered body and what is derived from it alone (other pages never show these).
_TEXT_FIELDS = {"digest", "body", "raw_body", "link_lines", "problems"}
_COMPARED_FIELDS = [f.name for f in dataclasses.fields(Source) if f.name not in _TEXT_FIELDS]
# More files than this in one save (a search-and-replace, a checkout) are parsed and rendered in
# parallel by the full rebuild sooner than one by one here.
MAX_FILES = 20
# Files editors write beside the one they save, and remove again: vim's "4913" and "a.md~",
# JetBrains' "a.md___jb_tmp___", Emacs' "#a.md#". Gone by the time the save is handled, they
# are not content; one that is still there is taken for content (and the head start declines).
_EDITOR_SIDE_FILE = re.compile(r"^(?:\d+|.+~|.+___jb_(?:tmp|old)___|#.+#)$")


def render_edited_articles(site: Site, changed: Collection[Path], target: Path,
                           cache: BuildCache) -> dict[str, bytes] | None:
    """Writes the new pages of ``changed`` articles into ``target`` (updated in place) and
    returns them by output path, or returns None, having written nothing, when the edit may
    change any other page. ``site`` is the last successful build's, and ``cache`` the one it used."""
    config = site.config
    content_dir = Path(config.content_dir)
    edits: list[tuple[Article, Source]] = []
    if len(changed) > MAX_FILES:
        return None
    for path in changed:
        if _EDITOR_SIDE_FILE.match(Path(path).name) and not os.path.lexists(path):
            continue
        rel = _content_path(content_dir, Path(path))
        if rel is None or not rel.lower().endswith(MARKDOWN_SUFFIXES):
            return None
        article = site.articles_by_source.get(rel)
        if article is None:   # new, excluded from this build, a section, or not a page
            return None
        try:
            source = reload_source(content_dir, rel, cache_dir=config.cache_dir,
                                   markdown_extensions=tuple(config.markdown_extensions),
                                   markdown_extension_configs=config.markdown_extension_configs,
                                   memory=cache.sources)
        except OSError:
            return None
        if not _only_text_changed(article.source, source):
            return None
        edits.append((article, source))
    if not edits:
        return None

    renderer = Renderer(site, cache.templates)
    output = Output()
    for article, source in edits:
        previous = article.source
        article.source = source   # the full rebuild that follows makes a new site model anyway
        page = renderer.article_page(article)
        data = renderer.render(page)
        if renderer.last_page_problems:   # the full rebuild reports them, once, with the others
            article.source = previous
            return None
        # Added without its fingerprint: the full rebuild must not take these bytes for its own.
        output.add(page.output_path, data, _origin(page))
    output.commit(target, in_place=True, partial=True, written=cache.written)
    return dict(output.files)


def _content_path(content_dir: Path, path: Path) -> str | None:
    for folder in (content_dir, content_dir.resolve()):
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            continue
    try:
        return path.resolve().relative_to(content_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _only_text_changed(old: Source, new: Source) -> bool:
    if new.body is None or old.body is None or any(p.severity == "error" for p in new.problems):
        return False
    if any(getattr(old, name) != getattr(new, name) for name in _COMPARED_FIELDS):
        return False
    # The links' resolved targets (article.links) stay valid only for the same links.
    return _links(old) == _links(new)


def _links(source: Source) -> list[tuple]:
    assert source.body is not None
    return [(link.kind, link.raw, link.target, link.anchor, link.placeholder) for link in source.body.links]
