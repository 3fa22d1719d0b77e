"""The site: languages, category trees, article URLs, translations, related articles.

This is where audiences are applied: a public site is built from public sources only,
so nothing later in the build can leak an internal article (a title in a list, a related
link, a translation link, a feed entry or search data).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from dataclasses import dataclass, field
from urllib.parse import quote

from .config import PORTAL_APPS, Config, portal_url
from .content import Content, ContentFile, Source
from .errors import Problems

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@lru_cache(maxsize=65536)
def slugify_segment(segment: str) -> str:
    """Hugo lowercases paths and turns spaces into dashes; letters of every script stay."""
    segment = re.sub(r"[\s]+", "-", segment.strip().lower())
    return re.sub(r"[?#%\\\"<>|*:]", "-", segment)


def humanize(segment: str) -> str:
    text = segment.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=65536)
def url_path(site_path: str) -> str:
    """Percent-encode a site path for an href (Japanese segments included). "#" and "?" are
    encoded too: in a path they can only be part of a file name ("FAQ #2.pdf")."""
    return quote(site_path, safe="/=&.-_~")


@dataclass(eq=False)
class Attachment:
    name: str
    url: str          # site path
    size: int
    source: str       # content-relative path

    @property
    def ext(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    @property
    def size_human(self) -> str:
        size = float(self.size)
        for unit in ("B", "KB", "MB", "GB"):
            if size < 1024 or unit == "GB":
                return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
        return f"{self.size} B"


@dataclass(eq=False)
class Category:
    lang: str
    path: str                       # "ticket-system/customer-portal", "" for the language root
    title: str
    description: str = ""
    weight: int = 0
    translation_key: str | None = None
    source: Source | None = None
    parent: "Category | None" = None
    children: list["Category"] = field(default_factory=list)
    articles: list["Article"] = field(default_factory=list)
    internal: bool = False

    def __repr__(self) -> str:
        # not the dataclass's: it would print the whole tree below, and its articles' related lists
        return f"<Category {self.lang}/{self.path}>"

    @property
    def url(self) -> str:
        return f"{self.lang}/{self.path}/" if self.path else f"{self.lang}/"

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1 if self.path else 0

    @property
    def count(self) -> int:
        return len(self.articles) + sum(child.count for child in self.children)

    def ancestors(self) -> list["Category"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(eq=False)
class Article:
    source: Source
    lang: str
    url: str                        # site path: "en/billing/invoices/"
    category: Category
    ref: str                        # short stable id (ratings, search)
    attachments: list[Attachment] = field(default_factory=list)
    translations: list["Article"] = field(default_factory=list)
    related: list["Article"] = field(default_factory=list)
    internal: bool = False          # itself or below an internal _index.md: shows the "Internal" badge
    # HTML placeholder -> (site path, "?query#anchor" to append), or None: see resolve_links
    links: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def __getattr__(self, name):
        # Templates read front-matter fields straight off the article.
        return getattr(self.source, name)

    def __repr__(self) -> str:
        # The dataclass's would print related and translated articles, theirs in turn, and so on:
        # minutes for a failing test's report or a debugger's view of one article.
        return f"<Article {self.url}>"

    @property
    def html(self) -> str:
        return self.source.body.html if self.source.body else ""

    @property
    def toc(self) -> list[dict]:
        return self.source.body.toc if self.source.body else []

    @property
    def updated(self) -> dt.datetime | None:
        return self.source.lastmod or self.source.date

    @property
    def sort_date(self) -> dt.datetime:
        return self.updated or EPOCH

    @property
    def translation_group(self) -> str:
        return translation_group(self.source)


def translation_group(source: Source) -> str:
    """Hugo links translations by translationKey, or else by the same path under each language."""
    if source.translation_key:
        return "key:" + source.translation_key
    return "path:" + source.path.split("/", 1)[1].rsplit(".", 1)[0]


@dataclass
class LanguageSite:
    lang: str
    root: Category
    categories: dict[str, Category]
    articles: list[Article]

    @property
    def top_categories(self) -> list[Category]:
        return self.root.children

    def recent(self, count: int) -> list[Article]:
        return sorted(self.articles, key=lambda a: (-a.sort_date.timestamp(), a.title, a.url))[:count]


@dataclass
class Redirect:
    url: str        # site path of the alias
    target: str     # site path of the article
    source: str


@dataclass
class Site:
    config: Config
    audience: str
    languages: dict[str, LanguageSite]
    articles_by_source: dict[str, Article]
    files: dict[str, tuple[str, ContentFile]]   # site path -> (content path, file)
    redirects: list[Redirect]
    excluded_sources: dict[str, Source]          # internal or draft sources left out of this build

    def all_articles(self):
        for language in self.languages.values():
            yield from language.articles


def _source_dir_segments(source: Source) -> list[str]:
    parts = source.path.split("/")[1:-1]
    if source.is_bundle:
        parts = parts[:-1]
    return [slugify_segment(p) for p in parts]


def article_url(source: Source) -> str:
    if source.url:
        return source.url.strip("/") + "/"
    segments = _source_dir_segments(source)
    if source.slug:
        leaf = source.slug
    elif source.is_bundle:
        leaf = source.path.split("/")[-2]
    else:
        leaf = source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return "/".join([source.lang, *segments, slugify_segment(leaf)]) + "/"


def _included(source: Source, audience: str, drafts: bool, internal_dirs: set[str]) -> bool:
    if source.draft and not drafts:
        return False
    if audience == "public" and is_internal(source, internal_dirs):
        return False
    return True


def is_internal(source: Source, internal_dirs: AbstractSet[str]) -> bool:
    """An article is internal itself or below an _index.md marked internal."""
    return source.internal or is_internal_path(source.path, internal_dirs)


def is_internal_path(content_path: str, internal_dirs: AbstractSet[str]) -> bool:
    folder = content_path.rsplit("/", 1)[0]
    return any(folder == d or folder.startswith(d + "/") for d in internal_dirs)


def short_ref(lang: str, url: str) -> str:
    return hashlib.blake2s(f"{lang}:{url}".encode(), digest_size=6).hexdigest()


def build_site(config: Config, content: Content, *, audience: str = "public", drafts: bool = False) -> tuple[Site, Problems]:
    problems = Problems()
    sections = {s.path.rsplit("/", 1)[0]: s for s in content.sources if s.is_section and not s.headless}
    internal_dirs = {folder for folder, s in sections.items() if s.internal}
    # Sections by language and URL path ("ticket-system/customer-portal"), as Hugo's tree of folders.
    section_at: dict[tuple[str, str], Source] = {}
    for folder, section in sections.items():
        lang, _, rest = folder.partition("/")
        section_at.setdefault((lang, "/".join(slugify_segment(p) for p in rest.split("/") if p)), section)
    included: list[Source] = []
    excluded: dict[str, Source] = {}
    for source in content.sources:
        if source.is_section or source.body is None or source.headless:
            continue
        if _included(source, audience, drafts, internal_dirs):
            included.append(source)
        else:
            excluded[source.path] = source

    # Every folder that holds a page or an _index.md, with its parents: what `category:` may name.
    known_sections: dict[str, set[str]] = {lang: {""} for lang in config.languages}
    for source in content.sources:
        if source.headless or source.lang not in known_sections:
            continue
        segments = _source_dir_segments(source) if not source.is_section else \
            [slugify_segment(p) for p in source.path.split("/")[1:-1]]
        for depth in range(1, len(segments) + 1):
            known_sections[source.lang].add("/".join(segments[:depth]))

    languages: dict[str, LanguageSite] = {}
    articles_by_source: dict[str, Article] = {}

    for lang in config.languages:
        root = Category(lang, "", config.languages[lang].title)
        categories = {"": root}
        languages[lang] = LanguageSite(lang, root, categories, [])

    def category_for(lang: str, path: str) -> Category:
        categories = languages[lang].categories
        if path in categories:
            return categories[path]
        parent_path = path.rsplit("/", 1)[0] if "/" in path else ""
        parent = category_for(lang, parent_path)
        section = section_at.get((lang, path))
        if section is not None and audience == "public" and is_internal(section, internal_dirs):
            section = None  # a public article filed into a staff folder must not publish its _index.md
        category = Category(lang, path, humanize(path.rsplit("/", 1)[-1]), parent=parent,
                            internal=parent.internal or bool(section and section.internal))
        # A section without a title of its own in this language takes the default language's
        # (Hugo's fallback), never a name made from the folder when a real one exists.
        fallback = section_at.get((config.default_language, path))
        if fallback is not None and audience == "public" and is_internal(fallback, internal_dirs):
            fallback = None
        if section is not None:
            category.title = section.title or (fallback.title if fallback else "") or category.title
            category.description = section.description
            category.weight = section.weight
            category.translation_key = section.translation_key
            category.source = section
        elif fallback is not None and fallback.title:
            category.title = fallback.title
            category.weight = fallback.weight
            category.translation_key = fallback.translation_key
        categories[path] = category
        parent.children.append(category)
        return category

    unknown_categories: dict[tuple, list[Source]] = {}
    claims: dict[str, list[Source]] = {}
    for source in included:
        if source.url and _not_a_site_path(source.url):
            problems.error(f"content/{source.path}", f"url {source.url!r} {_not_a_site_path(source.url)}", field="url",
                           line=source.field_lines.get("url"),
                           hint="write the path on this site, e.g. url: /en/billing/plans/")
            continue
        claims.setdefault(article_url(source), []).append(source)
    url: str | None
    url_owner: dict[str, str] = {}
    clashed: list[Source] = []   # not built, but their links are still checked: every problem in one run
    for url, claimants in claims.items():
        # The file that took a URL not its own (by url:/slug:) is the one to change; else the later one.
        claimants.sort(key=lambda s: (bool(s.url or s.slug), s.path))
        url_owner[url] = claimants[0].path
        for other in claimants[1:]:
            clashed.append(other)
            field_name = "url" if other.url else "slug" if other.slug else None
            problems.error(f"content/{other.path}", f"claims the URL /{url}, which content/{claimants[0].path} already uses",
                           field=field_name, line=other.field_lines.get(field_name) if field_name else None,
                           hint="change one of their `url:` values" if other.url else
                           "give one of them a different file name or `slug:`")
    portal_urls = {portal_url(lang, app, config.portal_path): app for lang in config.languages for app in PORTAL_APPS}
    for source in included:
        url = article_url(source) if not (source.url and _not_a_site_path(source.url)) else None
        if url is None or url_owner.get(url) != source.path:
            continue
        if url in portal_urls or (config.portal_path and url.startswith(f"{source.lang}/{config.portal_path}/")):
            problems.error(f"content/{source.path}", f"its URL /{url} is inside the portal's folder "
                           f"/{source.lang}/{config.portal_path}/", field="url" if source.url else None,
                           line=source.field_lines.get("url"),
                           hint="change its `url:`/`slug:`, or move the portal with [portal] path in kbgen.toml")
            continue
        category_path = _category_path(source, known_sections[source.lang], unknown_categories)
        category = category_for(source.lang, category_path)
        article = Article(source, source.lang, url, category, short_ref(source.lang, url),
                          internal=is_internal(source, internal_dirs))
        category.articles.append(article)
        languages[source.lang].articles.append(article)
        articles_by_source[source.path] = article

    for (kind, lang, value, detail), sources in unknown_categories.items():
        # One warning per value and language, on its first file: a taxonomy used as `category:`
        # on 400 articles is one thing to fix, not 400.
        first, others = sources[0], len(sources) - 1
        also = f" (and {others} other file{'s' if others != 1 else ''})" if others else ""
        if kind == "ambiguous":
            problems.warning(f"content/{first.path}", f"category {value!r} could be any of: {detail}; the article "
                             f"stays in its folder{also}", field="category", line=first.field_lines.get("category"),
                             hint="write the section's full path, e.g. " + detail.split(", ")[0])
        else:
            problems.warning(f"content/{first.path}", f"category {value!r} names no section: a new category "
                             f"/{lang}/{detail}/ was made for it{also}", field="category",
                             line=first.field_lines.get("category"),
                             hint=f"fix the value to a folder's path, or add content/{lang}/{detail}/_index.md")

    files = _place_files(content.files, articles_by_source, excluded, internal_dirs, audience)

    for language in languages.values():
        for category in language.categories.values():
            # As in Hugo, weight 0 means "no weight": unweighted entries follow the weighted ones.
            category.children.sort(key=lambda c: (c.weight == 0, c.weight, c.title.casefold(), c.path))
            category.articles.sort(key=lambda a: (a.source.weight == 0, a.source.weight, a.title.casefold(), a.url))
        category_urls = {c.url for c in language.categories.values()}
        for article in language.articles:
            if article.url in category_urls:
                problems.error(f"content/{article.source.path}", f"its URL /{article.url} is also a category page",
                               hint="rename the file or the folder so they differ")
        for category in language.categories.values():
            if category.url in portal_urls and category.count:
                folder = category.source.path.rsplit("/", 1)[0] if category.source else f"{category.lang}/{category.path}"
                problems.error(f"content/{folder}/", f"this category's URL /{category.url} is the portal's "
                               f"{portal_urls[category.url]} page",
                               hint='keep the folder and give the portal its own URL folder: [portal] path = "_portal" '
                                    "in kbgen.toml (the default)")

    _link_translations(languages, problems)
    _relate(languages, config.related_count)
    redirects = _redirects(languages, url_owner, problems)
    unreadable = {s.path for s in content.sources if s.body is None and s.problems}
    not_pages = {s.path: s for s in content.sources if s.headless and not s.is_section}
    site = Site(config, audience, languages, articles_by_source, files, redirects, excluded)
    resolve_links(site, problems, internal_dirs, unreadable, not_pages,
                  [Article(s, s.lang, article_url(s), languages[s.lang].root, "") for s in clashed])
    for source in content.sources:
        for message, line, hint in (source.body.warnings if source.body else []):
            problems.warning(f"content/{source.path}", message, line=line, hint=hint)
    problems.items = list(dict.fromkeys(problems.items))  # one report per problem and place
    return site, problems


def _category_path(source: Source, known: set[str], unknown: dict[tuple, list[Source]]) -> str:
    """The folder, unless `category:` names a section: by its full path, or by a trailing path
    that only one section has (files in docs/ai-chatbot/ saying `category: ai-chatbot`). Values
    that name no section, or several, are collected in ``unknown`` for one warning each."""
    folder = "/".join(_source_dir_segments(source))
    if not source.category:
        return folder
    wanted = "/".join(slugify_segment(p) for p in source.category.split("/") if p.strip())
    if wanted in known:
        return wanted
    matches = sorted(k for k in known if k.endswith("/" + wanted))
    if folder in matches:
        return folder
    if len(matches) == 1:
        return matches[0]
    if matches:
        unknown.setdefault(("ambiguous", source.lang, source.category, ", ".join(matches)), []).append(source)
        return folder
    unknown.setdefault(("none", source.lang, source.category, wanted), []).append(source)
    return wanted


def _place_files(files: list[ContentFile], articles_by_source: dict[str, Article],
                 excluded: dict[str, Source], internal_dirs: set[str], audience: str):
    """Decides each file's URL and which articles list it as an attachment. A file that
    belongs only to left-out (internal or draft) articles is left out with them."""
    bundles = {a.source.path.rsplit("/", 1)[0]: a for a in articles_by_source.values() if a.source.is_bundle}
    excluded_bundles = {s.path.rsplit("/", 1)[0] for s in excluded.values() if s.is_bundle}
    linked_by: dict[str, list[Article]] = {}
    for article in articles_by_source.values():
        assert article.source.body is not None  # articles are made from readable sources only
        for link in article.source.body.links:
            if link.kind == "file":
                linked_by.setdefault(link.target, []).append(article)
    linked_by_excluded = {link.target for s in excluded.values() if s.body for link in s.body.links if link.kind == "file"}
    # Plain (non-bundle) articles and left-out sources by folder, in content order, so a file
    # is matched against its neighbours only.
    plain_by_folder: dict[str, list[Article]] = {}
    for article in articles_by_source.values():
        if not article.source.is_bundle:
            plain_by_folder.setdefault(article.source.path.rsplit("/", 1)[0], []).append(article)
    excluded_by_folder: dict[str, list[Source]] = {}
    for source in excluded.values():
        excluded_by_folder.setdefault(source.path.rsplit("/", 1)[0], []).append(source)
    included_folders = {a.source.path.rsplit("/", 1)[0] for a in articles_by_source.values()}

    placed: dict[str, tuple[str, ContentFile]] = {}
    for file in files:
        folder, name = file.path.rsplit("/", 1)
        owners: list[Article] = []
        bundle_dir = _enclosing(folder, bundles)
        if bundle_dir is not None:
            owners.append(bundles[bundle_dir])
            url = bundles[bundle_dir].url + "/".join(
                [slugify_segment(p) for p in folder[len(bundle_dir):].strip("/").split("/") if p] + [name])
        else:
            if _enclosing(folder, excluded_bundles) is not None:
                continue
            url = "/".join([file.lang] + [slugify_segment(p) for p in folder.split("/")[1:]] + [name])
        stem = name.rsplit(".", 1)[0]
        for article in linked_by.get(file.path, []):
            if article not in owners:
                owners.append(article)
        for article in plain_by_folder.get(folder, []):
            if article not in owners and _stem_matches(article.source.path, stem):
                owners.append(article)
        hidden_dir = audience == "public" and is_internal_path(file.path, internal_dirs)
        belongs_to_excluded = file.path in linked_by_excluded or any(
            _stem_matches(s.path, stem) for s in excluded_by_folder.get(folder, []))
        # A file no public article uses, in a folder whose articles are all left out, is
        # treated as theirs: unreferenced material next to runbooks must not go public.
        only_excluded_here = folder in excluded_by_folder and folder not in included_folders
        if not owners and (belongs_to_excluded or hidden_dir or only_excluded_here):
            continue
        placed[url] = (file.path, file)
        for article in owners:
            article.attachments.append(Attachment(name, url, file.size, file.path))
    return placed


def _enclosing(folder: str, folders) -> str | None:
    """The deepest of ``folders`` that is ``folder`` itself or one of its parents."""
    while True:
        if folder in folders:
            return folder
        if "/" not in folder:
            return None
        folder = folder.rsplit("/", 1)[0]


def _stem_matches(article_path: str, file_stem: str) -> bool:
    article_stem = article_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return file_stem == article_stem or file_stem.startswith((article_stem + "-", article_stem + "_"))


def _link_translations(languages: dict[str, LanguageSite], problems: Problems) -> None:
    """As Hugo: a translationKey links the articles that share it, one per language. Where a
    language has the key twice, only articles with the same path under their language are
    linked (no guessing), and the warning names the files. Always both ways."""
    groups: dict[str, list[Article]] = {}
    for language in languages.values():
        for article in language.articles:
            groups.setdefault(article.translation_group, []).append(article)
    order = list(languages)
    for members in groups.values():
        by_lang: dict[str, list[Article]] = {}
        for article in members:
            by_lang.setdefault(article.lang, []).append(article)
        for same in by_lang.values():
            if len(same) > 1:  # usually front matter copied along with the text
                files = ", ".join(f"content/{a.source.path}" for a in same)
                for article in same[1:]:  # the first one keeps the key; each later one is told
                    problems.warning(f"content/{article.source.path}",
                                     f"translationKey {article.source.translation_key!r} is used by {len(same)} "
                                     f"{article.lang} articles ({files}); only a translation at the same path "
                                     f"is linked", field="translationKey",
                                     line=article.source.field_lines.get("translationkey"),
                                     hint="give each article of a language its own translationKey")

        def relative(article: Article) -> str:
            return article.source.path.split("/", 1)[1].rsplit(".", 1)[0]

        def paired(a: Article, b: Article, by_lang=by_lang) -> bool:
            if len(by_lang[a.lang]) == 1 and len(by_lang[b.lang]) == 1:
                return True
            return relative(a) == relative(b)

        for article in members:
            article.translations = sorted((m for m in members if m.lang != article.lang and paired(article, m)),
                                          key=lambda m: order.index(m.lang))


def _relate(languages: dict[str, LanguageSite], count: int) -> None:
    """Same-category articles first, those sharing more keywords before others, then by
    weight, title and URL; a category with too few articles borrows from its siblings.

    Per category, only articles that share a keyword need comparing (through a keyword
    index); the rest follow in the category's precomputed order, so large categories do
    not cost a sort per article."""
    def order_key(a: Article) -> tuple:
        return (a.source.weight, a.title.casefold(), a.url)

    for language in languages.values():
        keywords = {id(a): {k.casefold() for k in a.source.keywords} for a in language.articles}
        orders = {id(a): order_key(a) for a in language.articles}  # an article is sorted into many lists
        for category in language.categories.values():
            ordered = sorted(category.articles, key=lambda a: orders[id(a)])
            by_keyword: dict[str, list[Article]] = {}
            for other in ordered:
                for keyword in keywords[id(other)]:
                    by_keyword.setdefault(keyword, []).append(other)
            for article in category.articles:
                own = keywords[id(article)]
                shared: dict[int, int] = {}
                sharing: dict[int, Article] = {}
                for keyword in own:
                    for other in by_keyword.get(keyword, ()):
                        if other is not article:
                            shared[id(other)] = shared.get(id(other), 0) + 1
                            sharing[id(other)] = other
                related = sorted(sharing.values(), key=lambda a: (-shared[id(a)], orders[id(a)]))[:count]
                for other in ordered:
                    if len(related) >= count:
                        break
                    if other is not article and id(other) not in shared:
                        related.append(other)
                if len(related) < count and category.parent is not None:
                    borrowed = [a for c in category.parent.children if c is not category
                                for a in c.articles][: count - len(related)]
                    borrowed.sort(key=lambda a: (-len(own & keywords[id(a)]), orders[id(a)]))
                    related += borrowed
                article.related = related[:count]


def _not_a_site_path(value: str) -> str | None:
    """Why ``value`` cannot be a page's path on this site (None when it can)."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or value.startswith("//"):
        return "is a full URL, not a path on this site"
    if "?" in value or "#" in value:
        return "has a ?query or #anchor, which a static page cannot be found by"
    if ".." in value.split("/"):
        return "points outside the site"
    return None


