"""Agent endpoints, documents, ratings, the agent page and the internal site: who may do what."""
import pytest

from kbgen.api.mailer import read_outbox

VOTER_A = "voter-aaaaaaaaaaaaaaaa"
VOTER_B = "voter-bbbbbbbbbbbbbbbb"


def guest_ticket(client, subject="Help"):
    return client.post("/api/tickets", data={"subject": subject, "body": "please", "department": "general",
                                             "email": "guest@example.com"}).json()


def test_inbox_filters_assign_and_internal_notes(api_client, make_user, api_settings):
    agent = make_user("agent@example.com", role="agent")
    make_user("admin@example.com", role="admin")
    first, second = guest_ticket(api_client, "First"), guest_ticket(api_client, "Second")
    inbox = agent.get("/api/agent/tickets?status=new").json()
    assert inbox["total"] == 2
    other_id = agent.get("/api/agent/staff").json()["staff"][0]["id"]
    assert agent.patch(f"/api/agent/tickets/{first['id']}", json={"assignee_id": other_id}).status_code == 200
    assert [t["id"] for t in agent.get(f"/api/agent/tickets?assignee={other_id}").json()["tickets"]] == [first["id"]]
    assert [t["id"] for t in agent.get("/api/agent/tickets?assignee=none").json()["tickets"]] == [second["id"]]
    assert agent.get("/api/agent/tickets?department=nothing").json()["total"] == 0
    assert agent.patch(f"/api/agent/tickets/{first['id']}", json={"assignee_id": "nobody"}).status_code == 422

    note = agent.post(f"/api/agent/tickets/{first['id']}/messages", json={"body": "VIP customer", "internal": True})
    assert note.status_code == 201
    mails_before = len(read_outbox(api_settings))
    agent.post(f"/api/agent/tickets/{first['id']}/messages", json={"body": "We are on it", "status": "open"})
    mails = read_outbox(api_settings)
    assert len(mails) == mails_before + 1 and "We are on it" in mails[-1].get_body(("plain",)).get_content()
    assert first["guest_key"] in mails[-1].get_body(("plain",)).get_content()   # a guest can follow the link in the notification
    customer_view = api_client.get(f"/api/tickets/{first['id']}", headers={"X-Ticket-Key": first["guest_key"]}).json()
    bodies = [m["body"] for m in customer_view["messages"]]
    assert "VIP customer" not in bodies and "We are on it" in bodies
    assert customer_view["status"] == "open"
    staff_view = agent.get(f"/api/agent/tickets/{first['id']}").json()
    assert [m["internal"] for m in staff_view["messages"]] == [False, True, False]


@pytest.mark.parametrize("path", ["/api/agent/tickets", "/api/agent/staff", "/api/agent/ratings",
                                  "/api/agent/customers?email=a"])
def test_customers_and_anonymous_cannot_use_agent_endpoints(path, api_client, make_user):
    assert api_client.get(path).status_code == 401
    assert make_user("ann@example.com").get(path).status_code == 403


def test_customer_cannot_change_or_annotate_a_ticket(api_client, make_user):
    ticket = guest_ticket(api_client)
    ann = make_user("ann@example.com")
    assert ann.patch(f"/api/agent/tickets/{ticket['id']}", json={"status": "closed"}).status_code == 403
    assert ann.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "x", "internal": True}).status_code == 403


def test_documents_belong_to_one_customer(make_user, api_client):
    agent, ann, bob = make_user("agent@example.com", role="agent"), make_user("ann@example.com"), make_user("bob@example.com")
    ann_id = agent.get("/api/agent/customers?email=ann").json()["customers"][0]["id"]
    uploaded = agent.post(f"/api/agent/customers/{ann_id}/documents", data={"title": "Invoice March"},
                          files=[("file", ("invoice.pdf", b"%PDF-1.4 invoice", "application/pdf"))])
    assert uploaded.status_code == 201, uploaded.text
    documents = ann.get("/api/documents").json()["documents"]
    assert [d["title"] for d in documents] == ["Invoice March"]
    assert ann.get(documents[0]["url"]).content == b"%PDF-1.4 invoice"
    assert bob.get("/api/documents").json()["documents"] == []
    assert bob.get(documents[0]["url"]).status_code == 404
    assert api_client.get(documents[0]["url"]).status_code == 404
    assert agent.get(documents[0]["url"]).status_code == 200
    assert ann.post(f"/api/agent/customers/{ann_id}/documents",
                    files=[("file", ("x.pdf", b"%PDF", "application/pdf"))]).status_code == 403


