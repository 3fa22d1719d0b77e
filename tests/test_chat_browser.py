"""Live chat in real Chromium: a customer on an article page and an agent on /agent/chat/ exchange
messages both ways within two seconds, through a reload and a move to another article; with
nobody online the button offers to leave a message, which becomes a ticket. The same exchange
runs against two uvicorn worker processes sharing one PostgreSQL database."""
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from live_server import PoliteClient, free_port, site_with_api
from conftest import node_strings_env

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHAT_TOML = """
[chat]
position = "bottom-left"
accent = "#7a1fa2"
welcome = { en = "Hi! How can we help?", ja = "こんにちは。どのようなご用件でしょうか？" }
prechat_fields = ["name", "email"]
unanswered_after_seconds = 120
"""
SITE_CONFIG = """\
title = "Chat KB"
base_url = "https://example.com/"
theme = "classic"
default_language = "en"

[languages.en]
name = "English"
title = "Chat KB"
"""
AGENT_EMAIL, AGENT_NAME = "alex@example.com", "Alex Agent"


def site_app_from_environment():
    """uvicorn --factory entry for the multi-process test: the API (from KBGEN_CONFIG) plus the built site."""
    from kbgen.api.app import app_from_environment
    return site_with_api(app_from_environment(), Path(os.environ["KBGEN_TEST_SITE"]))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from kbgen.build import BuildOptions, build

    root = tmp_path_factory.mktemp("chat-site")
    (root / "kbgen.toml").write_text(SITE_CONFIG, encoding="utf-8")
    for slug, title in (("exporting", "Exporting data"), ("billing", "Changing your plan")):
        path = root / "content" / "en" / "guides" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        # every search field filled: the search build divides by the average length of each field
        path.write_text(f"---\ntitle: {title}\ndescription: How {slug} works\nkeywords: [{slug}]\n---\n\n"
                        f"## Steps\n\n{title} explained, step by step.\n", encoding="utf-8")
    (root / "content" / "en" / "guides" / "_index.md").write_text("---\ntitle: Guides\n---\n", encoding="utf-8")
    build(root, BuildOptions(output_dir=root / "output", workers=1, use_cache=False))
    return root / "output"


def add_staff(app_or_url):
    from kbgen.api.db import make_engine, make_session_factory
    from kbgen.api.models import User
    from kbgen.api.security import hash_password
    from api_fixtures import PASSWORD

    engine = make_engine(app_or_url) if isinstance(app_or_url, str) else app_or_url.state.engine
    with make_session_factory(engine)() as db:
        db.add(User(email=AGENT_EMAIL, name=AGENT_NAME, password_hash=hash_password(PASSWORD), role="agent"))
        db.commit()
    if isinstance(app_or_url, str):
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory, site):
    from live_server import live_site
    from kbgen.api.settings import Rate
    from api_fixtures import settings_for_tests

    tmp = tmp_path_factory.mktemp("chat-api")
    toml = tmp / "kbgen.toml"
    toml.write_text(CHAT_TOML, encoding="utf-8")
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", source=str(toml),
                                  rates={"submission": Rate(10_000, 60), "signin": Rate(1000, 60)})
    with live_site(settings, {AGENT_EMAIL: (AGENT_NAME, "agent")}, site=site) as running:
        yield running




def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"))


def watch_errors(page, errors):
    page.on("pageerror", lambda error: errors.append(str(error)))


def sign_in_agent(browser, base_url, errors):
    from api_fixtures import PASSWORD

    context = browser.new_context(base_url=base_url)
    agent = context.new_page()
    watch_errors(agent, errors)
    agent.goto("/agent/chat/")
    agent.fill("#email", AGENT_EMAIL)
    agent.fill("#password", PASSWORD)
    agent.click("#signin button[type=submit]")
    agent.wait_for_selector("#presence")
    return context, agent


