"""Knowledge bases shaped like real ones (issue 11) build unchanged: tests/fixtures/kb-shapes/
holds one small KB per shape, written for these tests; each is built as a user would and the
result is checked page by page."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import hrefs, read, run_cli, run_kbgen

SHAPES = Path(__file__).resolve().parent / "fixtures" / "kb-shapes"


def built(tmp_path: Path, shape: str, *args: str):
    root = tmp_path / shape
    shutil.copytree(SHAPES / shape, root)
    result = run_cli("-C", str(root), "build", *args)
    return root, root / "output", result


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html).group(1)


def hreflangs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([a-z]+)" href="([^"]+)"', html))


def breadcrumbs(html: str) -> list[str]:
    nav = re.search(r'<nav class="kb-breadcrumbs".*?</nav>', html, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", nav, re.S)]


# -- categories ------------------------------------------------------------------------------

def test_category_by_trailing_path_lands_in_the_section(tmp_path):
    root, out, result = built(tmp_path, "sections")
    assert result.exit_code == 0, result.output
    # files in docs/ai-chatbot/ saying `category: "ai-chatbot"` stay in their section, which has its page
    section = read(out / "en/docs/ai-chatbot/index.html")
    assert title(section).startswith("AI Chatbot |") and "Answers around the clock." in section
    assert "Set up the chatbot" in section
    # an article from another folder naming the section by its last segment is listed there too
    assert "The chatbot is here" in section
    assert breadcrumbs(read(out / "en/news/chatbot-launch/index.html")) == \
        ["Home", "Documentation", "AI Chatbot", "The chatbot is here"]
    assert not (out / "en/ai-chatbot").exists(), "no slug-made duplicate category at the root"
    # a full path works as before
    assert breadcrumbs(read(out / "en/docs/ticket-system/tickets/merge/index.html"))[:-1] == \
        ["Home", "Documentation", "Ticket System", "Working with Tickets"]


def test_japanese_pages_show_japanese_section_titles_else_the_default_languages(tmp_path):
    _, out, result = built(tmp_path, "sections")
    assert result.exit_code == 0, result.output
    assert title(read(out / "ja/docs/ai-chatbot/index.html")).startswith("AIチャットボット |")
    setup = read(out / "ja/docs/ai-chatbot/setup/index.html")
    assert breadcrumbs(setup)[-2:] == ["AIチャットボット", "チャットボットの設定"]
    # ja has no _index.md for these: the English titles, never "Ticket system" made from the slug
    merge = read(out / "ja/docs/ticket-system/tickets/merge/index.html")
    assert breadcrumbs(merge)[1:-1] == ["Documentation", "Ticket System", "Working with Tickets"]
    assert "Ticket system" not in merge
    assert hreflangs(setup) == {"en": "https://help.example.com/en/docs/ai-chatbot/setup/",
                                "ja": "https://help.example.com/ja/docs/ai-chatbot/setup/"}


def test_unknown_and_ambiguous_categories_are_warnings_naming_file_value_and_candidates(tmp_path):
    _, out, result = built(tmp_path, "sections")
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if ": warning:" in line]
    assert len(lines) == 2, result.output
    orphan, pricing = sorted(lines)
    assert orphan.startswith("content/en/news/orphan.md:3: warning: category:") and "'no-such-section'" in orphan
    assert (out / "en/no-such-section/orphan/index.html").exists() is False  # URL comes from the file's folder
    assert title(read(out / "en/no-such-section/index.html")).startswith("No such section |")
    assert pricing.startswith("content/en/news/pricing-change.md:3: warning: category:")
    assert "docs/billing, guides/billing" in pricing
    assert breadcrumbs(read(out / "en/news/pricing-change/index.html")) == ["Home", "News", "Pricing change"]


# -- translations ----------------------------------------------------------------------------

def test_duplicate_translation_keys_link_only_same_path_pages_both_ways(tmp_path):
    _, out, result = built(tmp_path, "translations")
    assert result.exit_code == 0
    page = lambda path: hreflangs(read(out / path / "index.html"))  # noqa: E731
    base = "https://help.example.com/"
    assert page("en/a/login") == {"en": base + "en/a/login/", "ja": base + "ja/a/login/"}
    assert page("ja/a/login") == {"en": base + "en/a/login/", "ja": base + "ja/a/login/"}
    assert page("en/b/login-copy") == {"en": base + "en/b/login-copy/"}, "no link to an unrelated page"
    assert page("en/reset") == {"en": base + "en/reset/", "ja": base + "ja/reset/"}
    assert page("ja/reset") == {"en": base + "en/reset/", "ja": base + "ja/reset/"}
    assert page("ja/reset-old") == {"ja": base + "ja/reset-old/"}
    assert page("ja/plain") == {"en": base + "en/plain/", "ja": base + "ja/plain/"}
    warnings = [line for line in result.output.splitlines() if ": warning: translationKey" in line]
    assert len(warnings) == 2
    assert any(w.startswith("content/en/b/login-copy.md:3: warning:") and "content/en/a/login.md" in w for w in warnings)
    assert any("content/ja/reset-old.md" in w and "content/ja/reset.md" in w for w in warnings)


# -- reserved folder names -------------------------------------------------------------------

def test_support_folder_names_are_content_and_the_portal_has_its_own_folder(tmp_path):
    _, out, result = built(tmp_path, "reserved")
    assert result.exit_code == 0, result.output
    assert "0 warnings" in result.output
    for lang, names in (("en", {"account": "Your account", "tickets": "Tickets"}),
                        ("ja", {"account": "アカウント", "roadmap": "ロードマップ"})):
        for name, heading in names.items():
            category = read(out / lang / name / "index.html")
            assert title(category).startswith(heading + " |") and "data-kb-mount=\"" + name not in category
            assert (out / lang / name / f"about-{name}/index.html").is_file()
    for app in ("tickets", "account", "community", "feedback", "roadmap"):
        portal = read(out / "en/_portal" / app / "index.html")
        assert f'data-kb-mount="{app}"' in portal
    # the portal's navigation leads to the portal, not to the categories of the same name
    article = out / "en/account/about-account/index.html"
    assert "../../../en/_portal/account/" in hrefs(read(article))


def test_portal_folder_is_configurable_and_empty_means_the_old_addresses(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(SHAPES / "links", root)
    with open(root / "kbgen.toml", "a", encoding="utf-8") as config:
        config.write('\n[portal]\npath = "support"\n')
    assert run_cli("-C", str(root), "build").exit_code == 0
    assert 'data-kb-mount="tickets"' in read(root / "output/en/support/tickets/index.html")
    assert '<meta name="kb-portal" content="support">' in read(root / "output/en/index.html")
    reserved = tmp_path / "reserved"
    shutil.copytree(SHAPES / "reserved", reserved)
    with open(reserved / "kbgen.toml", "a", encoding="utf-8") as config:
        config.write('\n[portal]\npath = ""\n')
    result = run_cli("-C", str(reserved), "build")
    assert result.exit_code == 1
    assert "content/en/account/: error: this category's URL /en/account/ is the portal's account page" in result.output
    assert "[portal] path" in result.output


# -- title-less files, includes, headless ----------------------------------------------------

def test_titles_from_first_heading_or_file_name_and_fragments_are_not_pages(tmp_path):
    _, out, result = built(tmp_path, "titleless")
    assert result.exit_code == 0, result.output
    assert "info:" not in result.output, "outside --strict a missing title is not worth a line"
    start = read(out / "en/guide/start/index.html")
    assert title(start).startswith("Getting started |")
    assert start.count(">Getting started</h1>") == 1, "the heading became the title: shown once"
    finish = read(out / "en/guide/finish/index.html")
    assert title(finish).startswith("Finishing up |") and "Some text before any heading." in finish
    assert title(read(out / "en/guide/toc/index.html")).startswith("TOC |")
    assert title(read(out / "ja/guide/start/index.html")).startswith("はじめに |")
    assert not (out / "en/_includes").exists()
    assert not (out / "en/guide/snippets").exists(), "headless: true"
    assert not (out / "en/guide/never").exists(), "build.render: never"
    strict = run_cli("-C", str(out.parent), "build", "--strict")
    assert strict.exit_code == 0
    assert "content/en/guide/TOC.md: info: title: no title in the front matter: its file name gives 'TOC'" \
        in strict.output


# -- links -----------------------------------------------------------------------------------

def test_mail_links_and_absolute_site_paths(tmp_path):
    root, out, result = built(tmp_path, "links")
    assert result.exit_code == 0, result.output
    page = out / "en/contact/index.html"
    html = read(page)
    links = hrefs(html)
    import html as html_module
    assert "mailto:support@example.com" in [html_module.unescape(h) for h in links]
    assert "mailto:sales@example.com" in links
    assert "\x02" not in html and "broken" not in result.output
    assert links.count("../../en/billing/plans/") == 2
    assert "../../en/billing/plans/#yearly" in links and "../../ja/" in links
    assert "../../api/health" in links, "paths served by the API are left as written"

    (root / "content/en/broken.md").write_text(
        "---\ntitle: Broken\n---\n\nSee [nothing](/en/nothing/) and [bad anchor](/en/billing/plans/#weekly).\n",
        encoding="utf-8")
    result = run_cli("-C", str(root), "build")
    assert result.exit_code == 1
    assert "content/en/broken.md:5: error: broken link '/en/nothing/': no page or file of this site has that path" \
        in result.output
    assert "content/en/broken.md:5: warning: link to /en/billing/plans/#weekly: no heading with id #weekly" \
        in result.output


# -- a Python-Markdown extension -------------------------------------------------------------

def test_markdown_extensions_from_the_configuration(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "extension"))
    _, out, result = built(tmp_path, "extension")
    assert result.exit_code == 0, result.output
    save = read(out / "en/save/index.html")
    assert '<span class="ui-control">Save changes</span>' in save and "[!UICONTROL" not in save
    assert '<abbr title="Service Level Agreement">SLA</abbr>' in save
    assert '<span class="ui-control">保存</span>' in read(out / "ja/save/index.html")


def test_a_missing_extension_is_a_configuration_error(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(SHAPES / "extension", root)
    (root / "kb_uicontrol.py").unlink()
    result = run_kbgen("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = next(i for i, t in enumerate((root / "kbgen.toml").read_text(encoding="utf-8").splitlines(), 1)
                if t.startswith("extensions"))
    assert f"kbgen.toml:{line}: error: markdown.extensions: 'kb_uicontrol' cannot be imported" in result.stderr
    assert "pip install" in result.stderr


@pytest.mark.parametrize("value, words", [
    ('path = "../up"', "portal.path: '../up' is not a URL folder"),
    ('path = "a b"', "portal.path: 'a b' is not a URL folder"),
    ('pth = "x"', "portal.pth: unknown option"),
])
def test_portal_path_is_checked_with_the_configuration(tmp_path, value, words):
    root = tmp_path / "kb"
    shutil.copytree(SHAPES / "links", root)
    with open(root / "kbgen.toml", "a", encoding="utf-8") as config:
        config.write(f"\n[portal]\n{value}\n")
    result = run_cli("-C", str(root), "build")
    line = len((root / "kbgen.toml").read_text(encoding="utf-8").splitlines())   # the line just appended
    assert f"kbgen.toml:{line}: {'warning' if 'unknown' in words else 'error'}: {words}" in result.output
