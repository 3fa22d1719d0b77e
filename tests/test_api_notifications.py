"""Notification mails through the outbox, in the recipient's language, as plain text: staff on a
new ticket, a customer reply and a waiting chat (unless they opted out); customers on a reply, a
status change, an answer to their forum question and a status change of an idea they posted."""
import pytest

from kbgen.api.mailer import read_outbox
from kbgen.api.settings import Rate

from api_fixtures import settings_for_tests


@pytest.fixture
def api_settings(tmp_path, api_db_url):
    config = tmp_path / "kbgen.toml"
    config.write_text("[forum]\nmoderate_first_posts = 0\n", encoding="utf-8")
    generous = {name: Rate(10_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}
    return settings_for_tests(tmp_path, api_db_url, rates=generous, source=str(config))


def mails_to(settings, address):
    return [m for m in read_outbox(settings) if m["To"] == address]


def new_ticket(client, lang="en", email="kenji@example.com", subject="Login fails"):
    response = client.post("/api/tickets", data={"subject": subject, "body": "The page reloads.", "department": "general",
                                                 "email": email, "lang": lang})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_japanese_customer_gets_japanese_mail_and_staff_hear_about_the_ticket(api_client, make_user, api_settings):
    agent = make_user("agent@example.com", role="agent")
    quiet = make_user("quiet@example.com", role="agent")
    assert quiet.put("/api/agent/me", json={"notify_email": False}).json()["notify_email"] is False
    ticket = new_ticket(api_client, lang="ja", subject="ログインできません")
    (received,) = mails_to(api_settings, "kenji@example.com")
    assert received["Subject"] == f"[{ticket['number']}] お問い合わせを受け付けました：ログインできません"
    assert "チケット番号は" in received.get_content() and ticket["guest_key"] in received.get_content()
    assert received.get_content_type() == "text/plain" and received.get_content_charset() == "utf-8"
    (staff_mail,) = mails_to(api_settings, "agent@example.com")
    assert "New ticket" in staff_mail["Subject"] and "The page reloads." in staff_mail.get_content()
    assert f"/agent/#ticket/{ticket['id']}" in staff_mail.get_content()
    assert mails_to(api_settings, "quiet@example.com") == []             # opted out

    agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "パスワードを再設定してください。"})
    reply = mails_to(api_settings, "kenji@example.com")[-1]
    assert "新しい返信があります" in reply["Subject"] and "パスワードを再設定してください。" in reply.get_content()
    agent.patch(f"/api/agent/tickets/{ticket['id']}", json={"status": "solved"})
    status = mails_to(api_settings, "kenji@example.com")[-1]
    assert "解決済み" in status["Subject"]


def test_a_customer_reply_reaches_the_assignee_only(api_client, make_user, api_settings):
    agent = make_user("agent@example.com", role="agent")
    make_user("other@example.com", role="agent")
    ticket = new_ticket(api_client)
    agent_id = agent.get("/api/agent/staff").json()["me"]
    agent.patch(f"/api/agent/tickets/{ticket['id']}", json={"assignee_id": agent_id})
    before_other = len(mails_to(api_settings, "other@example.com"))
    answered = api_client.post(f"/api/tickets/{ticket['id']}/messages", data={"body": "Still broken"},
                               headers={"X-Ticket-Key": ticket["guest_key"]})
    assert answered.status_code == 201, answered.text
    latest = mails_to(api_settings, "agent@example.com")[-1]
    assert "Customer replied" in latest["Subject"] and "Still broken" in latest.get_content()
    assert len(mails_to(api_settings, "other@example.com")) == before_other


def test_staff_hear_about_a_waiting_chat(api_client, make_user, api_settings):
    make_user("agent@example.com", role="agent")
    agent = make_user("alex@example.com", role="agent")
    assert agent.post("/api/agent/chat/presence", json={"status": "online"}).status_code == 200
    started = api_client.post("/api/chat/chats", json={"name": "Gina Guest", "email": "gina@example.com", "lang": "en"})
    assert started.status_code == 201, started.text
    (mail,) = mails_to(api_settings, "agent@example.com")
    assert "waiting in the chat" in mail["Subject"] and "Gina Guest" in mail.get_content()


def test_the_asker_hears_about_an_answer_and_an_ideas_author_about_its_status(make_user, api_settings):
    asker, helper = make_user("asker@example.com"), make_user("helper@example.com", name="Hana")
    agent = make_user("agent@example.com", role="agent")
    topic = asker.post("/api/forum/topics", json={"title": "Export stops", "body": "Why?", "category": "getting-started"})
    assert topic.status_code == 201, topic.text
    asker.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Following up myself"})
    assert mails_to(api_settings, "asker@example.com") == []           # not about their own answer
    helper.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Use the CSV export."})
    (mail,) = mails_to(api_settings, "asker@example.com")
    assert "Export stops" in mail["Subject"] and "Hana" in mail.get_content() and "Use the CSV export." in mail.get_content()
    assert f"#topic={topic.json()['id']}" in mail.get_content()

    idea = asker.post("/api/feedback/ideas", json={"title": "Dark mode", "body": "Night shifts.", "lang": "ja"})
    assert idea.status_code == 201, idea.text
    agent.patch(f"/api/agent/feedback/ideas/{idea.json()['id']}", json={"status": "planned"})
    status = mails_to(api_settings, "asker@example.com")[-1]          # its author, who did not vote
    assert "Dark mode" in status["Subject"] and "「" in status["Subject"]


def test_password_reset_mail_in_the_pages_language(api_client, make_user, api_settings):
    make_user("ann@example.com")
    assert api_client.post("/api/auth/password-reset", json={"email": "ann@example.com", "lang": "ja"}).status_code == 202
    (mail,) = mails_to(api_settings, "ann@example.com")
    assert mail["Subject"] == "パスワードの再設定" and "#reset=" in mail.get_content()


def test_a_language_the_site_adds_in_its_theme_strings_file_gets_its_mail(api_app, api_client, api_settings, tmp_path):
    """Adding a language is one strings file per theme: the mails come from it too."""
    from api_fixtures import reconfigure

    strings = tmp_path / "themes" / "classic" / "i18n"
    strings.mkdir(parents=True)
    (strings / "de.toml").write_text('mail_received_subject = "[{number}] Anfrage erhalten: {subject}"\n'
                                     'mail_received_body = "Ihre Ticketnummer ist {number}.\\n{link}"\n', encoding="utf-8")
    reconfigure(api_app, tmp_path / "kbgen.toml", "[forum]\nmoderate_first_posts = 0\n\n"
                "[languages.en]\nname = \"English\"\n[languages.ja]\nname = \"日本語\"\n[languages.de]\nname = \"Deutsch\"\n")
    state = api_app.state.kb
    state.settings = state.settings.with_overrides(languages=("en", "ja", "de"))   # as a start-up reads [languages]
    ticket = new_ticket(api_client, lang="de", subject="Anmeldung")
    (received,) = mails_to(api_settings, "kenji@example.com")
    assert received["Subject"] == f"[{ticket['number']}] Anfrage erhalten: Anmeldung"
    assert f"Ihre Ticketnummer ist {ticket['number']}." in received.get_content()
