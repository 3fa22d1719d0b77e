"""The site structure: URLs (Hugo's rules), categories, ordering, translations, audiences,
attachments, aliases and link checks."""
from __future__ import annotations


from conftest import article, make_site
from kbgen.config import load_config
from kbgen.content import load_content
from kbgen.structure import build_site


def structure(tmp_path, files, audience="public", drafts=False):
    root = make_site(tmp_path / "site", files)
    config = load_config(root)
    content = load_content(config.content_dir, config.languages)
    assert not [p for p in content.problems if p.severity == "error"], content.problems
    site, problems = build_site(config, content, audience=audience, drafts=drafts)
    return site, problems


def urls(site, lang="en"):
    return {a.source.path: a.url for a in site.languages[lang].articles}


def test_article_urls_follow_hugo(tmp_path):
    site, problems = structure(tmp_path, {
        "en/Getting Started/First Steps.md": article("First"),
        "en/billing/plans.md": article("Plans", slug="pricing"),
        "en/billing/old.md": article("Old", url="/en/legacy/page/"),
        "en/admin/export/index.md": article("Export"),
        "en/top.md": article("Top"),
        "ja/よくある質問/ログイン できない.md": article("ログイン"),
    })
    assert not problems.errors
    assert urls(site) == {
        "en/Getting Started/First Steps.md": "en/getting-started/first-steps/",
        "en/billing/plans.md": "en/billing/pricing/",
        "en/billing/old.md": "en/legacy/page/",
        "en/admin/export/index.md": "en/admin/export/",
        "en/top.md": "en/top/",
    }
    assert urls(site, "ja") == {"ja/よくある質問/ログイン できない.md": "ja/よくある質問/ログイン-できない/"}


def test_categories_come_from_folders_or_front_matter(tmp_path):
    site, _ = structure(tmp_path, {
        "en/ticket-system/customer-portal/invite.md": article("Invite"),
        "en/misc/moved.md": article("Moved", category="Billing/Refunds"),
        "en/top.md": article("Top"),
    })
    categories = site.languages["en"].categories
    assert set(categories) == {"", "ticket-system", "ticket-system/customer-portal", "misc", "billing", "billing/refunds"} - {"misc"}
    portal = categories["ticket-system/customer-portal"]
    assert portal.title == "Customer portal"  # no _index.md: the folder name, humanized
    assert portal.parent is categories["ticket-system"] and portal.depth == 2
    assert [a.title for a in categories["billing/refunds"].articles] == ["Moved"]
    assert [a.title for a in categories[""].articles] == ["Top"]
    assert categories["ticket-system"].count == 1 and categories[""].count == 3


def test_index_files_give_title_description_weight_and_order(tmp_path):
    site, _ = structure(tmp_path, {
        "en/zeta/_index.md": article("Zeta first", description="Weighted to the top", weight=1),
        "en/zeta/a.md": article("A"),
        "en/alpha/_index.md": article("Alpha", weight=5),
        "en/alpha/a.md": article("A"),
        "en/beta/a.md": article("A"),          # weight 0, title "Beta"
        "en/gamma/_index.md": article("gamma", weight=5),
        "en/gamma/a.md": article("A"),
        "en/zeta/b.md": article("Banana", weight=2),
        "en/zeta/c.md": article("apple", weight=2),
        "en/zeta/d.md": article("Cherry", weight=1),
    })
    language = site.languages["en"]
    # Hugo's order: weight, then title; weight 0 counts as "no weight" and goes last
    assert [c.title for c in language.top_categories] == ["Zeta first", "Alpha", "gamma", "Beta"]
    zeta = language.categories["zeta"]
    assert zeta.description == "Weighted to the top"
    assert [a.title for a in zeta.articles] == ["Cherry", "apple", "Banana", "A"]