def _redirects(languages, url_owner: dict[str, str], problems: Problems) -> list[Redirect]:
    redirects: list[Redirect] = []
    for language in languages.values():
        for article in language.articles:
            for alias in article.source.aliases:
                path = alias.strip("/")
                if not path:
                    continue
                if _not_a_site_path(alias):
                    problems.error(f"content/{article.source.path}", f"alias {alias!r} {_not_a_site_path(alias)}",
                                   field="aliases", hint="aliases are old paths on this site, e.g. /en/old-page/")
                    continue
                if not path.endswith(".html"):
                    path += "/"
                if path in url_owner:
                    problems.error(f"content/{article.source.path}", f"alias /{path} is the URL of content/{url_owner[path]}",
                                   field="aliases", hint="remove the alias or move the other article")
                    continue
                url_owner[path] = article.source.path
                redirects.append(Redirect(path, article.url, article.source.path))
    return redirects


# Site paths served by something other than the build (the API, the agent pages) or written
# after it: an absolute link there is left as written.
UNCHECKED_SITE_FOLDERS = ("api/", "agent/", "internal/", "assets/", "widgets/")


def site_paths(site: Site) -> dict[str, Article | None]:
    """Every page and file path this build writes (article pages map to their article)."""
    config = site.config
    paths: dict[str, Article | None] = {p: None for p in ("", "404.html", "sitemap.xml", "robots.txt")}
    for lang, language in site.languages.items():
        paths.update({f"{lang}/": None, f"{lang}/search.html": None, f"{lang}/feed.xml": None})
        paths.update({portal_url(lang, app, config.portal_path): None for app in PORTAL_APPS})
        paths.update({c.url: None for c in language.categories.values() if c.count})
        paths.update({a.url: a for a in language.articles})
    paths.update({r.url: site.articles_by_source.get(r.source) for r in site.redirects})
    paths.update({url: None for url in site.files})
    return paths


