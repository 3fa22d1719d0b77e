"""``build()``: the stages of a build, in order.

config → content → site structure → search → render → write. Each stage lives in the
module named for what it produces; this function only sequences them and times them. Search
data comes before the pages (its forked workers are the peak memory of a build, and the pages
are not in memory yet then); its files join the output after them, with the service worker
that lists every file.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import Any
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .buildcache import BuildCache
from .collector import cyclic_gc_paused
from .config import Config, load_config, unsafe_output_dir
from .content import load_content
from .errors import ConfigError, KbgenError, Problem, Problems
from .feeds import atom_feed, robots, sitemap
from .site_headers import headers_file
from .jsbundle import bundle
from .render import Renderer, render_pages
from .structure import Site, build_site
from .ui_strings import browser_strings_script, widget_strings
from .themes import KBGEN_ASSETS, pygments_css, static_files, theme_dirs, theme_settings
from .writer import Output, PreviousOutput

@dataclass
class BuildOptions:
    audience: str = "public"
    drafts: bool = False
    strict: bool = False
    base_url: str | None = None
    output_dir: Path | None = None
    write: bool = True                 # False: `kbgen check` (validate only)
    workers: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    use_cache: bool = True
    progress: Callable[[str, int | None], Any] | None = None  # callable(stage, total | None) -> advance(n) with .close(), or None
    in_place: bool = False             # update a folder only kbgen writes, file by file (kbgen serve)
    defer_search: bool = False         # pages first, search data afterwards via result.finish_search()


@dataclass
class BuildResult:
    output_dir: Path | None
    site: Site | None
    articles: dict[str, int]           # articles per language
    pages: dict[str, int]              # HTML pages written per language (articles, categories, portal…)
    files: int
    problems: list[Problem]
    timings: dict[str, float]
    finish_search: Callable[[], object] | None = None  # with defer_search: call to build and write the search data
    rewritten: list[str] = field(default_factory=list)  # in_place: the files this build wrote or deleted

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def report(self) -> dict:
        return {
            "output": str(self.output_dir) if self.output_dir else None,
            "audience": self.site.audience if self.site else None,
            "articles": self.articles, "pages": self.pages, "files": self.files,
            "warnings": [p.as_dict() for p in self.warnings],
            "errors": [p.as_dict() for p in self.problems if p.severity == "error"],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start


@contextmanager
def _progress(options: BuildOptions, label: str):
    """Yields ``start(total) -> advance(n)`` (or None); what it started ends with the stage.
    ``total=None``: a stage that cannot count its work shows the time it takes instead."""
    displays = []

    def start(total: int | None):
        display = options.progress(label, total) if options.progress else None
        if display is not None:
            displays.append(display)
        return display
    try:
        yield start
    finally:
        for display in displays:
            display.close()


@cyclic_gc_paused()
def build(root: Path | str = ".", options: BuildOptions | None = None, config: Config | None = None,
          cache: BuildCache | None = None) -> BuildResult:
    """``cache``: what a long-lived caller (kbgen serve) keeps between its builds; without
    one, the build starts from nothing in memory, as in a new process."""
    options = options or BuildOptions()
    cache = cache if cache is not None else BuildCache()
    clock = _Stopwatch()
    problems = Problems()

    with clock.stage("config"):
        config = config or load_config(root)
        if options.base_url:
            config.with_base_url(options.base_url)
        problems.extend(config.warnings)
        try:  # checked now, so that a misspelt theme is reported together with the content's problems
            theme_dirs(config)
        except ConfigError as error:
            problems.extend(error.problems)

    with clock.stage("content"), _progress(options, "Reading content") as start:
        content = load_content(config.content_dir, config.languages,
                               cache_dir=config.cache_dir if options.use_cache else None,
                               workers=options.workers, progress=start,
                               markdown_extensions=tuple(config.markdown_extensions),
                               markdown_extension_configs=config.markdown_extension_configs,
                               hugo_config=config.path.name != "kbgen.toml", memory=cache.sources)
        problems.extend(content.problems)

    with clock.stage("structure"), _progress(options, "Building the site structure") as start:
        start(None)
        site, structure_problems = build_site(config, content, audience=options.audience, drafts=options.drafts)
        problems.extend(structure_problems.items)
        problems.extend(widget_problems(site))
    problems.raise_if_errors(options.strict)

    target = None
    if options.write:
        target = Path(options.output_dir or (config.internal_output_dir if options.audience == "internal"
                                             else config.output_dir))
        unsafe = unsafe_output_dir(config, target)
        if unsafe:
            raise ConfigError([Problem("--output", None, None, unsafe,
                                       "every build replaces this folder: choose a folder of its own")])
    # A folder updated in place (kbgen serve's) reuses unchanged pages from the BuildCache's
    # memory instead: no per-page stat of the last build's files, no manifest to rewrite.
    previous = (PreviousOutput(target, config.cache_dir)
                if target is not None and options.use_cache and not options.in_place else None)

    search_cache = config.cache_dir / "search" if options.use_cache else None
    search_data: dict[str, bytes] = {}
    if not (options.defer_search and target is not None):
        # Before the pages, though it is written with them: its workers are forked from a process
        # that does not hold every rendered page yet (a quarter of a GB at 10,000 articles), and
        # they are the build's peak memory.
        with clock.stage("search"), _progress(options, "Building search data") as start:
            start(None)
            search_data = search_data_files(site, workers=options.workers, cache_dir=search_cache, cache=cache)

    output = Output()
    with clock.stage("render"), _progress(options, "Rendering pages") as start:
        renderer = render_pages(site, output, workers=options.workers, progress=start, previous=previous, cache=cache)
        add_site_files(site, renderer, output)
        problems.extend(renderer.problems)  # template mistakes (an undefined variable), by template and line

    finish_search = None
    if options.defer_search and target is not None:
        # the search files last written there stay while the new ones are built, so the
        # dev server never serves a site without search
        for path, data in cache.search_files.get(str(target), {}).items():
            output.add(path, data, "kbgen (search data of the previous build)")
        finish_search = _deferred_search(site, target, options.workers, search_cache, cache)
    else:
        add_search(site, output, search_data)

    problems.raise_if_errors(options.strict)
    if target is not None:
        with clock.stage("write"), _progress(options, "Writing the site") as start:
            start(None)
            output.commit(target, in_place=options.in_place, written=cache.written,
                          slots=previous.slots_path if previous is not None else None)
            if previous is not None:
                previous.save(output.fingerprints, output.stats)
    article_counts = {lang: len(language.articles) for lang, language in site.languages.items()}
    page_counts = {lang: sum(1 for path in output.origins if path.startswith(lang + "/") and path.endswith(".html"))
                   for lang in site.languages}
    return BuildResult(target, site, article_counts, page_counts, len(output.origins), problems.items,
                       clock.timings, finish_search, output.rewritten)


def _deferred_search(site: Site, target: Path, workers: int, cache_dir: Path | None, cache: BuildCache):
    """The search stage, to run after the pages are written (kbgen serve): updates the search
    files in place and removes those of the previous build that are no longer needed."""
    def finish_search() -> None:
        search_output = Output()
        add_search(site, search_output, search_data_files(site, workers=workers, cache_dir=cache_dir, cache=cache),
                   service_worker=False)
        search_output.commit(target, in_place=True, partial=True, written=cache.written)
        for stale in set(cache.search_files.get(str(target), {})) - set(search_output.files):
            (target / stale).unlink(missing_ok=True)
        cache.search_files[str(target)] = dict(search_output.files)
    return finish_search


def widget_problems(site: Site) -> list[Problem]:
    """A widget category that matches no article would show an empty search box on
    somebody's website: say so at build time."""
    found = []
    for name, widget in site.config.widgets.items():
        language = site.languages.get(widget.language)
        for category in widget.categories:
            node = language.categories.get(category) if language else None
            if node is None or not node.count:
                found.append(Problem(site.config.path.name, None, f"widgets.{name}.categories",
                                     f"{category!r} has no {widget.language} articles in this build",
                                     "use a category path as in the portal's URLs, e.g. ticket-system/customer-portal",
                                     "warning"))
    return found