def test_translations_by_key_and_by_path(tmp_path):
    site, _ = structure(tmp_path, {
        "en/guide/setup.md": article("Setup", translationKey="setup"),
        "ja/ガイド/セットアップ.md": article("セットアップ", translationKey="setup"),
        "en/guide/same-path.md": article("Same path"),
        "ja/guide/same-path.md": article("同じパス"),
        "en/guide/alone.md": article("Alone"),
        "ja/guide/alone.md": article("別物", translationKey="something-else"),
    })
    by_path = site.articles_by_source
    assert [t.title for t in by_path["en/guide/setup.md"].translations] == ["セットアップ"]
    assert [t.title for t in by_path["ja/ガイド/セットアップ.md"].translations] == ["Setup"]
    assert [t.title for t in by_path["en/guide/same-path.md"].translations] == ["同じパス"]
    assert by_path["en/guide/alone.md"].translations == []


def test_drafts_only_with_drafts_option(tmp_path):
    files = {"en/a.md": article("A"), "en/draft.md": article("Draft", draft=True)}
    site, _ = structure(tmp_path, files)
    assert set(urls(site)) == {"en/a.md"}
    site, _ = structure(tmp_path / "2", files, drafts=True)
    assert set(urls(site)) == {"en/a.md", "en/draft.md"}


def test_internal_articles_and_folders_by_audience(tmp_path):
    files = {
        "en/a.md": article("Public"),
        "en/b.md": article("Staff", internal=True),
        "en/staff/_index.md": article("Staff area", internal=True),
        "en/staff/runbook.md": article("Runbook"),
    }
    public, _ = structure(tmp_path, files)
    assert set(urls(public)) == {"en/a.md"}
    assert "staff" not in public.languages["en"].categories
    internal, _ = structure(tmp_path / "2", files, audience="internal")
    assert set(urls(internal)) == {"en/a.md", "en/b.md", "en/staff/runbook.md"}
    assert internal.languages["en"].categories["staff"].title == "Staff area"


def test_two_articles_claiming_one_url_name_both_files(tmp_path):
    site, problems = structure(tmp_path, {
        "en/billing/plans.md": article("Plans"),
        "en/billing/prices.md": article("Prices", slug="plans"),
    })
    [error] = problems.errors
    assert error.file == "content/en/billing/prices.md" and "content/en/billing/plans.md" in error.message
    assert error.field == "slug"


def test_article_url_equal_to_a_category_url_is_an_error(tmp_path):
    _, problems = structure(tmp_path, {
        "en/billing.md": article("Billing"),
        "en/billing/plans.md": article("Plans"),
    })
    assert any("category page" in p.message and p.file == "content/en/billing.md" for p in problems.errors)


def test_aliases_become_redirects_and_may_not_shadow_pages(tmp_path):
    site, problems = structure(tmp_path, {
        "en/new.md": article("New", aliases=["/en/old/", "/legacy/page.html"]),
        "en/other.md": article("Other", aliases=["/en/new/"]),
    })
    assert {(r.url, r.target) for r in site.redirects} == {("en/old/", "en/new/"), ("legacy/page.html", "en/new/")}
    [error] = problems.errors
    assert error.file == "content/en/other.md" and error.field == "aliases" and "content/en/new.md" in error.message


def test_attachments_from_bundles_and_neighbouring_files(tmp_path):
    site, _ = structure(tmp_path, {
        "en/admin/export/index.md": article("Export", "See the [checklist](checklist.pdf)."),
        "en/admin/export/checklist.pdf": b"%PDF-1.4" + b"x" * 2040,
        "en/admin/export/img/screen.png": b"\x89PNG",
        "en/admin/backup.md": article("Backup"),
        "en/admin/backup-guide.pdf": b"%PDF" * 10,
        "en/admin/restore.md": article("Restore", "[template](files/restore.xlsx)"),
        "en/admin/files/restore.xlsx": b"xlsx",
        "en/admin/unrelated.zip": b"zip",
    })
    by_path = site.articles_by_source
    export = by_path["en/admin/export/index.md"]
    assert [(a.name, a.url, a.size) for a in export.attachments] == [
        ("checklist.pdf", "en/admin/export/checklist.pdf", 2048),
        ("screen.png", "en/admin/export/img/screen.png", 4),
    ]
    assert export.attachments[0].size_human == "2.0 KB" and export.attachments[0].ext == "pdf"
    assert [a.url for a in by_path["en/admin/backup.md"].attachments] == ["en/admin/backup-guide.pdf"]
    assert [a.url for a in by_path["en/admin/restore.md"].attachments] == ["en/admin/files/restore.xlsx"]
    assert "en/admin/unrelated.zip" in site.files  # still published, just not listed under an article


