"""The customer's own account and tickets: name and password changes, closing a ticket, rating
the support of a solved ticket, and the satisfaction report staff see."""

from api_fixtures import PASSWORD, BrowserClient


def ticket_of(client, subject="Help"):
    response = client.post("/api/tickets", data={"subject": subject, "body": "please", "department": "general"})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_customer_changes_name_and_password_and_other_browsers_are_signed_out(api_app, make_user):
    ann = make_user("ann@example.com", name="Ann")
    other_browser = BrowserClient(api_app).sign_in("ann@example.com")
    assert ann.patch("/api/account", json={"name": "Ann Smith"}).json()["user"]["name"] == "Ann Smith"
    assert ann.patch("/api/account", json={"name": "x" * 121}).status_code == 422
    wrong = ann.post("/api/account/password", json={"current_password": "not-it", "new_password": "new-password-1"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "current_password"
    assert ann.post("/api/account/password", json={"current_password": PASSWORD, "new_password": "short"}).status_code == 422
    changed = ann.post("/api/account/password", json={"current_password": PASSWORD, "new_password": "new-password-1"})
    assert changed.status_code == 200, changed.text
    assert ann.get("/api/session").json()["user"]["email"] == "ann@example.com"       # this browser stays signed in
    assert other_browser.get("/api/session").json()["user"] is None                    # the other one is signed out
    fresh = BrowserClient(api_app)
    assert fresh.post("/api/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).status_code == 401
    assert fresh.post("/api/auth/login", json={"email": "ann@example.com", "password": "new-password-1"}).status_code == 200


def test_closing_and_rating_a_ticket_and_the_report(api_client, make_user):
    ann, bob = make_user("ann@example.com"), make_user("bob@example.com")
    agent = make_user("agent@example.com", role="agent", name="Alex")
    ticket = ticket_of(ann)
    assert ann.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "good"}).status_code == 409   # not solved yet
    agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "Fixed", "status": "solved"})
    assert bob.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "bad"}).status_code == 404    # not bob's
    assert ann.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "meh"}).status_code == 422
    rated = ann.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "bad", "comment": "Slow"})
    assert rated.status_code == 200, rated.text
    ann.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "good", "comment": "Fast after all"})   # changes it
    assert ann.get(f"/api/tickets/{ticket['id']}/satisfaction").json() == {"rating": "good", "comment": "Fast after all"}
    second = ticket_of(ann, "Second")
    assert bob.post(f"/api/tickets/{second['id']}/close").status_code == 404
    closed = ann.post(f"/api/tickets/{second['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert ann.put(f"/api/tickets/{second['id']}/satisfaction", json={"rating": "bad"}).status_code == 200
    report = agent.get("/api/agent/reports/satisfaction").json()
    by_agent = {row["name"]: row for row in report["agents"]}
    assert by_agent["Alex"]["good"] == 1 and by_agent["Alex"]["score"] == 100
    assert report["departments"] == [{"key": "general", "good": 1, "bad": 1, "score": 50}]
    assert report["comments"][0]["comment"] == "Fast after all"
    assert ann.get("/api/agent/reports/satisfaction").status_code == 403


def test_a_guest_closes_and_rates_with_the_private_link(api_client, make_user):
    agent = make_user("agent@example.com", role="agent")
    ticket = api_client.post("/api/tickets", data={"subject": "Guest", "body": "hi", "department": "general",
                                                   "email": "guest@example.com"}).json()
    key = {"X-Ticket-Key": ticket["guest_key"]}
    assert api_client.post(f"/api/tickets/{ticket['id']}/close").status_code == 404              # no key, no ticket
    assert api_client.post(f"/api/tickets/{ticket['id']}/close", headers=key).json()["status"] == "closed"
    assert api_client.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "good"}, headers=key).status_code == 200
    assert agent.put(f"/api/tickets/{ticket['id']}/satisfaction", json={"rating": "bad"}).status_code == 403
