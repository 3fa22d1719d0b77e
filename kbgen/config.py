"""kbgen.toml for the site build: read the file, validate it with the one schema (kbgen.schema)
and give the builder its `Config`.

Every problem names the file, the line and the dotted key; unknown keys are warnings, so a typo
is noticed without breaking a build that otherwise works. The API's sections are part of the
same schema, so `kbgen check` and `kbgen build` report their problems together with the site's.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config_problems import key_line
from .errors import ConfigError, Problem
from .schema import DEFAULT_PORTAL_PATH, LANGUAGE_CODE, KbgenFile, validate

__all__ = ["CONFIG_FILE", "Config", "DEFAULT_PORTAL_PATH", "LANGUAGE_CODE", "key_line", "load_config", "parse_config",
           "portal_url", "unsafe_output_dir"]

CONFIG_FILE = "kbgen.toml"


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
    file: KbgenFile | None = None       # the whole file, validated: every section, the API's too

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


def _with_line(problem: Problem, text: str | None) -> Problem:
    if problem.line is not None or not text or not problem.field:
        return problem
    return replace(problem, line=key_line(text, problem.field))


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
    """The site's view of the file: every section is validated by the one schema
    (kbgen.schema), the API's included, so `kbgen check` and `kbgen build` report all of the
    file's problems together; the checks that need the disk (folders, installed extensions) are
    made here."""
    model, problems = validate(raw, file=file, text=text)

    def error(key: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(file, None, key, message, hint))

    languages = {code: Language(code, spec.name or code, spec.title or model.title, spec.description)
                 for code, spec in model.languages.items()}
    if not languages and not any(p.field and p.field.startswith("languages") for p in problems):
        error("languages", "no language is configured",
              'add a table per language, e.g. [languages.en] with name = "English"')
    default_language = model.default_language or next(iter(languages), "en")
    widgets = {name: Widget(name, spec.language, [c.strip("/") for c in spec.categories], spec.title, spec.max_results)
               for name, spec in model.widgets.items()}

    def folder(value: str) -> Path:
        return (root / value).resolve()

    config = Config(
        path=path or root / CONFIG_FILE,
        root=root,
        title=model.title,
        base_url=_normalize_base_url(model.base_url),
        theme=model.theme,
        languages=languages,
        default_language=default_language,
        content_dir=folder(model.content_dir),
        output_dir=folder(model.output_dir),
        internal_output_dir=folder(model.internal_output_dir),
        themes_dir=folder(model.themes_dir),
        cache_dir=folder(model.cache_dir),
        recent_count=model.recent_count,
        related_count=model.related_count,
        summary_length=model.summary_length,
        precache_limit_kb=model.search.precache_limit_kb,
        api_url=model.api.url,
        portal_path=model.portal.path,
        widgets=widgets,
        params=dict(model.params),
        raw=raw,
        file=model,
    )
    problems += _markdown_problems(model, file, config)
    for key in ("output_dir", "internal_output_dir"):
        unsafe = unsafe_output_dir(config, getattr(config, key))
        if unsafe:
            error(key, unsafe, "every build replaces this folder: choose a folder of its own, such as output/")
    problems = [_with_line(p, text) for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConfigError(problems)
    config.warnings = [p for p in problems if p.severity == "warning"]
    return config


# --- the portal's pages -------------------------------------------------------------------------

PORTAL_APPS = ("tickets", "account", "community", "feedback", "roadmap")


def portal_url(lang: str, app: str, portal_path: str = DEFAULT_PORTAL_PATH) -> str:
    """Site path of a portal page ("en/_portal/tickets/"): the one place that says where the
    portal's own pages live, read by the build, the pages' scripts and the API's e-mails."""
    return "/".join(part for part in (lang, portal_path.strip("/"), app) if part) + "/"


def _markdown_problems(model: KbgenFile, file: str, config: Config) -> list[Problem]:
    """[markdown] extensions = ["pymdownx.tilde", …] and [markdown.extension_configs.<name>]:
    Python-Markdown extensions loaded after kbgen's own, checked here (they must be installed)
    so that a missing one is reported with the configuration's other problems."""
    from .markdown_render import check_extensions

    extensions, configs = model.markdown.extensions, model.markdown.extension_configs
    problems = [Problem(file, None, f"markdown.extension_configs.{name}",
                        "settings for an extension that is not in `extensions`, ignored",
                        f'add "{name}" to [markdown] extensions', "warning")
                for name in configs if name not in extensions]
    problems += [Problem(file, None, "markdown.extensions", f"{name!r} {why}",
                         f"install the package that provides it (pip install …) or remove {name!r}")
                 for name, why in check_extensions(extensions, configs)]
    config.markdown_extensions = list(extensions)
    config.markdown_extension_configs = {k: v for k, v in configs.items() if k in extensions}
    return problems
