"""The customer account in real Chromium against the built sample site in every theme plus the API:
a customer signs up, follows the verification link from the outbox and then sees the ticket they
filed earlier as a guest; a customer edits and deletes their own forum answer and cannot once the
edit window is over; a chat ends, the customer rates it and the agent's report shows it. axe finds
no violations on the changed pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import sample_per_theme_with_api_toml
from kbgen.api.mailer import read_outbox
from kbgen.api.models import utcnow
from live_server import sign_in_as_agent, generous_rates, live_site, api_as, axe_violations
from api_fixtures import PASSWORD, settings_for_tests

pytestmark = pytest.mark.browser
THEMES = ("classic", "montana", "minimalistic")
API_TOML = """\
[forum]
moderate_first_posts = 0
edit_window_minutes = 30
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("account")
    site, toml = sample_per_theme_with_api_toml(tmp, THEMES, API_TOML)
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", rates=generous_rates(), source=str(toml))
    users = {"agent@example.com": ("Alex Agent", "agent"), "carol@example.com": ("Carol", "customer"),
             "dan@example.com": ("Dan", "customer")}
    with live_site(settings, users, site=site, age_days=30) as running:
        yield running


def outbox_link(server, address: str, pattern: str) -> str:
    mails = [m for m in read_outbox(server.app.state.kb.settings) if m["To"] == address and re.search(pattern, m.get_body(("plain",)).get_content())]
    assert mails, f"no mail to {address} matching {pattern}"
    return re.search(pattern, mails[-1].get_body(("plain",)).get_content()).group(0)


@pytest.mark.parametrize("theme, lang", [("classic", "en"), ("montana", "ja"), ("minimalistic", "en")])
def test_a_new_customer_verifies_their_address_and_then_sees_their_guest_ticket(open_page, server, theme, lang):
    email = f"guest-{theme}@example.com"
    guest = api_as(server)
    filed = guest.post("/api/tickets", data={"subject": f"Printer jam {theme}", "body": "It jams.", "department": "general",
                                             "email": email, "lang": lang})
    assert filed.status_code == 201, filed.text
    page = open_page(locale="ja-JP" if lang == "ja" else "en-US")
    account = f"/{theme}/{lang}/_portal/account/"
    page.goto(account)
    page.fill("#kb-r-name", "Gina")
    page.fill("#kb-r-email", email)
    page.fill("#kb-r-password", "a-long-password")
    page.click(".kb-account-signed-out form:nth-of-type(2) button[type=submit]")
    unverified = page.wait_for_selector(".kb-unverified")
    assert email in unverified.inner_text()
    assert not axe_violations(page), axe_violations(page)
    page.click(".kb-resend-verification")                               # the first mail got lost: a new link
    page.wait_for_selector(f".kb-unverified [aria-live] >> text={email}")
    # signing up proves nothing: the guest ticket is not in the account yet
    page.goto(f"/{theme}/{lang}/_portal/tickets/")
    page.wait_for_selector(".kb-ticket-list")
    assert f"Printer jam {theme}" not in page.inner_text(".kb-ticket-list")
    # the customer opens the link from their mail (it names this language's account page)
    link = outbox_link(server, email, r"https?://\S+#verify=[A-Za-z0-9_-]+")       # the newest one
    assert f"/{lang}/_portal/account/#verify=" in link
    page.goto(account + link[link.index("#"):])
    confirmed = page.wait_for_selector(".kb-notice-info >> nth=0")
    assert email in confirmed.inner_text()
    assert page.locator(".kb-unverified").count() == 0 and "#verify" not in page.url
    page.goto(f"/{theme}/{lang}/_portal/tickets/")
    page.wait_for_selector(f".kb-ticket-list >> text=Printer jam {theme}")
    # the same link again is refused with a message, not silently accepted
    page.goto(account + link[link.index("#"):])
    page.wait_for_selector(".kb-notice-error")


def sign_in(page, theme, lang, email):
    page.goto(f"/{theme}/{lang}/_portal/account/")
    page.fill("#kb-a-email", email)
    page.fill("#kb-a-password", PASSWORD)
    page.click(".kb-account-signed-out form:nth-of-type(1) button[type=submit]")
    page.wait_for_selector(".kb-account-signed-in")


