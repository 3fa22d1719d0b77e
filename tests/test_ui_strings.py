"""UI strings: the bundled translations, overridden per theme, language by language."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

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


# --- The browser's words (js_<namespace>_<key>), from the same files -------------------------------

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "kbgen"
# Which i18n keys a module's translator variables read: {file: {variable: key prefix}}. A new
# module that shows words goes here (the test below fails until it does).
BROWSER_MODULES = {
    "assets/js/account.js": {"t": "js_portal_"},
    "assets/js/rating.js": {"t": "js_portal_"},
    "assets/js/tickets.js": {"t": "js_portal_", "r": "js_resend_"},
    "assets/js/chat.js": {"t": "js_chat_"},
    "assets/js/forum.js": {"t": "js_forum_"},
    "assets/js/feedback.js": {"t": "js_feedback_"},
    "assets/js/search-ui.js": {"text": "js_search_"},
    "assets/js/_widget.js": {"text": "js_widget_"},
    "assets/js/api-client.js": {"say": "js_api_"},
    "api/agent/agent.js": {"t": "agent_"},
    "api/agent/agent-common.js": {"t": "agent_"},
    "api/agent/chat.js": {"t": "agent_"},
    "api/agent/forum-moderation.js": {"t": "agent_mod_"},
    "api/agent/signin.js": {"say": "agent_"},
}
PLURAL = re.compile(r"_(zero|one|two|few|many|other)$")


def _keys_used(source: str, variable: str) -> tuple[set[str], set[str]]:
    """Literal keys and prefixes of template-literal keys (t(`status_${s}`)) passed to `variable`."""
    call = rf"(?<![\w.]){re.escape(variable)}\(\s*"
    literal = set(re.findall(call + r"'([a-z][a-z0-9_]*)'", source))
    for choice in re.findall(call + r"[^()'`]*\?\s*'([a-z0-9_]+)'\s*:\s*'([a-z0-9_]+)'", source):
        literal.update(choice)
    prefixes = set(re.findall(call + r"`([a-z0-9_]*)\$\{", source))
    return literal, prefixes


def _exported_function_bodies(source: str, names: set[str]) -> str:
    bodies = []
    for name in names:
        match = re.search(rf"^export (?:async )?function {name}\(.*?^\}}$", source, re.S | re.M)
        if match:
            bodies.append(match.group(0))
    return "\n".join(bodies)


def _wanted_keys() -> dict[str, tuple[set[str], set[str]]]:
    """{file: (keys, key prefixes)} with the i18n prefix, including the keys of helpers a module
    imports and calls with its own translator (feedback.js uses forum.js' pager, sign-in prompt…)."""
    wanted = {}
    for file, variables in BROWSER_MODULES.items():
        source = (PACKAGE / file).read_text(encoding="utf-8")
        keys, prefixes = set(), set()
        for variable, prefix in variables.items():
            literal, dynamic = _keys_used(source, variable)
            for match in re.finditer(r"^import \{([^}]*)\} from '\./([\w-]+\.js)';", source, re.M):
                helper = (PACKAGE / "assets" / "js" / match.group(2)).read_text(encoding="utf-8")
                names = {part.strip().split(" as ")[0] for part in match.group(1).split(",") if part.strip()}
                more, more_dynamic = _keys_used(_exported_function_bodies(helper, names), "t")
                if variable == "t" and prefix.startswith("js_") and match.group(2) != "portal-ui.js":
                    literal |= more
                    dynamic |= more_dynamic
            keys |= {prefix + key for key in literal}
            prefixes |= {prefix + key for key in dynamic}
        wanted[file] = (keys, prefixes)
    return wanted


def _shipped_languages() -> dict[str, tuple[str, tuple[Path, ...]]]:
    """Every shipped strings file: the bundled languages, and each bundled theme's languages
    (a theme may add a language of its own), as {label: (language, theme folders)}."""
    from kbgen.themes import bundled_themes_dir
    shipped = {f"kbgen/i18n/{p.name}": (p.stem, ()) for p in sorted((PACKAGE / "i18n").glob("*.toml"))}
    for theme in sorted(bundled_themes_dir().iterdir()):
        for lang in sorted({p.stem for p in (PACKAGE / "i18n").glob("*.toml")} | {p.stem for p in (theme / "i18n").glob("*.toml")}):
            shipped[f"themes/{theme.name} ({lang})"] = (lang, (theme,))
    return shipped


def test_every_key_a_browser_module_uses_exists_in_every_shipped_language():
    """A missing key shows as the key itself ("with_agent"): every key any browser module uses
    must be in every language's own file (English filling it in would be a page in two languages)."""
    wanted = _wanted_keys()
    assert {"js_chat_with_agent", "js_forum_votes", "js_feedback_sign_in", "js_resend_too_long", "js_search_results_for",
            "js_widget_popular", "js_portal_optional", "agent_inbox"} <= set().union(*(keys for keys, _ in wanted.values())), \
        "the scan finds the modules' keys, including those of forum.js helpers that feedback.js calls"
    for label, (lang, themes) in _shipped_languages().items():
        own = set()
        from kbgen.ui_strings import BUNDLED
        own.update(tomllib.loads((BUNDLED / f"{lang}.toml").read_text(encoding="utf-8")) if (BUNDLED / f"{lang}.toml").is_file() else {})
        for theme in themes:
            path = theme / "i18n" / f"{lang}.toml"
            if path.is_file():
                own.update(tomllib.loads(path.read_text(encoding="utf-8")))
        for file, (keys, prefixes) in wanted.items():
            assert sorted(keys - own) == [], f"{label}: missing strings of {file}"
            assert [p for p in prefixes if not any(k.startswith(p) for k in own)] == [], f"{label}: no {prefixes} strings for {file}"


def test_every_module_that_makes_a_translator_is_checked():
    makers = re.compile(r"\b(?:uiText|textFor|portalText|chatText|resendText|searchText|translator)\(")
    for path in sorted((PACKAGE / "assets" / "js").glob("*.js")) + sorted((PACKAGE / "api" / "agent").glob("*.js")):
        if path.name.endswith(".test.js") or path.name in ("strings.js", "portal-ui.js"):
            continue
        relative = path.relative_to(PACKAGE).as_posix()
        if makers.search(path.read_text(encoding="utf-8")):
            assert relative in BROWSER_MODULES, f"{relative} shows words: add it to BROWSER_MODULES"


def test_every_language_translates_every_browser_string():
    files = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in (PACKAGE / "i18n").glob("*.toml")}
    english = {k for k in files["en"] if k.startswith("js_") and not PLURAL.search(k)}
    for lang, strings in files.items():
        assert sorted(english - set(strings)) == [], f"kbgen/i18n/{lang}.toml lacks browser strings"
        assert sorted(k for k in strings if k.startswith("js_") and not PLURAL.search(k) and k not in english) == [], \
            f"kbgen/i18n/{lang}.toml has browser strings English does not"


