"""Every word the portal shows, per language: the templates' (navigation, buttons, dates), the
browser modules' (``js_<namespace>_<key>``), the agent page's (``agent_*``) and the mails' (``mail_*``).

Strings live in ``kbgen/i18n/<lang>.toml``; a theme (bundled, or the site's own ``themes/<name>/``)
may override any of them in ``themes/<name>/i18n/<lang>.toml``, and adds a language with one such
file. A language without a file falls back to English.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from functools import lru_cache
from pathlib import Path

BUNDLED = Path(__file__).parent / "i18n"
FALLBACK_LANGUAGE = "en"


def _load(path: Path) -> dict[str, str]:
    # Read on every call (a few small files per build), parsed once per content: kbgen serve
    # rebuilds in one process, and an edit must show however often the file changes.
    if not path.is_file():
        return {}
    return dict(_parse(path.read_bytes()))


@lru_cache(maxsize=64)
def _parse(data: bytes) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in tomllib.loads(data.decode("utf-8")).items())


def strings_for(lang: str, theme_dirs: tuple[Path, ...] = ()) -> dict[str, str]:
    """English (bundled, then the themes') is the fallback; the language's own strings (bundled,
    then the themes') win over it, so a theme that rewords an English string only leaves the
    other languages' translations alone."""
    merged: dict[str, str] = {}
    for code in dict.fromkeys((FALLBACK_LANGUAGE, lang)):
        merged.update(_load(BUNDLED / f"{code}.toml"))
        for theme_dir in reversed(theme_dirs):
            merged.update(_load(theme_dir / "i18n" / f"{code}.toml"))
    return merged


BROWSER_PREFIX = "js_"
# Intl.PluralRules categories: "<key>_<category>" is a plural form of "<key>" in the browser
_PLURAL_FORM = re.compile(r"^(.+)_(zero|one|two|few|many|other)$")


def browser_strings(lang: str, theme_dirs: tuple[Path, ...] = ()) -> dict[str, str]:
    """The strings the browser modules use: the ``js_<namespace>_<key>`` keys, merged exactly as
    templates see them, without the ``js_`` prefix. English fills gaps, except a plural form of a
    key the language translates itself: German's own ``votes`` must not pick up English's
    ``votes_one``."""
    merged = strings_for(lang, theme_dirs)
    own: set[str] = set()
    if lang != FALLBACK_LANGUAGE:
        own.update(_load(BUNDLED / f"{lang}.toml"))
        for theme_dir in theme_dirs:
            own.update(_load(theme_dir / "i18n" / f"{lang}.toml"))
    table = {}
    for key, value in merged.items():
        if not key.startswith(BROWSER_PREFIX):
            continue
        form = _PLURAL_FORM.match(key)
        if form and form.group(1) in own and key not in own:
            continue
        table[key[len(BROWSER_PREFIX):]] = value
    return dict(sorted(table.items()))


def widget_strings(lang: str, theme_dirs: tuple[Path, ...] = ()) -> dict[str, str]:
    """A search widget's words (it runs on other sites, so they travel in its own script)."""
    return {key[len("widget_"):]: value for key, value in browser_strings(lang, theme_dirs).items()
            if key.startswith("widget_")}


def browser_strings_script(lang: str, theme_dirs: tuple[Path, ...] = ()) -> bytes:
    """assets/kbgen/strings/<lang>.js: a classic script (it must load from file:// too) that
    hands the page's words to kbgen/assets/js/strings.js before the bundle runs."""
    data = json.dumps(browser_strings(lang, theme_dirs), ensure_ascii=False, indent=0, sort_keys=True)
    return ("/* kbgen UI strings: generated from the i18n TOML files, do not edit */\n"
            f"(globalThis.__kbgenStrings = globalThis.__kbgenStrings || {{}})[{json.dumps(lang)}] = {data};\n").encode("utf-8")


def site_theme_dirs(config_file: Path, theme: str, themes_dir: str) -> tuple[Path, ...]:
    """The theme folders of the site whose kbgen.toml is `config_file` (its validated `theme` and
    `themes_dir`), for code that has no built Config: the API serves the agent pages' words with
    the site's overrides."""
    from .themes import existing_theme_dirs
    return existing_theme_dirs(theme, Path(config_file).parent / themes_dir)


def ui_string(lang: str, key: str, default: str | None = None) -> str:
    return strings_for(lang).get(key, default if default is not None else key)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(BUNDLED.glob("*.toml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


class Translator:
    """``t("key", n=3)`` in templates."""

    def __init__(self, lang: str, theme_dirs: tuple[Path, ...] = ()):
        self.lang = lang
        self.strings = strings_for(lang, theme_dirs)

    def __call__(self, key: str, **values) -> str:
        text = self.strings.get(key, key)
        # "1 article": a language's "_one" form for n = 1, when it has one (Japanese has none)
        if values.get("n") == 1 and f"{key}_one" in self.strings:
            text = self.strings[f"{key}_one"]
        return text.format(**values) if values else text

    def format_date(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.date()
        pattern = self.strings.get("date_format")
        if pattern:
            return pattern.format(year=value.year, month=value.month, day=value.day,
                                  month_name=self.strings.get(f"month_{value.month}", str(value.month)))
        if self.lang == "ja":
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%B %-d, %Y")
