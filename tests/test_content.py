"""Reading content: front matter as Hugo writes it (YAML, TOML, JSON), every field, and the
problems a writer can make, each located by file, line and field."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import article, make_site
from kbgen.content import load_content, parse_source

UTC = dt.timezone.utc

YAML = """---
title: "Resetting a password"
date: 2024-03-01
lastmod: 2024-05-02T09:30:00+09:00
draft: true
translationKey: pw-reset
description: "How to reset it."
keywords: [password, login]
category: account/security
weight: 3
aliases: [/old/pw/, /older/pw.html]
slug: reset-password
url: /en/custom/path/
internal: true
product_version: "4.2"
Audience: admins
---

Body **here**.
"""

TOML = """+++
title = "Resetting a password"
date = 2024-03-01
lastmod = 2024-05-02T09:30:00+09:00
draft = true
translationKey = "pw-reset"
description = "How to reset it."
keywords = ["password", "login"]
category = "account/security"
weight = 3
aliases = ["/old/pw/", "/older/pw.html"]
slug = "reset-password"
url = "/en/custom/path/"
internal = true
product_version = "4.2"
Audience = "admins"
+++

Body **here**.
"""

JSON = """{
  "title": "Resetting a password",
  "date": "2024-03-01",
  "lastmod": "2024-05-02T09:30:00+09:00",
  "draft": true,
  "translationKey": "pw-reset",
  "description": "How to reset it.",
  "keywords": ["password", "login"],
  "category": "account/security",
  "weight": 3,
  "aliases": ["/old/pw/", "/older/pw.html"],
  "slug": "reset-password",
  "url": "/en/custom/path/",
  "internal": true,
  "product_version": "4.2",
  "Audience": "admins"
}

