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
    assert report["departments"] == [{"key": "general", "good": 1, "bad": 1, "score": 50,
                                      "tickets": {"good": 1, "bad": 1}, "chats": {"good": 0, "bad": 0}}]
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


# --- email verification and email change -------------------------------------------------------

def _mails(settings, address):
    from kbgen.api.mailer import read_outbox
    return [m for m in read_outbox(settings) if m["To"] == address]


def _link_token(mail) -> str:
    import re
    return re.search(r"#verify=([A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content()).group(1)


def _guest_ticket(client, email, subject="Before I had an account"):
    response = client.post("/api/tickets", data={"subject": subject, "body": "hi", "department": "general", "email": email})
    assert response.status_code == 201, response.text
    return response.json()


def test_guest_tickets_join_an_account_only_after_its_address_is_verified(api_app, api_settings, new_client, make_user):
    guest = _guest_ticket(new_client(), "kenji@example.com")
    make_user("alex@example.com", role="agent").post("/api/agent/chat/presence", json={"status": "online"})
    chat = new_client().post("/api/chat/chats", json={"name": "Kenji", "email": "kenji@example.com"})
    assert chat.status_code == 201, chat.text
    kenji = BrowserClient(api_app)
    registered = kenji.post("/api/auth/register", json={"email": "Kenji@Example.com", "password": PASSWORD, "lang": "ja"})
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["email_verified"] is False
    assert kenji.get("/api/tickets").json()["tickets"] == []          # registering an address proves nothing
    assert kenji.get("/api/chat/history").json()["chats"] == []
    (mail,) = [m for m in _mails(api_settings, "kenji@example.com") if "#verify=" in m.get_body(("plain",)).get_content()]
    assert mail["Subject"] == "メールアドレスの確認" and "/ja/" in mail.get_body(("plain",)).get_content()
    token = _link_token(mail)
    assert kenji.post("/api/auth/verify-email", json={"token": "x" * 43}).status_code == 400
    # the link works in any browser (the mail may be read on a phone), and only once
    verified = new_client().post("/api/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["attached_tickets"] == 1 and verified.json()["user"]["email_verified"] is True
    assert [t["id"] for t in kenji.get("/api/tickets").json()["tickets"]] == [guest["id"]]
    assert [c["id"] for c in kenji.get("/api/chat/history").json()["chats"]] == [chat.json()["id"]]   # past chats too
    assert kenji.get("/api/session").json()["user"]["email_verified"] is True
    again = kenji.post("/api/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json()["error"]["fields"][0]["field"] == "token"
    assert kenji.post("/api/account/verification").json() == {"status": "already_verified"}


def test_resending_a_link_retires_the_old_one_and_links_expire(api_app, api_settings):
    from datetime import timedelta

    from sqlalchemy import update

    from kbgen.api.db import utcnow
    from kbgen.api.models import EmailVerification

    ann = BrowserClient(api_app)
    assert ann.post("/api/auth/register", json={"email": "ann@example.com", "password": PASSWORD}).status_code == 201
    assert BrowserClient(api_app).post("/api/account/verification").status_code == 401     # signed in only
    assert ann.post("/api/account/verification", csrf=False).status_code == 403             # CSRF like its neighbours
    resent = ann.post("/api/account/verification")
    assert resent.status_code == 202 and resent.json()["email"] == "ann@example.com"
    first, second = (_link_token(m) for m in _mails(api_settings, "ann@example.com"))
    assert ann.post("/api/auth/verify-email", json={"token": first}).status_code == 400     # retired by the resend
    with api_app.state.kb.sessions() as db:
        db.execute(update(EmailVerification).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert ann.post("/api/auth/verify-email", json={"token": second}).status_code == 400    # expired
    assert [ann.post("/api/account/verification").status_code for _ in range(2)] == [202, 202]
    limited = ann.post("/api/account/verification")     # three resent mails an hour per account
    assert limited.status_code == 429, limited.text


def test_an_email_change_takes_effect_only_from_the_new_address(api_app, api_settings, make_user, new_client):
    ann = make_user("ann@example.com")
    make_user("bob@example.com")
    guest = _guest_ticket(new_client(), "ann.new@example.com")
    wrong = ann.post("/api/account/email", json={"email": "ann.new@example.com", "current_password": "not-it"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "current_password"
    taken = ann.post("/api/account/email", json={"email": "bob@example.com", "current_password": PASSWORD})
    assert taken.status_code == 409
    asked = ann.post("/api/account/email", json={"email": "Ann.New@example.com", "current_password": PASSWORD})
    assert asked.status_code == 202 and asked.json()["pending_email"] == "ann.new@example.com"
    assert ann.get("/api/session").json()["user"]["email"] == "ann@example.com"        # not yet
    (notice,) = _mails(api_settings, "ann@example.com")
    assert "ann.new@example.com" in notice.get_body(("plain",)).get_content() and "#verify=" not in notice.get_body(("plain",)).get_content()
    (link_mail,) = [m for m in _mails(api_settings, "ann.new@example.com") if "#verify=" in m.get_body(("plain",)).get_content()]
    assert ann.get("/api/tickets").json()["tickets"] == []
    done = ann.post("/api/auth/verify-email", json={"token": _link_token(link_mail)})
    assert done.status_code == 200 and done.json()["email_changed"] is True
    assert ann.get("/api/session").json()["user"] == {**ann.get("/api/session").json()["user"], "email": "ann.new@example.com",
                                                      "email_verified": True}
    assert [t["id"] for t in ann.get("/api/tickets").json()["tickets"]] == [guest["id"]]
    fresh = BrowserClient(api_app)
    assert fresh.post("/api/auth/login", json={"email": "ann.new@example.com", "password": PASSWORD}).status_code == 200
    assert fresh.post("/api/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).status_code == 401


# --- rating a chat -------------------------------------------------------------------------------

def test_a_customer_rates_an_ended_chat_and_the_agent_and_report_see_it(api_client, make_user, new_client):
    agent = make_user("alex@example.com", role="agent", name="Alex")
    assert agent.post("/api/agent/chat/presence", json={"status": "online"}).status_code == 200
    started = api_client.post("/api/chat/chats", json={"name": "Gina", "email": "gina@example.com", "lang": "en"})
    assert started.status_code == 201, started.text
    chat = started.json()
    token = {"X-Chat-Token": chat["token"]}
    rate = f"/api/chat/chats/{chat['id']}/satisfaction"
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/accept").status_code == 200
    assert api_client.put(rate, json={"rating": "good"}, headers=token).status_code == 409        # still going on
    assert api_client.post(f"/api/chat/chats/{chat['id']}/close", headers=token).json()["status"] == "closed"
    assert api_client.get(rate, headers=token).json() == {"rating": None, "comment": "", "can_rate": True}
    assert new_client().put(rate, json={"rating": "bad"}).status_code == 404                      # not their chat
    assert agent.put(rate, json={"rating": "good"}).status_code == 404                            # staff do not rate
    assert api_client.put(rate, json={"rating": "good"}, headers=token, csrf=False).status_code == 403
    assert api_client.put(rate, json={"rating": "so-so"}, headers=token).status_code == 422
    assert api_client.put(rate, json={"rating": "bad", "comment": "Slow"}, headers=token).status_code == 200
    rated = api_client.put(rate, json={"rating": "good", "comment": "  Quick help  "}, headers=token)
    assert rated.json() == {"rating": "good", "comment": "Quick help"}                             # changed, not added
    seen = agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["chat"]["satisfaction"]
    assert seen == {"rating": "good", "comment": "Quick help"}
    report = agent.get("/api/agent/reports/satisfaction").json()
    (alex,) = [row for row in report["agents"] if row["name"] == "Alex"]
    assert alex["good"] == 1 and alex["chats"] == {"good": 1, "bad": 0} and alex["score"] == 100
    assert report["comments"][0] == {"kind": "chat", "rating": "good", "comment": "Quick help", "department": chat_department(agent, chat)}
    # a chat nobody answered has no agent to rate
    missed = api_client.post("/api/chat/chats", json={"name": "Gina", "email": "gina@example.com"}).json()
    api_client.post(f"/api/chat/chats/{missed['id']}/close", headers={"X-Chat-Token": missed["token"]})
    assert api_client.put(f"/api/chat/chats/{missed['id']}/satisfaction", json={"rating": "bad"},
                          headers={"X-Chat-Token": missed["token"]}).status_code == 409


def chat_department(agent, chat) -> str:
    return agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["chat"]["department"]
