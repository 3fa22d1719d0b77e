"""The agent console in real Chromium: an agent finds a ticket by a word of its body, sets its
priority and answers with a canned reply whose placeholders are filled in; the customer sees the
answer in the portal and rates it, and the rating shows on the reports page. Every agent page in English and Japanese (browser language), on a desktop
and at 390 px, fits the screen and passes axe."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from live_server import generous_rates, api_as, axe_violations, sign_in_as_agent, sign_in_on_account_page, live_site
from api_fixtures import settings_for_tests

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
TICKETS = {
    "departments": [{"id": "billing", "label": {"en": "Billing", "ja": "請求"}}, {"id": "tech", "label": {"en": "Technical", "ja": "技術"}}],
    "fields": [{"name": "order_number", "type": "text", "label": {"en": "Order number", "ja": "注文番号"}, "departments": ["billing"]}],
    "sla": {"urgent": 4, "high": 8, "normal": 24},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agent-console")
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "kbgen", "build", "-o", str(site)], cwd=REPO, check=True, capture_output=True)
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", rates=generous_rates(), raw={"tickets": TICKETS})
    users = {"agent@example.com": ("Alex Agent", "agent"), "carol@example.com": ("Carol", "customer")}
    with live_site(settings, users, site=site, age_days=30) as running:
        yield running


def test_find_by_a_word_set_priority_answer_with_a_canned_reply_and_the_customer_reads_it(open_page, server):
    carol = api_as(server, "carol@example.com")
    created = carol.post("/api/tickets", data={"subject": "Strange invoice", "department": "billing", "field.order_number": "A-77",
                                               "body": "The PDF shows a zebra pattern over the totals."})
    assert created.status_code == 201, created.text
    carol.post("/api/tickets", data={"subject": "Older question", "department": "tech", "body": "How do I export?"})
    agent_api = api_as(server, "agent@example.com")
    agent_api.post("/api/agent/canned-replies", json={"title": "Invoice reissued",
                                                      "body": "Hello {customer_name}, we reissued the invoice for {ticket_number}. {agent_name}"})
    agent = open_page()
    sign_in_as_agent(agent)
    agent.fill("#f-q", "zebra")
    agent.press("#f-q", "Enter")
    agent.wait_for_selector(".kb-agent-count:text-is('1 ticket')")
    agent.click("table.inbox a:text-is('Strange invoice')")
    agent.wait_for_selector("#reply-body")
    fields = agent.inner_text(".kb-agent-fields")
    assert "Order number" in fields and "A-77" in fields and "[object" not in fields
    assert "Billing" in agent.inner_text(".ticket")                       # the department's name, not its id
    assert "Older question" in agent.inner_text(".kb-agent-related")      # the customer's other ticket beside it
    agent.select_option("#ticket-priority", "high")
    agent.wait_for_selector(".kb-agent-controls [role=status]:text-is('Saved.')")
    agent.select_option("#reply-canned", label="Invoice reissued")
    text = agent.input_value("#reply-body")
    number = created.json()["number"]
    assert text == f"Hello Carol, we reissued the invoice for {number}. Alex Agent"
    agent.select_option("#reply-status", "solved")
    agent.click(".reply button[type=submit]")
    agent.wait_for_selector(f".conversation >> text=we reissued the invoice for {number}")
    agent.goto("/agent/#")
    agent.select_option("#f-priority", "high")
    agent.wait_for_selector(".kb-agent-count:text-is('1 ticket')")
    assert "Strange invoice" in agent.inner_text("table.inbox")

    customer = open_page()
    sign_in_on_account_page(customer, "carol@example.com")
    customer.goto("/en/_portal/tickets/")
    customer.click(".kb-ticket-list a:has-text('Strange invoice')")
    customer.wait_for_selector(f".kb-conversation >> text=Hello Carol, we reissued the invoice for {number}")
    customer.check(".kb-satisfaction input[value=good]")
    customer.fill("#kb-s-comment", "Quick and friendly")
    customer.click(".kb-satisfaction button[type=submit]")
    customer.wait_for_selector(".kb-satisfaction [role=status]:text-is('Thank you for your rating.')")
    agent.goto("/agent/#ratings")
    agent.wait_for_selector(".kb-satisfaction-report")
    assert "Alex Agent" in agent.inner_text(".kb-satisfaction-report") and "100 %" in agent.inner_text(".kb-satisfaction-report")
    assert "Quick and friendly" in agent.inner_text("#agent-main")


@pytest.mark.parametrize("locale, inbox_word", [("en-US", "Inbox"), ("ja-JP", "受信箱")])
def test_every_agent_page_fits_a_phone_and_passes_axe_in_both_languages(open_page, server, locale, inbox_word):
    carol = api_as(server, "carol@example.com")
    ticket = carol.post("/api/tickets", data={"subject": "Axe check", "department": "billing", "field.order_number": "B-1",
                                              "body": "A long enough body to show in the conversation."}).json()
    api_as(server, "agent@example.com").post("/api/agent/canned-replies", json={"title": "Thanks", "body": "Thanks {customer_name}"})
    problems = []
    for width in (1280, 390):
        page = open_page(width=width, locale=locale)
        sign_in_as_agent(page)
        assert page.inner_text(".kb-agent-nav") .startswith(inbox_word)
        for view, ready in (("#", "table.inbox"), (f"#ticket/{ticket['id']}", "#reply-body"), ("#canned", ".kb-canned"),
                            ("#ratings", "h2"), ("#documents", "#doc-email")):
            page.goto(f"/agent/{view}")
            page.wait_for_selector(ready)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                problems.append(f"{locale} {width}px {view}: {overflow}px too wide")
            problems += [f"{locale} {width}px {view}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


def test_the_agent_attaches_a_file_to_a_reply_and_the_customer_downloads_it(open_page, server, tmp_path):
    carol = api_as(server, "carol@example.com")
    created = carol.post("/api/tickets", data={"subject": "Need the invoice copy", "department": "billing",
                                               "field.order_number": "C-3", "body": "Please send the invoice again."})
    assert created.status_code == 201, created.text
    invoice = tmp_path / "invoice-C-3.pdf"
    invoice.write_bytes(b"%PDF-1.4 invoice C-3")
    agent = open_page(locale="ja-JP")
    sign_in_as_agent(agent, f"/agent/#ticket/{created.json()['id']}")
    agent.wait_for_selector("#reply-files")
    assert "添付ファイル" in agent.inner_text("label[for=reply-files]")
    agent.fill("#reply-body", "Here is the invoice again.")
    agent.set_input_files("#reply-files", str(invoice))
    agent.click(".reply button[type=submit]")
    agent.wait_for_selector(".conversation .kb-attachments a:text-is('invoice-C-3.pdf')")

    customer = open_page()
    sign_in_on_account_page(customer, "carol@example.com")
    customer.goto("/en/_portal/tickets/")
    customer.click(".kb-ticket-list a:has-text('Need the invoice copy')")
    link = customer.wait_for_selector(".kb-conversation .kb-attachments a:text-is('invoice-C-3.pdf')")
    with customer.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "invoice-C-3.pdf" and saved.read_bytes() == b"%PDF-1.4 invoice C-3"