Body **here**.
"""


@pytest.mark.parametrize("text", [YAML, TOML, JSON], ids=["yaml", "toml", "json"])
def test_every_front_matter_format_gives_the_same_fields(text):
    source = parse_source("en/account/pw.md", text.encode())
    assert source.problems == []
    assert source.title == "Resetting a password"
    assert source.date == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert source.lastmod == dt.datetime(2024, 5, 2, 0, 30, tzinfo=UTC)
    assert source.draft is True and source.internal is True
    assert source.translation_key == "pw-reset"
    assert source.description == "How to reset it."
    assert source.keywords == ["password", "login"]
    assert source.category == "account/security"
    assert source.weight == 3
    assert source.aliases == ["/old/pw/", "/older/pw.html"]
    assert source.slug == "reset-password"
    assert source.url == "/en/custom/path/"
    # unknown keys stay available to templates, with the writer's spelling
    assert source.params["product_version"] == "4.2"
    assert source.params["Audience"] == "admins"
    assert source.raw_body.strip() == "Body **here**."


def test_field_names_are_case_insensitive_like_hugo():
    source = parse_source("en/a.md", b"---\nTitle: A\nTranslationKey: k\nDraft: true\n---\nx\n")
    assert (source.title, source.translation_key, source.draft) == ("A", "k", True)


def test_string_forms_of_keywords_and_aliases():
    source = parse_source("en/a.md", b"---\ntitle: A\nkeywords: one, two ,three\naliases: /old/\n---\n")
    assert source.keywords == ["one", "two", "three"]
    assert source.aliases == ["/old/"]


def test_naive_datetime_is_taken_as_utc_and_dates_as_midnight():
    source = parse_source("en/a.md", b"---\ntitle: A\ndate: 2024-01-02 03:04:05\nlastmod: '2024-02-03'\n---\n")
    assert source.date == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert source.lastmod == dt.datetime(2024, 2, 3, tzinfo=UTC)


def problem_of(path: str, data: bytes):
    source = parse_source(path, data)
    assert len(source.problems) == 1, source.problems
    return source.problems[0]


def test_without_a_title_the_file_name_gives_one_with_an_info_line():
    source = parse_source("en/getting_started-now.md", b"---\ndescription: no title\n---\nx\n")
    assert source.title == "Getting started now"
    [problem] = source.problems
    assert problem.severity == "info" and problem.field == "title" and "file name" in problem.message
    assert parse_source("en/guide/index.md", b"x\n").title == "Guide"  # a bundle: its folder's name
    assert parse_source("en/_index.md", b"---\ndescription: d\n---\n").problems == []


def test_bad_yaml_is_located_on_its_line():
    problem = problem_of("en/a.md", b"---\ntitle: A\ndescription: [unclosed\nweight: 1\n---\nx\n")
    assert "YAML" in problem.message
    assert problem.line in (3, 4, 5)
    assert problem.hint


def test_bad_toml_front_matter_is_reported():
    problem = problem_of("en/a.md", b"+++\ntitle = \"A\"\nweight = = 1\n+++\n")
    assert "TOML" in problem.message and problem.line == 3


def test_unclosed_front_matter_says_what_to_add():
    problem = problem_of("en/a.md", b"---\ntitle: A\n\nBody without a closing fence.\n")
    assert "never closed" in problem.message and problem.line == 1


def test_wrong_types_name_field_and_line():
    problem = problem_of("en/a.md", b"---\ntitle: A\nweight: heavy\n---\n")
    assert problem.field == "weight" and problem.line == 3
    problem = problem_of("en/a.md", b"---\ntitle: A\ndraft: 'yes'\n---\n")
    assert problem.field == "draft"


def test_bad_date_names_field_and_format():
    problem = problem_of("en/a.md", b"---\ntitle: A\n\ndate: last tuesday\n---\n")
    assert problem.field == "date" and problem.line == 4
    assert "YYYY-MM-DD" in problem.hint


def test_slug_with_a_slash_is_rejected():
    problem = problem_of("en/a.md", b"---\ntitle: A\nslug: a/b\n---\n")
    assert problem.field == "slug"


def test_non_utf8_file_is_reported_with_its_line():
    problem = problem_of("en/a.md", "---\ntitle: A\n---\n\ncaf\u00e9\n".encode("latin-1"))
    assert "UTF-8" in problem.message and problem.line == 5
    # printed as "content/en/a.md:5: error: <message>": the sentence needs its subject
    assert problem.message.startswith("the file is not UTF-8"), problem.message


def test_bom_and_crlf_are_accepted():
    source = parse_source("en/a.md", b"\xef\xbb\xbf---\r\ntitle: A\r\n---\r\nBody\r\n")
    assert source.problems == [] and source.title == "A"


def test_first_heading_is_the_title_and_leaves_the_body():
    source = parse_source("en/a.md", b"\n# Just markdown\n\nText on line 4.\n")
    assert source.title == "Just markdown" and source.problems[0].severity == "info"
    assert "Just markdown" not in source.raw_body and source.raw_body.lstrip("\n").startswith("Text")
    assert source.body_line + source.raw_body.count("\n", 0, source.raw_body.index("Text")) == 4
    setext = parse_source("en/b.md", b"Setext title\n============\n\nBody.\n")
    assert setext.title == "Setext title"
    later = parse_source("en/c.md", b"Intro.\n\n```sh\n# not a heading\n```\n\n# Real heading\n")
    assert later.title == "Real heading" and "Intro." in later.raw_body


@pytest.mark.parametrize("path, text", [
    ("en/_includes/note.md", b"A fragment.\n"),
    ("en/guide/_partials/deep/x.md", b"---\ntitle: X\n---\n"),
    ("en/guide/snippet.md", b"---\nheadless: true\n---\n"),
    ("en/guide/list-only.md", b"---\ntitle: L\nbuild:\n  render: never\n---\n"),
    ("en/guide/old.md", b"---\ntitle: L\n_build:\n  render: false\n---\n"),
])
def test_fragments_and_headless_files_are_not_pages(path, text):
    source = parse_source(path, text)
    assert source.headless and not [p for p in source.problems if p.severity != "info"]
    assert source.problems == [], "a fragment needs no title"


def test_empty_values_mean_unset_and_a_category_list_files_by_its_first():
    source = parse_source("en/a.md", b"---\ntitle: A\ndraft:\ncategory: [concept, technology]\n---\n")
    assert source.problems == [] and source.draft is False and source.category == "concept"


def test_scan_reports_unknown_language_folders_and_stray_files(tmp_path):
    root = make_site(tmp_path, {
        "en/a.md": article("A"),
        "fr/b.md": article("B"),
        "README.md": "stray",
        "en/.hidden.md": "ignored",
        "en/.DS_Store": "junk",
        "en/guide.pdf": b"%PDF",
    })
    content = load_content(root / "content", ["en", "ja"])
    assert [s.path for s in content.sources] == ["en/a.md"]
    assert [f.path for f in content.files] == ["en/guide.pdf"] and content.files[0].size == 4
    errors = [p for p in content.problems if p.severity == "error"]
    warnings = [p for p in content.problems if p.severity == "warning"]
    assert len(errors) == 1 and errors[0].file == "content/fr/" and "[languages.fr]" in errors[0].hint
    assert len(warnings) == 1 and warnings[0].file == "content/README.md"


def test_parsing_is_cached_and_the_cache_follows_edits(tmp_path):
    root = make_site(tmp_path, {"en/a.md": article("First", "One")})
    cache = tmp_path / "cache"
    first = load_content(root / "content", ["en"], cache_dir=cache)
    assert first.sources[0].title == "First"
    assert any(cache.rglob("*")), "nothing was cached"
    again = load_content(root / "content", ["en"], cache_dir=cache)
    assert again.sources[0].body.html == first.sources[0].body.html
    (root / "content/en/a.md").write_text(article("Second", "Two"), encoding="utf-8")
    edited = load_content(root / "content", ["en"], cache_dir=cache)
    assert edited.sources[0].title == "Second" and "Two" in edited.sources[0].body.html


def test_problems_of_many_files_are_all_collected(tmp_path):
    files = {f"en/bad{i}.md": "---\nweight: 1\n---\n" for i in range(50)}  # > 40: the parallel path
    files["en/good.md"] = article("Good")
    root = make_site(tmp_path, files)
    content = load_content(root / "content", ["en"], workers=2)
    assert sorted(p.file for p in content.problems) == sorted(f"content/en/bad{i}.md" for i in range(50))


def test_link_lines_point_at_the_source_line():
    from kbgen.content import _render_one
    source = _render_one(("en/a.md", b"---\ntitle: A\n---\n\nIntro.\n\nSee [b](b.md).\n"))
    assert source.link_lines["b.md"] == 7


def test_impossible_yaml_date_is_a_problem_not_a_crash():
    problem = problem_of("en/a.md", b"---\ntitle: A\ndate: 2024-13-45\n---\n")
    assert "month must be in 1..12" in problem.message and "YYYY-MM-DD" in problem.hint


def test_a_wrong_value_names_the_field_as_the_writer_spelled_it():
    problem = problem_of("en/a.md", "---\ntitle: A\ntranslationKey: [a, b]\n---\nx\n".encode())
    assert problem.field == "translationKey" and "`translationKey`" in problem.hint and problem.line == 3


def test_a_hugo_site_may_keep_other_folders_beside_its_language_folders(tmp_path):
    from kbgen.content import scan
    root = make_site(tmp_path, {"en/a.md": article("A"), "internal/notes.md": article("Notes")})
    _, _, problems = scan(root / "content", ["en", "ja"], hugo_config=True)
    [warning] = problems
    assert warning.severity == "warning" and warning.file == "content/internal/"
    _, _, problems = scan(root / "content", ["en", "ja"])
    assert problems[0].severity == "error" and "unknown language folder" in problems[0].message


def test_a_reloaded_file_is_parsed_as_load_content_parses_it_and_not_read_again(tmp_path, monkeypatch):
    """kbgen serve re-parses a saved article on its own first (to show its page at once); the
    full rebuild that follows must then find it remembered, and see the same fields."""
    import dataclasses

    from kbgen import content as content_module
    from kbgen.content import reload_source

    root = make_site(tmp_path / "site", {"en/a.md": article("A", "First text."), "en/b.md": article("B", "Other.")})
    folder = root / "content"
    memory: dict = {}
    load_content(folder, ["en"], memory=memory)
    (folder / "en" / "a.md").write_text(article("A", "Second text, **bold**."), encoding="utf-8")
    reloaded = reload_source(folder, "en/a.md", memory=memory)
    assert "<strong>bold</strong>" in reloaded.body.html

    parsed = []
    real_render_one = content_module._render_one
    monkeypatch.setattr(content_module, "_render_one", lambda args: parsed.append(args[0]) or real_render_one(args))
    loaded = {source.path: source for source in load_content(folder, ["en"], memory=memory).sources}
    assert parsed == [], "both files were remembered: nothing parsed again"
    assert loaded["en/a.md"] is reloaded
    fresh = load_content(folder, ["en"]).sources[0]   # a new process's view of the same file
    assert {f.name: getattr(fresh, f.name) for f in dataclasses.fields(fresh) if f.name != "body"} == \
        {f.name: getattr(reloaded, f.name) for f in dataclasses.fields(reloaded) if f.name != "body"}
    assert fresh.body.html == reloaded.body.html
