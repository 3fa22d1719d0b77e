"""Where a theme's files come from: the site's own ``themes/<name>/`` overrides the
bundled theme of that name file by file."""
from __future__ import annotations

import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path

from pygments.formatters import HtmlFormatter
from pygments.styles import get_all_styles

from .config import Config
from .errors import ConfigError, Problem

PACKAGE_DIR = Path(__file__).parent
SHARED_TEMPLATES = PACKAGE_DIR / "templates"
KBGEN_ASSETS = PACKAGE_DIR / "assets"


def bundled_themes_dir() -> Path:
    packaged = PACKAGE_DIR / "_themes"  # where the wheel puts them
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "themes"


def bundled_theme_names() -> list[str]:
    return sorted(p.name for p in bundled_themes_dir().iterdir() if (p / "templates").is_dir())


def existing_theme_dirs(theme: str, themes_dir: Path) -> tuple[Path, ...]:
    """The site's ``themes/<theme>/`` and the bundled theme of that name, those that exist,
    highest priority first (the API reads the same strings files through this)."""
    found: list[Path] = []
    for candidate in (themes_dir / theme, bundled_themes_dir() / theme):
        if candidate.is_dir() and candidate.resolve() not in [f.resolve() for f in found]:
            found.append(candidate)
    return tuple(found)


def theme_dirs(config: Config) -> tuple[Path, ...]:
    """Highest priority first; the site's folder may hold only the files it overrides."""
    found = existing_theme_dirs(config.theme, config.themes_dir)
    if not any((d / "templates").is_dir() for d in found):
        raise ConfigError([Problem(config.path.name, None, "theme", f"unknown theme {config.theme!r}",
                                   f"use one of: {', '.join(bundled_theme_names())}, or create themes/{config.theme}/templates/")])
    return tuple(found)


def theme_settings(dirs: tuple[Path, ...]) -> dict:
    settings: dict = {}
    for directory in reversed(dirs):
        path = directory / "theme.toml"
        if path.is_file():
            settings.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return settings


def static_files(dirs: tuple[Path, ...]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for directory in reversed(dirs):
        static = directory / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(static).as_posix()] = path
    return files


@lru_cache(maxsize=16)
def pygments_css(light: str, dark: str) -> str:
    known = set(get_all_styles())
    light = light if light in known else "default"
    dark = dark if dark in known else "monokai"
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    indented = "\n".join("  " + line for line in dark_css.splitlines())
    return f"/* Pygments {light} (light) and {dark} (dark) */\n{light_css}\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"


def fingerprint(dirs: tuple[Path, ...]) -> str:
    """Changes whenever any template, string or setting of the theme changes (page cache key)."""
    digest = hashlib.sha256()
    for directory in (*dirs, SHARED_TEMPLATES):
        for path in sorted(directory.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".toml", ".xml", ".txt"):
                digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]