def test_a_plural_form_comes_from_the_language_that_translates_the_word(tmp_path):
    from kbgen.ui_strings import browser_strings

    theme = tmp_path / "themes" / "classic"
    (theme / "i18n").mkdir(parents=True)
    (theme / "i18n" / "de.toml").write_text('js_forum_votes = "{n} Stimmen"\n', encoding="utf-8")
    german = browser_strings("de", (theme,))
    assert german["forum_votes"] == "{n} Stimmen"
    assert "forum_votes_one" not in german, "German's own word must not take English's '1 vote'"
    assert german["forum_answers_n_one"] == "1 answer", "an untranslated word falls back to English with its forms"
    assert browser_strings("en")["forum_votes_one"] == "1 vote"


def test_no_browser_module_carries_a_string_table_of_its_own():
    """Words belong in the i18n files (one file per language), not in an en/ja table in a module:
    move such strings to js_<namespace>_<key> keys (see docs/ARCHITECTURE.md, Browser code)."""
    table = re.compile(r"^\s*(?:en|ja)\s*:\s*\{", re.M)
    for path in sorted((PACKAGE / "assets" / "js").glob("*.js")) + sorted((PACKAGE / "api" / "agent").glob("*.js")):
        if not path.name.endswith(".test.js"):
            assert not table.search(path.read_text(encoding="utf-8")), f"{path.relative_to(PACKAGE)} has its own en/ja table"
