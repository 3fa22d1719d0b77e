"""The leak test: nothing of an internal article may reach a public build, in any byte of any
file (pages, lists, related links, translations, sitemap, feeds, search data, scripts)."""
from __future__ import annotations

import pytest

from conftest import all_files, article, build_site, make_site

MARK = "leakmark7f3a"          # lowercase: it must survive slugified URLs too
DRAFT_MARK = "draftmark91c2"

FILES = {
    # public articles that sit next to, share keywords with, or translate the internal ones
    "en/guides/_index.md": article("Guides", weight=1),
    "en/guides/public.md": article("Public guide", "Public body.", keywords=["shared"], translationKey="shared-key"),
    "en/guides/second.md": article("Second guide", "More.", keywords=["shared"]),
    "ja/guides/public.md": article("公開ガイド", "本文。", translationKey="ja-only-key"),
    # the internal article: the marker in every field
    f"en/guides/{MARK}-notes.md": f"""---
title: "Escalation {MARK} runbook"
description: "Staff steps {MARK}"
keywords: ["{MARK}", "shared"]
category: "guides/{MARK}-cat"
slug: "{MARK}-slug"
translationKey: "{MARK}-key"
aliases: ["/en/{MARK}-alias/", "/{MARK}-old.html"]
internal: true
secret_param: "{MARK}-param"
date: 2030-01-01
---

Body {MARK} text with a [public link](public.md).

## Heading {MARK}

![diagram]({MARK}-notes-diagram.png)
""",
    f"en/guides/{MARK}-notes-checklist.pdf": f"%PDF {MARK} attachment content".encode(),
    f"en/guides/{MARK}-notes-diagram.png": f"PNG {MARK}".encode(),
    # an internal translation of a public article
    "ja/guides/internal-translation.md": article(f"社内 {MARK}", f"本文 {MARK}", translationKey="shared-key", internal=True),
    # an internal leaf bundle with a file
    f"en/{MARK}-bundle/index.md": article(f"Bundle {MARK}", internal=True, translationKey=f"{MARK}-bundle"),
    f"en/{MARK}-bundle/{MARK}-data.csv": f"a,b\n{MARK},1\n".encode(),
    # an internal-only category folder: its articles and files are internal without saying so
    f"en/{MARK}-staff/_index.md": article(f"Staff {MARK}", internal=True, description=f"Area {MARK}"),
    f"en/{MARK}-staff/roster.md": article("Roster", f"Names {MARK}"),
    f"en/{MARK}-staff/{MARK}-sub/deep.md": article("Deep", f"Deep {MARK}"),
    f"en/{MARK}-staff/shifts.xlsx": f"xlsx {MARK}".encode(),
    # a public article filed into the internal folder: the folder's _index.md stays private
    "en/staff-area/_index.md": article(f"Staff area {MARK}", internal=True, description=f"Only {MARK}"),
    "en/staff-area/handbook.md": article("Handbook"),
    "en/filed.md": article("Filed publicly", category="staff-area"),
    # a draft
    "en/guides/upcoming.md": article(f"Upcoming {DRAFT_MARK}", draft=True),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("audiences") / "site", FILES,
                     config_extra='\n[widgets.help]\nlanguage = "en"\ncategories = ["guides"]\n')
    public = build_site(root)
    assert public.exit_code == 0, public.output
    internal = build_site(root, "--audience", "internal")
    assert internal.exit_code == 0, internal.output
    assert MARK not in public.output.lower()
    return root / "output", root / "output-internal"


def files_containing(folder, mark: str) -> list[str]:
    needle = mark.encode()
    return [path for path, data in all_files(folder).items()
            if needle in data.lower() or mark in path.lower()]


def test_no_byte_of_internal_content_in_the_public_build(builds):
    public, _ = builds
    files = all_files(public)
    assert len(files) > 30
    # the walk must cover every kind of output that could carry text
    for kind in ("sitemap.xml", "en/feed.xml", "assets/kbgen/kbgen.js", "widgets/help.js"):
        assert kind in files, kind
    assert any(path.startswith("search/en/") for path in files), "search data is part of the walk"
    assert files_containing(public, MARK) == []


def test_not_even_a_truncated_marker_in_the_public_build(builds):
    # summaries and snippets cut text short: "leakmark7…" would still be a leak
    public, _ = builds
    for path, data in all_files(public).items():
        assert b"leakmark" not in data.lower(), path


