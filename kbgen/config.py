"""kbgen.toml: read, validate and default every option in one place.

Every problem names the file, the line and the dotted key; unknown keys are warnings, so a typo
is noticed without breaking a build that otherwise works. The API's sections ([api], [tickets],
[chat], [community], [forum], [feedback]) are validated by the API's own parsers from here too,
so `kbgen check` and `kbgen build` report their problems together with the site's.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from .errors import ConfigError, Problem

CONFIG_FILE = "kbgen.toml"

# Sections owned by other parts of kbgen (the API, community, chat): parsed where they are used,
# checked from here by `_delegated_problems`.
DELEGATED_SECTIONS = {"api", "tickets", "chat", "forum", "feedback", "community", "documents", "ratings"}

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class Language:
    code: str
    name: str
    title: str
    description: str = ""


@dataclass
class Widget:
    name: str
    language: str
    categories: list[str]
    title: str | None = None
    max_results: int = 5


@dataclass
class Config:
    path: Path
    root: Path
    title: str
    base_url: str
    theme: str
    languages: dict[str, Language]
    default_language: str
    content_dir: Path
    output_dir: Path
    internal_output_dir: Path
    themes_dir: Path
    cache_dir: Path
    recent_count: int = 8
    related_count: int = 5
    summary_length: int = 200
    precache_limit_kb: int = 5000
    api_url: str = "/api"
    portal_path: str = "_portal"                      # [portal] path (see parse_portal_and_markdown)
    markdown_extensions: list[str] = field(default_factory=list)
    markdown_extension_configs: dict[str, dict] = field(default_factory=dict)
    widgets: dict[str, Widget] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, e.g. "/help/"."""
        return urlsplit(self.base_url).path or "/"

    def absolute(self, site_path: str) -> str:
        return self.base_url + site_path

    def with_base_url(self, base_url: str) -> "Config":
        parts = urlsplit(base_url)
        if not (parts.scheme in ("http", "https") and parts.netloc):
            raise ConfigError([Problem("--base-url", None, None, f"must be an absolute http(s) URL, got {base_url!r}",
                                       "for example --base-url https://example.com/help/")])
        self.base_url = _normalize_base_url(base_url)
        return self


def unsafe_output_dir(config: "Config", target: Path) -> str | None:
    """Why a build must not write to ``target`` (None when it may). The writer replaces the
    whole folder, so it must never be one that holds the site's sources."""
    target = Path(target).resolve()
    for name, folder in (("the site folder", config.root), ("the content folder", config.content_dir),
                         ("the themes folder", config.themes_dir), ("the configuration file", config.path)):
        if target == folder or target in folder.parents:
            return f"{target} would replace {name} ({folder})"
    if config.content_dir in target.parents:
        return f"{target} is inside the content folder"
    if target == Path.home().resolve():
        return f"{target} is your home folder"
    return None


def _normalize_base_url(value: str) -> str:
    return value if value.endswith("/") else value + "/"