def wait_until_available(base_url, expected=True, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{base_url}/api/chat/config").json()["available"] is expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"chat availability never became {expected}")


def count(page, selector, text):
    return page.locator(selector, has_text=text).count()


class StaffApi:
    """The agent, through the API (where a test needs no agent page)."""

    def __init__(self, base_url):
        from api_fixtures import PASSWORD

        self.http = PoliteClient(base_url=base_url, headers={"Origin": base_url})
        self.post("/api/auth/login", json={"email": AGENT_EMAIL, "password": PASSWORD})

    def post(self, path, **kwargs):
        token = self.http.get("/api/session").json()["csrf_token"]
        return self.http.post(path, headers={"X-CSRF-Token": token}, **kwargs)


def add_earlier_chat(base_url):
    """Gina chatted before; that transcript is on her record (made through the API, like a real visit)."""
    from api_fixtures import PASSWORD

    with PoliteClient(base_url=base_url, headers={"Origin": base_url}) as guest, \
            PoliteClient(base_url=base_url, headers={"Origin": base_url}) as staff:
        token = staff.get("/api/session").json()["csrf_token"]
        staff.post("/api/auth/login", json={"email": AGENT_EMAIL, "password": PASSWORD}, headers={"X-CSRF-Token": token})
        token = staff.get("/api/session").json()["csrf_token"]
        staff.post("/api/agent/chat/presence", json={"status": "online"}, headers={"X-CSRF-Token": token})
        guest_token = guest.get("/api/session").json()["csrf_token"]
        chat = guest.post("/api/chat/chats", json={"name": "Gina Guest", "email": "gina@example.com", "lang": "en"},
                          headers={"X-CSRF-Token": guest_token}).json()
        guest.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "My export failed last week"},
                   headers={"X-CSRF-Token": guest_token, "X-Chat-Token": chat["token"]})
        closed = guest.post(f"/api/chat/chats/{chat['id']}/close", headers={"X-CSRF-Token": guest_token, "X-Chat-Token": chat["token"]})
        assert closed.json()["status"] == "closed"


