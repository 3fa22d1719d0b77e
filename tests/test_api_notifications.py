"""Notification mails through the outbox, in the recipient's language, as plain text with an HTML
part: staff on a new ticket, a customer reply and a waiting chat (unless they opted out); customers
on a reply, a status change, an answer to their forum question and a status change of an idea they
posted. A site rewords mail texts in its theme's i18n files, checked at start-up."""
import pytest

from kbgen.api.features.notifications import mail_strings
from kbgen.api.mailer import read_outbox
from kbgen.api.settings import Rate

from api_fixtures import BrowserClient, settings_for_tests


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
    assert "チケット番号は" in received.get_body(("plain",)).get_content() and ticket["guest_key"] in received.get_body(("plain",)).get_content()
    assert received.get_content_type() == "multipart/alternative" and received["Content-Language"] == "ja"
    assert received.get_body(("plain",)).get_content_charset() == "utf-8"
    (staff_mail,) = mails_to(api_settings, "agent@example.com")
    assert "New ticket" in staff_mail["Subject"] and "The page reloads." in staff_mail.get_body(("plain",)).get_content()
    assert f"/agent/#ticket/{ticket['id']}" in staff_mail.get_body(("plain",)).get_content()
    assert mails_to(api_settings, "quiet@example.com") == []             # opted out

    agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "パスワードを再設定してください。"})
    reply = mails_to(api_settings, "kenji@example.com")[-1]
    assert "新しい返信があります" in reply["Subject"] and "パスワードを再設定してください。" in reply.get_body(("plain",)).get_content()
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
    assert "Customer replied" in latest["Subject"] and "Still broken" in latest.get_body(("plain",)).get_content()
    assert len(mails_to(api_settings, "other@example.com")) == before_other


def test_staff_hear_about_a_waiting_chat(api_client, make_user, api_settings):
    make_user("agent@example.com", role="agent")
    agent = make_user("alex@example.com", role="agent")
    assert agent.post("/api/agent/chat/presence", json={"status": "online"}).status_code == 200
    started = api_client.post("/api/chat/chats", json={"name": "Gina Guest", "email": "gina@example.com", "lang": "en"})
    assert started.status_code == 201, started.text
    (mail,) = mails_to(api_settings, "agent@example.com")
    assert "waiting in the chat" in mail["Subject"] and "Gina Guest" in mail.get_body(("plain",)).get_content()
    assert f"/agent/chat/#chat={started.json()['id']}" in mail.get_body(("plain",)).get_content()   # opens that chat


def test_the_asker_hears_about_an_answer_and_an_ideas_author_about_its_status(make_user, api_settings):
    asker, helper = make_user("asker@example.com"), make_user("helper@example.com", name="Hana")
    agent = make_user("agent@example.com", role="agent")
    topic = asker.post("/api/forum/topics", json={"title": "Export stops", "body": "Why?", "category": "getting-started"})
    assert topic.status_code == 201, topic.text
    own = asker.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Following up myself"})
    assert own.status_code == 201 and own.json()["status"] == "visible", own.text
    assert mails_to(api_settings, "asker@example.com") == []           # not about their own answer
    answered = helper.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Use the CSV export."})
    assert answered.status_code == 201 and answered.json()["status"] == "visible", answered.text
    (mail,) = mails_to(api_settings, "asker@example.com")
    assert "Export stops" in mail["Subject"] and "Hana" in mail.get_body(("plain",)).get_content() and "Use the CSV export." in mail.get_body(("plain",)).get_content()
    assert f"#topic={topic.json()['id']}" in mail.get_body(("plain",)).get_content()

    idea = asker.post("/api/feedback/ideas", json={"title": "Dark mode", "body": "Night shifts.", "lang": "ja"})
    assert idea.status_code == 201, idea.text
    agent.patch(f"/api/agent/feedback/ideas/{idea.json()['id']}", json={"status": "planned"})
    status = mails_to(api_settings, "asker@example.com")[-1]          # its author, who did not vote
    assert "Dark mode" in status["Subject"] and "「" in status["Subject"]


def test_password_reset_mail_in_the_pages_language(api_client, make_user, api_settings):
    make_user("ann@example.com")
    assert api_client.post("/api/auth/password-reset", json={"email": "ann@example.com", "lang": "ja"}).status_code == 202
    (mail,) = mails_to(api_settings, "ann@example.com")
    assert mail["Subject"] == "パスワードの再設定" and "#reset=" in mail.get_body(("plain",)).get_content()


