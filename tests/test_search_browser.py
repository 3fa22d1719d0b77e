"""Search in real Chromium: the header box in every theme, keyboard use, the results page, the
widget on another origin, offline use through the service worker, and file://."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kbgen.build import BuildOptions, build

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
BOX = "form[data-kb-search] input[name=q]"

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def build_sample(target: Path, theme: str = "classic") -> Path:
    config = (ROOT / "kbgen.toml").read_text(encoding="utf-8")
    config = re.sub(r'^theme = ".*"$', f'theme = "{theme}"\ncontent_dir = "{(ROOT / "content").as_posix()}"\n'
                    f'themes_dir = "{(ROOT / "themes").as_posix()}"', config, count=1, flags=re.MULTILINE)
    site = target / "site"
    site.mkdir(parents=True)
    (site / "kbgen.toml").write_text(config, encoding="utf-8")
    output = target / "output"
    build(site, BuildOptions(output_dir=output, use_cache=False, workers=1))
    return output


# `serve(folder)` (tests/conftest.py) serves a built site as a static host does


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("classic"))




@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def type_query(page, text: str, *, answered: bool = True):
    """Types `text` key by key, and (unless told not to) waits for the list's answer to all of it."""
    box = page.locator(BOX).first
    box.click()
    box.fill("")
    box.press_sequentially(text, delay=20)
    if answered:
        expect(page.locator(f"#{box.get_attribute('aria-controls')}")).to_have_attribute("data-query", text)
    return box


def options(page):
    return page.locator("form[data-kb-search] [role=listbox] [role=option]")


def shot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"search-{name}.png"))


@pytest.mark.parametrize("theme", ["classic", "minimalistic", "montana"])
def test_typing_shows_highlighted_results_in_every_theme(theme, tmp_path, serve, page):
    base = serve(build_sample(tmp_path, theme))
    page.goto(base + "en/index.html")
    type_query(page, "reset pass")
    first = options(page).first
    first.wait_for()
    assert "password" in first.inner_text().lower()
    assert first.locator("mark").first.inner_text().lower() in ("reset", "pass")
    box = page.locator(BOX).first
    assert box.get_attribute("aria-expanded") == "true"
    assert re.match(r"\d+ results?", page.locator("form[data-kb-search] [role=status]").first.inner_text())
    assert first.is_visible()
    shot(page, f"box-{theme}")