@pytest.mark.parametrize("theme, lang", [("classic", "ja"), ("montana", "en"), ("minimalistic", "ja")])
def test_a_customer_edits_and_deletes_their_own_answer_but_not_after_the_window(open_page, server, theme, lang):
    from sqlalchemy import update

    from kbgen.api.features.forum_models import ForumAnswer

    dan = api_as(server, "dan@example.com")
    topic = dan.post("/api/forum/topics", json={"title": f"Where are invoices ({theme})?", "body": "I cannot find them.",
                                                "category": "billing", "lang": lang}).json()
    page = open_page(locale="ja-JP" if lang == "ja" else "en-US")
    sign_in(page, theme, lang, "carol@example.com")
    page.goto(f"/{theme}/{lang}/_portal/community/#topic={topic['id']}")
    page.fill("#kb-answer-body", "Open Billing and pick Invoces.")
    page.click(".kb-forum-answer-form button[type=submit]")
    card = page.locator(".kb-forum-answer", has_text="Invoces")
    card.locator(".kb-forum-edit").click()
    editor = card.locator(".kb-forum-edit-form textarea")
    assert editor.input_value() == "Open Billing and pick Invoces."      # the Markdown as written, not the HTML
    editor.fill("Open **Billing** and pick Invoices.")
    assert not axe_violations(page, context=".kb-forum-answer"), axe_violations(page, context=".kb-forum-answer")
    card.locator(".kb-forum-edit-form button[type=submit]").click()
    edited = page.locator(".kb-forum-answer", has_text="Invoices")
    edited.locator("strong", has_text="Billing").wait_for()
    assert ("編集済み" if lang == "ja" else "edited") in edited.inner_text()
    assert page.locator(".kb-community-banner .kb-notice-success").count() == 1
    # delete: asked in place, then the text is gone from the page and from the API
    edited.locator(".kb-forum-delete").click()
    page.locator(".kb-forum-delete-yes").click()
    page.locator(".kb-forum-answer", has_text="Invoices").wait_for(state="detached")
    assert ("削除しました" if lang == "ja" else "deleted") in page.inner_text(".kb-community-banner")
    assert page.locator(".kb-forum-question").count() == 1                 # still on the question
    assert "Invoices" not in page.inner_text("main") and "Invoces" not in page.inner_text("main")
    assert "Invoices" not in api_as(server).get(f"/api/forum/topics/{topic['id']}").text
    assert not axe_violations(page), axe_violations(page)
    # a second answer, older than the 30-minute window: no buttons, and the API refuses too
    carol = api_as(server, "carol@example.com")
    late = carol.post(f"/api/forum/topics/{topic['id']}/answers", json={"body": "An older answer"}).json()
    with server.app.state.kb.sessions() as db:
        db.execute(update(ForumAnswer).where(ForumAnswer.id == late["id"]).values(created_at=utcnow() - timedelta(minutes=31)))
        db.commit()
    page.reload()
    old = page.locator(".kb-forum-answer", has_text="An older answer")
    old.wait_for()
    assert old.locator(".kb-forum-edit, .kb-forum-delete").count() == 0
    assert carol.patch(f"/api/forum/answers/{late['id']}", json={"body": "changed"}).status_code == 403
    assert carol.delete(f"/api/forum/answers/{late['id']}").status_code == 403


@pytest.mark.parametrize("theme, lang", [("classic", "en"), ("montana", "ja"), ("minimalistic", "en")])
def test_a_chat_ends_the_customer_rates_it_and_the_agents_report_shows_it(open_page, server, theme, lang):
    agent_api = api_as(server, "agent@example.com")
    assert agent_api.post("/api/agent/chat/presence", json={"status": "online"}).status_code == 200
    customer = open_page(locale="ja-JP" if lang == "ja" else "en-US")
    customer.goto(f"/{theme}/{lang}/")
    customer.click(".kb-chat-launcher")
    customer.fill("#kb-chat-name", f"Rita {theme}")
    customer.fill("#kb-chat-email", f"rita-{theme}@example.com")
    customer.click(".kb-chat-form button[type=submit]")
    customer.fill("#kb-chat-input", "My order is late")
    customer.press("#kb-chat-input", "Enter")
    customer.wait_for_selector(".kb-chat-log li.kb-chat-customer:not(.kb-chat-pending)")
    (waiting,) = [c for c in agent_api.get("/api/agent/chat/overview").json()["waiting"] if c["name"] == f"Rita {theme}"]
    assert agent_api.post(f"/api/agent/chat/chats/{waiting['id']}/accept").status_code == 200
    agent_api.post(f"/api/agent/chat/chats/{waiting['id']}/messages", json={"body": "It ships today."})
    customer.wait_for_selector(".kb-chat-log >> text=It ships today.")
    assert customer.locator(".kb-chat-rating").count() == 0             # not while the chat goes on
    assert agent_api.post(f"/api/agent/chat/chats/{waiting['id']}/close").status_code == 200
    rating = customer.wait_for_selector(".kb-chat-rating")
    assert ("サポートはいかがでしたか" if lang == "ja" else "How was the support you got?") in rating.inner_text()
    assert not axe_violations(customer, context="#kb-chat-panel"), axe_violations(customer, context="#kb-chat-panel")
    customer.click(".kb-chat-rating button[type=submit]")               # nothing chosen: told to choose
    customer.wait_for_selector(".kb-chat-rating [role=alert]:visible")
    customer.check(f".kb-chat-rating input[value={'bad' if theme == 'montana' else 'good'}]")
    customer.fill("#kb-chat-rate-comment", f"Answer for {theme}")
    customer.click(".kb-chat-rating button[type=submit]")
    customer.wait_for_selector(".kb-chat-rating [role=status]:text-matches('Thank you|ありがとう')")
    assert agent_api.get(f"/api/agent/chat/chats/{waiting['id']}").json()["chat"]["satisfaction"]["comment"] == f"Answer for {theme}"
    agent = open_page()
    sign_in_as_agent(agent)
    agent.goto("/agent/#ratings")
    agent.wait_for_selector(".kb-satisfaction-report")
    assert "Alex Agent" in agent.inner_text(".kb-satisfaction-report")
    assert f"Answer for {theme}" in agent.inner_text("#agent-main")