def test_the_html_part_is_headed_by_the_sites_title_in_the_mails_language(tmp_path, api_db_url):
    from kbgen.api.mailer import Mailer

    settings = settings_for_tests(tmp_path, api_db_url, raw={
        "title": "ACME Help", "languages": {"en": {"title": "ACME Help"}, "ja": {"title": "ACME ヘルプ"}}})
    mailer = Mailer(settings)
    japanese = mailer.build("a@example.com", "件名", "本文\n\n-- \n" + mail_strings(settings, "ja")["mail_footer"])
    assert 'style="color:inherit;text-decoration:none">ACME ヘルプ</a>' in japanese.get_body(("html",)).get_content()
    assert f'href="{settings.public_url}/ja/"' in japanese.get_body(("html",)).get_content()
    unknown = mailer.build("a@example.com", "Hello", "No footer, so no language known")
    assert ">ACME Help</a>" in unknown.get_body(("html",)).get_content()


def test_every_mail_has_an_html_part_with_the_users_text_escaped(api_client, make_user, api_settings):
    agent = make_user("agent@example.com", role="agent")
    ticket = new_ticket(api_client, subject="<script>alert(1)</script> & more")
    agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "Use <b>bold</b> & see https://example.com/a?b=1&c=2."})
    received, reply = mails_to(api_settings, "kenji@example.com")
    assert reply.get_content_type() == "multipart/alternative" and reply["Content-Language"] == "en"
    plain, html = reply.get_body(("plain",)).get_content(), reply.get_body(("html",)).get_content()
    assert "Use <b>bold</b> & see" in plain                        # the text part is the text as written
    assert "Use &lt;b&gt;bold&lt;/b&gt; &amp; see" in html and "<b>" not in html
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in html   # links clickable, the final "." left out
    assert '<html lang="en">' in html and ticket["guest_key"] in html
    # the help center's name heads it, linking home, in the mail's language
    assert '<a href="http://testserver/en/" style="color:inherit;text-decoration:none">Help Center</a>' in html
    received_html = received.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in received_html and "<script>" not in received_html


def test_a_site_rewords_mail_texts_key_by_key_like_theme_strings(tmp_path, api_db_url):
    from kbgen.api.app import create_app

    i18n = tmp_path / "themes" / "classic" / "i18n"
    i18n.mkdir(parents=True)
    (i18n / "ja.toml").write_text('mail_received_subject = "【{number}】受付完了：{subject}"\n'
                                  'mail_footer = "ACME サポートデスク"\n', encoding="utf-8")
    (i18n / "en.toml").write_text('mail_received_body = """Hi! We got ticket {number}.\n{link}"""\n', encoding="utf-8")
    (tmp_path / "kbgen.toml").write_text('theme = "classic"\n', encoding="utf-8")
    settings = settings_for_tests(tmp_path, api_db_url, source=str(tmp_path / "kbgen.toml"))
    app = create_app(settings)
    try:
        client = BrowserClient(app)
        ja = new_ticket(client, lang="ja", email="ja@example.com")
        en = new_ticket(client, lang="en", email="en@example.com")
        (ja_mail,) = mails_to(settings, "ja@example.com")
        assert ja_mail["Subject"] == f"【{ja['number']}】受付完了：Login fails"           # the site's subject
        ja_text = ja_mail.get_body(("plain",)).get_content()
        assert "チケット番号は" in ja_text and ja_text.rstrip().endswith("ACME サポートデスク")   # bundled body, site footer
        assert ja_mail["Content-Language"] == "ja"
        (en_mail,) = mails_to(settings, "en@example.com")
        assert en_mail["Subject"] == f"[{en['number']}] We received your request: Login fails"   # English subject untouched
        assert en_mail.get_body(("plain",)).get_content().startswith(f"Hi! We got ticket {en['number']}.")
    finally:
        app.state.engine.dispose()