def test_one_changeable_vote_per_browser_and_report(api_client, make_user):
    def vote(voter, value, ref="abc123"):
        return api_client.put(f"/api/ratings/{ref}", json={"value": value, "voter": voter, "title": f"Article {ref}",
                                                           "url": f"/en/{ref}/", "lang": "en"})
    assert vote(VOTER_A, "up").status_code == 200
    vote(VOTER_A, "up")            # a resend: still one vote
    vote(VOTER_B, "up")
    vote(VOTER_A, "down")          # changed mind
    vote(VOTER_A, "down", ref="zzz")
    vote(VOTER_B, "up", ref="zzz")
    vote(VOTER_B, "up", ref="best")
    mine = api_client.get(f"/api/ratings/abc123?voter={VOTER_A}").json()
    assert mine["value"] == "down" and "counts" not in mine     # visitors never see the counts
    assert api_client.get("/api/agent/ratings").status_code == 401
    agent = make_user("agent@example.com", role="agent")
    assert agent.get(f"/api/ratings/abc123?voter={VOTER_A}").json()["counts"] == {"up": 1, "down": 1}
    report = agent.get("/api/agent/ratings").json()["articles"]
    counts = {a["ref"]: (a["up"], a["down"]) for a in report}
    assert counts == {"abc123": (1, 1), "zzz": (1, 1), "best": (1, 0)}
    assert report[-1]["ref"] == "best"
    assert vote("short", "up").status_code == 422
    assert vote(VOTER_A, "sideways").status_code == 422


def test_the_staff_sign_in_page_speaks_the_browsers_language_and_carries_every_sites(api_client):
    import json
    import re

    page = api_client.get("/agent/", headers={"Accept-Language": "ja,en;q=0.5"})
    assert page.status_code == 401 and '<html lang="ja">' in page.text
    assert "<h1 data-words=\"signin_heading\">スタッフのサインイン</h1>" in page.text and "{{" not in page.text
    words = json.loads(re.search(r'<script type="application/json" id="signin-words">(.*?)</script>', page.text).group(1))
    assert sorted(words) == ["en", "ja"] and words["en"]["signin_submit"] == "Sign in"
    assert words["ja"]["api_unreachable"] == "サポートサーバーに接続できません。"
    assert '<html lang="en">' in api_client.get("/agent/chat/").text


def test_agent_page_only_for_staff(api_client, make_user):
    anonymous = api_client.get("/agent/")
    assert anonymous.status_code == 401 and "Staff sign-in" in anonymous.text
    customer = make_user("ann@example.com").get("/agent/")
    assert customer.status_code == 403 and 'id="kb-agent"' not in customer.text
    staff = make_user("agent@example.com", role="agent").get("/agent/")
    assert staff.status_code == 200 and 'id="kb-agent"' in staff.text


def test_internal_site_only_for_staff(tmp_path, api_settings, make_user, new_client):
    from kbgen.api.app import create_app
    from api_fixtures import BrowserClient

    site = tmp_path / "internal"
    (site / "en" / "secret").mkdir(parents=True)
    (site / "en" / "secret" / "index.html").write_text("<h1>Escalation playbook</h1>")
    (tmp_path / "outside.txt").write_text("not part of the site")
    make_user("agent@example.com", role="agent")
    make_user("ann@example.com")
    app = create_app(api_settings.with_overrides(internal_site=site))
    anonymous = BrowserClient(app)
    page = anonymous.get("/internal/en/secret/")
    assert page.status_code == 401 and "Escalation" not in page.text and "Staff sign-in" in page.text
    assert "Escalation" not in BrowserClient(app).sign_in("ann@example.com").get("/internal/en/secret/").text
    agent = BrowserClient(app).sign_in("agent@example.com")
    assert "Escalation playbook" in agent.get("/internal/en/secret/").text
    assert agent.get("/internal/../outside.txt").status_code == 404
    assert agent.get("/internal/%2e%2e/outside.txt").status_code == 404
    app.state.engine.dispose()


def test_rating_url_must_be_a_path_on_this_site(api_client):
    for url in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil"):
        response = api_client.put("/api/ratings/abc", json={"value": "up", "voter": VOTER_A, "url": url})
        assert response.status_code == 422, url
    assert api_client.put("/api/ratings/abc", json={"value": "up", "voter": VOTER_A, "url": "/en/a/"}).status_code == 200