@pytest.mark.parametrize("theme", ["classic", "minimalistic", "montana"])
def test_the_result_list_stays_inside_the_window_wherever_the_box_sits(theme, tmp_path, serve, page):
    """The Japanese header's longer title pushes its search box to the right: the list opened
    from the box's left edge ran past the window's right edge at 1000 px, cutting off results."""
    base = serve(build_sample(tmp_path, theme))
    for width in (1000, 1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        for lang, query in (("ja", "パスワード"), ("en", "reset pass")):
            page.goto(f"{base}{lang}/index.html")
            type_query(page, query)
            page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")   # painted
            popup = page.locator("form[data-kb-search] [role=listbox]").first
            box = popup.bounding_box()
            assert box and box["width"] > 200, (width, lang)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (theme, width, lang, box)
            if (theme, width, lang) == ("classic", 1000, "ja"):
                shot(page, "ja-box-near-right-edge")


def test_a_question_marks_what_it_searched_for_not_its_question_words(sample, serve, page):
    """"how do I reset my password" searches for reset and password: only those are marked, not
    the "I" or "do" that start other words of the titles and summaries."""
    page.goto(serve(sample) + "en/index.html")
    type_query(page, "how do I reset my password")
    first = options(page).first
    first.wait_for()
    marks = [text.lower() for text in page.locator("form[data-kb-search] [role=option] mark").all_inner_texts()]
    assert "password" in marks
    assert not {"how", "do", "i", "my"} & set(marks), marks


@pytest.mark.parametrize("lang, typed, corrected", [("en", "reset pasword", "password"), ("ja", "パスワート", "パスワード"),
                                                    ("ja", "パスワートの再設定", "パスワード")])
def test_a_misspelt_word_marks_the_word_it_found_instead(sample, serve, page, lang, typed, corrected):
    """A typo finds its article through a corrected spelling; the results mark that spelling, in
    the popup and on the results page, as they would have marked the word spelt right."""
    page.goto(serve(sample) + f"{lang}/index.html")
    type_query(page, typed)
    options(page).first.wait_for()
    marks = page.locator("form[data-kb-search] [role=option] mark").all_inner_texts()
    assert corrected in [mark.lower() for mark in marks], marks
    page.goto(serve(sample) + f"{lang}/search.html?q={typed}")
    page.locator(".kb-search-results li").first.wait_for()
    marks = page.locator(".kb-search-results li mark").all_inner_texts()
    assert corrected in [mark.lower() for mark in marks], marks


def test_a_japanese_sentence_marks_the_words_it_searched_for(sample, serve, page):
    """A Japanese query is one run of characters; a title rarely holds it as typed. What it searched
    for is marked (パスワード, 忘れ), not the particle or the polite ending (を, ました)."""
    page.goto(serve(sample) + "ja/index.html")
    type_query(page, "パスワードを忘れました")
    options(page).first.wait_for()
    marks = set(page.locator("form[data-kb-search] [role=option] mark").all_inner_texts())
    assert {"パスワード", "忘れ"} <= marks, marks
    assert not {"を", "ました", "パスワードを忘れました"} & marks, marks


def test_a_one_letter_last_word_after_other_words_completes_like_any_other(sample, serve, page):
    """ "reset t": the t is the start of a word being typed, so it already finds two-factor
    authentication (turning, two) first, where "reset" alone puts the password article first;
    "reset p" keeps the password article first."""
    page.goto(serve(sample) + "en/index.html")

    def first_after(query: str) -> str:
        type_query(page, query)
        page.wait_for_function(
            "(q) => { const box = document.querySelector('form[data-kb-search] input[name=q]');"
            " const list = box.form.querySelector('[role=listbox]');"
            " return box.value === q && list && !list.hidden && list.querySelector('[role=option]'); }", arg=query)
        page.wait_for_timeout(300)  # the last keystroke's results, not an earlier one's
        return options(page).first.locator(".kb-search-title").inner_text()

    assert first_after("reset") == "Resetting your password"
    assert first_after("reset t") == "Turning on two-factor authentication"
    assert first_after("reset p") == "Resetting your password"


def test_pointing_at_the_search_box_loads_its_manifest_before_the_first_keystroke(sample, serve, page):
    """A pointer over the box (or focus) means a search is coming: the language's manifest loads
    then, not after the first keystroke; the practice run of the search code downloads nothing."""
    page.goto(serve(sample) + "en/index.html")
    loaded = "(pattern) => performance.getEntriesByType('resource').some((e) => new RegExp(pattern).test(e.name))"
    page.wait_for_timeout(300)
    assert not page.evaluate(loaded, "search/en/index\\.js$")
    page.locator(BOX).first.hover()
    page.wait_for_function(loaded, arg="search/en/index\\.js$", timeout=10000)
    page.wait_for_timeout(300)
    assert not page.evaluate(loaded, "search/en/[td]-[0-9a-f]+\\.js$")
    assert options(page).count() == 0


def test_a_first_letter_shows_nothing_yet_but_loads_what_the_next_keystroke_needs(sample, serve, page):
    """One letter is too little to show results for; while the visitor types the second, the
    letter's term shards and the records of what it ranks first are already loading."""
    page.goto(serve(sample) + "en/index.html")
    type_query(page, "t")
    page.wait_for_function(
        "() => { const names = performance.getEntriesByType('resource').map((e) => e.name);"
        " return names.some((n) => /search\\/en\\/t-[0-9a-f]+\\.js$/.test(n))"
        " && names.some((n) => /search\\/en\\/d-[0-9a-f]+\\.js$/.test(n)); }", timeout=10000)
    assert options(page).count() == 0
    assert page.locator(BOX).first.get_attribute("aria-expanded") == "false"


SEARCH_DATA_REQUESTS = ("() => performance.getEntriesByType('resource')"
                        ".filter((e) => /search\\/en\\/[td]-[0-9a-f]+\\.js$/.test(e.name)).map((e) => e.startTime)")


def test_a_keystroke_starts_loading_its_search_data_before_the_typing_pause_ends(sample, serve, page):
    """The box searches once typing pauses (60 ms); the term shards (and leading records) of what
    was typed start loading as the keystroke lands, so the search finds them arrived or on their way."""
    page.goto(serve(sample) + "en/index.html")
    page.locator(BOX).first.hover()
    page.wait_for_function("() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('search/en/index.js'))")
    page.wait_for_timeout(200)
    page.locator(BOX).first.fill("invoice")
    expect(options(page).first).to_be_visible()
    search_started = page.evaluate("performance.getEntriesByName('kb-search')[0].startTime")
    requested = page.evaluate(SEARCH_DATA_REQUESTS)
    assert requested and min(requested) < search_started


def test_keystrokes_faster_than_the_typing_pause_load_only_what_the_last_one_needs(sample, serve, page):
    """Typed in one burst, the prefixes on the way ("in", "inv", …: each a larger set of shards
    than the word) are never searched, so nothing is loaded for them ahead of the search."""
    page.goto(serve(sample) + "en/index.html")
    page.locator(BOX).first.hover()
    page.wait_for_function("() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('search/en/index.js'))")
    page.wait_for_timeout(200)
    page.evaluate("""(box) => { const input = document.querySelector(box);
        for (const end of [1, 2, 3, 4, 5, 6, 7]) { input.value = 'invoice'.slice(0, end); input.dispatchEvent(new Event('input')); } }""", BOX)
    expect(options(page).first).to_be_visible()
    searches = page.evaluate("performance.getEntriesByName('kb-search').map((e) => [e.detail.query, e.startTime])")
    assert [query for query, _ in searches] == ["invoice"]
    assert min(page.evaluate(SEARCH_DATA_REQUESTS)) >= searches[0][1]


def test_after_the_first_results_the_other_records_load_in_the_background(tmp_path, serve, page):
    """Once results are on screen, the rest of the language's display records load while nobody
    searches, so a later keystroke waits for one round trip (its term shards), not two (shards, then
    the records of what they ranked first). A browser that asks to save data loads only what it shows.
    More articles than eight record files hold: a smaller language's records all load with the
    first keystroke's shards (SearchIndex.leadChunks)."""
    content = tmp_path / "content"
    for lang, count in (("en", 300), ("ja", 1)):
        (content / lang / "guides").mkdir(parents=True)
        (content / lang / "guides" / "_index.md").write_text("---\ntitle: Guides\n---\n", encoding="utf-8")
        for number in range(count):
            topic = "invoice" if number == 3 else f"topic{number}"
            (content / lang / "guides" / f"a{number}.md").write_text(
                f"---\ntitle: Guide {number} about {topic}\ndate: 2026-01-01\n---\nHow {topic} works, step by step.\n", encoding="utf-8")
    config = (ROOT / "kbgen.toml").read_text(encoding="utf-8")
    config = re.sub(r'^theme = ".*"$', f'theme = "classic"\ncontent_dir = "{content.as_posix()}"\n'
                    f'themes_dir = "{(ROOT / "themes").as_posix()}"', config, count=1, flags=re.MULTILINE)
    (tmp_path / "kbgen.toml").write_text(config, encoding="utf-8")
    sample = tmp_path / "output"
    build(tmp_path, BuildOptions(output_dir=sample, use_cache=False, workers=1))
    chunks = sorted(p.name for p in (sample / "search" / "en").glob("d-*.js"))
    assert len(chunks) > 8
    loaded = "performance.getEntriesByType('resource').map((e) => e.name.split('/').pop())"
    every_chunk = f"(chunks) => {{ const names = {loaded}; return chunks.every((c) => names.includes(c)); }}"

    saving = page.context.browser.new_context(service_workers="block")
    try:
        saver = saving.new_page()
        saver.add_init_script("Object.defineProperty(navigator, 'connection', {value: {saveData: true}})")
        saver.goto(serve(sample) + "en/index.html")
        type_query(saver, "invoice")
        saver.wait_for_timeout(1500)
        assert not saver.evaluate(every_chunk, chunks), "saving data: only the records of the results shown"
    finally:
        saving.close()

    page.goto(serve(sample) + "en/index.html")
    type_query(page, "invoice")
    page.wait_for_function(every_chunk, arg=chunks, timeout=10000)


def test_keyboard_moves_through_results_and_opens_one(sample, serve, page):
    page.goto(serve(sample) + "en/index.html")
    box = type_query(page, "invoice")
    options(page).first.wait_for()
    box.press("ArrowDown")
    first_id = options(page).nth(0).get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first_id
    assert options(page).nth(0).get_attribute("aria-selected") == "true"
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options(page).nth(1).get_attribute("id")
    box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first_id
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    target = options(page).nth(0).get_attribute("href")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(target.replace("../", ""))
    assert "invoice" in page.locator("h1").first.inner_text().lower()


def test_escape_pressed_right_after_typing_keeps_the_popup_closed(sample, serve, page):
    page.goto(serve(sample) + "en/index.html")
    box = page.locator(BOX).first
    box.click()
    # Faster than the typing debounce: the search already scheduled must not reopen the popup.
    box.press_sequentially("email", delay=0)
    box.press("Escape")
    page.wait_for_timeout(400)
    assert box.get_attribute("aria-expanded") == "false"
    assert not page.locator("form[data-kb-search] [role=listbox]").first.is_visible()
    box.press_sequentially("billing", delay=0)
    box.press("Escape")
    box.press("Escape")  # the second Escape empties the box: nothing may appear for the old text
    page.wait_for_timeout(400)
    assert box.input_value() == ""
    assert box.get_attribute("aria-expanded") == "false"


def test_japanese_typed_into_the_japanese_site(sample, serve, page):
    page.goto(serve(sample) + "ja/index.html")
    type_query(page, "二段階認証")
    first = options(page).first
    # the list follows every keystroke: wait for the answer to the whole word, not to "二段階"
    expect(first.locator("mark").first).to_have_text("二段階認証")
    assert "二段階認証" in first.inner_text()


def test_results_show_titles_as_written_not_normalized(sample, serve, page):
    page.goto(serve(sample) + "ja/index.html")
    type_query(page, "webhook")
    first = options(page).first
    # the list follows every keystroke: wait for the answer to the whole word, not to "webhoo"
    expect(first.locator(".kb-search-title mark").first).to_have_text("Webhook")
    # NFKC is for matching only: a Japanese title keeps its full-width colon on screen.
    assert first.locator(".kb-search-title").inner_text() == "Webhook：チケットのイベントを自社システムに送る"
    type_query(page, "ﾁｹｯﾄ")  # half-width katakana typed: the written full-width title is marked
    page.locator("form[data-kb-search] [role=option] .kb-search-title mark", has_text="チケット").first.wait_for()
    marks = page.locator("form[data-kb-search] [role=option] .kb-search-title mark").all_inner_texts()
    assert "チケット" in marks


def test_other_languages_are_offered_when_nothing_matches(sample, serve, page):
    page.goto(serve(sample) + "en/index.html")
    type_query(page, "パスワード")
    first = options(page).first
    first.wait_for()
    assert "日本語" in first.inner_text()
    href = first.get_attribute("href")
    assert href.startswith("../en/"), "links to the English translation of the Japanese match"
    shot(page, "fallback")


def test_another_language_that_matches_no_better_is_searched_but_its_records_are_not_loaded(sample, serve, page):
    """"webhook qqqq" finds half of itself in English, so Japanese is searched too; it finds no
    more there, so nothing Japanese is shown, and the records of its first results, which
    comparing their titles with the query would load, are not fetched."""
    page.goto(serve(sample) + "en/index.html")
    type_query(page, "webhook qqqq")
    assert "Webhook" in options(page).first.inner_text()
    assert page.locator("form[data-kb-search] .kb-search-language").count() == 0
    loaded = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert any("/search/ja/t-" in url for url in loaded), "Japanese was searched"
    assert not any("/search/ja/d-" in url for url in loaded), [url for url in loaded if "/search/ja/" in url]


def test_results_page_filters_by_category_and_keeps_it_in_the_url(sample, serve, page):
    page.goto(serve(sample) + "en/search.html?q=ticket")
    results = page.locator("[data-kb-mount=search-results]")
    results.locator("li").first.wait_for()
    total = results.locator("li").count()
    buttons = results.locator(".kb-search-filter button")
    assert buttons.count() > 2
    billing = results.locator(".kb-search-filter button[data-category=billing]")
    billing.click()
    assert "category=billing" in page.url
    assert billing.get_attribute("aria-pressed") == "true"
    assert 0 < results.locator("li").count() < total
    for category in results.locator("li .kb-search-category").all_inner_texts():
        assert category.startswith("Billing")
    shot(page, "results-page")
    page.reload()
    results.locator("li").first.wait_for()
    assert results.locator(".kb-search-filter button[data-category=billing]").get_attribute("aria-pressed") == "true"


def test_results_filter_keeps_keyboard_focus_on_the_chosen_category(sample, serve, page):
    page.goto(serve(sample) + "en/search.html?q=ticket")
    results = page.locator("[data-kb-mount=search-results]")
    results.locator("li").first.wait_for()
    results.locator(".kb-search-filter button[data-category=billing]").focus()
    page.keyboard.press("Enter")
    focused = page.evaluate("[document.activeElement.dataset.category, document.activeElement.getAttribute('aria-pressed')]")
    assert focused == ["billing", "true"], "focus must not fall back to the top of the page"
    page.keyboard.press("Shift+Tab")  # the previous category, without the mouse
    page.keyboard.press("Enter")
    chosen = page.evaluate("document.activeElement.dataset.category")
    assert chosen not in ("billing", None) and f"category={chosen}" in page.url


def test_widget_on_another_origin(sample, serve, tmp_path, page):
    portal = serve(sample)
    host = tmp_path / "host"
    host.mkdir()
    (host / "index.html").write_text(
        "<!doctype html><html><head><style>li{color:rgb(255,0,0)} input{border:5px solid rgb(0,128,0)}</style></head>"
        "<body><h1>Acme shop</h1><ul><li id=own>host item</li></ul>"
        f"<script src='{portal}widgets/billing.js'></script></body></html>", encoding="utf-8")
    host_url = serve(host)
    assert host_url != portal
    page.goto(host_url + "index.html")
    before = set(page.evaluate("Object.keys(window)"))
    widget_box = page.locator("[data-kb-widget=billing] input")
    widget_box.click()
    featured = page.locator("[data-kb-widget=billing] [role=option]")
    featured.first.wait_for()  # popular articles before typing
    widget_box.press_sequentially("invoice", delay=20)
    page.wait_for_function("document.querySelector('[data-kb-widget=billing]').shadowRoot.querySelector('[role=option] mark')")
    assert featured.first.get_attribute("href").startswith(portal + "en/billing/")
    assert "invoice" in featured.first.inner_text().lower()
    added = set(page.evaluate("Object.keys(window)")) - before
    assert added <= {"__kbSearchData"}
    assert initiators(page, "/widgets/billing/") == {"script"}   # another origin: no CORS needed
    assert page.evaluate("getComputedStyle(document.getElementById('own')).color") == "rgb(255, 0, 0)"
    assert page.evaluate("getComputedStyle(document.querySelector('[data-kb-widget=billing]').shadowRoot.querySelector('[role=option]')).color") != "rgb(255, 0, 0)"
    shot(page, "widget")


def test_widget_escape_while_its_data_still_loads_keeps_it_closed(sample, serve, tmp_path, page):
    host = tmp_path / "host"
    host.mkdir()
    (host / "index.html").write_text(
        f"<!doctype html><html><body><script src='{serve(sample)}widgets/billing.js'></script></body></html>",
        encoding="utf-8")
    page.goto(serve(host) + "index.html")

    def slow(route):
        time.sleep(0.3)  # a slow network: the data arrives after the reader pressed Escape
        route.continue_()
    page.route("**/widgets/billing/**", slow)
    widget_box = page.locator("[data-kb-widget=billing] input")
    widget_box.click()  # focus starts loading the popular articles
    widget_box.press("Escape")
    page.wait_for_timeout(800)
    assert widget_box.get_attribute("aria-expanded") == "false"
    assert not page.locator("[data-kb-widget=billing] [role=listbox]").is_visible()


def test_search_and_navigation_work_offline_after_one_visit(sample, serve, browser):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(serve(sample) + "en/index.html")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
        (sample / "api").mkdir(exist_ok=True)
        (sample / "api" / "tickets").write_text("[]", encoding="utf-8")  # stands in for the portal's API
        assert page.evaluate("fetch('../api/tickets').then(r => r.status)") == 200
        cached = page.evaluate("caches.keys().then(n => caches.open(n[0])).then(c => c.keys()).then(k => k.map(r => r.url))")
        assert any(url.endswith("/en/search.html") for url in cached)
        assert not [url for url in cached if "/api/" in url], "API answers must never be cached"
        context.set_offline(True)
        page.reload()
        type_query(page, "password")
        first = options(page).first
        first.wait_for()
        with page.expect_navigation():
            first.click()
        assert "password" in page.locator("h1").first.inner_text().lower()
    finally:
        context.close()


def initiators(page, folder: str) -> set[str]:
    """How the page asked for the files under `folder` (Resource Timing's initiatorType)."""
    return set(page.evaluate("(folder) => performance.getEntriesByType('resource')"
                             ".filter((e) => e.name.includes(folder)).map((e) => e.initiatorType)", folder))


def test_the_portal_fetches_its_search_data_instead_of_running_it_as_scripts(sample, serve, page):
    """Fetched and parsed, a data file costs the page's main thread less than a <script> (see
    search-index.js, dataLoader); file:// and the widget on another site still run them as
    scripts (test_search_from_file_url, test_widget_on_another_origin)."""
    page.goto(serve(sample) + "en/index.html")
    type_query(page, "invoice")
    options(page).first.wait_for()
    assert initiators(page, "/search/en/") == {"fetch"}
    assert page.locator("script[src*='/search/']").count() == 0


def test_search_from_file_url(sample, page):
    page.goto((sample / "en" / "index.html").as_uri())
    type_query(page, "invoice")
    first = options(page).first
    first.wait_for()
    href = first.get_attribute("href")
    assert href.endswith("/index.html")
    with page.expect_navigation():
        first.click()
    assert page.url.startswith("file://") and "invoice" in page.locator("h1").first.inner_text().lower()


def test_open_popup_and_results_page_have_no_axe_violations(sample, serve, page):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    base = serve(sample)
    page.goto(base + "en/index.html")
    box = type_query(page, "password")
    options(page).first.wait_for()
    box.press("ArrowDown")
    popup = axe.run(page, context="form[data-kb-search]").response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in popup] == []
    page.goto(base + "en/search.html?q=ticket")
    page.locator("[data-kb-mount=search-results] li").first.wait_for()
    results = axe.run(page, context="[data-kb-mount=search-results]").response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in results] == []


