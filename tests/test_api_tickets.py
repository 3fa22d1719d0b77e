"""Tickets: form validation from [tickets], guest links, customers' history, replies, attachments,
idempotent resends, and who may see what."""
import re

import pytest

from kbgen.api.mailer import read_outbox
from kbgen.api.settings import Rate, parse_tickets
from api_fixtures import settings_for_tests

TICKETS_CONFIG = {
    "max_file_mb": 1, "max_total_mb": 2, "max_files": 3, "allowed_types": [".png", ".txt", ".pdf"],
    "departments": [{"id": "billing", "label": {"en": "Billing", "ja": "請求"}}, {"id": "tech", "label": "Technical"}],
    "fields": [
        {"name": "order_number", "type": "number", "required": True, "label": {"en": "Order number", "ja": "注文番号"},
         "departments": ["billing"]},
        {"name": "plan", "type": "select", "options": ["free", {"value": "pro", "label": {"en": "Pro", "ja": "プロ"}}]},
        {"name": "urgent", "type": "checkbox", "label": "Urgent"},
        {"name": "cc", "type": "email"},
    ],
}


@pytest.fixture
def api_settings(tmp_path, api_db_url):
    from kbgen.api.settings import Rate as R
    settings = settings_for_tests(tmp_path, api_db_url,
                                  rates={n: R(10_000, 60) for n in ("signin", "register", "password_reset", "submission", "rating")})
    return settings.with_overrides(tickets=parse_tickets(TICKETS_CONFIG, "test", ("en", "ja")))


def submit(client, *, files=None, headers=None, **fields):
    data = {"subject": "Printer on fire", "body": "It **burns**", "department": "tech", "email": "guest@example.com"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/api/tickets", data=data, files=files or [], headers=headers or {})


def test_form_config_is_localized(api_client):
    config = api_client.get("/api/config/tickets?lang=ja").json()
    assert [d["label"] for d in config["departments"]] == ["請求", "Technical"]
    field = config["fields"][0]
    assert field["label"] == "注文番号" and field["required"] and field["departments"] == ["billing"]
    assert config["fields"][1]["options"][1] == {"value": "pro", "label": "プロ"}
    assert config["attachments"]["allowed_types"] == [".png", ".txt", ".pdf"]


def test_guest_gets_number_and_private_link(api_client, new_client, api_settings):
    response = submit(api_client, lang="ja", files=[("attachments", ("log.txt", b"boom", "text/plain"))])
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert re.fullmatch(r"[A-Z2-9]{8}", ticket["number"])
    assert ticket["private_url"].endswith(f"/ja/_portal/tickets/#ticket={ticket['id']}&key={ticket['guest_key']}")
    mail = read_outbox(api_settings)[-1]
    assert ticket["number"] in mail["Subject"] and ticket["private_url"] in mail.get_body(("plain",)).get_content()
    stranger = new_client()
    assert stranger.get(f"/api/tickets/{ticket['id']}").status_code == 404
    assert stranger.get(f"/api/tickets/{ticket['id']}", headers={"X-Ticket-Key": "0" * 40}).status_code == 404
    seen = stranger.get(f"/api/tickets/{ticket['id']}", headers={"X-Ticket-Key": ticket["guest_key"]}).json()
    assert seen["history"][0]["to"] == "new"
    assert "<strong>burns</strong>" in seen["messages"][0]["body_html"]
    attachment = seen["messages"][0]["attachments"][0]
    download = stranger.get(attachment["url"], headers={"X-Ticket-Key": ticket["guest_key"]})
    assert download.content == b"boom"
    assert download.headers["content-disposition"].startswith("attachment")
    assert stranger.get(attachment["url"]).status_code == 404


def test_every_invalid_field_is_reported(api_client):
    response = submit(api_client, subject="", department="billing", email="nope", **{
        "field.plan": "gold", "field.cc": "x", "field.urgent": "maybe"})
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"subject", "email", "field.order_number", "field.plan", "field.cc", "field.urgent"}


def test_department_specific_required_field(api_client):
    assert submit(api_client, department="billing", **{"field.order_number": "12x"}).status_code == 422
    ok = submit(api_client, department="billing", **{"field.order_number": "1234", "field.plan": "pro", "field.urgent": "on"})
    assert ok.status_code == 201
    ticket = api_client.get(f"/api/tickets/{ok.json()['id']}", headers={"X-Ticket-Key": ok.json()["guest_key"]}).json()
    assert ticket["fields"] == {"order_number": "1234", "plan": "pro", "urgent": True}