def test_files_of_left_out_articles_are_left_out(tmp_path):
    files = {
        "en/secret/index.md": article("Secret", internal=True),
        "en/secret/plan.pdf": b"%PDF",
        "en/notes.md": article("Notes", internal=True),
        "en/notes-draft.txt": b"t",
        "en/staff/_index.md": article("Staff", internal=True),
        "en/staff/roster.csv": b"a,b",
    }
    public, _ = structure(tmp_path, files)
    assert public.files == {}
    internal, _ = structure(tmp_path / "2", files, audience="internal")
    assert set(internal.files) == {"en/secret/plan.pdf", "en/notes-draft.txt", "en/staff/roster.csv"}


def test_broken_links_and_anchors(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a.md": article("A", "Intro.\n\n[gone](missing.md)\n\n[bad anchor](b.md#nope)\n\n[file](nofile.pdf)\n"),
        "en/b.md": article("B", "## Real"),
    })
    errors = {p.message for p in problems.errors}
    assert any("missing.md" in m and "does not exist" in m for m in errors)
    assert any("nofile.pdf" in m for m in errors)
    [warning] = [p for p in problems.warnings if "#nope" in p.message]
    assert warning.file == "content/en/a.md" and warning.line == 9
    assert all(p.file == "content/en/a.md" for p in problems.errors)


def test_links_to_drafts_warn_and_to_internal_articles_fail(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a.md": article("A", "[d](d.md) and [i](i.md)"),
        "en/d.md": article("D", draft=True),
        "en/i.md": article("I", internal=True),
    })
    [error] = problems.errors
    assert error.file == "content/en/a.md" and "content/en/i.md" in error.message
    assert any("draft" in p.message and "content/en/d.md" in p.message for p in problems.warnings)


def test_ref_shortcode_finds_pages_like_hugo(tmp_path):
    _, problems = structure(tmp_path, {
        "en/guide/a.md": article("A", '[n]({{< ref "b.md" >}}) [r]({{< ref "/billing/plans.md" >}}) [x]({{< ref "plans" >}})'),
        "en/guide/b.md": article("B"),
        "en/billing/plans.md": article("Plans"),
    })
    assert not problems.errors


def test_related_articles_prefer_shared_keywords(tmp_path):
    site, _ = structure(tmp_path, {
        "en/c/a.md": article("A", keywords=["sso", "login"]),
        "en/c/b.md": article("B", keywords=["billing"]),
        "en/c/c.md": article("C", keywords=["SSO"]),
        "en/other/d.md": article("D", keywords=["sso"]),
    })
    related = [r.title for r in site.articles_by_source["en/c/a.md"].related]
    assert related == ["C", "B", "D"], "same category first (shared keywords first), then neighbours"


def test_recent_articles_newest_first(tmp_path):
    site, _ = structure(tmp_path, {
        "en/old.md": article("Old", date="2020-01-01"),
        "en/new.md": article("New", date="2020-01-01", lastmod="2024-06-01"),
        "en/mid.md": article("Mid", date="2022-01-01"),
        "en/undated.md": article("Undated"),
    })
    assert [a.title for a in site.languages["en"].recent(3)] == ["New", "Mid", "Old"]


def test_one_translation_key_twice_in_a_language_is_a_warning(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a.md": article("A", translationKey="k"),
        "en/b.md": article("B", translationKey="k"),
        "ja/a.md": article("あ", translationKey="k"),
    })
    [warning] = [p for p in problems.warnings if p.field == "translationKey"]
    assert warning.file == "content/en/b.md" and "content/en/a.md" in warning.message


def test_aliases_and_urls_must_be_paths_on_the_site(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a.md": article("A", aliases=["https://old.example.com/kb/a/", "/en/old?id=3", "/en/fine/"]),
        "en/b.md": article("B", url="../../outside/"),
        "en/c.md": article("C", url="//cdn.example.com/c/"),
    })
    reported = {(p.file, p.field, p.message.split(" ", 2)[1]) for p in problems.errors}
    assert reported == {
        ("content/en/a.md", "aliases", "'https://old.example.com/kb/a/'"),
        ("content/en/a.md", "aliases", "'/en/old?id=3'"),
        ("content/en/b.md", "url", "'../../outside/'"),
        ("content/en/c.md", "url", "'//cdn.example.com/c/'"),
    }