def add_site_files(site: Site, renderer: Renderer, output: Output) -> None:
    """Everything that is not a page: assets, attachments, feeds, sitemap."""
    config = site.config
    for relative, path in static_files(renderer.theme_dirs).items():
        output.copy(f"assets/theme/{relative}", path, f"theme {config.theme}")
    settings = theme_settings(renderer.theme_dirs)
    output.add("assets/kbgen/pygments.css",
               pygments_css(settings.get("pygments_light", "default"), settings.get("pygments_dark", "monokai")).encode(),
               "kbgen (code highlighting)")
    output.add("assets/kbgen/kbgen.js", bundle(KBGEN_ASSETS / "js").encode(), "kbgen (portal script)")
    for lang in config.languages:
        # the browser modules' words, from the same i18n files (and overrides) as the templates'
        output.add(f"assets/kbgen/strings/{lang}.js", browser_strings_script(lang, renderer.theme_dirs),
                   f"kbgen ({lang} UI strings)")
    css = KBGEN_ASSETS / "css"
    if css.is_dir():
        for path in sorted(css.glob("*.css")):
            output.copy(f"assets/kbgen/{path.name}", path, "kbgen (shared styles)")
    for url, (content_path, _) in sorted(site.files.items()):
        output.copy(url, config.content_dir / content_path, f"content/{content_path}")
    output.add("sitemap.xml", sitemap(site), "kbgen (sitemap)")
    output.add("robots.txt", robots(site), "kbgen (robots.txt)")
    # security headers for static hosts that read a `_headers` file (same policy as `kbgen serve`)
    output.add("_headers", headers_file(config.api_url), "kbgen (security headers)")
    for lang in site.languages:
        output.add(f"{lang}/feed.xml", atom_feed(site, lang, renderer.translators[lang]), f"kbgen ({lang} feed)")


