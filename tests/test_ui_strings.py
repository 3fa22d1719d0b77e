"""UI strings: the bundled translations, overridden per theme, language by language."""
from __future__ import annotations

from kbgen.ui_strings import Translator


def test_a_theme_overriding_an_english_string_leaves_the_japanese_translation(tmp_path):
    theme = tmp_path / "themes" / "classic"
    (theme / "i18n").mkdir(parents=True)
    (theme / "i18n" / "en.toml").write_text(
        'search_placeholder = "Search our docs…"\nnew_banner = "New: dark mode"\n', encoding="utf-8")
    assert Translator("en", (theme,))("search_placeholder") == "Search our docs…"
    japanese = Translator("ja", (theme,))
    assert japanese("search_placeholder") == "記事を検索…", "Japanese pages must not turn English"
    assert japanese("new_banner") == "New: dark mode", "a string only the theme has still falls back to English"


def test_a_theme_translation_wins_over_the_bundled_one(tmp_path):
    theme = tmp_path / "themes" / "classic"
    (theme / "i18n").mkdir(parents=True)
    (theme / "i18n" / "ja.toml").write_text('search_placeholder = "ドキュメントを検索…"\n', encoding="utf-8")
    assert Translator("ja", (theme,))("search_placeholder") == "ドキュメントを検索…"
    assert Translator("en", (theme,))("search_placeholder") == "Search articles…"