def test_a_url_clash_blames_the_file_that_moved_with_its_line_else_the_later_file(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a/moved.md": article("Moved", url="/en/z/page/"),   # sorts first, but took a URL not its own
        "en/z/page.md": article("Page"),
        "en/b/one.md": article("One"), "en/c/one.md": article("One again", url="/en/b/one/"),
        "en/d/twin.md": article("Twin"), "en/e/twin.md": article("Twin", category="d"),
    })
    blamed = {(p.file, p.line, p.field) for p in problems.errors}
    assert ("content/en/a/moved.md", 3, "url") in blamed and ("content/en/c/one.md", 3, "url") in blamed
    assert len(blamed) == 2


def test_category_names_a_section_by_full_or_trailing_path(tmp_path):
    site, problems = structure(tmp_path, {
        "en/docs/ai-chatbot/_index.md": "---\ntitle: AI Chatbot\n---\n",
        "en/docs/ai-chatbot/setup.md": article("Setup", category="ai-chatbot"),
        "en/news/launch.md": article("Launch", category="Docs/AI-Chatbot"),
        "en/news/more.md": article("More", category="chatbot"),
        "ja/docs/ai-chatbot/setup.md": article("設定", category="ai-chatbot"),
    })
    en = site.languages["en"].categories
    assert sorted(a.title for a in en["docs/ai-chatbot"].articles) == ["Launch", "Setup"]
    assert "ai-chatbot" not in en and en["chatbot"].parent is en[""]
    [warning] = problems.warnings
    assert warning.file == "content/en/news/more.md" and warning.line == 3 and "'chatbot'" in warning.message
    ja = site.languages["ja"].categories["docs/ai-chatbot"]
    assert ja.title == "AI Chatbot", "no ja _index.md: the default language's title"


def test_one_report_per_problem_and_place(tmp_path):
    _, problems = structure(tmp_path, {
        "en/a.md": article("A", "[d](d.md) and again [d](d.md)"),
        "en/d.md": article("D", draft=True),
    })
    assert len([p for p in problems.warnings if "draft" in p.message]) == 1


def test_absolute_site_links_are_checked_and_find_the_default_language(tmp_path):
    site, problems = structure(tmp_path, {
        "en/a.md": article("A", "[b](/en/b/) [b2](/b) [ja](/ja/) [s](/en/search.html) [gone](/en/gone/) [api](/api/health)"),
        "en/b.md": article("B"),
        "ja/b.md": article("ビー"),
    })
    [error] = problems.errors
    assert "'/en/gone/'" in error.message and error.line == 5
    links = site.articles_by_source["en/a.md"].links
    assert sorted(v for v in links.values()) == [
        ("api/health", ""), ("en/b/", ""), ("en/b/", ""), ("en/gone/", ""), ("en/search.html", ""), ("ja/", "")]


def test_content_inside_the_portal_folder_is_an_error(tmp_path):
    _, problems = structure(tmp_path, {"en/a.md": article("A", url="/en/_portal/tickets/")})
    [error] = problems.errors
    assert error.file == "content/en/a.md" and "portal" in error.message and error.line == 3


def test_a_page_address_relative_to_the_file_is_a_page_link(tmp_path):
    site, problems = structure(tmp_path, {
        "en/glossary/agents.md": article("Agents", "[LLM](Large-Language-Models/) [plans](../billing/plans/#yearly) [x](nothing/)"),
        "en/glossary/Large-Language-Models.md": article("LLM"),
        "en/billing/plans.md": article("Plans", "## Yearly"),
    })
    [error] = problems.errors
    assert "'nothing/'" in error.message
    assert sorted(v for v in site.articles_by_source["en/glossary/agents.md"].links.values() if v) == [
        ("en/billing/plans/", "#yearly"), ("en/glossary/large-language-models/", "")]