def test_results_page_labels_other_languages_and_links_translations(sample, serve, page):
    page.goto(serve(sample) + "en/search.html?q=パスワード")
    results = page.locator("[data-kb-mount=search-results]")
    results.locator("li").first.wait_for()
    assert "日本語" in results.locator("h2.kb-search-language").first.inner_text()
    assert results.locator("ol[lang=ja]").count() == 1
    translation = results.locator("a.kb-search-translation").first
    assert translation.get_attribute("href").startswith("../en/")
    assert translation.inner_text().startswith("Read in English:")
    with page.expect_navigation():
        translation.click()
    assert page.url.split("/")[-3] == "en" or "/en/" in page.url


def test_a_new_build_replaces_the_offline_cache(tmp_path, serve, browser):
    output = build_sample(tmp_path / "first")
    base = serve(output)
    build_of = lambda: re.search(r"const BUILD = \"([^\"]+)\"", (output / "sw.js").read_text(encoding="utf-8")).group(1)
    first_build = build_of()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(base + "en/index.html")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
        caches = page.evaluate("caches.keys()")
        assert len(caches) == 1 and caches[0].endswith(first_build)
        site = tmp_path / "first" / "site"
        build(site, BuildOptions(output_dir=output, use_cache=False, workers=1, base_url="https://elsewhere.example/"))
        assert build_of() != first_build
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        # wait_for_function does not await promises: poll caches.keys() from here.
        for _ in range(60):
            caches = page.evaluate("caches.keys()")
            if len(caches) == 1 and caches[0].endswith(build_of()):
                break
            page.wait_for_timeout(250)
        assert len(caches) == 1 and caches[0].endswith(build_of()), caches
    finally:
        context.close()


