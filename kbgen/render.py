"""HTML pages from the theme's templates.

Every link a page contains is relative to that page, so the output works under any base
path and straight from the file system. Pages are rendered in forked worker processes
that inherit the site, so only page numbers and finished bytes cross process lines.
"""
from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import jinja2
from markupsafe import escape

from . import __version__
from .buildcache import BuildCache
from .config import PORTAL_APPS, portal_url
from .errors import Problem
from .markdown_render import FILE_PREFIX, LINK_PREFIX, REF_PREFIX, RENDERER_VERSION, SITE_PREFIX
from .structure import Article, Category, Site, site_paths, url_path
from .themes import SHARED_TEMPLATES, fingerprint as theme_fingerprint, theme_dirs
from .ui_strings import Translator, fingerprint as ui_fingerprint

APPS = PORTAL_APPS
# An undefined template variable is an error instead of a warning (the test suite sets it).
def strict_templates() -> bool:
    return os.environ.get("KBGEN_STRICT_TEMPLATES") == "1"


@dataclass
class Page:
    kind: str
    url: str            # site path of the page ("en/foo/", "en/search.html", "404.html")
    lang: str
    title: str
    template: str
    description: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    absolute_root: bool = False   # 404.html: served at any path, so links start at the base path

    @property
    def output_path(self) -> str:
        return self.url + "index.html" if self.url.endswith("/") or self.url == "" else self.url


def relative_root(page_url: str) -> str:
    folder = page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/" if "/" in page_url else ""
    depth = folder.strip("/").count("/") + 1 if folder.strip("/") else 0
    return "../" * depth or "./"




class RecordingUndefined(jinja2.ChainableUndefined):
    """Optional values may be tested and chained (`{% if article.params.x.y %}`), as before; but
    printing one — `{{ article.titel }}` — is a template mistake, recorded with the template's
    name and line (kbgen builds report it: a warning, an error with --strict)."""

    __slots__ = ()

    def __str__(self) -> str:
        _record_undefined(self)
        return ""

    def __html__(self) -> str:
        _record_undefined(self)
        return ""


# Template mistakes seen while rendering in this process: (template, line, expression).
_undefined_seen: list[tuple[str, int | None, str]] = []


def _record_undefined(undefined: jinja2.Undefined) -> None:
    import sys
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and "__jinja_template__" not in frame.f_globals:
        frame = frame.f_back
    if frame is None:
        return
    template = frame.f_globals["__jinja_template__"]
    line = template.get_corresponding_lineno(frame.f_lineno)
    hint = undefined._undefined_hint
    if hint is None:
        name = undefined._undefined_name
        owner = undefined._undefined_obj
        hint = f"{name!r} is undefined" if owner is jinja2.utils.missing else \
            f"{type(owner).__name__} has no attribute {name!r}"
    _undefined_seen.append((template.name or template.filename or "?", line, hint))


def template_environment(dirs: tuple[Path, ...], environments: dict | None = None) -> jinja2.Environment:
    """One Jinja environment per theme, kept in ``environments`` (a ``BuildCache.templates``), so
    kbgen serve does not parse every template again on each rebuild (Jinja reloads a template
    whose file changed). Nothing site-specific lives in it: all of that is passed with each page."""
    _environments = {} if environments is None else environments
    # The key lists the template files too: an override added to the site's theme folder
    # while kbgen serve runs must replace the bundled template Jinja already holds.
    key = tuple(str(d) for d in dirs) + tuple(
        sorted(str(p) for d in dirs if (d / "templates").is_dir() for p in (d / "templates").rglob("*.html")))
    if key not in _environments:
        loaders = [jinja2.FileSystemLoader(str(d / "templates")) for d in dirs]
        loaders.append(jinja2.FileSystemLoader(str(SHARED_TEMPLATES)))
        _environments[key] = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=RecordingUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
    return _environments[key]


