"""The portal in real Chromium against one shared server (built site + API on one origin):
ticket form with custom fields and an attachment, sign-in, ticket history, an agent replying,
the customer seeing it, ratings, and the offline queue."""
import subprocess
import sys
from pathlib import Path

import pytest

from live_server import live_site
from kbgen.api.models import Rating, Ticket
from api_fixtures import PASSWORD, settings_for_tests

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
TICKETS = {
    "max_file_mb": 2, "allowed_types": [".txt", ".png"],
    "departments": [{"id": "billing", "label": {"en": "Billing", "ja": "請求"}}, {"id": "tech", "label": "Technical"}],
    "fields": [{"name": "order_number", "type": "number", "required": True, "label": {"en": "Order number"}, "departments": ["billing"]},
               {"name": "plan", "type": "select", "options": ["free", "pro"], "label": "Plan"}],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "kbgen", "build", "-o", str(site)], cwd=REPO, check=True, capture_output=True)
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", raw={"tickets": TICKETS})
    users = {"agent@example.com": ("Alex Agent", "agent"), "carol@example.com": ("Carol", "customer")}
    with live_site(settings, users, site=site) as running:
        yield running




@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"api-{name}.png"), full_page=True)


def tickets_with_subject(server, subject):
    with server.app.state.kb.sessions() as db:
        return db.query(Ticket).filter_by(subject=subject).all()


def sign_in_on_account_page(page, email):
    page.goto("/en/account/")
    page.fill("#kb-a-email", email)
    page.fill("#kb-a-password", PASSWORD)
    page.click(".kb-account-signed-out form:first-of-type button[type=submit]")
    page.wait_for_selector("text=Signed in as")


def test_guest_ticket_with_custom_fields_and_attachment(page, server, tmp_path):
    attachment = tmp_path / "error.txt"
    attachment.write_text("stack trace here")
    page.goto("/en/tickets/")
    page.wait_for_selector("#kb-t-subject")
    page.select_option("#kb-t-department", "billing")
    assert page.is_visible("#kb-t-field-order_number")
    page.fill("#kb-t-email", "guest@example.com")
    page.fill("#kb-t-subject", "Charged twice for March")
    page.fill("#kb-t-body", "My card was charged **twice**.")
    page.click(".kb-ticket-form button[type=submit]")
    # the required custom field is reported next to the field
    page.wait_for_selector("[name='field.order_number'][aria-invalid=true]")
    page.fill("#kb-t-field-order_number", "10042")
    page.select_option("#kb-t-field-plan", "pro")
    page.set_input_files("#kb-t-attachments", str(attachment))
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector("text=Your ticket number is")
    shot(page, "ticket-created")
    link = page.get_attribute(".kb-private-link", "href")
    (ticket,) = tickets_with_subject(server, "Charged twice for March")
    assert '"order_number": "10042"' in ticket.fields_json
    page.click("text=View the ticket")
    page.wait_for_selector(".kb-ticket")
    assert page.inner_text(".kb-ticket h2").endswith("Charged twice for March")
    assert page.locator(".kb-conversation strong", has_text="twice").count() == 1
    with page.expect_download() as download:
        page.click(".kb-attachments a")
    assert Path(download.value.path()).read_text() == "stack trace here"
    # the private link works in a fresh browser without an account; a wrong key does not
    assert "#ticket=" in link and "&key=" in link