def test_attachment_limits(api_client):
    wrong_type = submit(api_client, files=[("attachments", ("x.exe", b"MZ", "application/octet-stream"))])
    assert wrong_type.status_code == 422 and "not accepted" in wrong_type.json()["error"]["fields"][0]["reason"]
    too_big = submit(api_client, files=[("attachments", ("big.txt", b"x" * (1024 * 1024 + 1), "text/plain"))])
    assert too_big.status_code == 422 and "1 MB" in too_big.json()["error"]["message"]
    together = submit(api_client, files=[("attachments", (f"f{i}.txt", b"x" * 700_000, "text/plain")) for i in range(3)])
    assert together.status_code == 422 and "together" in together.json()["error"]["message"]
    # beyond the whole budget the body is refused before it is even read
    huge = submit(api_client, files=[("attachments", (f"f{i}.txt", b"x" * 900_000, "text/plain")) for i in range(3)])
    assert huge.status_code == 413
    too_many = submit(api_client, files=[("attachments", (f"f{i}.txt", b"x", "text/plain")) for i in range(4)])
    assert too_many.status_code in (400, 422)


def test_html_attachment_is_served_as_a_download_not_a_page(api_client, api_app):
    from kbgen.api.settings import parse_tickets
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(
        tickets=parse_tickets(dict(TICKETS_CONFIG, allowed_types=[".html"]), "test", ("en",)))
    created = submit(api_client, files=[("attachments", ("x.html", b"<script>alert(1)</script>", "text/html"))]).json()
    ticket = api_client.get(f"/api/tickets/{created['id']}", headers={"X-Ticket-Key": created["guest_key"]}).json()
    response = api_client.get(ticket["messages"][0]["attachments"][0]["url"], headers={"X-Ticket-Key": created["guest_key"]})
    assert response.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in response.headers["content-security-policy"]


def test_resend_with_the_same_key_creates_one_ticket(api_client, make_user):
    ann = make_user("ann@example.com")
    first = submit(ann, headers={"Idempotency-Key": "offline-123456"})
    again = submit(ann, headers={"Idempotency-Key": "offline-123456"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert len(ann.get("/api/tickets").json()["tickets"]) == 1
    different = submit(ann, subject="Other", headers={"Idempotency-Key": "offline-123456"})
    assert different.status_code == 409


def test_customer_sees_own_tickets_only(make_user):
    ann, bob = make_user("ann@example.com"), make_user("bob@example.com")
    mine = submit(ann, email=None).json()
    assert submit(bob, email=None).status_code == 201
    assert [t["id"] for t in ann.get("/api/tickets").json()["tickets"]] == [mine["id"]]
    assert ann.get(f"/api/tickets/{mine['id']}").json()["email"] == "ann@example.com"
    assert bob.get(f"/api/tickets/{mine['id']}").status_code == 404
    assert bob.post(f"/api/tickets/{mine['id']}/messages", data={"body": "hijack"}).status_code == 404


def test_anonymous_cannot_list_tickets(api_client):
    assert api_client.get("/api/tickets").status_code == 401


def test_reply_reopens_and_closed_refuses(make_user):
    ann, agent = make_user("ann@example.com"), make_user("agent@example.com", role="agent")
    ticket = submit(ann, email=None).json()
    agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "Try turning it off."})
    assert ann.get(f"/api/tickets/{ticket['id']}").json()["status"] == "waiting"
    assert ann.post(f"/api/tickets/{ticket['id']}/messages", data={"body": "Did that"}).json()["status"] == "open"
    history = [h["to"] for h in ann.get(f"/api/tickets/{ticket['id']}").json()["history"]]
    assert history == ["new", "waiting", "open"]
    agent.patch(f"/api/agent/tickets/{ticket['id']}", json={"status": "closed"})
    closed = ann.post(f"/api/tickets/{ticket['id']}/messages", data={"body": "one more"})
    assert closed.status_code == 409


def test_submissions_are_rate_limited(api_app, api_client):
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(rates={"submission": Rate(2, 60)})
    codes = [submit(api_client).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_ticket_submission_needs_csrf(api_client):
    response = api_client.post("/api/tickets", csrf=False, data={"subject": "x", "body": "y", "department": "tech",
                                                                 "email": "a@example.com"})
    assert response.status_code == 403


def test_user_text_never_becomes_script(api_client):
    created = submit(api_client, body='<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))').json()
    html = api_client.get(f"/api/tickets/{created['id']}", headers={"X-Ticket-Key": created["guest_key"]}).json()["messages"][0]["body_html"]
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