def test_a_mail_text_with_an_unknown_placeholder_stops_the_start_naming_file_line_and_key(tmp_path, api_db_url):
    from kbgen.api.app import create_app
    from kbgen.api.settings import SettingsError

    i18n = tmp_path / "themes" / "classic" / "i18n"
    i18n.mkdir(parents=True)
    (i18n / "en.toml").write_text('search_placeholder = "Search {anything}"\n'
                                  'mail_reply_subject = "[{nubmer}] {subject}"\n'
                                  'mail_status_body = "Now {status} {"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        (tmp_path / "kbgen.toml").write_text('theme = "classic"\n', encoding="utf-8")
        create_app(settings_for_tests(tmp_path, api_db_url, source=str(tmp_path / "kbgen.toml")))
    message = refused.value.message
    assert f"{i18n / 'en.toml'}:2: [mail_reply_subject] unknown placeholder {{nubmer}}" in message
    assert "{number}" in message                                   # what it may use instead
    assert f"{i18n / 'en.toml'}:3: [mail_status_body]" in message    # every problem at once
    assert "search_placeholder" not in message                     # not a mail text: not checked here


def test_the_asker_hears_when_a_held_answer_is_approved(tmp_path, api_db_url):
    from kbgen.api.app import create_app

    config = tmp_path / "kbgen.toml"
    config.write_text("[forum]\nmoderate_first_posts = 1\n", encoding="utf-8")
    settings = settings_for_tests(tmp_path, api_db_url, source=str(config), rates={"submission": Rate(10_000, 60)})
    app = create_app(settings)
    try:
        from kbgen.api.models import User
        from kbgen.api.security import hash_password
        from api_fixtures import PASSWORD
        with app.state.kb.sessions() as db:
            db.add_all([User(email=e, name=n, role=r, password_hash=hash_password(PASSWORD))
                        for e, n, r in (("asker@example.com", "Asa", "customer"), ("new@example.com", "Nao", "customer"),
                                        ("mod@example.com", "Mo", "agent"))])
            db.commit()
        asker, newcomer, moderator = (BrowserClient(app) for _ in range(3))
        for client, email in ((asker, "asker@example.com"), (newcomer, "new@example.com"), (moderator, "mod@example.com")):
            client.sign_in(email)
        topic = moderator.post("/api/forum/topics", json={"title": "Export stops", "body": "Why?", "category": "getting-started"})
        moderator.patch(f"/api/agent/forum/topics/{topic.json()['id']}", json={"status": "visible"})
        # the topic is the moderator's; hand it to the asker so the answer is to their question
        from kbgen.api.features.forum_models import ForumTopic
        with app.state.kb.sessions() as db:
            row = db.get(ForumTopic, topic.json()["id"])
            row.author_id = db.query(User).filter_by(email="asker@example.com").one().id
            db.commit()
        held = newcomer.post(f"/api/forum/topics/{topic.json()['id']}/answers", json={"body": "Use the CSV export."})
        assert held.status_code == 201 and held.json()["status"] == "pending"
        assert mails_to(settings, "asker@example.com") == []             # nothing while it is held
        assert moderator.patch(f"/api/agent/forum/answers/{held.json()['id']}", json={"status": "visible"}).status_code == 200
        (mail,) = mails_to(settings, "asker@example.com")
        assert "Export stops" in mail["Subject"] and "Use the CSV export." in mail.get_body(("plain",)).get_content()
        moderator.patch(f"/api/agent/forum/answers/{held.json()['id']}", json={"status": "hidden"})
        moderator.patch(f"/api/agent/forum/answers/{held.json()['id']}", json={"status": "visible"})
        assert len(mails_to(settings, "asker@example.com")) == 1          # shown again: not news
    finally:
        app.state.engine.dispose()


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
    assert f"Ihre Ticketnummer ist {ticket['number']}." in received.get_body(("plain",)).get_content()


def test_reading_the_outbox_waits_for_a_refusing_server_and_reports_a_wrong_database(tmp_path):
    """A database server refusing connections for a moment (too many clients while it is busy) is
    waited for, not read as an empty outbox; a failure that waiting cannot fix is raised at once."""
    import socket
    import time
    from urllib.parse import urlsplit, urlunsplit

    from kbgen.api.mailer import deliver_pending

    import os

    api_db_url = os.environ.get("KBGEN_TEST_POSTGRES_URL")
    if not api_db_url:
        pytest.skip("KBGEN_TEST_POSTGRES_URL is not set (tests/run.sh starts a server)")
    with socket.socket() as probe:   # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    parts = urlsplit(api_db_url)
    refusing = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{closed_port}"))
    started = time.monotonic()
    with pytest.raises(Exception, match="(?i)refused"):
        deliver_pending(settings_for_tests(tmp_path, refusing), wait_seconds=1.5)
    assert 1.4 < time.monotonic() - started < 10, "retried for the wait, then said why"

    missing = urlunsplit(parts._replace(path="/kbgen_no_such_database", query=""))
    started = time.monotonic()
    with pytest.raises(Exception, match="kbgen_no_such_database"):
        deliver_pending(settings_for_tests(tmp_path, missing), wait_seconds=5)
    assert time.monotonic() - started < 1.5, "no waiting for what waiting cannot fix"