def test_results_page_without_a_choice_of_categories_shows_no_filter(sample, serve, page):
    page.goto(serve(sample) + "en/search.html?q=prorated")
    results = page.locator("[data-kb-mount=search-results]")
    results.locator("li").first.wait_for()
    categories = set(results.locator("li .kb-search-category").all_inner_texts())
    assert len(categories) == 1, "the query should match a single category for this test"
    assert not results.locator(".kb-search-filter").is_visible()


@pytest.mark.parametrize("lang, subjects", [
    ("en", [("I forgot my password", "en/account-security/password-reset/"),
            ("How do I invite my team?", "en/getting-started/inviting-your-team/"),
            ("my payment failed", "en/billing/invoices/")]),
    ("ja", [("パスワードを忘れました", "ja/よくある質問/パスワードを忘れた/"),
            ("請求書の宛名を変えたい", "ja/よくある質問/請求書の宛名を変更したい/"),
            ("チャットウィジェットを設置する方法", "ja/live-chat/installing-the-widget/")]),
])
def test_ticket_form_suggests_the_article_for_a_question_as_customers_type_it(sample, serve, page, lang, subjects):
    page.route("**/api/**", lambda route: route.abort())  # suggestions come from the offline index
    page.goto(serve(sample) + f"{lang}/tickets/index.html")
    subject = page.locator("#kb-t-subject")
    subject.wait_for()
    for text, expected in subjects:
        subject.fill("")
        subject.fill(text)
        page.wait_for_function(
            "(want) => { const a = document.querySelector('.kb-suggestions li a');"
            " return a && decodeURIComponent(new URL(a.href).pathname).endsWith('/' + want); }",
            arg=expected, timeout=10000)