class _Reader:
    """Typed access to a TOML table that records problems instead of raising at the first."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def error(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.file, None, key, message, hint, "error"))

    def take(self, table: dict, key: str, prefix: str, kind: type | tuple, default: Any = None, required: bool = False):
        dotted = f"{prefix}{key}"
        if key not in table:
            if required:
                self.error(dotted, "is required", f"add `{key} = …` to {self.file}")
            return default
        value = table[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(dotted, f"expected {_article(expected)}, got {type(value).__name__} {value!r}")
            return default
        return value

    def warn_unknown(self, table: dict, known: set[str], prefix: str) -> None:
        for key in sorted(set(table) - known):
            self.problems.append(Problem(
                self.file, None, f"{prefix}{key}", "unknown option, ignored",
                "check the spelling against the README's configuration reference", "warning"))


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


TOP_LEVEL = {
    "title", "base_url", "theme", "default_language", "languages", "content_dir", "output_dir",
    "internal_output_dir", "themes_dir", "cache_dir", "recent_count", "related_count",
    "summary_length", "search", "widgets", "params", "portal", "markdown",
} | DELEGATED_SECTIONS


def load_config(root: Path | str = ".", path: Path | str | None = None) -> Config:
    root = Path(root).resolve()
    config_path = Path(path).resolve() if path else root / CONFIG_FILE
    shown = config_path.name if config_path.parent == root else str(config_path)
    if not config_path.is_file():
        hugo = None if path else next((root / name for name in HUGO_CONFIG_FILES if (root / name).is_file()), None)
        if hugo is not None:
            return _config_from_hugo(hugo, root)
        where = str(config_path.parent) if config_path.parent.is_dir() else f"{config_path.parent} (no such folder)"
        raise ConfigError([Problem(shown, message=f"no configuration file found in {where}",
                                   hint="run kbgen in a site folder, or create one with `kbgen init DIR`")])
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([Problem(shown, message="the file is not UTF-8 text", hint="save the file as UTF-8")])
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_toml_error(str(exc))
        hint = "fix the syntax at that line" if line else "a table or string is probably left open: check the end of the file"
        raise ConfigError([Problem(shown, line, None, f"invalid TOML: {exc}", hint)])
    return parse_config(raw, root=config_path.parent, file=shown, path=config_path,
                        text=config_path.read_text(encoding="utf-8"))


TABLE_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$")


def key_line(text: str, dotted: str) -> int | None:
    """The line of `text` (TOML) that sets `dotted` ("api.database_url", "tickets.fields[1].name",
    "chat.hours.mon"): the key in its table (the n-th `[[table]]` for `[n]`), else the table's
    header, else where its parent is set."""
    index = re.search(r"\[(\d+)\]", dotted)
    wanted = int(index.group(1)) if index else 0
    parts = re.sub(r"\[\d+\]", "", dotted).split(".")
    table, key = ".".join(parts[:-1]), parts[-1]
    current, header_line, seen, own = "", None, -1, -1
    for number, line in enumerate(text.splitlines(), 1):
        header = TABLE_HEADER.match(line)
        if header:
            current = ".".join(part.strip().strip('"') for part in header.group(1).split("."))
            if current == table and line.lstrip().startswith("[["):
                seen += 1
            if current == ".".join(parts):
                own += 1
                if header_line is None and own == (wanted if dotted.endswith("]") else 0):
                    header_line = number
        elif current == table and seen <= wanted and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            if seen in (-1, wanted):
                return number
    if header_line is None and len(parts) > 1:
        return key_line(text, re.sub(r"\.[^.]*$", "", dotted))
    return header_line


def _with_line(problem: Problem, text: str | None) -> Problem:
    if problem.line is not None or not text or not problem.field:
        return problem
    return replace(problem, line=key_line(text, problem.field))


def _delegated_problems(raw: dict, file: str, root: Path) -> list[Problem]:
    """The API sections, checked by the parsers the API runs with (nothing is written: no secret key)."""
    if not any(section in raw for section in DELEGATED_SECTIONS):
        return []
    from .api.settings import SettingsError, settings_from_dict, unknown_key_warnings

    problems = [Problem(file, None, key, "unknown option, ignored", "check the spelling against docs/API.md", "warning")
                for key in unknown_key_warnings(raw)]
    try:
        settings = settings_from_dict(raw, source=file, base_dir=root, check_only=True)
    except SettingsError as error:
        problems += [Problem(file, None, e.key, e.detail) for e in (error.problems or (error,))]
        # [chat] and [community] are still checked, against the languages and departments alone
        try:
            settings = settings_from_dict({k: raw[k] for k in ("languages", "tickets") if k in raw},
                                          source=file, base_dir=root, check_only=True)
        except SettingsError:
            settings = settings_from_dict({}, source=file, base_dir=root, check_only=True)
    return problems + _feature_section_problems(raw, file, settings)


def _feature_section_problems(raw: dict, file: str, settings) -> list[Problem]:
    from .api.settings import SettingsError

    problems = []
    checks: list[Callable[[], object]] = []
    if "chat" in raw:
        from .api.features.chat_settings import parse_chat_settings
        checks.append(lambda: parse_chat_settings(raw.get("chat"), settings, file))
    if any(section in raw for section in ("community", "forum", "feedback")):
        try:
            from .api.features.community import parse_community_settings
        except ImportError as error:   # the API extra is not installed: say so rather than pass silently
            problems.append(Problem(file, None, "community", f"not checked: the API is not installed ({error.name})",
                                    "pip install 'kbgen[api]'", "warning"))
        else:
            checks.append(lambda: parse_community_settings(raw, file))
    for check in checks:
        try:
            check()
        except SettingsError as error:
            match = re.match(r"^.*?: \[([\w.]+)\] (?:([\w.\[\]]+): )?(.*)$", error.message, re.S)
            key = ".".join(filter(None, match.groups()[:2])) if match else None
            problems.append(Problem(file, None, key, match.group(3) if match else error.message))
    return problems


HUGO_CONFIG_FILES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml")


def _config_from_hugo(path: Path, root: Path) -> Config:
    """A Hugo site without kbgen.toml builds as it is: title, baseURL and the languages
    come from Hugo's own configuration (multilingual by content folder, content/<lang>/)."""
    import json

    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            hugo = tomllib.loads(text)
        elif path.suffix == ".json":
            hugo = json.loads(text)
        else:
            hugo = yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError([Problem(path.name, None, None, f"cannot read Hugo configuration: {exc}",
                                   "fix it, or add a kbgen.toml (kbgen init shows one)")])
    lowered = {str(k).lower(): v for k, v in hugo.items()}
    default_language = str(lowered.get("defaultcontentlanguage", "en"))
    languages = {}
    for code, spec in (lowered.get("languages") or {default_language: {}}).items():
        spec = {str(k).lower(): v for k, v in (spec or {}).items()}
        languages[str(code)] = {"name": str(spec.get("languagename", code)),
                                "title": str(spec.get("title", lowered.get("title", "Help Center")))}
    raw = {"title": str(lowered.get("title", "Help Center")),
           "base_url": str(lowered.get("baseurl", "http://localhost:8000/")) or "http://localhost:8000/",
           "default_language": default_language, "languages": languages}
    config = parse_config(raw, root=root, file=path.name, path=path)
    config.warnings.append(Problem(path.name, None, None,
                                   "no kbgen.toml: title, base_url and languages were read from Hugo's configuration",
                                   "add a kbgen.toml to choose a theme, widgets and the API settings", "warning"))
    return config