def search_documents(site: Site, memo: dict | None = None) -> dict:
    """``memo`` (a ``BuildCache.search_docs``): the documents of the last build, reused for an
    article whose parsed source (the same object: kbgen serve keeps unchanged ones) and place
    in the site are unchanged, so an edit does not hash every article's text again."""
    from .search import SearchDoc

    memo = {} if memo is None else memo
    used: set[tuple[str, str]] = set()
    documents: dict[str, list] = {}
    for lang, language in site.languages.items():
        docs = []
        for article in language.articles:
            body = article.source.body
            assert body is not None  # articles are made from readable sources only
            category_title = " › ".join(c.title for c in article.category.ancestors()[1:] + [article.category]
                                        if c.path)
            place = (article.ref, article.url, article.title, article.category.path, category_title,
                     article.translation_group, site.config.summary_length)
            key = (lang, article.source.path)
            used.add(key)
            known = memo.get(key)
            if known is not None and known[0] is article.source and known[1] == place:
                docs.append(known[2])
                continue
            summary = article.source.description or _summary(body.text, site.config.summary_length)
            fields = (article.ref, article.url, article.title, tuple(article.source.keywords),
                      article.source.description, tuple(body.headings), body.text, article.category.path,
                      category_title, summary, article.translation_group, lang)
            code = body.code
            digest = hashlib.sha256(repr((fields, code)).encode()).hexdigest()[:20]
            doc = SearchDoc(*fields, digest, code=code)
            memo[key] = (article.source, place, doc)
            docs.append(doc)
        documents[lang] = docs
    for stale in [key for key in memo if key not in used]:
        del memo[stale]
    return documents


def _summary(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    return (cut[:space] if space > length * 0.6 else cut).rstrip(" ,.;:、。") + "…"


def search_data_files(site: Site, *, workers: int, cache_dir: Path | None, cache: BuildCache | None = None) -> dict[str, bytes]:
    """The search data files (indexes, widgets); `cache_dir` is the search cache itself
    (.kbgen-cache/search)."""
    try:
        from .search import build_search
    except ImportError as error:
        # a site without search must never be published in silence (a broken lunr install)
        raise KbgenError(f"the search index cannot be built: {error}\n"
                         "    → reinstall kbgen and its dependencies: pip install --force-reinstall kbgen") from error
    config = site.config
    themes = theme_dirs(config)
    widgets = {name: {"language": w.language, "categories": w.categories, "title": w.title,
                      "max_results": w.max_results, "strings": widget_strings(w.language, themes)}
               for name, w in config.widgets.items()}
    return build_search(search_documents(site, cache.search_docs if cache is not None else None),
                        languages={code: lang.name for code, lang in config.languages.items()},
                        widgets=widgets, site_url=config.base_url, cache_dir=cache_dir, workers=workers)


def add_search(site: Site, output: Output, files: dict[str, bytes], service_worker: bool = True) -> None:
    """The search files, then the offline service worker (which lists every file of the site)."""
    from .search import build_service_worker

    config = site.config
    for path, data in sorted(files.items()):
        output.add(path, data, "kbgen (search data)")
    if not service_worker:
        return
    # Pages are named by fingerprint, so unchanged pages reused from the last build are not read back.
    fingerprinted = {path: (fingerprint, output.size(path)) for path, fingerprint in output.fingerprints.items()}
    others = {path: output.read(path) for path in output.all_paths() if path not in fingerprinted}
    for path, data in build_service_worker(others, precache_limit_bytes=config.precache_limit_kb * 1024,
                                           fingerprinted=fingerprinted).items():
        output.add(path, data, "kbgen (offline service worker)")
