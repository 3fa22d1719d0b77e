"""sitemap.xml, robots.txt and the Atom feeds: valid XML, absolute URLs under the base path,
hreflang alternates only between real translations, dates from the content."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conftest import article, build_site, make_site

BASE = "https://example.com/help/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("feeds") / "site", {
        "en/guide/setup.md": article("Setup & <basics>", translationKey="setup", date="2024-01-10",
                                     lastmod="2024-04-01T10:00:00+09:00", description="Get going."),
        "en/guide/solo.md": article("Solo", "Only in English. " * 40, date="2023-05-05"),
        "ja/ガイド/セットアップ.md": article("セットアップ", translationKey="setup", date="2024-02-01"),
        "en/secret.md": article("Secret", internal=True),
    })
    result = build_site(root, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    return root / "output"


def sitemap_entries(out):
    tree = ET.parse(out / "sitemap.xml")
    entries = {}
    for url in tree.getroot().findall(f"{SM}url"):
        loc = url.find(f"{SM}loc").text
        lastmod = url.find(f"{SM}lastmod")
        entries[loc] = {"lastmod": lastmod.text if lastmod is not None else None,
                        "alternates": {l.get("hreflang"): l.get("href") for l in url.findall(f"{XHTML}link")}}
    return entries


def test_sitemap_lists_pages_with_absolute_urls_and_hreflang(out):
    entries = sitemap_entries(out)
    setup_en, setup_ja = BASE + "en/guide/setup/", BASE + "ja/%E3%82%AC%E3%82%A4%E3%83%89/%E3%82%BB%E3%83%83%E3%83%88%E3%82%A2%E3%83%83%E3%83%97/"
    assert {BASE + "en/", BASE + "ja/", setup_en, setup_ja, BASE + "en/guide/solo/", BASE + "en/guide/"} <= set(entries)
    assert entries[setup_en]["alternates"] == {"en": setup_en, "ja": setup_ja}
    assert entries[setup_ja]["alternates"] == {"en": setup_en, "ja": setup_ja}
    assert entries[BASE + "en/guide/solo/"]["alternates"] == {}
    assert entries[setup_en]["lastmod"] == "2024-04-01T01:00:00Z"
    assert all(loc.startswith(BASE) for loc in entries)
    assert not any("secret" in loc for loc in entries)


def test_robots_points_to_the_sitemap(out):
    assert (out / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"


def test_internal_build_is_not_indexed(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")})
    assert build_site(root, "--audience", "internal").exit_code == 0
    assert (root / "output-internal/robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


def test_atom_feed_per_language(out):
    feed = ET.parse(out / "en/feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Setup & <basics>", "Solo"]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == BASE + "en/guide/setup/"
    assert first.find(f"{ATOM}id").text == BASE + "en/guide/setup/"
    assert first.find(f"{ATOM}updated").text == "2024-04-01T01:00:00Z"
    assert first.find(f"{ATOM}published").text == "2024-01-10T00:00:00Z"
    assert first.find(f"{ATOM}summary").text == "Get going."
    assert feed.find(f"{ATOM}updated").text == "2024-04-01T01:00:00Z", "the feed is as new as its newest entry"
    # what RFC 4287 requires of a feed: id, title, updated, a self link, an author
    assert feed.find(f"{ATOM}id").text == BASE + "en/feed.xml"
    assert feed.find(f"{ATOM}title").text == "Test KB"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Test KB"
    assert [l.get("href") for l in feed.findall(f"{ATOM}link") if l.get("rel") == "self"] == [BASE + "en/feed.xml"]
    assert len(entries[1].find(f"{ATOM}summary").text) <= 200
    ja = ET.parse(out / "ja/feed.xml").getroot()
    assert [e.find(f"{ATOM}title").text for e in ja.findall(f"{ATOM}entry")] == ["セットアップ"]
    # a feed reader shows the subtitle under the title: words, never a missing string's key
    assert feed.find(f"{ATOM}subtitle").text == "Recently updated articles"
    assert ja.find(f"{ATOM}subtitle").text == "最近更新された記事"


def test_feed_of_an_empty_language_is_still_valid(tmp_path):
    root = make_site(tmp_path / "s", {"en/a.md": article("A")})
    assert build_site(root).exit_code == 0
    feed = ET.parse(root / "output/ja/feed.xml").getroot()
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.find(f"{ATOM}updated").text == "1970-01-01T00:00:00Z", "no clock time: builds stay reproducible"


@pytest.mark.parametrize("value", ["https://kb.example.com/en/billing/", "/ja/顧客ポータル/", "a&b", "<x>", 'say "hi"',
                                   "it's", "tab\there", "line\nbreak", "cr\rhere", "", "a'b\"c", "&amp;"])
def test_sitemap_values_are_escaped_exactly_as_saxutils_escapes_them(value):
    from xml.sax.saxutils import escape, quoteattr

    from kbgen.feeds import _attribute, _text
    assert _text(value) == escape(value)
    assert _attribute(value) == quoteattr(value)