def exchange(browser, base_url, service_workers="allow"):
    """The whole customer ↔ agent conversation; returns the measured delivery times in seconds.

    With the site's offline service worker in charge the customer page polls (a worker would hold
    an event stream forever); with it blocked the page must use the event stream."""
    errors, timings = [], {}
    add_earlier_chat(base_url)
    agent_context, agent = sign_in_agent(browser, base_url, errors)
    wait_until_available(base_url)
    customer_context = browser.new_context(base_url=base_url, service_workers=service_workers)
    customer = customer_context.new_page()
    watch_errors(customer, errors)
    streams = []
    customer.on("response", lambda r: streams.append(r.url) if "/events?" in r.url and r.status == 200 else None)
    customer.goto("/en/guides/exporting/")
    launcher = customer.locator(".kb-chat-launcher")
    launcher.wait_for()
    assert customer.get_attribute("[data-kb-mount=chat]", "data-position") == "bottom-left"
    assert launcher.get_attribute("aria-expanded") == "false" and launcher.get_attribute("aria-label") == "Chat with us"
    launcher.click()
    dialog = customer.locator("[role=dialog]#kb-chat-panel")
    assert dialog.is_visible() and launcher.get_attribute("aria-expanded") == "true"
    customer.wait_for_selector("text=Hi! How can we help?")
    customer.wait_for_function("document.activeElement.id === 'kb-chat-name'", timeout=2000)   # focus moved into the dialog
    customer.keyboard.press("Escape")
    assert not dialog.is_visible() and customer.evaluate("document.activeElement.className") == "kb-chat-launcher"
    launcher.click()
    customer.click(".kb-chat-form button[type=submit]")                          # name and email are required
    customer.wait_for_selector("#kb-chat-name[aria-invalid=true]")
    customer.fill("#kb-chat-name", "Gina Guest")
    customer.fill("#kb-chat-email", "gina@example.com")
    customer.click(".kb-chat-form button[type=submit]")
    customer.wait_for_selector("#kb-chat-input")
    assert count(customer, ".kb-chat-log li", "Hi! How can we help?") == 1        # the welcome, at once
    if service_workers == "allow":
        axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
        violations = axe.run(customer, context="[data-kb-mount=chat]").response["violations"]
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    customer.wait_for_selector("text=Waiting for a support agent")
    customer.fill("#kb-chat-input", "Hello from the customer")
    customer.press("#kb-chat-input", "Enter")
    customer.wait_for_selector(".kb-chat-log li.kb-chat-customer:not(.kb-chat-pending) >> text=Hello from the customer")

    agent.wait_for_selector("#waiting .accept", timeout=5000)
    assert agent.locator("#waiting .wait").count() == 1
    agent.click("#waiting .accept")
    agent.wait_for_selector("#chat-log >> text=Hello from the customer")
    agent.wait_for_selector("#chat-history summary >> text=Previous chats")     # the transcript on her record
    agent.click("#chat-history summary")
    agent.wait_for_selector("#chat-history >> text=My export failed last week")
    if service_workers == "allow":
        violations = axe.run(agent).response["violations"]
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    customer.wait_for_selector(f"text=You are chatting with {AGENT_NAME}", timeout=2000)

    agent.fill("#chat-reply-body", "Hello from")        # typing is shown to the customer
    customer.wait_for_selector(f"text={AGENT_NAME} is typing…", timeout=2000)
    agent.fill("#chat-reply-body", "Hello from the agent")
    started = time.monotonic()
    agent.press("#chat-reply-body", "Enter")
    customer.wait_for_selector(".kb-chat-log >> text=Hello from the agent", timeout=2000)
    timings["agent→customer"] = time.monotonic() - started

    started = time.monotonic()
    customer.fill("#kb-chat-input", "Thanks, one more question")
    customer.press("#kb-chat-input", "Enter")
    agent.wait_for_selector("#chat-log >> text=Thanks, one more question", timeout=2000)
    timings["customer→agent"] = time.monotonic() - started
    shot(customer, "customer")
    shot(agent, "agent")

    # a reload keeps the conversation (and the open panel); nothing is shown twice
    customer.reload()
    customer.wait_for_selector(".kb-chat-log >> text=Hello from the agent")
    assert count(customer, ".kb-chat-log li", "Hello from the agent") == 1
    assert count(customer, ".kb-chat-log li", "Hello from the customer") == 1
    started = time.monotonic()
    agent.fill("#chat-reply-body", "After your reload")
    agent.press("#chat-reply-body", "Enter")
    customer.wait_for_selector(".kb-chat-log >> text=After your reload", timeout=2000)
    timings["after reload"] = time.monotonic() - started

    # moving to another article keeps it too
    customer.goto("/en/guides/billing/")
    customer.wait_for_selector(".kb-chat-log >> text=After your reload")
    started = time.monotonic()
    customer.fill("#kb-chat-input", "Now on the billing page")
    customer.press("#kb-chat-input", "Enter")
    agent.wait_for_selector("#chat-log >> text=Now on the billing page", timeout=2000)
    timings["after navigation"] = time.monotonic() - started
    assert count(agent, "#chat-log li", "Hello from the customer") == 1
    assert count(agent, "#chat-log li", "Now on the billing page") == 1

    agent.click("#chat-close")
    customer.wait_for_selector("text=This chat has ended.", timeout=2000)
    customer.click("text=Email me the transcript")
    customer.wait_for_selector("text=The transcript was sent to gina@example.com")
    agent_context.close()
    customer_context.close()
    assert not errors, errors
    if service_workers == "block":
        assert len(streams) >= 3, streams      # one stream per page load, resumed after the last seq
        assert all("after=" in url and "token" not in url for url in streams)   # the secret stays out of URLs
    return timings


@pytest.mark.browser
@pytest.mark.parametrize("service_workers", ["block", "allow"])
def test_customer_and_agent_chat_both_ways_within_two_seconds(browser, server, service_workers):
    timings = exchange(browser, server.url, service_workers)
    assert max(timings.values()) < 2, timings
    print("chat delivery times (s):", {k: round(v, 2) for k, v in timings.items()})


