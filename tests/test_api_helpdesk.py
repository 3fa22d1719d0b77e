"""The help desk's agent side in the API: finding a ticket by a word of its conversation, priority,
SLA due times and the overdue view, department names, the customer's other tickets and chats,
canned replies, the agent page's words from the i18n files, and the [tickets.sla] settings."""
from datetime import timedelta

import pytest

from kbgen.api.models import Ticket
from kbgen.api.settings import Rate, SettingsError, parse_tickets

from api_fixtures import reconfigure, settings_for_tests

TICKETS = {
    "departments": [{"id": "billing", "label": {"en": "Billing", "ja": "請求"}}, {"id": "tech", "label": "Technical support"}],
    "sla": {"urgent": 4, "normal": 24, "billing": {"urgent": 1}},
}


@pytest.fixture
def api_settings(tmp_path, api_db_url):
    generous = {name: Rate(10_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}
    return settings_for_tests(tmp_path, api_db_url, rates=generous, raw={"tickets": TICKETS})


def ticket(client, subject, body, department="tech", email="guest@example.com"):
    response = client.post("/api/tickets", data={"subject": subject, "body": body, "department": department, "email": email})
    assert response.status_code == 201, response.text
    return response.json()


def age(api_app, ticket_id, hours):
    with api_app.state.kb.sessions() as db:
        row = db.get(Ticket, ticket_id)
        row.created_at = row.created_at - timedelta(hours=hours)
        db.commit()


def test_an_agent_finds_a_ticket_by_a_word_of_its_conversation(api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    wanted = ticket(api_client, "Printer trouble", "The invoice PDF shows a zebra pattern")
    ticket(api_client, "Other", "Nothing to see")
    found = agent.get("/api/agent/tickets", params={"q": "zebra"}).json()
    assert [t["id"] for t in found["tickets"]] == [wanted["id"]]
    agent.post(f"/api/agent/tickets/{wanted['id']}/messages", json={"body": "Try the giraffe driver", "internal": True})
    assert agent.get("/api/agent/tickets", params={"q": "GIRAFFE"}).json()["total"] == 1
    assert agent.get("/api/agent/tickets", params={"q": "100%_"}).json()["total"] == 0   # LIKE wildcards are literal


def test_priority_sla_due_times_and_the_overdue_view(api_app, api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    billing = ticket(api_client, "Charged twice", "Two charges", department="billing")
    tech = ticket(api_client, "Crash", "It crashes")
    low = ticket(api_client, "Idea", "Small thing")
    for item, priority in ((billing, "urgent"), (tech, "urgent"), (low, "low")):
        changed = agent.patch(f"/api/agent/tickets/{item['id']}", json={"priority": priority})
        assert changed.status_code == 200 and changed.json()["priority"] == priority
    assert agent.patch(f"/api/agent/tickets/{low['id']}", json={"priority": "asap"}).status_code == 422
    for item in (billing, tech, low):
        age(api_app, item["id"], 2)     # past billing's 1 h urgent target, within the general 4 h one
    inbox = {t["id"]: t for t in agent.get("/api/agent/tickets").json()["tickets"]}
    assert inbox[billing["id"]]["overdue"] and not inbox[tech["id"]]["overdue"]
    assert inbox[low["id"]]["due_at"] is None                         # no target for "low"
    assert inbox[billing["id"]]["department_labels"]["ja"] == "請求"
    overdue = agent.get("/api/agent/tickets", params={"overdue": "true"}).json()
    assert [t["id"] for t in overdue["tickets"]] == [billing["id"]]
    assert [t["id"] for t in agent.get("/api/agent/tickets", params={"priority": "low"}).json()["tickets"]] == [low["id"]]
    agent.patch(f"/api/agent/tickets/{billing['id']}", json={"status": "solved"})
    assert agent.get("/api/agent/tickets", params={"overdue": "true"}).json()["total"] == 0   # solved stops the clock
    detail = agent.get(f"/api/agent/tickets/{tech['id']}").json()
    assert detail["priority"] == "urgent" and detail["due_at"]


def test_paging_past_the_first_page(api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    for i in range(7):
        ticket(api_client, f"Ticket {i}", "body")
    first = agent.get("/api/agent/tickets", params={"limit": 5}).json()
    second = agent.get("/api/agent/tickets", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == 7 and len(first["tickets"]) == 5 and len(second["tickets"]) == 2
    assert not {t["id"] for t in first["tickets"]} & {t["id"] for t in second["tickets"]}


def test_the_customers_other_tickets_beside_the_ticket(api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    first = ticket(api_client, "First", "one", email="Dora@example.com")
    second = ticket(api_client, "Second", "two", email="dora@example.com")
    ticket(api_client, "Someone else", "three", email="eve@example.com")
    related = agent.get(f"/api/agent/tickets/{second['id']}/related").json()
    assert [t["id"] for t in related["tickets"]] == [first["id"]]
    assert related["chats"] == []
    assert make_user("ann@example.com").get(f"/api/agent/tickets/{second['id']}/related").status_code == 403


def test_canned_replies_are_kept_by_staff_only(api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    created = agent.post("/api/agent/canned-replies", json={"title": "Refund", "body": "Hello {customer_name}, refunded."})
    assert created.status_code == 201
    reply = created.json()
    assert agent.post("/api/agent/canned-replies", json={"title": " ", "body": "x"}).status_code == 422
    changed = agent.put(f"/api/agent/canned-replies/{reply['id']}", json={"title": "Refund done", "body": reply["body"]})
    assert changed.json()["title"] == "Refund done"
    assert [r["title"] for r in agent.get("/api/agent/canned-replies").json()["replies"]] == ["Refund done"]
    customer = make_user("ann@example.com")
    assert customer.get("/api/agent/canned-replies").status_code == 403
    assert customer.post("/api/agent/canned-replies", json={"title": "x", "body": "y"}).status_code == 403
    assert api_client.get("/api/agent/canned-replies").status_code == 401
    assert agent.delete(f"/api/agent/canned-replies/{reply['id']}").status_code == 204
    assert agent.get("/api/agent/canned-replies").json()["replies"] == []
    assert agent.delete(f"/api/agent/canned-replies/{reply['id']}").status_code == 404


def test_the_agent_pages_words_come_from_the_i18n_files(make_user):
    agent = make_user("agent@example.com", role="agent")
    english = agent.get("/api/agent/strings", params={"lang": "en"}).json()["strings"]
    japanese = agent.get("/api/agent/strings", params={"lang": "ja"}).json()["strings"]
    assert english["inbox"] == "Inbox" and japanese["inbox"] == "受信箱"
    assert set(english) == set(japanese), "every agent string needs its Japanese translation"
    assert agent.get("/api/agent/strings", params={"lang": "../../etc"}).json()["strings"]["inbox"] == "Inbox"
    assert make_user("ann@example.com").get("/api/agent/strings").status_code == 403


def test_the_agent_pages_words_take_the_sites_theme_overrides_like_its_pages(make_user, api_app, tmp_path):
    """One place for every string: a site that rewords an agent string in themes/<name>/i18n/
    sees it on the agent page too, and languages it did not touch keep theirs."""
    strings = tmp_path / "site" / "themes" / "montana" / "i18n"
    strings.mkdir(parents=True)
    (strings / "en.toml").write_text('agent_inbox = "Queue"\n', encoding="utf-8")
    reconfigure(api_app, tmp_path / "site" / "kbgen.toml", 'theme = "montana"\n')
    agent = make_user("agent@example.com", role="agent")
    assert agent.get("/api/agent/strings", params={"lang": "en"}).json()["strings"]["inbox"] == "Queue"
    assert agent.get("/api/agent/strings", params={"lang": "ja"}).json()["strings"]["inbox"] == "受信箱"


def test_sla_settings_name_the_key_that_is_wrong():
    departments = [{"id": "billing"}]
    with pytest.raises(SettingsError, match=r"tickets\.sla\.urgnt.*unknown priority"):
        parse_tickets({"departments": departments, "sla": {"urgnt": 4}}, "kbgen.toml", ["en"])
    with pytest.raises(SettingsError, match=r"tickets\.sla\.high.*positive number of hours"):
        parse_tickets({"departments": departments, "sla": {"high": -1}}, "kbgen.toml", ["en"])
    with pytest.raises(SettingsError, match=r"tickets\.sla\.sales.*department id"):
        parse_tickets({"departments": departments, "sla": {"sales": {"high": 2}}}, "kbgen.toml", ["en"])
    parsed = parse_tickets({"departments": departments, "sla": {"normal": 24, "billing": {"normal": 8}}}, "kbgen.toml", ["en"])
    assert parsed.sla_hours("billing", "normal") == 8 and parsed.sla_hours("other", "normal") == 24
    assert parsed.sla_hours("billing", "urgent") is None


def test_an_agent_reply_with_attachments_the_customer_downloads_them(api_app, api_client, new_client, make_user, api_settings):
    from kbgen.api.app import sweep_orphan_uploads
    from kbgen.api.mailer import read_outbox

    agent = make_user("agent@example.com", role="agent")
    created = ticket(api_client, "Need the manual", "Where is the PDF?")
    files = [("attachments", ("manual.pdf", b"%PDF-1.4 the manual", "application/pdf")),
             ("attachments", ("steps.txt", "手順 1, 2, 3".encode(), "text/plain"))]
    sent = agent.post(f"/api/agent/tickets/{created['id']}/messages", data={"body": "Here it is.", "status": "solved"},
                      files=files, headers={"Idempotency-Key": "reply-0001"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "solved" and sent.json()["attachments"] == 2
    again = agent.post(f"/api/agent/tickets/{created['id']}/messages", data={"body": "Here it is.", "status": "solved"},
                       files=files, headers={"Idempotency-Key": "reply-0001"})
    assert again.status_code == 201 and again.json()["id"] == sent.json()["id"]      # a resend stores nothing twice
    note = agent.post(f"/api/agent/tickets/{created['id']}/messages", data={"body": "Internal log", "internal": "true"},
                      files=[("attachments", ("log.txt", b"secret log", "text/plain"))])
    assert note.status_code == 201

    # the guest sees the agent's files on the ticket page (private link) and downloads them; never the note's
    guest = new_client()
    key = {"X-Ticket-Key": created["guest_key"]}
    seen = guest.get(f"/api/tickets/{created['id']}", headers=key).json()
    agent_message = next(m for m in seen["messages"] if m["author_kind"] == "agent")
    assert sorted(f["filename"] for f in agent_message["attachments"]) == ["manual.pdf", "steps.txt"]
    assert all(not m["internal"] for m in seen["messages"]) and "Internal log" not in str(seen)
    manual = next(f for f in agent_message["attachments"] if f["filename"] == "manual.pdf")
    download = guest.get(manual["url"], headers=key)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 the manual"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert guest.get(manual["url"]).status_code == 404                                # no key, no file
    staff_view = agent.get(f"/api/agent/tickets/{created['id']}").json()
    log = next(f for m in staff_view["messages"] if m["internal"] for f in m["attachments"])
    assert guest.get(f"/api/tickets/{created['id']}/files/{log['id']}", headers=key).status_code == 404
    assert agent.get(log["url"]).content == b"secret log"
    mail = [m for m in read_outbox(api_settings) if "New reply" in m["Subject"]][-1]
    assert "manual.pdf, steps.txt" in mail.get_body(("plain",)).get_content()

    # the same limits as a customer's files, all problems at once; nothing stored for a refused reply
    stored_before = sorted(p.name for p in api_settings.uploads_dir.glob("*/*"))
    refused = agent.post(f"/api/agent/tickets/{created['id']}/messages", data={"body": ""},
                         files=[("attachments", ("tool.exe", b"MZ", "application/octet-stream")),
                                ("attachments", ("big.pdf", b"x" * (api_settings.tickets.max_file_bytes + 1), "application/pdf"))])
    assert refused.status_code == 422
    problems = {f["field"]: [] for f in refused.json()["error"]["fields"]}
    for f in refused.json()["error"]["fields"]:
        problems[f["field"]].append(f["reason"])
    assert "body" in problems and any("tool.exe" in r for r in problems["attachments"]) and any("big.pdf" in r for r in problems["attachments"])
    assert sorted(p.name for p in api_settings.uploads_dir.glob("*/*")) == stored_before
    assert sweep_orphan_uploads(api_app.state.kb, older_than_seconds=0) == []          # every stored file has its row
    # the JSON form keeps working for text-only replies
    assert agent.post(f"/api/agent/tickets/{created['id']}/messages", json={"body": "Plain"}).status_code == 201
    assert agent.post(f"/api/agent/tickets/{created['id']}/messages", json={"body": "x", "status": "gone"}).status_code == 422


def test_tickets_sla_is_a_known_option(api_settings):
    assert not [w for w in api_settings.warnings if "sla" in w]     # no "unknown option" at every start
