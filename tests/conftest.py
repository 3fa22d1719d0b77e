"""Shared helpers for the builder tests: tiny synthetic sites and ways to build them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
# In the test suite a template printing an undefined variable fails the build (kbgen's own
# templates must never do it); users get a warning, or an error with --strict.
os.environ.setdefault("KBGEN_STRICT_TEMPLATES", "1")

# ci_strict: under CI=true a skipped test fails; api_fixtures: the API's database, app and clients.
pytest_plugins = ["ci_strict", "api_fixtures"]
SAMPLE_CONTENT = REPO / "content"
SAMPLE_CONFIG = REPO / "kbgen.toml"

BASE_CONFIG = """\
title = "Test KB"
base_url = "https://example.com/"
theme = "classic"
default_language = "en"

[languages.en]
name = "English"
title = "Test KB"

[languages.ja]
name = "日本語"
title = "テスト KB"
"""


def make_site(root: Path, files: dict[str, str | bytes], config_extra: str = "", config: str | None = None) -> Path:
    """Writes kbgen.toml and ``files`` (paths relative to content/, or to the site root when
    they start with "/") into ``root``. Text is dedented, so tests can indent it naturally."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "kbgen.toml").write_text((config if config is not None else BASE_CONFIG) + config_extra, encoding="utf-8")
    for relative, data in files.items():
        path = root / relative.lstrip("/") if relative.startswith("/") else root / "content" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return root


def article(title: str, body: str = "Body text.", **front) -> str:
    """A Markdown file with YAML front matter."""
    lines = ["---", f"title: {title!r}" if "'" not in title else f'title: "{title}"']
    for key, value in front.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body).strip("\n") + "\n"


def build_site(root: Path, *args: str):
    """Runs ``kbgen -C root build …`` in-process; returns click's Result (exit_code, output)."""
    return run_cli("-C", str(root), "build", *args)


def run_cli(*args: str):
    from kbgen.cli import cli
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_kbgen(*args: str, cwd: Path | None = None, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command (``python -m kbgen``), for what only a real process shows: exit codes,
    stderr without tracebacks, a fresh hash seed."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {}))
    return subprocess.run([sys.executable, "-m", "kbgen", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def copy_sample(target: Path) -> Path:
    """The real sample site (content + kbgen.toml), copied so builds never touch the repo."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE_CONTENT, target / "content")
    shutil.copy(SAMPLE_CONFIG, target / "kbgen.toml")
    return target


def read(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def build_sample_per_theme(sample: Path, site: Path, themes) -> None:
    """Builds the sample once per theme into site/<theme>/, for tests that serve every theme."""
    config = sample / "kbgen.toml"
    for theme in themes:
        config.write_text(re.sub(r'(?m)^theme = ".*"$', f'theme = "{theme}"', read(config)), encoding="utf-8")
        result = build_site(sample, "--output", str(site / theme))
        assert result.exit_code == 0, result.output


def sample_per_theme_with_api_toml(tmp: Path, themes, api_toml: str) -> tuple[Path, Path]:
    """The sample built once per theme into tmp/site/<theme>/ and `api_toml` written to
    tmp/api.toml, for browser tests that serve every theme with the API: (site, toml)."""
    build_sample_per_theme(copy_sample(tmp / "sample"), tmp / "site", themes)
    toml = tmp / "api.toml"
    toml.write_text(api_toml, encoding="utf-8")
    return tmp / "site", toml


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str | None = None) -> list[dict]:
    """Attributes of every start tag (optionally only ``name`` tags) in ``html``."""
    parser = _Links()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if name is None or tag == name]


def hrefs(html: str) -> list[str]:
    return [a["href"] for a in tags(html, "a") if a.get("href") is not None]


def follow(page_file: Path, href: str) -> Path:
    """Where a relative href from ``page_file`` lands on disk, the way a static server (or
    file:// with …/index.html) resolves it: percent-decoding, folder → index.html."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc and not href.startswith("/"), f"not a relative link: {href}"
    if not parts.path:
        return page_file
    target = (page_file.parent / unquote(parts.path)).resolve()
    if parts.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def node_strings_env(folder: Path, langs=("en", "ja")) -> dict:
    """The environment for `node --test` of modules that show words: the build's strings scripts
    (from the real i18n files), which the *.test.js files run before their string tests."""
    from kbgen.ui_strings import browser_strings_script
    files = []
    for lang in langs:
        path = folder / f"strings-{lang}.js"
        path.write_bytes(browser_strings_script(lang))
        files.append(str(path))
    return {**os.environ, "KBGEN_TEST_STRINGS": ",".join(files)}


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path):
    """``site(files, config_extra="")`` → a site folder in tmp_path."""
    def factory(files: dict, config_extra: str = "", config: str | None = None, name: str = "site") -> Path:
        return make_site(tmp_path / name, files, config_extra, config)
    return factory


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per test module (a second sync Playwright in the same thread
    would fail, and some tests start their own); tests open their own contexts and pages."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def serve():
    """serve(folder) → "http://127.0.0.1:<port>/" serving a built site as a static host does
    (live_server.live_site without the API); the servers stop with the module."""
    from contextlib import ExitStack

    from live_server import live_site

    with ExitStack() as servers:
        yield lambda folder: servers.enter_context(live_site(None, site=Path(folder))).url + "/"


@pytest.fixture
def page_locale():
    """The browser language open_page's pages get unless a test asks for another; a test module
    overrides it with None to keep Chromium's own."""
    return "en-US"


@pytest.fixture
def open_page(browser, server, page_locale):
    """open_page(width=, height=, locale=) → a page in a new browser context on the module's
    `server`; the contexts close after the test, which fails if any page threw a JavaScript error."""
    contexts, errors = [], []

    def factory(width=1280, height=900, locale=page_locale):
        options = {"locale": locale} if locale else {}
        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not errors, errors