def _line_from_toml_error(text: str) -> int | None:
    match = re.search(r"line (\d+)", text)
    return int(match.group(1)) if match else None


def parse_config(raw: dict, *, root: Path, file: str = CONFIG_FILE, path: Path | None = None,
                 text: str | None = None) -> Config:
    problems: list[Problem] = []
    r = _Reader(file, problems)
    r.warn_unknown(raw, TOP_LEVEL, "")

    title = r.take(raw, "title", "", str, "Help Center")
    base_url = r.take(raw, "base_url", "", str, "http://localhost:8000/")
    parts = urlsplit(base_url)
    if not (parts.scheme in ("http", "https") and parts.netloc):
        r.error("base_url", f"must be an absolute http(s) URL, got {base_url!r}",
                'for example base_url = "https://example.com/help/"')
    theme = r.take(raw, "theme", "", str, "classic")

    languages: dict[str, Language] = {}
    language_table = r.take(raw, "languages", "", dict, {})
    for code, spec in language_table.items():
        prefix = f"languages.{code}."
        if not LANGUAGE_CODE.match(code):
            r.error(f"languages.{code}", "is not a language code", "use codes such as en, ja, pt-BR")
            continue
        if not isinstance(spec, dict):
            r.error(f"languages.{code}", "expected a table", f'write [languages.{code}] with name = "…"')
            continue
        r.warn_unknown(spec, {"name", "title", "description"}, prefix)
        name = r.take(spec, "name", prefix, str, code)
        languages[code] = Language(code, name, r.take(spec, "title", prefix, str, title),
                                   r.take(spec, "description", prefix, str, ""))
    if not languages and not any(p.field and p.field.startswith("languages.") for p in problems):
        r.error("languages", "no language is configured",
                'add a table per language, e.g. [languages.en] with name = "English"')

    default_language = r.take(raw, "default_language", "", str, next(iter(languages), "en"))
    if languages and default_language not in languages:
        r.error("default_language", f"{default_language!r} is not one of the configured languages "
                f"({', '.join(languages)})")

    def folder(key: str, default: str) -> Path:
        return (root / r.take(raw, key, "", str, default)).resolve()

    def positive_int(table: dict, key: str, prefix: str, default: int) -> int:
        value = r.take(table, key, prefix, int, default)
        if value < 0:
            r.error(prefix + key, "must not be negative")
            return default
        return value

    search = r.take(raw, "search", "", dict, {})
    r.warn_unknown(search, {"precache_limit_kb"}, "search.")

    widgets: dict[str, Widget] = {}
    for name, spec in r.take(raw, "widgets", "", dict, {}).items():
        prefix = f"widgets.{name}."
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            r.error(f"widgets.{name}", "widget names may use letters, digits, - and _ only")
            continue
        if not isinstance(spec, dict):
            r.error(f"widgets.{name}", "expected a table")
            continue
        r.warn_unknown(spec, {"language", "categories", "title", "max_results"}, prefix)
        language = r.take(spec, "language", prefix, str, default_language, required=True)
        if languages and language not in languages:
            r.error(prefix + "language", f"{language!r} is not a configured language")
        categories = r.take(spec, "categories", prefix, list, [], required=True)
        if not all(isinstance(c, str) for c in categories):
            r.error(prefix + "categories", "expected a list of category paths (strings)")
            categories = []
        widgets[name] = Widget(name, language, [c.strip("/") for c in categories],
                               r.take(spec, "title", prefix, str, None),
                               positive_int(spec, "max_results", prefix, 5))

    api = raw.get("api", {}) if isinstance(raw.get("api", {}), dict) else {}
    config = Config(
        path=path or root / CONFIG_FILE,
        root=root,
        title=title,
        base_url=_normalize_base_url(base_url),
        theme=theme,
        languages=languages,
        default_language=default_language,
        content_dir=folder("content_dir", "content"),
        output_dir=folder("output_dir", "output"),
        internal_output_dir=folder("internal_output_dir", "output-internal"),
        themes_dir=folder("themes_dir", "themes"),
        cache_dir=folder("cache_dir", ".kbgen-cache"),
        recent_count=positive_int(raw, "recent_count", "", 8),
        related_count=positive_int(raw, "related_count", "", 5),
        summary_length=positive_int(raw, "summary_length", "", 200),
        precache_limit_kb=positive_int(search, "precache_limit_kb", "search.", 5000),
        api_url=str(api.get("url", "/api")) if isinstance(api.get("url", "/api"), str) else "/api",
        widgets=widgets,
        params=r.take(raw, "params", "", dict, {}),
        raw=raw,
    )
    parse_portal_and_markdown(raw, r, config)
    for key in ("output_dir", "internal_output_dir"):
        unsafe = unsafe_output_dir(config, getattr(config, key))
        if unsafe:
            r.error(key, unsafe, "every build replaces this folder: choose a folder of its own, such as output/")
    problems += _delegated_problems(raw, file, root)
    problems = [_with_line(p, text) for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConfigError(problems)
    config.warnings = [p for p in problems if p.severity == "warning"]
    return config


# --- [portal] and [markdown] (issue 11) -------------------------------------------------------
# Kept apart so they can move into the one config schema as they are.

DEFAULT_PORTAL_PATH = "_portal"
PORTAL_APPS = ("tickets", "account", "community", "feedback", "roadmap")


def portal_url(lang: str, app: str, portal_path: str = DEFAULT_PORTAL_PATH) -> str:
    """Site path of a portal page ("en/_portal/tickets/"): the one place that says where the
    portal's own pages live, read by the build, the pages' scripts and the API's e-mails."""
    return "/".join(part for part in (lang, portal_path.strip("/"), app) if part) + "/"


def parse_portal_and_markdown(raw: dict, r: "_Reader", config: Config) -> None:
    """[portal] path: the URL folder (under each language) of the portal's own pages: tickets,
    account, community, feedback, roadmap. The default starts with "_", which no content
    folder can produce (folders named _something hold fragments, not pages); "" puts them
    straight under the language, as before, which a content folder of the same name blocks.

    [markdown] extensions = ["pymdownx.tilde", …] and [markdown.extension_configs.<name>]:
    Python-Markdown extensions loaded after kbgen's own, checked here so that a missing one
    is reported with the configuration's other problems."""
    portal = r.take(raw, "portal", "", dict, {})
    r.warn_unknown(portal, {"path"}, "portal.")
    path = r.take(portal, "path", "portal.", str, DEFAULT_PORTAL_PATH).strip("/")
    if path and (not re.fullmatch(r"[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*", path)
                 or any(part in (".", "..") for part in path.split("/"))):
        r.error("portal.path", f"{path!r} is not a URL folder",
                'use letters, digits, "-", "_" and "/", e.g. path = "_portal" or path = "support"')
        path = DEFAULT_PORTAL_PATH
    config.portal_path = path

    section = r.take(raw, "markdown", "", dict, {})
    r.warn_unknown(section, {"extensions", "extension_configs"}, "markdown.")
    extensions = r.take(section, "extensions", "markdown.", list, [])
    if not all(isinstance(e, str) for e in extensions):
        r.error("markdown.extensions", "expected a list of extension names (strings)",
                'for example extensions = ["abbr", "pymdownx.tilde"]')
        extensions = []
    configs = r.take(section, "extension_configs", "markdown.", dict, {})
    for name, options in list(configs.items()):
        if not isinstance(options, dict):
            r.error(f"markdown.extension_configs.{name}", "expected a table of options")
            configs.pop(name)
        elif name not in extensions:
            r.problems.append(Problem(r.file, None, f"markdown.extension_configs.{name}",
                                      "settings for an extension that is not in `extensions`, ignored",
                                      f'add "{name}" to [markdown] extensions', "warning"))
    from .markdown_render import check_extensions
    for name, why in check_extensions(extensions, configs):
        r.error("markdown.extensions", f"{name!r} {why}",
                f"install the package that provides it (pip install …) or remove {name!r}")
    config.markdown_extensions = list(extensions)
    config.markdown_extension_configs = {k: v for k, v in configs.items() if k in extensions}