def test_internal_build_has_everything_with_a_visible_badge(builds):
    _, internal = builds
    leaked_into = files_containing(internal, MARK)
    assert f"en/guides/{MARK}-slug/index.html" in leaked_into
    assert f"en/{MARK}-staff/roster/index.html" in leaked_into
    assert f"en/{MARK}-bundle/{MARK}-data.csv" in leaked_into
    assert f"en/guides/{MARK}-notes-checklist.pdf" in leaked_into
    assert f"en/{MARK}-alias/index.html" in leaked_into
    page = (internal / f"en/guides/{MARK}-slug/index.html").read_text(encoding="utf-8")
    assert "kb-badge-internal" in page and ">Internal<" in page.replace("</svg>", ">")
    assert f"{MARK}-notes-checklist.pdf" in page, "attachment listed"
    assert "kb-badge-internal" in (internal / f"en/{MARK}-staff/roster/index.html").read_text(encoding="utf-8"), \
        "articles of an internal folder carry the badge too"
    home = (internal / "en/index.html").read_text(encoding="utf-8")
    staff_box = home[home.index(f"Staff {MARK}"):][:2000]
    assert "kb-badge-internal" in staff_box, "listed with the badge on the home page too"
    assert "kb-badge-internal" not in (internal / "en/guides/public/index.html").read_text(encoding="utf-8").split("<main")[1].split("kb-related")[0]


def test_public_counts_and_translations_ignore_internal_articles(builds):
    public, internal = builds
    filed = (public / "en/staff-area/index.html").read_text(encoding="utf-8")
    assert "Filed publicly" in filed and "Handbook" not in filed and "<h1>Staff area</h1>" in filed
    guides = (public / "en/guides/index.html").read_text(encoding="utf-8")
    assert guides.count('class="kb-article-link"') == 2
    page = (public / "en/guides/public/index.html").read_text(encoding="utf-8")
    assert "kb-translations" not in page and 'hreflang="ja" href="http' not in page
    internal_page = (internal / "en/guides/public/index.html").read_text(encoding="utf-8")
    assert "kb-translations" in internal_page


def test_drafts_are_left_out_of_both_audiences_unless_asked(builds, tmp_path):
    public, internal = builds
    assert files_containing(public, DRAFT_MARK) == [] and files_containing(internal, DRAFT_MARK) == []
    root = make_site(tmp_path / "site", {"en/a.md": article("A"), "en/d.md": article(f"D {DRAFT_MARK}", draft=True)})
    assert build_site(root, "--drafts").exit_code == 0
    assert files_containing(root / "output", DRAFT_MARK)
    draft_page = (root / "output" / "en" / "d" / "index.html").read_text(encoding="utf-8")
    assert "kb-badge-draft" in draft_page, "a draft shown for review says it is one"
    review = make_site(tmp_path / "review", {"en/a.md": article("A"), "en/later/d.md": article("D", draft=True)})
    assert build_site(review, "--drafts").exit_code == 0
    assert "kb-badge-draft" not in (review / "output" / "en" / "a" / "index.html").read_text(encoding="utf-8"), \
        "a published article is not marked"


def test_public_article_linking_to_an_internal_one_fails_naming_both(tmp_path):
    root = make_site(tmp_path / "site", {
        "en/public.md": article("Public", "See [staff notes](staff/notes.md)."),
        "en/staff/_index.md": article("Staff", internal=True),
        "en/staff/notes.md": article("Notes"),
    })
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/en/public.md:5: error: public article links to internal article content/en/staff/notes.md" in result.output
    assert not (root / "output").exists()
    assert build_site(root, "--audience", "internal").exit_code == 0, "fine for staff"


def test_rebuild_follows_a_folder_becoming_public(tmp_path):
    root = make_site(tmp_path / "site", {
        "en/staff/_index.md": article("Staff", internal=True),
        "en/staff/roster.md": article("Roster"),
    })
    assert build_site(root, "--audience", "internal").exit_code == 0
    page = root / "output-internal/en/staff/roster/index.html"
    assert "kb-badge-internal" in page.read_text(encoding="utf-8")
    (root / "content/en/staff/_index.md").write_text(article("Staff"), encoding="utf-8")
    assert build_site(root, "--audience", "internal").exit_code == 0
    assert "kb-badge-internal" not in page.read_text(encoding="utf-8"), "the incremental build kept a stale badge"
    assert build_site(root).exit_code == 0
    assert (root / "output/en/staff/roster/index.html").is_file()