def test_signed_in_customer_history_and_agent_reply(browser, server, page):
    sign_in_on_account_page(page, "carol@example.com")
    page.click("text=Your support tickets")
    page.wait_for_selector("#kb-t-subject")
    assert page.locator("#kb-t-email").count() == 0      # the account's email is used
    page.select_option("#kb-t-department", "tech")
    page.fill("#kb-t-subject", "Export stuck at 99%")
    page.fill("#kb-t-body", "The CSV export never finishes.")
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector("text=Your ticket number is")
    page.reload()
    page.click(".kb-ticket-list a:has-text('Export stuck')")
    page.wait_for_selector(".kb-ticket")
    assert page.locator(".kb-ticket-history li").count() == 1

    agent_context = browser.new_context(base_url=server.url)
    agent = agent_context.new_page()
    agent.goto("/agent/")
    agent.fill("#email", "agent@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("#signin button[type=submit]")
    agent.wait_for_selector("table.inbox")
    agent.click("text=Export stuck at 99%")
    agent.wait_for_selector("#reply-body")
    agent.fill("#reply-body", "Internal: probably the big account")
    agent.check("#reply-internal")
    agent.click(".reply button[type=submit]")
    agent.wait_for_selector(".message.internal")
    agent.fill("#reply-body", "We restarted the export; please try again.")
    agent.click(".reply button[type=submit]")
    agent.wait_for_selector("text=We restarted the export")
    shot(agent, "agent-ticket")
    agent_context.close()

    page.reload()
    page.wait_for_selector("text=We restarted the export")
    assert page.locator("text=probably the big account").count() == 0
    assert "Waiting on you" in page.inner_text(".kb-ticket")
    page.fill("#kb-r-body", "Works now, thanks!")
    page.click(".kb-reply-form button[type=submit]")
    page.wait_for_selector(".kb-conversation >> text=Works now")
    shot(page, "customer-ticket")
    history = page.locator(".kb-ticket-history li").all_inner_texts()
    assert [h.split("— ")[1] for h in history] == ["New", "Waiting on you", "Open"]


def test_customer_is_refused_the_agent_page(page):
    sign_in_on_account_page(page, "carol@example.com")
    response = page.goto("/agent/")
    assert response.status == 403
    assert page.locator("#kb-agent").count() == 0


def test_offline_submission_is_sent_once_when_back_online(page, server):
    page.goto("/en/tickets/")
    page.wait_for_selector("#kb-t-subject")
    page.fill("#kb-t-email", "offline@example.com")
    page.select_option("#kb-t-department", "tech")
    page.fill("#kb-t-subject", "Sent from a train")
    page.fill("#kb-t-body", "No signal here")
    page.context.set_offline(True)
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector("text=saved in this browser")
    shot(page, "offline-queued")
    assert tickets_with_subject(server, "Sent from a train") == []
    page.context.set_offline(False)
    page.wait_for_selector("text=Your ticket number is", timeout=15000)
    page.evaluate("window.dispatchEvent(new Event('online'))")   # a second flush must not duplicate
    page.wait_for_timeout(800)
    assert len(tickets_with_subject(server, "Sent from a train")) == 1


def test_rating_one_changeable_vote(page, server):
    page.goto("/en/getting-started/")
    article = page.locator("main a[href]").first
    page.goto("/en/")
    # find any article page: the first link of the first category that leads to a rating mount
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        page.goto(href)
        if page.locator("[data-kb-mount=rating]").count():
            break
    ref = page.get_attribute("[data-kb-mount=rating]", "data-article")
    page.click(".kb-rating-box button[data-value=up]")
    page.wait_for_selector("text=Thank you for your feedback")
    page.click(".kb-rating-box button[data-value=down]")
    page.wait_for_timeout(300)
    page.reload()
    page.wait_for_selector(".kb-rating-box button[data-value=down][aria-pressed=true]")
    with server.app.state.kb.sessions() as db:
        votes = db.query(Rating).filter_by(article_ref=ref).all()
    assert [v.value for v in votes] == [-1]
    assert article is not None


def test_subject_suggests_articles(page):
    page.goto("/en/tickets/")
    page.wait_for_selector("#kb-t-subject")
    page.type("#kb-t-subject", "password")
    page.wait_for_selector(".kb-suggestions li a", timeout=10000)
    assert page.locator(".kb-suggestions li").count() >= 1


def test_form_works_while_the_api_is_down_and_sends_once_it_is_back(page, server):
    page.goto("/en/tickets/")          # the config of the form is remembered from this visit
    page.wait_for_selector("#kb-t-subject")
    page.route("**/api/**", lambda route: route.abort())
    page.reload()
    page.wait_for_selector("#kb-t-subject")
    assert page.locator("#kb-t-department option").count() == 2      # the remembered departments
    page.fill("#kb-t-email", "down@example.com")
    page.select_option("#kb-t-department", "tech")
    page.fill("#kb-t-subject", "Sent while the API was down")
    page.fill("#kb-t-body", "Hello?")
    page.click(".kb-ticket-form button[type=submit]")
    page.wait_for_selector("text=saved in this browser")
    page.unroute("**/api/**")
    # the browser never went offline, so no "online" event: the periodic retry sends it
    page.wait_for_selector("text=Your ticket number is", timeout=30000)
    assert len(tickets_with_subject(server, "Sent while the API was down")) == 1


def test_agent_attaches_a_document_and_only_that_customer_gets_it(browser, server, page, tmp_path):
    document = tmp_path / "contract.txt"
    document.write_text("signed contract")
    agent_context = browser.new_context(base_url=server.url)
    agent = agent_context.new_page()
    agent.goto("/agent/")
    agent.fill("#email", "agent@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("#signin button[type=submit]")
    agent.wait_for_selector("table.inbox")
    agent.goto("/agent/#documents")
    agent.fill("#doc-email", "carol")
    agent.click("text=Find")
    agent.wait_for_selector(".customer h3:has-text('carol@example.com')")
    agent.fill(".customer input[name=title]", "Service contract")
    agent.set_input_files(".customer input[type=file]", str(document))
    agent.click(".customer button[type=submit]")
    agent.wait_for_selector(".customer li:has-text('Service contract')")
    agent.goto("/agent/#ratings")
    agent.wait_for_selector("h3:has-text('Least helpful articles')")
    agent_context.close()

    sign_in_on_account_page(page, "carol@example.com")
    page.wait_for_selector(".kb-documents a:has-text('Service contract')")
    with page.expect_download() as download:
        page.click(".kb-documents a")
    assert Path(download.value.path()).read_text() == "signed contract"