def _find_site_path(path: str, paths: dict, config: Config) -> str | None:
    base = config.base_path.strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):].lstrip("/")
    tried = [path]
    if path.endswith("index.html"):
        tried.append(path[: -len("index.html")])
    elif path and not path.endswith("/"):
        tried.append(path + "/")
    if path.split("/", 1)[0] not in config.languages:  # Hugo serves its default language at the root
        tried += [f"{config.default_language}/{p}" for p in list(tried)]
    return next((p for p in tried if p in paths), None)


def resolve_links(site: Site, problems: Problems, internal_dirs: AbstractSet[str] = frozenset(),
                  unreadable: AbstractSet[str] = frozenset(), not_pages: dict[str, Source] | None = None,
                  unbuilt: Sequence[Article] = ()) -> None:
    """The one place links are resolved: every link of every article gets the site path it
    points at (``article.links``: placeholder in the HTML -> path, or None to keep the text
    unlinked), and the broken ones are reported. Rendering and fingerprints read the result.

    A link to a file that could not be read is not reported: that file's own error is."""
    config, audience = site.config, site.audience
    articles_by_source, excluded = site.articles_by_source, site.excluded_sources
    not_pages = not_pages or {}
    file_urls = {source: url for url, (source, _) in site.files.items()}
    paths = site_paths(site)
    site_categories = {c.url for language in site.languages.values() for c in language.categories.values() if c.count}
    for article in [*articles_by_source.values(), *unbuilt]:
        source = article.source
        file = f"content/{source.path}"
        assert source.body is not None  # articles are made from readable sources only
        for link in source.body.links:
            line = source.link_lines.get(link.raw)
            if link.kind in ("page", "ref"):
                target = resolve_link_target(link, source.path, articles_by_source, excluded)
                found = articles_by_source.get(target)
                article.links[link.placeholder] = (found.url, f"#{link.anchor}" if link.anchor else "") if found else None
                if found is not None:
                    if link.anchor and found.source.body and link.anchor not in found.source.body.heading_ids:
                        problems.warning(file, f"link to {link.raw}: no heading with id #{link.anchor} in content/{target}",
                                         line=line, hint="fix the anchor; heading ids are shown in the built page's table of contents")
                elif target in excluded:
                    other = excluded[target]
                    if other.draft and not other.internal:
                        problems.warning(file, f"links to draft content/{target}; the link is left unlinked", line=line)
                    else:
                        problems.error(file, f"public article links to internal article content/{target}", line=line,
                                       hint="remove the link, or mark this article `internal: true` too")
                elif target in not_pages:
                    problems.error(file, f"link {link.raw!r}: content/{target} is not a page (headless, "
                                   "`build.render: never`, or in a folder whose name starts with _)", line=line,
                                   hint="link to a page that includes it, or make it a page")
                elif target not in unreadable:
                    problems.error(file, f"broken link {link.raw!r}: content/{target} does not exist", line=line,
                                   hint="fix the path (relative to this file) or remove the link")
            elif link.kind == "file":
                url = file_urls.get(link.target)
                if url is None:  # a page's address written relative to this file: [x](../billing/plans/)
                    page_path = "/".join(slugify_segment(p) for p in link.target.split("/")) + "/"
                    url = page_path if paths.get(page_path) is not None or page_path in site_categories else None
                    if url is not None:
                        article.links[link.placeholder] = (url, link.raw[link.raw.index("#"):] if "#" in link.raw else "")
                        continue
                article.links[link.placeholder] = (url, "") if url is not None else None
                if url is None:
                    problems.error(file, f"broken link {link.raw!r}: content/{link.target} does not exist", line=line,
                                   hint="add the file next to the article or fix the path")
                elif audience == "public" and not is_internal(source, internal_dirs) \
                        and is_internal_path(link.target, internal_dirs):
                    problems.error(file, f"public article links to content/{link.target}, a file in an internal folder",
                                   line=line, hint="move the file out of the internal folder, or remove the link")
            elif link.kind == "site":
                rest = link.raw.lstrip("/")
                cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
                suffix = rest[cut:]
                if link.target.startswith(UNCHECKED_SITE_FOLDERS):
                    article.links[link.placeholder] = (link.target, suffix)
                    continue
                found_path = _find_site_path(link.target, paths, config)
                article.links[link.placeholder] = (found_path if found_path is not None else link.target, suffix)
                if found_path is None:
                    problems.error(file, f"broken link {link.raw!r}: no page or file of this site has that path",
                                   line=line, hint="fix the path, or make it a full URL if it is another site's")
                elif (link.anchor and (linked := paths[found_path]) is not None and linked.source.body
                        and link.anchor not in linked.source.body.heading_ids):
                    problems.warning(file, f"link to {link.raw}: no heading with id #{link.anchor} in "
                                     f"content/{linked.source.path}", line=line,
                                     hint="fix the anchor; heading ids are shown in the built page's table of contents")


def resolve_link_target(link, source_path: str, articles_by_source, excluded) -> str:
    """Content-relative path a page link points at. Hugo's ref looks next to the page,
    then from the language's content root."""
    if link.kind != "ref":
        return link.target
    lang, folder = source_path.split("/", 1)[0], posixpath.dirname(source_path)
    target = link.target.lstrip("/")
    candidates = [posixpath.normpath(posixpath.join(folder, target)), f"{lang}/{target}", target]
    if not target.endswith((".md", ".markdown")):
        candidates += [c + ".md" for c in candidates] + [c.rstrip("/") + "/index.md" for c in candidates]
    for candidate in candidates:
        if candidate in articles_by_source or candidate in excluded:
            return candidate
    name = target.rsplit("/", 1)[-1]
    names = (name,) if name.endswith((".md", ".markdown")) else (name + ".md", name + ".markdown", name + "/index.md")
    by_name = [p for p in list(articles_by_source) + list(excluded)
               if p.startswith(lang + "/") and p.endswith(tuple("/" + n for n in names))]
    return by_name[0] if len(by_name) == 1 else candidates[1]