class Renderer:
    def __init__(self, site: Site, environments: dict | None = None):
        self.site = site
        self.config = site.config
        self.theme_dirs = theme_dirs(self.config)
        self.env = template_environment(self.theme_dirs, environments)
        self.translators = {lang: Translator(lang, self.theme_dirs) for lang in self.config.languages}
        self.file_urls = {content_path: url for url, (content_path, _) in site.files.items()}
        self._memo: dict[str, object] = {}
        self._list_items: dict[Article, str] = {}   # an article appears in many lists: described once
        self.problems: list[Problem] = []   # template mistakes, filled while rendering
        self.last_page_problems: list[Problem] = []
        self.site_fingerprint = _digest(
            __version__, RENDERER_VERSION, ui_fingerprint(), theme_fingerprint(self.theme_dirs),
            repr(sorted(self.config.raw.items())), self.config.base_url, site.audience,
            [(c.url, c.title, c.description, c.weight, c.count, c.translation_key)
             for language in site.languages.values() for c in language.categories.values()],
            [r.url for r in site.redirects])

    def fingerprint(self, page: Page) -> str | None:
        """Everything an article or category page shows, hashed: equal fingerprints mean
        byte-identical pages, so an unchanged page need not be rendered again. Pages that
        list the whole site (home, search, apps) are cheap and few: they always render."""
        if page.kind == "article":
            article = page.context["article"]
            return _digest(self.site_fingerprint, page.url, article.source.digest, article.ref, article.category.path,
                           article.internal,
                           [self._list_entry_digest(a) for a in article.related],
                           [(t.lang, t.url, t.title) for t in article.translations],
                           [(a.name, a.url, a.size) for a in article.attachments],
                           sorted(article.links.items(), key=lambda item: (item[0], item[1] or ("", ""))))
        if page.kind == "category":
            category = page.context["category"]
            return _digest(self.site_fingerprint, page.url, [self._list_entry_digest(a) for a in category.articles],
                           [(c.url, c.title, c.description, c.count) for c in category.children])
        return None

    def _list_entry_digest(self, article: Article) -> str:
        described = self._list_items.get(article)
        if described is None:
            described = self._list_items[article] = _digest(_list_item(article))
        return described

    # -- pages -------------------------------------------------------------------------------

    def pages(self) -> list[Page]:
        site, config = self.site, self.config
        pages: list[Page] = []
        for lang, language in site.languages.items():
            t = self.translators[lang]
            pages.append(Page("home", f"{lang}/", lang, config.languages[lang].title, "home.html",
                              config.languages[lang].description,
                              {"categories": language.top_categories,
                               "recent": language.recent(config.recent_count),
                               "uncategorized": language.root.articles}))
            for category in language.categories.values():
                if category.path and category.count:
                    pages.append(Page("category", category.url, lang, category.title, "category.html",
                                      category.description, {"category": category}))
            pages.extend(self.article_page(article) for article in language.articles)
            pages.append(Page("search", f"{lang}/search.html", lang, t("search_title"), "search.html"))
            for app in APPS:
                pages.append(Page("app", portal_url(lang, app, config.portal_path), lang, t(f"app_{app}"), "app.html",
                                  context={"app": app}))
        # Portal pages used to be <lang>/<app>/: those addresses (in e-mails, bookmarks) lead on
        # to the new ones, unless content has taken them back (a category called "account").
        if config.portal_path:
            taken = site_paths(site)
            for lang in site.languages:
                for app in APPS:
                    old = f"{lang}/{app}/"
                    if old not in taken:
                        pages.append(Page("redirect", old, lang, self.translators[lang](f"app_{app}"), "redirect.html",
                                          context={"target_url": portal_url(lang, app, config.portal_path)}))
        pages.append(Page("404", "404.html", config.default_language, self.translators[config.default_language]("not_found_title"),
                          "404.html", absolute_root=True))
        pages.append(Page("language_root", "", config.default_language, config.title, "language_root.html"))
        for redirect in site.redirects:
            target_article = site.articles_by_source[redirect.source]
            pages.append(Page("redirect", redirect.url, target_article.lang, target_article.title, "redirect.html",
                              context={"target_url": redirect.target}))
        return pages

    @staticmethod
    def article_page(article: Article) -> Page:
        return Page("article", article.url, article.lang, article.title, "article.html",
                    article.source.description, {"article": article})

    # -- context -----------------------------------------------------------------------------

    def _switcher(self, page: Page, article: Article | None, category: Category | None) -> tuple[list, list]:
        config = self.config
        alternates, switcher = [], []
        translations = {a.lang: a for a in article.translations} if article else {}
        for lang, language in config.languages.items():
            is_translation = False
            if lang == page.lang:
                target = page.url
            elif lang in translations:
                target, is_translation = translations[lang].url, True
            elif category is not None:
                target = self._nearest_category(lang, category)
                # Only a category page matched by translationKey or path is a translation (an
                # article falling back to its category is not): hreflang must name real ones.
                is_translation = (article is None and bool(category.path)
                                  and target != self._nearest_category(lang, category.parent))
            elif page.kind in ("home", "search", "app"):
                target = page.url.replace(f"{page.lang}/", f"{lang}/", 1)
                is_translation = True
            else:
                target = f"{lang}/"
            switcher.append({"lang": lang, "name": language.name, "url": target,
                             "is_translation": is_translation, "current": lang == page.lang})
            if is_translation or lang == page.lang:
                alternates.append({"lang": lang, "name": language.name, "url": target,
                                   "absolute": config.absolute(url_path(target))})
        return alternates, switcher

    def _nearest_category(self, lang: str, category: Category | None) -> str:
        """The same category in the other language, matched by translationKey or path, or its
        nearest existing ancestor, or that language's home."""
        node = category
        categories = self.site.languages[lang].categories
        while node is not None and node.path:
            if node.translation_key:
                match = next((c for c in categories.values() if c.translation_key == node.translation_key and c.count), None)
                if match:
                    return match.url
            if node.path in categories and categories[node.path].count:
                return categories[node.path].url
            node = node.parent
        return f"{lang}/"

    def context(self, page: Page) -> dict[str, Any]:
        config, site = self.config, self.site
        t = self.translators[page.lang]
        root = config.base_path if page.absolute_root else relative_root(page.url)

        def rel(target: str) -> str:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                return target
            return root + url_path(target.lstrip("/"))

        article = page.context.get("article")
        category = page.context.get("category") or (article.category if article else None)
        breadcrumbs = []
        if page.kind in ("article", "category") and category is not None:
            chain = category.ancestors() + ([category] if page.kind == "article" else [])
            breadcrumbs = [{"title": c.title if c.path else t("home"), "url": c.url} for c in chain]
        alternates, switcher = self._switcher(page, article, category)
        canonical: str | None = config.absolute(url_path(page.context.get("target_url", page.url)))
        if page.kind == "404":
            # Served at whatever address was not found: it has no address of its own to claim.
            canonical, alternates = None, []
        language = site.languages.get(page.lang)
        page_info = {
            "kind": page.kind, "title": page.title, "description": page.description, "url": page.url,
            "canonical": canonical, "lang": page.lang, "breadcrumbs": breadcrumbs,
            "alternates": alternates, "switcher": switcher, "app": page.context.get("app"),
            "target": rel(page.context["target_url"]) if "target_url" in page.context else None,
            "mounts_json": json.dumps(self._mounts(page),
                                      ensure_ascii=False, sort_keys=True),
        }
        site_info = {
            "title": config.languages[page.lang].title, "base_url": config.base_url, "base_path": config.base_path,
            "languages": [{"code": code, "name": lang.name} for code, lang in config.languages.items()],
            "default_language": config.default_language, "audience": site.audience, "api_url": config.api_url,
            "theme": config.theme, "config": config.raw, "params": config.params,
            "categories": language.top_categories if language else [],
            "apps": [{"name": app, "url": portal_url(page.lang, app, config.portal_path), "title": t(f"app_{app}")}
                     for app in APPS],
            "portal_path": config.portal_path,
        }
        context = dict(page.context)
        context.update(site=site_info, page=page_info, lang=page.lang, t=t, format_date=t.format_date,
                       rel=rel, asset=rel, root=root, memo=self.memo)
        if article is not None:
            context["article"] = ArticleView(article, self.resolve_links(article, rel))
        return context

    def memo(self, key, render, *args, **kwargs):
        """For templates: a fragment many pages share (say, a sidebar tree) is rendered once
        per ``key``. The key must name everything the fragment depends on, including
        ``root`` when it contains relative links."""
        key = repr(key)
        if key not in self._memo:
            self._memo[key] = render(*args, **kwargs)
        return self._memo[key]

    def _mounts(self, page: Page) -> dict:
        """What hooks need from the build; app pages (forum, tickets…) also get the KB's
        categories in tree order, so questions can be filed under them."""
        mounts: dict[str, object] = {"lang": page.lang, "api": self.config.api_url, "audience": self.site.audience}
        language = self.site.languages.get(page.lang)
        if page.kind == "app" and language is not None:
            mounts["categories"] = [{"path": c.path, "title": c.title, "depth": c.depth}
                                    for c in language.root.walk() if c.path and c.count]
            if page.context.get("app") == "tickets":
                form = self._ticket_form(page.lang)
                if form is not None:
                    mounts["ticket_form"] = form
        return mounts

    def _ticket_form(self, lang: str) -> dict | None:
        """The ticket form's rules from kbgen.toml ([tickets]), as /api/config/tickets gives them:
        the page keeps them, so a browser that never reached the API still checks a submission
        (departments, required custom fields) before queueing it offline. None without the API extra."""
        def build():
            try:
                from .api.settings import SettingsError, settings_from_dict
            except ImportError:
                return None
            try:
                settings = settings_from_dict(self.config.raw, source=str(self.config.path),
                                              base_dir=self.config.root, check_only=True)
            except SettingsError:   # already reported by the configuration check
                return None
            return settings.tickets
        tickets = self.memo("ticket-settings", build)
        if tickets is None:
            return None
        from .api.ticket_form import ticket_form
        return ticket_form(tickets, lang)

    _PLACEHOLDER = re.compile(r'(href|src)="((?:%s)[^"]*)"' % "|".join(
        re.escape(p) for p in (LINK_PREFIX, FILE_PREFIX, SITE_PREFIX, REF_PREFIX)))

    def resolve_links(self, article: Article, rel) -> str:
        """Fills in the site paths structure.resolve_links found, relative to this page."""
        links = article.links

        def replace(match: re.Match) -> str:
            attribute, value = match.group(1), html.unescape(match.group(2))
            target = links.get(value)
            if target is None:
                return attribute  # a draft left out of this build: keep the text, drop the link
            return f'{attribute}="{html.escape(rel(target[0]) + target[1])}"'

        return self._PLACEHOLDER.sub(replace, article.html)

    def render(self, page: Page) -> bytes:
        """The page's bytes; its template mistakes go to ``self.last_page_problems`` and, once
        per template line, to ``self.problems``."""
        del _undefined_seen[:]
        data = self._render(page)
        self.last_page_problems = [
            Problem(f"template {template}", line, None, f"{what}; it printed nothing (first on page /{page.url})",
                    "fix the variable's name; the README lists what templates receive",
                    "error" if strict_templates() else "warning")
            for template, line, what in dict.fromkeys(_undefined_seen)]
        self.add_problems(self.last_page_problems)
        return data

    def add_problems(self, found: list[Problem]) -> None:
        seen = {(p.file, p.line, p.message.split(";")[0]) for p in self.problems}
        for problem in found:  # one report per template line, not one per page
            key = (problem.file, problem.line, problem.message.split(";")[0])
            if key not in seen:
                seen.add(key)
                self.problems.append(problem)

    def _render(self, page: Page) -> bytes:
        template = self.env.get_template(page.template)
        return template.render(self.context(page)).encode("utf-8")


