"""Machine-readable site files: sitemap.xml (with hreflang alternates), robots.txt and
an Atom feed per language. Dates come from the content, never the clock, so builds are
reproducible."""
from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape, quoteattr

from .structure import EPOCH, Site, url_path


# What XML escaping changes: most URLs and language codes of a sitemap have none of it, and its
# tens of thousands of values then skip saxutils' replace chains.
_XML_SPECIAL = re.compile("[&<>\"'\n\r\t]")


def _text(value: str) -> str:
    return escape(value) if _XML_SPECIAL.search(value) else value


def _attribute(value: str) -> str:
    return quoteattr(value) if _XML_SPECIAL.search(value) else f'"{value}"'


def _iso(value: dt.datetime | None) -> str:
    return (value or EPOCH).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sitemap(site: Site) -> bytes:
    config = site.config
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']

    def entry(url: str, alternates: list[tuple[str, str]], lastmod: dt.datetime | None) -> None:
        lines.append("  <url>")
        lines.append(f"    <loc>{_text(config.absolute(url_path(url)))}</loc>")
        if lastmod:
            lines.append(f"    <lastmod>{_iso(lastmod)}</lastmod>")
        for lang, alternate in alternates:
            lines.append(f'    <xhtml:link rel="alternate" hreflang={_attribute(lang)} href={_attribute(config.absolute(url_path(alternate)))}/>')
        lines.append("  </url>")

    homes = [(lang, f"{lang}/") for lang in site.languages]
    for lang, language in site.languages.items():
        entry(f"{lang}/", homes if len(homes) > 1 else [], None)
        for category in language.categories.values():
            if category.path and category.count:
                entry(category.url, [], None)
        for article in language.articles:
            alternates = [(a.lang, a.url) for a in [article, *article.translations]] if article.translations else []
            entry(article.url, sorted(alternates), article.updated)
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(site: Site) -> bytes:
    sitemap_url = site.config.absolute("sitemap.xml")
    if site.audience != "public":
        return b"User-agent: *\nDisallow: /\n"
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode()


def atom_feed(site: Site, lang: str, translator, count: int = 20) -> bytes:
    config = site.config
    language = site.languages[lang]
    articles = language.recent(count)
    updated = max((a.sort_date for a in articles), default=EPOCH)
    feed_url = config.absolute(f"{lang}/feed.xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(lang)}>',
        f"  <title>{escape(config.languages[lang].title)}</title>",
        f"  <subtitle>{escape(translator('feed_subtitle'))}</subtitle>",
        f'  <link href={quoteattr(feed_url)} rel="self"/>',
        f'  <link href={quoteattr(config.absolute(lang + "/"))}/>',
        f"  <id>{escape(feed_url)}</id>",
        f"  <updated>{_iso(updated)}</updated>",
        # Atom (RFC 4287) requires an author for the feed when entries have none of their own.
        f"  <author><name>{escape(config.languages[lang].title)}</name></author>",
    ]
    for article in articles:
        url = config.absolute(url_path(article.url))
        summary = article.source.description or (article.source.body.text[: config.summary_length] if article.source.body else "")
        lines += [
            "  <entry>",
            f"    <title>{escape(article.title)}</title>",
            f"    <link href={quoteattr(url)}/>",
            f"    <id>{escape(url)}</id>",
            f"    <published>{_iso(article.source.date or article.updated)}</published>",
            f"    <updated>{_iso(article.updated)}</updated>",
            f"    <summary>{escape(summary)}</summary>",
            f"    <category term={quoteattr(article.category.path or lang)} label={quoteattr(article.category.title)}/>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
