"""Read ``content/<lang>/…``: articles, section indexes (_index.md) and attachments.

Parsing an article (front matter + Markdown) depends only on that file, so it runs in
worker processes and is cached on disk keyed by the file's bytes and path.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import re
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import __version__
from .errors import Problem
from .markdown_render import RENDERER_VERSION, MarkdownRenderer, RenderedMarkdown
from .ui_strings import fingerprint as ui_fingerprint

MARKDOWN_SUFFIXES = (".md", ".markdown")
KNOWN_FIELDS = {
    "title", "date", "lastmod", "draft", "translationkey", "description", "keywords",
    "category", "weight", "aliases", "slug", "internal", "url", "headless", "build", "_build",
}
# Fields whose line a message may need to name later (a URL clash, a category that names nothing).
LOCATED_FIELDS = ("title", "url", "slug", "category", "translationkey", "aliases")
_FIRST_HEADING = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*$|\A\s*(\S[^\n]*)\n=+[ \t]*$", re.M)
IGNORED_NAMES = {".DS_Store", "Thumbs.db", ".gitkeep"}


@dataclass
class Source:
    """A Markdown file, as parsed: front matter fields plus rendered body."""

    path: str                     # content-relative, posix: "en/billing/invoices.md"
    lang: str
    is_section: bool              # an _index.md
    is_bundle: bool               # a leaf bundle's index.md
    digest: str
    title: str = ""
    date: dt.datetime | None = None
    lastmod: dt.datetime | None = None
    draft: bool = False
    internal: bool = False
    translation_key: str | None = None
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    category: str | None = None
    weight: int = 0
    aliases: list[str] = field(default_factory=list)
    slug: str | None = None
    url: str | None = None
    headless: bool = False        # not a page: `headless: true`, `build.render: never`, or under a _folder
    field_lines: dict[str, int] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    body: RenderedMarkdown | None = None
    body_line: int = 1
    raw_body: str = ""
    link_lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ContentFile:
    """A non-Markdown file next to the articles (PDF, image, zip…)."""

    path: str      # content-relative
    lang: str
    size: int


@dataclass
class Content:
    sources: list[Source]
    files: list[ContentFile]
    problems: list[Problem]


class _FrontMatterError(Exception):
    def __init__(self, message: str, line: int | None = None, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.line, self.field, self.hint = line, field, hint


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """Returns (metadata, body, line where the body starts). YAML (---), TOML (+++) and
    JSON ({…}) front matter, as Hugo accepts.

    Not python-frontmatter: its TOML handler needs the separate `toml` package, and its
    split drops the positions that errors must name (file:line); this is PyYAML's C
    loader, tomllib and json with the line arithmetic kept."""
    text = text.lstrip("\ufeff")
    for fence, loader in (("---", _load_yaml), ("+++", _load_toml)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            lines = text.splitlines(keepends=True)
            for index in range(1, len(lines)):
                if lines[index].rstrip() == fence or (fence == "---" and lines[index].rstrip() == "..."):
                    metadata = loader("".join(lines[1:index]))
                    return metadata, "".join(lines[index + 1:]), index + 2
            raise _FrontMatterError(f"front matter opened with {fence} on line 1 is never closed",
                                    1, hint=f"add a line containing only {fence} after the front matter")
    if text.startswith("{"):
        decoder = json.JSONDecoder()
        try:
            metadata, end = decoder.raw_decode(text)
        except json.JSONDecodeError as exc:
            raise _FrontMatterError(f"invalid JSON front matter: {exc.msg}", exc.lineno)
        return metadata, text[end:].lstrip("\n"), text[:end].count("\n") + 2
    return {}, text, 1


# libyaml's loader is several times faster than the pure-Python one, with the same result.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> dict:
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        raise _FrontMatterError(f"invalid YAML front matter: {exc.problem or exc}", line,
                                hint="check indentation and quote values containing ':' or '#'")
    except yaml.YAMLError as exc:
        raise _FrontMatterError(f"invalid YAML front matter: {exc}")
    except (ValueError, TypeError) as exc:  # a value YAML recognises but cannot build: date: 2024-13-45
        raise _FrontMatterError(f"invalid value in YAML front matter: {exc}",
                                hint="write dates as YYYY-MM-DD, or quote the value")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _FrontMatterError("front matter must be a set of `key: value` lines", 2)
    return data


def _load_toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise _FrontMatterError(f"invalid TOML front matter: {exc}", int(match.group(1)) + 1 if match else None)


def _to_datetime(value: Any, name: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _FrontMatterError(f"{value!r} is not a date", field=name,
                                    hint="write dates as YYYY-MM-DD or 2026-03-14T09:30:00+09:00")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    raise _FrontMatterError(f"{value!r} is not a date", field=name, hint="write dates as YYYY-MM-DD")


def _field_line(raw_text: str, key: str) -> int | None:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*[:=]", raw_text, re.M | re.I)
    return raw_text[: match.start()].count("\n") + 1 if match else None


def _is_headless(path: str, lowered: dict) -> bool:
    """Hugo's ways of keeping a file out of the pages: `headless: true`, `build.render: never`
    (or the older `_build.render: false`); and folders named _something hold fragments."""
    if any(part.startswith("_") for part in path.split("/")[1:-1]):
        return True
    if lowered.get("headless") is True:
        return True
    for key in ("build", "_build"):
        options = lowered.get(key)
        if isinstance(options, dict):
            render = {str(k).lower(): v for k, v in options.items()}.get("render")
            if render in ("never", False, "false"):
                return True
    return False


def _first_heading(body: str) -> str | None:
    fence = None
    for line in body.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence and stripped.startswith(fence) else fence or stripped[:3]
        elif fence is None and line.startswith("# ") and line[2:].strip(" #"):
            return line[2:].strip(" #")
    return None


def _title_from_name(path: str) -> str:
    parts = path.split("/")
    stem = parts[-2] if parts[-1].rsplit(".", 1)[0] == "index" and len(parts) > 2 else parts[-1].rsplit(".", 1)[0]
    text = stem.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else stem


def parse_source(path: str, data: bytes) -> Source:
    """Everything about one Markdown file that does not depend on other files."""
    lang = path.split("/", 1)[0]
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    source = Source(path=path, lang=lang, is_section=stem == "_index", is_bundle=stem == "index",
                    digest=hashlib.sha256(data).hexdigest())
    problem = lambda message, line=None, field=None, hint=None: source.problems.append(  # noqa: E731
        Problem(f"content/{path}", line, field, message, hint))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)", line,
                hint="re-save the file with UTF-8 encoding")
        return source
    text = text.replace("\r\n", "\n")
    try:
        metadata, body, body_line = split_front_matter(text)
    except _FrontMatterError as exc:
        problem(str(exc), exc.line, exc.field, exc.hint)
        return source

    lowered = {str(k).lower(): v for k, v in metadata.items()}
    spelled = {str(k).lower(): str(k) for k in metadata}  # messages use the writer's spelling: translationKey
    source.params = dict(metadata)

    def take(key: str, kinds: tuple, default=None):
        value = lowered.get(key, default)
        if value is default or value is None:  # `draft:` with nothing after it means "not set", as in Hugo
            return default
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            expected = " or ".join(k.__name__.replace("str", "text") for k in kinds)
            name = spelled.get(key, key)
            problem(f"expected {expected}, got {value!r}", _field_line(text, key), name,
                    f"fix the `{name}` value in the front matter")
            return default
        return value

    for key in LOCATED_FIELDS:
        found = _field_line(text, key) if key in lowered else None
        if found:
            source.field_lines[key] = found
    source.headless = _is_headless(path, lowered)
    title = take("title", (str, int, float))
    if title is None or not str(title).strip():
        source.title = ""
        if not source.is_section and not source.headless:
            # As MkDocs: the first top-level heading, else (as Hugo, which needs none) the file name.
            heading = _FIRST_HEADING.match(body)
            later = None if heading else _first_heading(body)
            if heading:  # the page's own title: shown once, as the title
                source.title = (heading.group(1) or heading.group(2)).strip()
                body_line += body[: heading.end()].count("\n")
                body = body[heading.end():]
                how = "its first heading"
            elif later:
                source.title, how = later, "its first heading"
            else:
                source.title = _title_from_name(path)
                how = "its file name"
            source.problems.append(Problem(f"content/{path}", None, "title",
                                           f"no title in the front matter: {how} gives {source.title!r}",
                                           'add `title: "…"` to choose another', "info"))
    else:
        source.title = str(title).strip()
    for key in ("date", "lastmod"):
        try:
            setattr(source, key, _to_datetime(lowered.get(key), key))
        except _FrontMatterError as exc:
            problem(str(exc), _field_line(text, key), key, exc.hint)
    source.draft = bool(take("draft", (bool,), False))
    source.internal = bool(take("internal", (bool,), False))
    key = take("translationkey", (str, int))
    source.translation_key = str(key) if key is not None else None
    source.description = str(take("description", (str,), "") or "").strip()
    keywords = take("keywords", (list, str), [])
    source.keywords = [k.strip() for k in keywords.split(",")] if isinstance(keywords, str) else [str(k) for k in keywords]
    category = take("category", (str, list))
    if isinstance(category, list):  # a list, as Hugo taxonomies are written: the first one files the article
        category = next((str(c) for c in category if str(c).strip()), None)
    source.category = category.strip().strip("/") if category else None
    source.weight = int(take("weight", (int,), 0))
    aliases = take("aliases", (list, str), [])
    source.aliases = [aliases] if isinstance(aliases, str) else [str(a) for a in aliases]
    slug = take("slug", (str,))
    if slug is not None and ("/" in slug or not slug.strip()):
        problem(f"{slug!r} is not a valid slug", _field_line(text, "slug"), "slug",
                "a slug is one URL segment: no slashes")
        slug = None
    source.slug = slug
    url = take("url", (str,))
    source.url = url
    source.body_line = body_line
    source.raw_body = body
    return source


def _has_errors(source: Source) -> bool:
    return any(p.severity == "error" for p in source.problems)


# One renderer per set of `[markdown]` options, for the life of the (worker) process.
_renderers: dict[str, MarkdownRenderer] = {}


def markdown_spec(extensions=(), extension_configs=None) -> str:
    """The `[markdown]` options as one canonical string: part of the cache key of every file."""
    return json.dumps([list(extensions), extension_configs or {}], sort_keys=True, default=repr)


def _render_one(args: tuple) -> Source:
    path, data, spec = args if len(args) == 3 else (*args, markdown_spec())
    source = parse_source(path, data)
    if not _has_errors(source):
        renderer = _renderers.get(spec)
        if renderer is None:
            extensions, configs = json.loads(spec)
            renderer = _renderers[spec] = MarkdownRenderer(tuple(extensions), configs)
        try:
            source.body = renderer.render(path, source.raw_body)
            source.body.warnings = [(message, source.body_line + line - 1 if line else None, hint)
                                    for message, line, hint in source.body.warnings]
            # The rendered link no longer knows its line: remember where the source first wrote it.
            body_lines = source.raw_body.split("\n")
            for link in source.body.links:
                needle = link.raw if link.kind != "ref" else link.raw.split("#")[0]
                for number, text in enumerate(body_lines):
                    if needle in text:
                        source.link_lines[link.raw] = source.body_line + number
                        break
        except Exception as exc:  # a Markdown extension crashing on odd input must not hide other files
            source.problems.append(Problem(f"content/{path}", None, None, f"could not render Markdown: {exc}",
                                           "simplify the construct near the end of the file and report it"))
    source.raw_body = ""
    return source


def cache_key(path: str, data: bytes, strings: str | None = None, spec: str = "") -> str:
    digest = hashlib.sha256()
    for part in (__version__, RENDERER_VERSION, strings or ui_fingerprint(), spec, path):
        digest.update(part.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


class SourceCache:
    """One pickle per parsed file under ``<cache_dir>/sources``; safe to delete at any time."""

    def __init__(self, cache_dir: Path | None):
        self.folder = cache_dir / "sources" if cache_dir else None

    def get(self, key: str) -> Source | None:
        if not self.folder:
            return None
        try:
            with open(self.folder / key[:2] / key, "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None

    def put(self, key: str, source: Source) -> None:
        if not self.folder or _has_errors(source):
            return
        target = self.folder / key[:2] / key
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(source, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)


def scan(content_dir: Path, languages, hugo_config: bool = False
         ) -> tuple[list[tuple[str, Path]], list[ContentFile], list[Problem]]:
    """Lists Markdown files and other files, in a stable order. With a Hugo configuration
    (each language's contentDir is content/<lang>), another folder is not content there
    either: a warning, not an error."""
    problems: list[Problem] = []
    markdown_files: list[tuple[str, Path]] = []
    other_files: list[ContentFile] = []
    if not content_dir.is_dir():
        problems.append(Problem(str(content_dir), None, None, "content folder not found",
                                "create it with one folder per language, e.g. content/en/"))
        return markdown_files, other_files, problems
    for entry in sorted(content_dir.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if not entry.is_dir():
            problems.append(Problem(f"content/{entry.name}", None, None,
                                    "is outside any language folder and was ignored",
                                    f"move it into content/<lang>/ (one of: {', '.join(languages)})", "warning"))
            continue
        if entry.name not in languages:
            if hugo_config:
                problems.append(Problem(f"content/{entry.name}/", None, None,
                                        "is not a language folder of the Hugo configuration and was ignored",
                                        f"add a kbgen.toml with [languages.{entry.name}] if it is one", "warning"))
                continue
            problems.append(Problem(f"content/{entry.name}/", None, None,
                                    f"unknown language folder {entry.name!r}",
                                    f"add [languages.{entry.name}] to kbgen.toml, or rename the folder to one of: "
                                    f"{', '.join(languages)}"))
            continue
        for directory, subdirs, names in os.walk(entry):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            folder = Path(directory)
            # once per folder, not per file: an edit's rebuild scans every file of the site
            prefix = folder.relative_to(content_dir).as_posix()
            for name in sorted(names):
                if name.startswith(".") or name in IGNORED_NAMES:
                    continue
                full = folder / name
                rel = f"{prefix}/{name}"
                if name.lower().endswith(MARKDOWN_SUFFIXES):
                    markdown_files.append((rel, full))
                else:
                    other_files.append(ContentFile(rel, entry.name, full.stat().st_size))
    return markdown_files, other_files, problems


def load_content(content_dir: Path, languages, *, cache_dir: Path | None = None, workers: int = 1,
                 progress=None, markdown_extensions=(), markdown_extension_configs=None,
                 hugo_config: bool = False, memory: dict | None = None) -> Content:
    """``memory`` (a ``BuildCache.sources``): parsed files kept by a long-lived process (kbgen
    serve); an unchanged file is recognised by its modification time and size, not read again."""
    spec = markdown_spec(markdown_extensions, markdown_extension_configs)
    markdown_files, other_files, problems = scan(content_dir, languages, hugo_config)
    memory = {} if memory is None else memory
    advance = progress(len(markdown_files)) if progress else None  # progress: start(total) -> advance(n)
    cache = SourceCache(cache_dir)
    results: dict[str, Source] = {}
    pending: list[tuple[str, bytes, str]] = []
    stats: dict[str, tuple[int, int]] = {}
    strings = ui_fingerprint()  # callout titles come from the UI strings: part of every key

    def remember(full: Path, rel: str, source: Source) -> None:
        memory[_memory_key(full, rel, spec, strings)] = (stats[rel], source)

    for rel, full in markdown_files:
        stat = full.stat()
        stats[rel] = (stat.st_mtime_ns, stat.st_size)
        remembered = memory.get(_memory_key(full, rel, spec, strings))
        if remembered is not None and remembered[0] == stats[rel]:
            results[rel] = remembered[1]
            if advance:
                advance(1)
            continue
        data = full.read_bytes()
        key = cache_key(rel, data, strings, spec)
        cached = cache.get(key)
        if cached is not None:
            results[rel] = cached
            remember(full, rel, cached)
            if advance:
                advance(1)
        else:
            pending.append((rel, data, key))

    def finished(source: Source, key: str) -> None:
        results[source.path] = source
        cache.put(key, source)
        if not _has_errors(source):
            remember(content_dir / source.path, source.path, source)
        if advance:
            advance(1)

    if workers > 1 and len(pending) > 40:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunk = max(1, min(64, len(pending) // (workers * 8)))
            for (rel, data, key), source in zip(pending, pool.map(_render_one, [(r, d, spec) for r, d, _ in pending],
                                                                  chunksize=chunk)):
                finished(source, key)
    else:
        for rel, data, key in pending:
            finished(_render_one((rel, data, spec)), key)

    sources = [results[rel] for rel, _ in markdown_files]
    # deleted files and other [markdown] options are forgotten, so serve's memory stays the site's size
    kept = {_memory_key(full, rel, spec, strings) for rel, full in markdown_files}
    for stale in [key for key in memory if key not in kept]:
        del memory[stale]
    for source in sources:
        problems.extend(source.problems)
    return Content(sources, other_files, problems)


def reload_source(content_dir: Path, rel: str, *, cache_dir: Path | None = None, markdown_extensions=(),
                  markdown_extension_configs=None, memory: dict | None = None) -> Source:
    """One file that changed, parsed exactly as ``load_content`` parses it (same caches, same
    keys), so the next ``load_content`` finds it remembered instead of reading it again.
    Raises OSError when the file cannot be read (deleted since)."""
    spec = markdown_spec(markdown_extensions, markdown_extension_configs)
    strings = ui_fingerprint()
    full = content_dir / rel
    stat = full.stat()
    data = full.read_bytes()
    key = cache_key(rel, data, strings, spec)
    cache = SourceCache(cache_dir)
    source = cache.get(key)
    if source is None:
        source = _render_one((rel, data, spec))
        cache.put(key, source)
    if memory is not None and not _has_errors(source):
        memory[_memory_key(full, rel, spec, strings)] = ((stat.st_mtime_ns, stat.st_size), source)
    return source


def _memory_key(full: Path, rel: str, spec: str, strings: str) -> tuple[str, str, str]:
    # What a remembered parse depends on besides the file's stat: where it is, and the options
    return (str(full), rel, spec + "\0" + strings)