@pytest.mark.browser
def test_with_nobody_online_the_button_offers_a_message_that_becomes_a_ticket(browser, server):
    from kbgen.api.features.chat_models import ChatPresence
    from kbgen.api.models import Ticket

    with server.app.state.kb.sessions() as db:
        db.query(ChatPresence).delete()
        db.commit()
    context = browser.new_context(base_url=server.url, viewport={"width": 375, "height": 700})   # a phone
    page = context.new_page()
    errors = []
    watch_errors(page, errors)
    page.goto("/en/guides/billing/")
    page.click(".kb-chat-launcher")
    page.wait_for_selector("text=Nobody is available to chat right now.")
    panel = page.locator("#kb-chat-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 375 and panel["y"] >= 0     # fits the phone screen
    page.fill("#kb-chat-name", "Olga Offline")
    page.fill("#kb-chat-email", "olga@example.com")
    page.fill("#kb-chat-body", "Please call me about my invoice")
    page.click("text=Send message")
    page.wait_for_selector("text=We received your message")
    shot(page, "leave-message-phone")
    with server.app.state.kb.sessions() as db:
        tickets = db.query(Ticket).filter_by(email="olga@example.com").all()
    assert len(tickets) == 1 and tickets[0].subject == "Message: Please call me about my invoice"
    assert tickets[0].number in page.inner_text("#kb-chat-panel")
    context.close()
    assert not errors, errors


@pytest.mark.browser
def test_a_late_availability_answer_does_not_wipe_what_the_form_told_the_visitor(browser, server):
    from kbgen.api.features.chat_models import ChatPresence

    with server.app.state.kb.sessions() as db:
        db.query(ChatPresence).delete()
        db.commit()
    context = browser.new_context(base_url=server.url, service_workers="block")
    page = context.new_page()
    errors = []
    watch_errors(page, errors)
    page.goto("/en/guides/billing/")
    page.locator(".kb-chat-launcher").wait_for()
    held = []   # opening the panel asks for the availability again: its answer is held back
    page.route("**/api/chat/config*", lambda route: held.append(route))
    page.click(".kb-chat-launcher")
    page.wait_for_selector("text=Nobody is available to chat right now.")
    page.click("text=Send message")                                  # nothing filled in
    page.wait_for_selector("#kb-chat-body[aria-invalid=true]")
    page.fill("#kb-chat-name", "Half typed")
    page.locator("#kb-chat-panel h2, #kb-chat-panel [role=dialog], .kb-chat-launcher").first.focus()
    assert held, "opening the panel asked for the availability"
    with page.expect_response("**/api/chat/config*"):
        for route in held:
            route.continue_()
    page.wait_for_timeout(300)
    assert page.get_attribute("#kb-chat-body", "aria-invalid") == "true", "the answer (unchanged) redrew the form"
    assert page.input_value("#kb-chat-name") == "Half typed"
    context.close()
    assert not errors, errors


@pytest.mark.browser
def test_unanswered_chat_becomes_a_ticket_and_replies_to_a_closed_panel_show_on_the_button(browser, server):
    from kbgen.api.db import utcnow
    from kbgen.api.features.chat_models import ChatSession
    from kbgen.api.models import Ticket

    staff = StaffApi(server.url)
    staff.post("/api/agent/chat/presence", json={"status": "online"})
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    errors = []
    watch_errors(page, errors)
    page.goto("/en/guides/exporting/")
    page.click(".kb-chat-launcher")
    page.fill("#kb-chat-name", "Una Unanswered")
    page.fill("#kb-chat-email", "una@example.com")
    page.click(".kb-chat-form button[type=submit]")
    page.fill("#kb-chat-input", "Is anyone there?")
    page.press("#kb-chat-input", "Enter")
    page.wait_for_selector(".kb-chat-log li.kb-chat-customer:not(.kb-chat-pending)")
    with server.app.state.kb.sessions() as db:      # two minutes pass without an agent
        chat = db.query(ChatSession).filter_by(email="una@example.com").one()
        chat.waiting_since = utcnow() - timedelta(seconds=121)
        db.commit()
    page.wait_for_selector("text=nobody has answered yet", timeout=3000)
    page.click("button:has-text('Leave a message instead')")
    page.wait_for_selector("text=We will answer by email.")
    with server.app.state.kb.sessions() as db:
        (ticket,) = db.query(Ticket).filter_by(email="una@example.com").all()
    assert ticket.subject == "Chat: Is anyone there?" and ticket.number in page.inner_text("#kb-chat-panel")

    page.click("text=Start a new chat")
    page.fill("#kb-chat-name", "Una")
    page.fill("#kb-chat-email", "una@example.com")
    page.click(".kb-chat-form button[type=submit]")
    page.wait_for_selector("#kb-chat-input")
    page.keyboard.press("Escape")
    with server.app.state.kb.sessions() as db:
        chat_id = db.query(ChatSession).filter_by(email="una@example.com", status="waiting").one().id
    assert staff.post(f"/api/agent/chat/chats/{chat_id}/accept").status_code == 200
    staff.post(f"/api/agent/chat/chats/{chat_id}/messages", json={"body": "Sorry for the wait!"})
    page.wait_for_selector(".kb-chat-badge:not([hidden])", timeout=2000)
    assert "new" in page.get_attribute(".kb-chat-launcher", "aria-label")
    page.click(".kb-chat-launcher")
    assert page.is_hidden(".kb-chat-badge")
    assert page.locator(".kb-chat-log li", has_text="Sorry for the wait!").count() == 1
    context.close()
    assert not errors, errors


@pytest.mark.browser
def test_agent_transfers_a_chat_back_to_the_department_queue(browser, server):
    errors = []
    agent_context, agent = sign_in_agent(browser, server.url, errors)
    wait_until_available(server.url)
    with PoliteClient(base_url=server.url, headers={"Origin": server.url}) as guest:
        token = guest.get("/api/session").json()["csrf_token"]
        chat = guest.post("/api/chat/chats", json={"name": "Tom Transfer", "email": "tom@example.com", "lang": "en"},
                          headers={"X-CSRF-Token": token}).json()
    agent.wait_for_selector(f"#waiting li[data-chat='{chat['id']}'] .accept").click()
    agent.wait_for_selector("#mine >> text=Tom Transfer")
    agent.select_option("#chat-transfer", "department:general")
    agent.click("#chat-transfer-go")
    agent.wait_for_selector(f"#waiting li[data-chat='{chat['id']}']")
    agent.wait_for_selector("#chat-log >> text=The chat was transferred to")
    assert agent.locator(f"#mine li[data-chat='{chat['id']}']").count() == 0
    agent.click("#chat-close")
    agent.wait_for_selector("#chat-status >> text=closed")
    agent_context.close()
    assert not errors, errors


@pytest.fixture
def two_worker_server(tmp_path, site):
    from kbgen.api.db import make_engine
    from kbgen.api.migrate import upgrade
    from api_fixtures import drop_postgres_schema, fresh_postgres_schema

    base = os.environ.get("KBGEN_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("KBGEN_TEST_POSTGRES_URL is not set")
    url, schema = fresh_postgres_schema(base)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    add_staff(url)
    port = free_port()
    config = tmp_path / "kbgen.toml"
    config.write_text(f'[api]\ndatabase_url = "{url}"\ndata_dir = "{tmp_path / "data"}"\nsecret_key = "two-workers-test"\noverload_lag_ms = 0\n'
                      f'public_url = "http://127.0.0.1:{port}"\n[api.rate_limits]\nsubmission = "1000/minute"\n' + CHAT_TOML,
                      encoding="utf-8")
    env = dict(os.environ, KBGEN_CONFIG=str(config), KBGEN_TEST_SITE=str(site), PYTHONPATH=str(REPO))
    env.pop("KBGEN_DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "test_chat_browser:site_app_from_environment",
                                "--app-dir", str(REPO / "tests"), "--host", "127.0.0.1", "--port", str(port),
                                "--workers", "2", "--log-level", "warning"], env=env, cwd=tmp_path)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("uvicorn with two workers did not start")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        drop_postgres_schema(base, schema)


@pytest.mark.browser
@pytest.mark.postgres
def test_the_same_exchange_with_two_worker_processes_on_postgresql(browser, two_worker_server):
    timings = exchange(browser, two_worker_server, "block")
    assert max(timings.values()) < 2, timings
    print("two workers, delivery times (s):", {k: round(v, 2) for k, v in timings.items()})


def test_browser_module_unit_tests_pass(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "--test", str(REPO / "kbgen" / "assets" / "js" / "chat.test.js")],
                            capture_output=True, text=True, timeout=60, env=node_strings_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
