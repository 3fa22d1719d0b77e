"""Built pages, as a reader sees them: every link goes somewhere, languages switch sensibly,
the site works under a base path. One small bilingual site, built once for the module."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import article, build_site, follow, hrefs, make_site, read, tags

BASE = "https://example.com/help/"

FILES = {
    "en/_index.md": article("Home"),
    "en/guides/_index.md": article("Guides", description="Everything to get going", weight=1, translationKey="guides"),
    "en/guides/setup.md": article("Setup", """
        ## Install

        Read [the custom section](other.md#custom), the [whole page](other.md),
        [the plans]({{< ref "billing/plans.md" >}}) and the [checklist](setup-checklist.pdf).
        Japanese: [ログイン](../../ja/よくある質問/ログイン.md).

        ## 顧客ポータルの設定

        Text.
        """, translationKey="setup", date="2024-01-10", product_version="4.2"),
    "en/guides/setup-checklist.pdf": b"%PDF-1.4 " + b"0" * 3000,
    "en/guides/other.md": article("Other", "## Custom section {#custom}\n\nx\n", weight=1),
    "en/guides/advanced/_index.md": article("Advanced", weight=2),
    "en/guides/advanced/deep.md": article("Deep", "Back to [setup](../setup.md#install)."),
    "en/guides/basics/_index.md": article("Basics", weight=1),
    "en/guides/basics/one.md": article("One"),
    "en/billing/_index.md": article("Billing", weight=2),
    "en/billing/plans.md": article("Plans", aliases=["/en/pricing/", "/old/plans.html"], date="2024-03-01"),
    "en/solo/only-english.md": article("Only English"),
    "ja/guides/_index.md": article("ガイド", translationKey="guides", weight=1),
    "ja/guides/setup.md": article("セットアップ", "[英語だけ](../よくある質問/ログイン.md)", translationKey="setup"),
    "ja/よくある質問/_index.md": article("よくある質問", weight=2),
    "ja/よくある質問/ログイン.md": article("ログインできない", "## 顧客ポータルの設定\n\n本文。[設定](ポータル.md)", date="2024-02-01"),
    "ja/よくある質問/ポータル.md": article("ポータルの設定", "本文。", slug="ポータル設定"),
    "en/guides/export/index.md": article("Export", "![The export screen](img/screen.png)\n\nUse the [checklist](checklist.pdf)."),
    "en/guides/export/checklist.pdf": b"%PDF-1.4 " + b"1" * 100,
    "en/guides/export/img/screen.png": b"\x89PNG" + b"0" * 2000,
}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = make_site(tmp_path_factory.mktemp("render") / "site", FILES)
    result = build_site(root, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    return root / "output"


def page(out: Path, url: str) -> str:
    return read(out / unquote(url) / "index.html" if url.endswith("/") else out / url)


def link_to(html: str, text: str) -> str:
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>(?:<[^>]+>)*' + re.escape(text) + "<", html)
    assert match, f"no link with text {text!r}"
    return match.group(1)


def test_every_relative_link_and_asset_on_every_page_exists(out):
    pages = [p for p in out.rglob("*.html") if p.name != "404.html"]
    assert len(pages) > 20
    broken = []
    for file in pages:
        html = read(file)
        for attrs in tags(html):
            for name in ("href", "src"):
                value = attrs.get(name)
                if not value or value.startswith(("#", "http:", "https:", "mailto:", "data:")):
                    continue
                if not follow(file, value).is_file():
                    broken.append(f"{file.relative_to(out)}: {value}")
    assert broken == []


def test_in_page_links_are_relative(out):
    html = page(out, "en/guides/setup/")
    for value in hrefs(html):
        assert not value.startswith("/"), value
        assert not value.startswith(BASE) or False, value


def test_relative_md_links_resolve_to_built_pages_with_anchors(out):
    file = out / "en/guides/setup/index.html"
    html = read(file)
    custom = link_to(html, "the custom section")
    assert custom == "../../../en/guides/other/#custom"
    target = follow(file, custom)
    assert target == (out / "en/guides/other/index.html").resolve()
    assert 'id="custom"' in read(target)
    assert follow(file, link_to(html, "whole page")) == target
    assert follow(file, link_to(html, "the plans")) == (out / "en/billing/plans/index.html").resolve()
    deep = out / "en/guides/advanced/deep/index.html"
    back = link_to(read(deep), "setup")
    assert back.endswith("#install") and follow(deep, back) == file.resolve()


def test_japanese_paths_are_percent_encoded_and_resolve(out):
    file = out / "en/guides/setup/index.html"
    href = link_to(read(file), "ログイン")
    assert href == "../../../ja/%E3%82%88%E3%81%8F%E3%81%82%E3%82%8B%E8%B3%AA%E5%95%8F/%E3%83%AD%E3%82%B0%E3%82%A4%E3%83%B3/"
    assert follow(file, href) == (out / "ja/よくある質問/ログイン/index.html").resolve()
    category = page(out, "ja/よくある質問/")
    assert "ログインできない" in category


def test_japanese_heading_ids_in_page_and_toc(out):
    html = page(out, "ja/よくある質問/ログイン/")
    assert '<h2 id="顧客ポータルの設定">' in html
    assert 'href="#顧客ポータルの設定"' in html


def test_home_lists_categories_with_counts_and_recent_articles(out):
    html = page(out, "en/")
    guides, billing = link_to(html, "Guides"), link_to(html, "Billing")
    assert html.index(guides) < html.index(billing), "weight orders categories"
    assert "5 articles" in html and "1 article" in html
    recent = html[html.index("home-recent"):]
    assert recent.index("Plans") < recent.index("Setup"), "newest first"


def test_category_page_has_breadcrumbs_children_in_order_and_articles(out):
    html = page(out, "en/guides/")
    assert "Everything to get going" in html
    assert html.index(">Basics<") < html.index(">Advanced<"), "subcategories by weight"
    listed = html[html.index("category-articles"):]
    assert listed.index(">Other<") < listed.index(">Setup<"), "articles by weight then title"
    nested = page(out, "en/guides/advanced/")
    crumbs = nested[nested.index("kb-breadcrumbs"):]
    crumbs = crumbs[:crumbs.index("</nav>")]
    assert [a["href"] for a in tags(crumbs, "a")] == ["../../../en/", "../../../en/guides/"]


def test_article_page_shows_title_toc_attachments_and_translations(out):
    html = page(out, "en/guides/setup/")
    assert "<h1" in html and ">Setup</h1>" in html
    assert 'href="#install"' in html
    attachments = html[html.index("kb-attachments"):]
    assert "setup-checklist.pdf" in attachments and "2.9 KB" in attachments
    assert follow(out / "en/guides/setup/index.html", link_to(html, "setup-checklist.pdf")).read_bytes().startswith(b"%PDF")
    translations = html[html.index("kb-translations"):]
    assert "セットアップ" in translations and "日本語" in translations
    assert '<html lang="en"' in html


def switcher(html: str) -> dict[str, str]:
    nav = html[html.index('class="kb-lang'):]
    nav = nav[:nav.index("</nav>")]
    return {a["hreflang"]: a["href"] for a in tags(nav, "a")}


def alternates(html: str) -> dict[str, str]:
    return {l["hreflang"]: l["href"] for l in tags(html, "link") if l.get("rel") == "alternate" and l.get("hreflang")}


def test_switcher_goes_to_the_translation(out):
    html = page(out, "en/guides/setup/")
    assert switcher(html) == {"en": "../../../en/guides/setup/", "ja": "../../../ja/guides/setup/"}
    assert alternates(html) == {"en": BASE + "en/guides/setup/", "ja": BASE + "ja/guides/setup/"}


def test_switcher_without_translation_goes_to_nearest_category_or_home(out):
    deep = page(out, "en/guides/advanced/deep/")
    assert switcher(deep)["ja"] == "../../../../ja/guides/", "the same category exists in Japanese"
    assert "ja" not in alternates(deep), "hreflang only for real translations"
    solo = page(out, "en/solo/only-english/")
    assert switcher(solo)["ja"] == "../../../ja/"
    assert list(alternates(solo)) in ([], ["en"])
    faq = page(out, "ja/よくある質問/")
    assert switcher(faq)["en"] == "../../en/"


def test_category_switcher_matches_by_translation_key(out):
    assert switcher(page(out, "en/guides/"))["ja"] == "../../ja/guides/"


def test_absolute_urls_include_the_base_path(out):
    html = page(out, "ja/よくある質問/ログイン/")
    canonical = [l["href"] for l in tags(html, "link") if l.get("rel") == "canonical"]
    assert canonical == [BASE + "ja/%E3%82%88%E3%81%8F%E3%81%82%E3%82%8B%E8%B3%AA%E5%95%8F/%E3%83%AD%E3%82%B0%E3%82%A4%E3%83%B3/"]


def test_404_links_start_at_the_base_path(out):
    html = read(out / "404.html")
    links = [v for v in hrefs(html) + [l["href"] for l in tags(html, "link") if l.get("href")] + [s["src"] for s in tags(html, "script") if s.get("src")]
             if not v.startswith("#")]
    assert links
    assert all(v.startswith("/help/") or v.startswith(BASE) for v in links), links
    assert "/help/en/" in links and "/help/ja/" in links


def test_redirect_pages_for_aliases(out):
    for alias in ("en/pricing/index.html", "old/plans.html"):
        file = out / alias
        html = read(file)
        refresh = [m["content"] for m in tags(html, "meta") if m.get("http-equiv") == "refresh"][0]
        target = refresh.split("url=", 1)[1]
        assert follow(file, target) == (out / "en/billing/plans/index.html").resolve()
        assert 'name="robots" content="noindex"' in html
        canonical = [l["href"] for l in tags(html, "link") if l.get("rel") == "canonical"]
        assert canonical == [BASE + "en/billing/plans/"], "search engines are pointed at the new address"


def test_language_root_points_to_default_language(out):
    html = read(out / "index.html")
    refresh = [m["content"] for m in tags(html, "meta") if m.get("http-equiv") == "refresh"][0]
    assert refresh.endswith("url=./en/") or refresh.endswith("url=en/")


def test_language_root_title_names_the_site_once(out):
    title = re.search(r"<title>(.*?)</title>", read(out / "index.html")).group(1)
    site_title = re.search(r"<title>(.*?)</title>", read(out / "en/index.html")).group(1)
    assert title == site_title, "the browser tab must not read 'Help | Help'"


def test_every_page_carries_the_mount_points(out):
    html = page(out, "en/guides/setup/")
    assert 'data-kb-search' in html and 'name="q"' in html
    assert re.search(r'data-kb-mount="rating" data-article="[0-9a-f]{12}"', html)
    assert 'data-kb-mount="chat"' in html
    assert '<meta name="kb-lang" content="en">' in html and '<meta name="kb-root" content="../../../">' in html
    assert 'data-kb-mount="tickets"' in page(out, "en/_portal/tickets/")
    assert '<meta name="kb-portal" content="_portal">' in html


def test_old_portal_addresses_lead_to_the_new_ones_keeping_the_fragment(out):
    # Links in e-mails sent before the portal moved: /en/tickets/#ticket=…&key=… must still open the ticket.
    old = page(out, "en/tickets/")
    assert 'url=../../en/_portal/tickets/"' in old
    assert '"../../en/_portal/tickets/") + location.hash' in old


def test_site_theme_folder_overrides_a_bundled_template_and_sees_params(tmp_path):
    root = make_site(tmp_path / "site", {
        "en/a.md": article("A", product_version="4.2", Audience="admins"),
        "/themes/classic/templates/article.html": """
            {% extends "base.html" %}
            {% block main %}<p class="pv">Version {{ article.params.product_version }} for {{ article.params.Audience }}</p>{{ article.html|safe }}{% endblock %}
            """,
    })
    assert build_site(root).exit_code == 0
    html = read(root / "output/en/a/index.html")
    assert '<p class="pv">Version 4.2 for admins</p>' in html
    assert 'class="site-header"' in html, "base.html still comes from the bundled theme"
    assert '<p class="pv">' not in read(root / "output/en/index.html")


def test_article_falling_back_to_a_category_has_no_hreflang_for_it(out):
    html = page(out, "en/guides/other/")
    assert switcher(html)["ja"] == "../../../ja/guides/"
    assert list(alternates(html)) == ["en"], "the Japanese category page is not a translation of this article"
    category = page(out, "en/guides/")
    assert alternates(category) == {"en": BASE + "en/guides/", "ja": BASE + "ja/guides/"}
    assert "ja" not in alternates(page(out, "en/billing/")), "no Japanese billing category"


def test_odd_file_names_and_root_absolute_links(tmp_path):
    root = make_site(tmp_path / "site", {
        "en/guide/setup.md": article("Setup", "[a](<setup guide.pdf>) [b](<setup 日本.pdf>) [c](setup%23two.pdf) "
                                               "[d](setup%3F.pdf) [e](/en/guide/other/#part) [f](/en/search.html?q=a&b=c)"),
        "en/guide/other.md": article("Other", "## Part"),
        "en/guide/setup guide.pdf": b"1",
        "en/guide/setup 日本.pdf": b"2",
        "en/guide/setup#two.pdf": b"3",
        "en/guide/setup?.pdf": b"4",
    })
    assert build_site(root).exit_code == 0
    file = root / "output/en/guide/setup/index.html"
    html = read(file)
    expected = {"a": "setup%20guide.pdf", "b": "setup%20%E6%97%A5%E6%9C%AC.pdf", "c": "setup%23two.pdf", "d": "setup%3F.pdf"}
    for text, name in expected.items():
        href = link_to(html, text)
        assert href == "../../../en/guide/" + name
        assert follow(file, href).read_bytes() in (b"1", b"2", b"3", b"4")
    assert link_to(html, "e") == "../../../en/guide/other/#part"
    assert link_to(html, "f") == "../../../en/search.html?q=a&amp;b=c"


def test_japanese_slug(out):
    file = out / "ja/よくある質問/ログイン/index.html"
    href = link_to(read(file), "設定")
    assert href == "../../../ja/%E3%82%88%E3%81%8F%E3%81%82%E3%82%8B%E8%B3%AA%E5%95%8F/%E3%83%9D%E3%83%BC%E3%82%BF%E3%83%AB%E8%A8%AD%E5%AE%9A/"
    assert "ポータルの設定" in read(follow(file, href))


def test_leaf_bundle_files_are_copied_and_listed(out):
    file = out / "en/guides/export/index.html"
    html = read(file)
    image = [i for i in tags(html, "img") if i.get("alt") == "The export screen"][0]
    assert image["src"] == "../../../en/guides/export/img/screen.png"
    assert follow(file, image["src"]).read_bytes().startswith(b"\x89PNG")
    listed = html[html.index("kb-attachments"):]
    listed = listed[:listed.index("</section>")]
    assert [a["href"] for a in tags(listed, "a")] == ["../../../en/guides/export/checklist.pdf",
                                                      "../../../en/guides/export/img/screen.png"]
    assert "109 B" in listed and "2.0 KB" in listed


def test_a_template_override_added_between_builds_of_one_process_is_used(tmp_path):
    """kbgen serve keeps its template environment between rebuilds; an override the writer
    adds to the site's theme folder meanwhile must still win over the bundled template."""
    from kbgen.build import BuildOptions, build

    root = make_site(tmp_path / "site", {"en/a.md": article("A"), "ja/a.md": article("エー")})
    (root / "themes" / "classic" / "templates").mkdir(parents=True)  # the site already overrides its theme
    options = BuildOptions(output_dir=tmp_path / "out", in_place=True)
    build(root, options)
    assert "OVERRIDDEN" not in read(tmp_path / "out" / "404.html")
    override = root / "themes" / "classic" / "templates" / "404.html"
    override.write_text("OVERRIDDEN 404 page", encoding="utf-8")
    build(root, options)
    assert read(tmp_path / "out" / "404.html") == "OVERRIDDEN 404 page"


def test_a_related_article_losing_its_draft_flag_loses_its_badge_on_other_pages(tmp_path):
    """Pages are reused when nothing they show changed; a list entry's badges are part of it."""
    root = make_site(tmp_path / "site", {"en/x/a.md": article("A"), "en/x/b.md": article("B", draft=True),
                                         "ja/x/a.md": article("エー")})
    assert build_site(root, "--drafts").exit_code == 0
    page_a = root / "output" / "en" / "x" / "a" / "index.html"
    assert "kb-badge-draft" in read(page_a), "B is listed as related, marked Draft"
    draft = root / "content" / "en" / "x" / "b.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    assert build_site(root, "--drafts").exit_code == 0
    assert "kb-badge-draft" not in read(page_a)


def mounts(html: str) -> dict:
    import json
    return json.loads(re.search(r'<script type="application/json" id="kb-mounts">(.*?)</script>', html, re.S).group(1))


def test_the_tickets_page_carries_the_forms_rules_for_offline_checks(out):
    # a browser that never reached the API still knows the departments and required fields
    from kbgen.config import portal_url
    en = mounts(page(out, portal_url("en", "tickets")))["ticket_form"]
    ja = mounts(page(out, portal_url("ja", "tickets")))["ticket_form"]
    assert en["departments"] == [{"id": "general", "label": "General question"}]
    assert ja["departments"] == [{"id": "general", "label": "一般的な質問"}]
    assert en["subject_max"] > 0 and en["fields"] == []
    assert "ticket_form" not in mounts(page(out, portal_url("en", "account")))
