"""The staff live-chat page (/agent/chat/) and the community moderation page (/agent/community/)
in real Chromium: on the portal's design system like the agent console, in English and Japanese
(the agent's menu choice or the browser language), with the chat's opening hours shown; at 1280
and 390 px each view fits the screen, passes axe and can be worked with the keyboard."""
from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kbgen.api.features.chat_models import ChatSession
from kbgen.api.features import chat_core
from api_fixtures import settings_for_tests
from live_server import PASSWORD, generous_rates, api_as, axe_violations, sign_in_as_agent, live_site

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CONFIG = """
[chat]
timezone = "Asia/Tokyo"
hours = { mon = "09:00-18:00", tue = "09:00-18:00", sat = "10:00-12:00, 13:00-17:00" }

[forum]
moderate_first_posts = 1
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agent-pages")
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "kbgen", "build", "-o", str(site)], cwd=REPO, check=True, capture_output=True)
    toml = tmp / "kbgen.toml"
    toml.write_text(CONFIG, encoding="utf-8")
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", rates=generous_rates(), source=str(toml))
    users = {"agent@example.com": ("Alex Agent", "agent"), "newbie@example.com": ("Nina", "customer")}
    with live_site(settings, users, site=site) as running:
        with running.app.state.kb.sessions() as db:
            # a customer waiting in the chat (stored directly: outside opening hours nobody could start one)
            chat = ChatSession(name="Wanda Waiting", email="wanda@example.com", lang="ja", department="general",
                               page="/en/guides/exporting/", token_hash=secrets.token_hex(32), status="waiting")
            db.add(chat)
            db.flush()
            chat_core.append_message(db, chat, "customer", "My export stops at 99 %.")
            db.commit()
        yield running


@pytest.fixture(scope="module")
def community(server):
    newbie = api_as(server, "newbie@example.com")
    held = newbie.post("/api/forum/topics", json={"title": "My very first question", "body": "Is **this** held?", "category": "getting-started"})
    assert held.status_code == 201 and held.json()["status"] == "pending", held.text
    agent = api_as(server, "agent@example.com")
    idea = agent.post("/api/feedback/ideas", json={"title": "Offline mode", "body": "Work on the train."}).json()["id"]
    agent.post("/api/agent/community/blocks", json={"email": "newbie@example.com", "reason": "spam test"})
    return {"topic": held.json()["id"], "idea": idea}


def fits(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("locale, words", [
    ("en-US", {"nav": "Inbox", "chat": "Live chat", "hours": "Chat opening hours", "monday": "Monday", "closed": "closed",
               "accept": "Accept", "queue": "Moderation queue", "approve": "Approve"}),
    ("ja-JP", {"nav": "受信箱", "chat": "ライブチャット", "hours": "チャット受付時間", "monday": "月曜日", "closed": "休み",
               "accept": "受け付ける", "queue": "承認待ち", "approve": "承認"}),
])
def test_chat_and_moderation_pages_in_both_languages_fit_a_phone_and_pass_axe(open_page, server, community, locale, words):
    problems = []
    for width in (1280, 390):
        page = open_page(width=width, locale=locale)
        sign_in_as_agent(page, "/agent/chat/", "#chat-hours dl")
        assert page.inner_text(".kb-agent-nav").startswith(words["nav"])
        assert page.evaluate("document.documentElement.lang") == locale[:2]
        assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--kb-accent').trim()") != ""   # kbgen.css
        hours = page.inner_text("#chat-hours")
        assert words["hours"] in hours and words["monday"] in hours and "09:00-18:00" in hours and words["closed"] in hours
        assert "Asia/Tokyo" in hours
        page.wait_for_selector("#waiting li[data-chat] .accept")
        assert page.inner_text("#waiting .accept") == words["accept"]
        page.click("#waiting li[data-chat] button.link")            # open the waiting chat without taking it
        page.wait_for_selector("#chat-log >> text=My export stops at 99 %.")
        for view in ("chat list", "open chat"):
            if view == "open chat":
                page.wait_for_selector("#chat-history", state="attached")
            if fits(page) > 1:
                problems.append(f"{locale} {width}px chat {view}: {fits(page)}px too wide")
            problems += [f"{locale} {width}px chat {view}: {v}" for v in axe_violations(page)]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"agent-chat-{locale}-{width}.png"), full_page=True)

        page.goto("/agent/community/")
        page.wait_for_selector(f"article[data-topic='{community['topic']}']")
        assert words["queue"] in page.inner_text("#agent-main h2")
        assert page.locator(f"article[data-topic='{community['topic']}'] button", has_text=words["approve"]).count() == 1
        for view, ready in (("#queue", "article[data-topic]"), ("#topics", "#topic-q"), ("#feedback", "article[data-idea]"),
                            (f"#topic/{community['topic']}", "#edit-title"), (f"#idea/{community['idea']}", "article[data-idea]"),
                            ("#blocks", "#block-email")):
            page.goto(f"/agent/community/{view}")
            page.wait_for_selector(ready, state="attached")
            page.wait_for_selector(".kb-mod-nav a[aria-current]")
            if fits(page) > 1:
                problems.append(f"{locale} {width}px community {view}: {fits(page)}px too wide")
            problems += [f"{locale} {width}px community {view}: {v}" for v in axe_violations(page)]
            if view in ("#queue", "#feedback"):
                page.screenshot(path=str(ARTIFACTS / f"agent-community-{view[1:]}-{locale}-{width}.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_the_staff_pages_pass_axe_in_dark_mode_too(browser, server, community):
    """kbgen.css switches to dark colours with the system: the staff pages' own colours follow it
    (the console's inbox too)."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        sign_in_as_agent(page, "/agent/chat/", "#chat-hours dl")
        page.click("#waiting li[data-chat] button.link")
        page.wait_for_selector("#chat-log li")
        problems = [f"chat: {v}" for v in axe_violations(page)]
        for view in ("#queue", "#feedback", "#blocks"):
            page.goto(f"/agent/community/{view}")
            page.wait_for_selector(".kb-mod-nav a[aria-current]")
            page.wait_for_selector("#staff-view section")
            problems += [f"community {view}: {v}" for v in axe_violations(page)]
        page.goto("/agent/")
        page.wait_for_selector("table.inbox")
        problems += [f"console inbox: {v}" for v in axe_violations(page)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_agents_language_choice_carries_to_the_chat_page_and_the_keyboard_works(open_page, server, community):
    page = open_page(locale="en-US")
    sign_in_as_agent(page, "/agent/community/#blocks", "#block-email")
    with page.expect_navigation():
        page.select_option("#agent-lang", "ja")                  # the same menu as on the console
    page.wait_for_selector("#block-email")
    assert "ブロック中のアカウント" in page.inner_text("#agent-main h2")
    page.goto("/agent/chat/")
    page.wait_for_selector("#chat-hours dl")
    assert "チャット受付時間" in page.inner_text("#chat-hours")
    # keyboard only: Tab reaches the waiting chat's Accept button, Enter takes the chat
    page.locator("#presence").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('accept')"):
            break
    else:
        pytest.fail("Tab never reached the Accept button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#mine li[data-chat]")
    # the reply box takes the focus once the chat is open
    # (expect, not wait_for_function: the page's CSP forbids the eval its polling needs)
    expect(page.locator("#chat-reply-body")).to_be_focused()
    expect(page.locator("#chat-reply-body")).to_be_enabled()
    page.keyboard.type("こんにちは、確認します")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-log >> text=こんにちは、確認します")
    assert page.inner_text("#chat-status") == "対応中"
    # a link to the chat (the ticket side panel, the waiting-chat mail) opens it
    chat_id = page.get_attribute("#mine li[data-chat]", "data-chat")
    linked = open_page(locale="ja-JP")
    sign_in_as_agent(linked, f"/agent/chat/#chat={chat_id}", "#chat-log >> text=こんにちは、確認します")


def test_the_sign_in_page_follows_the_agents_language_and_answers_a_wrong_password_in_it(open_page, server):
    page = open_page(locale="ja-JP")
    page.goto("/agent/")
    assert page.inner_text("h1") == "スタッフのサインイン" and page.evaluate("document.documentElement.lang") == "ja"
    page.fill("#email", "agent@example.com")
    page.fill("#password", "not the password")
    page.click("#signin button[type=submit]")
    expect(page.locator("#signin-error")).to_have_text("メールアドレスまたはパスワードが正しくありません。")
    assert axe_violations(page) == []
    # an English browser whose agent chose Japanese on the staff pages (kept in the browser)
    chosen = open_page(locale="en-US")
    chosen.goto("/agent/")
    assert chosen.inner_text("h1") == "Staff sign-in"
    chosen.evaluate("localStorage.setItem('kb-agent-lang', 'ja')")
    chosen.reload()
    expect(chosen.locator("h1")).to_have_text("スタッフのサインイン")
    assert chosen.inner_text("label[for=password]") == "パスワード"
    chosen.fill("#email", "newbie@example.com")
    chosen.fill("#password", PASSWORD)
    chosen.click("#signin button[type=submit]")
    expect(chosen.locator("#signin-error")).to_have_text("このアカウントはスタッフアカウントではありません。")