@pytest.mark.parametrize("theme, lang", [("classic", "ja"), ("montana", "en"), ("minimalistic", "ja")])
def test_a_signed_in_customer_changes_their_email_through_a_link_to_the_new_address(open_page, server, theme, lang):
    old, new = f"old-{theme}@example.com", f"new-{theme}@example.com"
    registered = api_as(server).post("/api/auth/register", json={"email": old, "password": PASSWORD, "lang": lang})
    assert registered.status_code == 201, registered.text
    page = open_page(locale="ja-JP" if lang == "ja" else "en-US")
    sign_in(page, theme, lang, old)
    page.fill("#kb-e-email", new)
    page.fill("#kb-e-current", PASSWORD)
    page.click("form:has(#kb-e-email) button[type=submit]")
    page.wait_for_selector(f".kb-account-signed-in [aria-live] >> text={new}")
    assert old in page.inner_text(".kb-account-signed-in > p >> nth=0")          # not changed yet
    notice = [m for m in read_outbox(server.app.state.kb.settings) if m["To"] == old and new in m.get_body(("plain",)).get_content()]
    assert len(notice) == 1 and "#verify=" not in notice[0].get_body(("plain",)).get_content()       # the old address is told, without a link
    link = outbox_link(server, new, r"https?://\S+#verify=[A-Za-z0-9_-]+")
    page.goto(f"/{theme}/{lang}/_portal/account/" + link[link.index("#"):])
    # pasted into the open tab: only the hash changes, and the page follows the link
    expect(page.locator(".kb-account-signed-in > p").first).to_contain_text(new)   # not wait_for_function: the CSP forbids its eval
    changed = "メールアドレスを" if lang == "ja" else "Your email address is now"
    assert changed in page.inner_text("[data-kb-mount=account]") and page.locator(".kb-unverified").count() == 0


@pytest.mark.parametrize("theme, lang", [("classic", "en"), ("montana", "ja"), ("minimalistic", "en")])
def test_a_customer_deletes_their_own_unanswered_question(open_page, server, theme, lang):
    carol = api_as(server, "carol@example.com")
    topic = carol.post("/api/forum/topics", json={"title": f"Asked by mistake {theme}", "body": "Ignore me please.",
                                                  "category": "billing", "lang": lang}).json()
    page = open_page(locale="ja-JP" if lang == "ja" else "en-US")
    sign_in(page, theme, lang, "carol@example.com")
    page.goto(f"/{theme}/{lang}/_portal/community/#topic={topic['id']}")
    question = page.locator(".kb-forum-question")
    question.locator(".kb-forum-delete").click()
    page.locator(".kb-forum-delete-yes").click()
    expect(page).not_to_have_url(re.compile(r"topic="))       # back on the list
    page.wait_for_selector(".kb-community-banner .kb-notice-success")
    assert f"Asked by mistake {theme}" not in page.inner_text("main")
    assert api_as(server).get(f"/api/forum/topics/{topic['id']}").status_code == 404


@pytest.mark.parametrize("theme", THEMES)
def test_the_apis_answers_are_in_the_pages_language_not_the_browsers(open_page, server, theme):
    page = open_page(locale="en-US")          # an English browser on the Japanese pages
    page.goto(f"/{theme}/ja/_portal/account/")
    page.fill("#kb-a-email", "carol@example.com")
    page.fill("#kb-a-password", "not her password")
    page.click(".kb-account-signed-out form:first-of-type button[type=submit]")
    expect(page.locator(".kb-account-signed-out")).to_contain_text("メールアドレスまたはパスワードが正しくありません。")
    assert "The email or password is wrong" not in page.inner_text("body")
