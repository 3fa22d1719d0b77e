"""kbgen init / kbgen new: starting points that build as they are."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import build_site, make_site
from kbgen.content import parse_source
from kbgen.errors import KbgenError
from kbgen.scaffold import article_slug, init_site, new_article


def test_init_writes_a_bilingual_site_that_builds_without_warnings(tmp_path):
    written = init_site(tmp_path / "kb")
    names = {p.relative_to(tmp_path / "kb").as_posix() for p in written}
    assert {"kbgen.toml", ".gitignore", "content/en/getting-started/welcome.md",
            "content/ja/getting-started/welcome.md"} <= names
    result = build_site(tmp_path / "kb", "--strict")
    assert result.exit_code == 0, result.output
    out = tmp_path / "kb/output"
    assert (out / "en/getting-started/welcome/index.html").is_file()
    assert (out / "ja/getting-started/welcome/index.html").is_file()
    assert "ようこそ" in (out / "ja/getting-started/welcome/index.html").read_text(encoding="utf-8")


def test_init_refuses_an_existing_site_or_content(tmp_path):
    init_site(tmp_path / "kb")
    with pytest.raises(KbgenError, match="already"):
        init_site(tmp_path / "kb")
    (tmp_path / "other/content/en").mkdir(parents=True)
    (tmp_path / "other/content/en/x.md").write_text("x")
    with pytest.raises(KbgenError, match="not empty"):
        init_site(tmp_path / "other")


@pytest.mark.parametrize("title, slug", [
    ("Reset your password", "reset-your-password"),
    ("What's new in 2.0?", "whats-new-in-20"),
    ("パスワードを再設定する", "パスワードを再設定する"),
    ("SSO: Okta / Azure AD", "sso-okta-azure-ad"),
    ("!!!", "article"),
])
def test_article_slugs(title, slug):
    assert article_slug(title) == slug


def test_new_article_has_front_matter_that_parses(tmp_path):
    path = new_article(tmp_path / "content", ["en", "ja"], 'Say "hello" to SSO', "ja", "アカウント/Security Keys",
                       translation_key="sso-hello", internal=True)
    assert path == tmp_path / "content/ja/アカウント/security-keys/say-hello-to-sso.md"
    source = parse_source("ja/アカウント/security-keys/say-hello-to-sso.md", path.read_bytes())
    assert source.problems == []
    assert source.title == 'Say "hello" to SSO'
    assert source.translation_key == "sso-hello" and source.internal is True
    assert source.date.date() == dt.date.today()


def test_new_article_refuses_unknown_language_and_existing_file(tmp_path):
    with pytest.raises(KbgenError, match="--lang fr"):
        new_article(tmp_path, ["en"], "T", "fr", None)
    new_article(tmp_path, ["en"], "T", "en", None)
    with pytest.raises(KbgenError, match="already exists"):
        new_article(tmp_path, ["en"], "T", "en", None)


@pytest.mark.parametrize("title", ["yes", "No", "null", "2026", "on"])
def test_new_article_with_a_yaml_keyword_title_builds(tmp_path, title):
    root = make_site(tmp_path / "site", {})
    new_article(root / "content", ["en", "ja"], title, "en", "faq")
    result = build_site(root)
    assert result.exit_code == 0, result.output


def test_new_article_refuses_an_empty_title_and_a_category_outside_the_content(tmp_path):
    with pytest.raises(KbgenError, match="title"):
        new_article(tmp_path / "content", ["en"], "  ", "en", None)
    with pytest.raises(KbgenError, match="--category"):
        new_article(tmp_path / "content", ["en"], "Escape", "en", "../../outside")
    assert not (tmp_path / "outside").exists() and not list(tmp_path.rglob("*.md"))
