"""UI strings: the bundled translations, overridden per theme, language by language."""
from __future__ import annotations

from conftest import article
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


def test_every_string_the_builder_asks_for_exists_in_english_and_japanese():
    """A missing key is shown to readers as the key itself ("feed_subtitle"), so every key
    used from Python, literal or from a known family, must exist in both bundled files."""
    import re
    import tomllib
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "kbgen"
    source = "\n".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py")
                       if "api" not in path.parts and path.name != "ui_strings.py")
    literal = set(re.findall(r"""(?:\bt|translator|translators\[[^\]]+\]|ui_string\([^,]+,)\s*\(?\s*["']([a-z][a-z0-9_]+)["']""",
                             source))
    families = {"app_": ("tickets", "account", "community", "feedback", "roadmap"),
                "callout_": ("note", "tip", "important", "warning", "caution")}
    assert {"feed_subtitle", "search_title", "not_found_title", "home"} <= literal, "the scan finds the builder's keys"
    wanted = literal | {prefix + name for prefix, names in families.items() for name in names}
    for lang in ("en", "ja"):
        strings = tomllib.loads((package / "i18n" / f"{lang}.toml").read_text(encoding="utf-8"))
        assert sorted(wanted - set(strings)) == [], f"missing from kbgen/i18n/{lang}.toml"


def test_every_edit_of_a_theme_string_file_shows_in_the_next_build_of_the_same_process(site):
    """kbgen serve rebuilds in one process: the second edit of a theme's i18n/en.toml never showed
    (the parsed file was cached by its path for the life of the process)."""
    from kbgen.build import BuildOptions, build

    root = site({"en/a.md": article("A"), "ja/a.md": article("A ja")})
    strings = root / "themes" / "classic" / "i18n" / "en.toml"
    strings.parent.mkdir(parents=True)
    output = root / "out"
    for wording in ("Skip to the first words", "Skip to the second words", "Skip to the third words"):
        strings.write_text(f'skip_to_content = "{wording}"\n', encoding="utf-8")
        build(root, BuildOptions(output_dir=output, in_place=True))
        assert wording in (output / "en" / "index.html").read_text(encoding="utf-8"), wording
