"""The browser's words in real Chromium come from the i18n files: a third language added as one
strings file in the site's theme folder, and a site's override of one English browser string."""
from __future__ import annotations


import pytest

from conftest import article, build_site, make_site

pytestmark = pytest.mark.browser
BOX = "form[data-kb-search] input[name=q]"

GERMAN = """\
# One file adds a language: the templates' words and the browser's (js_*); the rest falls back to English.
search_placeholder = "Artikel durchsuchen…"
js_search_results = "{n} Ergebnisse"
js_search_results_one = "{n} Ergebnis"
js_search_none = "Keine Artikel passen zu „{q}“."
js_search_label = "Suchergebnisse"
"""
CONFIG = """
[languages.de]
name = "Deutsch"
title = "Hilfe"
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory, serve):
    root = make_site(tmp_path_factory.mktemp("strings") / "site", {
        "en/invoices.md": article("Invoices", "Download an invoice."),
        "ja/invoices.md": article("請求書", "請求書をダウンロードします。"),
        "de/rechnung.md": article("Rechnung", "Eine Rechnung herunterladen und das Konto ansehen."),
        "de/konto.md": article("Konto", "Das Konto löschen."),
    }, CONFIG)
    strings = root / "themes" / "classic" / "i18n"
    strings.mkdir(parents=True)
    (strings / "de.toml").write_text(GERMAN, encoding="utf-8")
    (strings / "en.toml").write_text('js_search_none = "Sorry, nothing about “{q}” yet."\n', encoding="utf-8")
    result = build_site(root)
    assert result.exit_code == 0, result.output
    return serve(root / "output")


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    warnings = []
    # strings.js warns "kbgen: no UI string …" for a key no file has
    page.on("console", lambda message: warnings.append(message.text) if message.text.startswith("kbgen:") else None)
    page.on("pageerror", lambda error: warnings.append(str(error)))
    yield page
    context.close()
    assert warnings == [], "no missing strings, no script errors"


def search(page, query: str) -> tuple[str, str]:
    form = page.locator("form[data-kb-search]", has=page.locator("input[name=q]")).first
    status, note = form.locator("[role=status]"), form.locator(".kb-search-popup .kb-search-note")
    status.wait_for(state="attached")
    status.evaluate("node => { node.textContent = ''; node.parentNode.querySelector('.kb-search-popup').replaceChildren(); }")
    page.fill(BOX, query)
    page.wait_for_function("([s, p]) => s.textContent || p.querySelector('.kb-search-note')",
                           arg=[status.element_handle(), form.locator(".kb-search-popup").element_handle()])
    return status.text_content() or "", note.first.text_content() if note.count() else ""


def test_a_third_language_is_one_strings_file_and_its_plural_forms_work_in_the_browser(page, portal):
    page.goto(portal + "de/")
    assert page.get_attribute(BOX, "placeholder") == "Artikel durchsuchen…"
    assert page.get_attribute(".kb-search-popup", "aria-label") == "Suchergebnisse"
    assert search(page, "Rechnung")[0] == "1 Ergebnis"
    assert search(page, "Konto")[0] == "2 Ergebnisse"
    assert search(page, "zzqxw")[1] == "Keine Artikel passen zu „zzqxw“."


def test_a_site_override_of_one_browser_string_shows_and_other_languages_keep_theirs(page, portal):
    page.goto(portal + "en/")
    assert search(page, "zzqxw")[1] == "Sorry, nothing about “zzqxw” yet."
    assert search(page, "invoice")[0] == "1 result", "strings the site does not override stay"
    page.goto(portal + "ja/")
    assert search(page, "zzqxw")[1] == "「zzqxw」に一致する記事はありません。"