class ArticleView:
    """The article as templates see it: its HTML with links resolved for this page."""

    def __init__(self, article: Article, html: str):
        self._article = article
        self.html = html

    def __getattr__(self, name):
        return getattr(self._article, name)

    @property
    def toc_html(self) -> str:
        def items(entries) -> str:
            if not entries:
                return ""
            inner = "".join(
                f'<li><a href="#{escape(e["id"])}">{escape(e["title"])}</a>{items(e["children"])}</li>' for e in entries)
            return f"<ul>{inner}</ul>"
        return items(self._article.toc)


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def _list_item(article: Article) -> tuple:
    # Everything a list entry shows, badges included.
    return (article.url, article.title, article.internal, article.source.draft, article.source.description,
            article.updated, article.source.weight, article.ref)


# Set only while a fork pool renders: the children inherit them instead of receiving pickles.
_worker_renderer: Renderer | None = None
_worker_pages: list[Page] = []


def _render_index(index: int) -> tuple[bytes, list[Problem]]:
    assert _worker_renderer is not None, "_init_worker runs first"
    data = _worker_renderer.render(_worker_pages[index])
    return data, _worker_renderer.last_page_problems


def render_pages(site: Site, output, *, workers: int = 1, progress=None, previous=None,
                 cache: BuildCache | None = None) -> "Renderer":
    """Adds every page to ``output`` (the writer); returns the renderer for later stages.

    ``previous`` (a ``PreviousOutput``) offers the last build's files, and ``cache`` (kbgen
    serve's) the last build's bytes: a page whose fingerprint is unchanged is taken from
    there instead of being rendered again."""
    global _worker_renderer, _worker_pages
    cache = cache or BuildCache()
    _rendered = cache.pages
    renderer = Renderer(site, cache.templates)
    pages = renderer.pages()
    advance = progress(len(pages)) if progress else None  # progress: start(total) -> advance(n)
    fingerprints = {page.output_path: renderer.fingerprint(page) for page in pages}
    memo: dict[str, bytes] = {}
    to_render: list[Page] = []
    for page in pages:
        fingerprint = fingerprints[page.output_path]
        if fingerprint is not None and fingerprint in _rendered:
            memo[fingerprint] = _rendered[fingerprint]
            output.add(page.output_path, memo[fingerprint], _origin(page), fingerprint)
        elif fingerprint is not None and previous is not None and previous.has(page.output_path, fingerprint):
            output.reuse(page.output_path, previous, _origin(page), fingerprint)
        else:
            to_render.append(page)
            continue
        if advance:
            advance(1)

    def finished(page: Page, data: bytes, found: list[Problem]) -> None:
        # A page whose template went wrong is rendered again next time, so the mistake is
        # reported by every build until it is fixed, not only by the first.
        fingerprint = fingerprints[page.output_path] if not found else None
        if fingerprint is not None:
            memo[fingerprint] = data
        output.add(page.output_path, data, _origin(page), fingerprint)
        if advance:
            advance(1)

    if workers > 1 and len(to_render) > 200 and "fork" in multiprocessing.get_all_start_methods():
        _worker_renderer, _worker_pages = renderer, to_render
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                chunk = max(1, min(100, len(to_render) // (workers * 8)))
                for page, (data, found) in zip(to_render, pool.imap(_render_index, range(len(to_render)),
                                                                     chunksize=chunk)):
                    renderer.add_problems(found)
                    finished(page, data, found)
        finally:
            _worker_renderer, _worker_pages = None, []
    else:
        for page in to_render:
            finished(page, renderer.render(page), renderer.last_page_problems)
    cache.pages = memo
    return renderer


def _origin(page: Page) -> str:
    article = page.context.get("article")
    if article is not None:
        return f"content/{article.source.path}"
    if page.kind == "redirect":
        return f"an alias of {page.context['target_url']}"
    if page.kind == "category":  # name the folder, so a clash with a portal page says what to rename
        category = page.context["category"]
        folder = category.source.path.rsplit("/", 1)[0] if category.source else f"{category.lang}/{category.path}"
        return f"the category folder content/{folder}/"
    if page.kind == "app":
        return f"kbgen's {page.context['app']} page"
    return f"the {page.kind} page"