def test_widget_ranks_questions_and_typos_like_the_portal(sample, serve, tmp_path, page):
    host = tmp_path / "host"
    host.mkdir()
    portal = serve(sample)
    (host / "index.html").write_text(
        f"<!doctype html><html><body><script src='{portal}widgets/billing.js'></script></body></html>", encoding="utf-8")
    page.goto(serve(host) + "index.html")
    widget_box = page.locator("[data-kb-widget=billing] input")
    first = page.locator("[data-kb-widget=billing] [role=option]").first
    for text, expected in [("where can I download my invoice", "en/billing/invoices/"),
                           ("how much does the Growth plan cost", "en/billing/plans-and-pricing/"),
                           ("invoce", "en/billing/invoices/")]:
        widget_box.fill(text)
        page.wait_for_function(
            "(want) => { const root = document.querySelector('[data-kb-widget=billing]').shadowRoot;"
            " const a = root.querySelector('[role=option]');"  # search results, not the popular list
            " return a && a.href.endsWith(want) && /result/.test(root.querySelector('.status').textContent); }",
            arg=expected, timeout=10000)
        assert first.get_attribute("href") == portal + expected
    # the typo's corrected spelling is marked (its stem, as for a word spelt right), as in the portal
    marks = page.evaluate("() => [...document.querySelector('[data-kb-widget=billing]').shadowRoot"
                          ".querySelectorAll('[role=option] mark')].map((m) => m.textContent.toLowerCase())")
    assert "invoic" in marks, marks
