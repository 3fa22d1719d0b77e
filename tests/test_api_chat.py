"""Live chat API: who may read which chat, atomic accept, message numbering and catch-up after a
reconnect (over a real SSE stream), presence and opening hours, the ticket fall-backs,
transfers, transcripts, and the [chat] config errors."""
import json
import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from kbgen.api.db import utcnow
from live_server import ServerThread
from kbgen.api.features.chat_models import ChatSession
from kbgen.api.features.chat_settings import ChatSettings, parse_chat_settings
from kbgen.api.mailer import read_outbox
from kbgen.api.settings import Rate, SettingsError
from api_fixtures import reconfigure, settings_for_tests

CHAT_TOML = """
[chat]
welcome = { en = "Hi! How can we help?", ja = "こんにちは。どのようなご用件でしょうか？" }
prechat_fields = ["name", "email"]
unanswered_after_seconds = 60
"""
GUEST = {"name": "Gina Guest", "email": "gina@example.com", "lang": "en"}


@pytest.fixture
def chat_toml(tmp_path):
    path = tmp_path / "kbgen.toml"
    path.write_text(CHAT_TOML, encoding="utf-8")
    return path


@pytest.fixture
def api_settings(tmp_path, api_db_url, chat_toml):   # the shared one, reading [chat] from a real file
    generous = {name: Rate(10_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}
    return settings_for_tests(tmp_path, api_db_url, rates=generous, source=str(chat_toml))


@pytest.fixture
def agent(make_user):
    client = make_user("alex@example.com", role="agent", name="Alex Agent")
    assert client.post("/api/agent/chat/presence", json={"status": "online"}).status_code == 200
    return client


def start(client, body=GUEST, **headers):
    response = client.post("/api/chat/chats", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def as_guest(chat):
    return {"X-Chat-Token": chat["token"]}


def test_config_says_when_someone_is_there(api_client, make_user):
    config = api_client.get("/api/chat/config?lang=ja").json()
    assert config["welcome"] == "こんにちは。どのようなご用件でしょうか？"
    assert config["prechat_fields"] == ["name", "email"]
    assert (config["open"], config["online"], config["available"]) == (True, False, False)
    refused = api_client.post("/api/chat/chats", json=GUEST)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "chat_unavailable"
    staff = make_user("alex@example.com", role="agent")
    staff.post("/api/agent/chat/presence", json={"status": "online"})
    assert api_client.get("/api/chat/config").json()["available"] is True
    staff.post("/api/agent/chat/presence", json={"status": "away"})
    assert api_client.get("/api/chat/config").json()["available"] is False
    # a signed-in customer is not asked for name and email
    assert make_user("carl@example.com").get("/api/chat/config").json()["prechat_fields"] == []


def test_outside_opening_hours_the_chat_is_closed(api_app, api_client, agent, chat_toml):
    reconfigure(api_app, chat_toml, CHAT_TOML + 'timezone = "Asia/Tokyo"\nhours = {}\n')
    config = api_client.get("/api/chat/config").json()
    assert (config["open"], config["available"]) == (False, False)
    assert api_client.post("/api/chat/chats", json=GUEST).status_code == 409


def test_opening_hours_in_the_configured_time_zone():
    settings = parse_chat_settings({"timezone": "Asia/Tokyo", "hours": {"mon": "09:00-18:00", "sat": "10:00-12:00, 13:00-24:00"}},
                                   settings_for_tests_stub())
    monday_10_tokyo = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    assert settings.is_open(monday_10_tokyo)
    assert not settings.is_open(monday_10_tokyo + timedelta(hours=9))      # 19:00 in Tokyo
    assert not settings.is_open(monday_10_tokyo - timedelta(hours=2))      # 08:00
    saturday_2330_tokyo = datetime(2026, 11, 28, 14, 30, tzinfo=timezone.utc)
    assert settings.is_open(saturday_2330_tokyo)
    assert not settings.is_open(saturday_2330_tokyo - timedelta(hours=11))  # 12:30, the lunch gap
    assert not settings.is_open(datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc))  # Tuesday: not listed


def settings_for_tests_stub():
    from pathlib import Path
    return settings_for_tests(Path("/tmp"), "sqlite:///:memory:", source="site/kbgen.toml")


@pytest.mark.parametrize("table, key", [
    ({"position": "top"}, "position"), ({"accent": "blue"}, "accent"), ({"prechat_fields": ["phone"]}, "prechat_fields"),
    ({"departments": ["nope"]}, "departments"), ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"hours": {"mon": "9-5"}}, "hours.mon"), ({"hours": {"funday": "09:00-10:00"}}, "hours.funday"),
    ({"unanswered_after_seconds": 0}, "unanswered_after_seconds"),
])
def test_config_errors_name_the_file_and_key(table, key):
    with pytest.raises(SettingsError) as error:
        parse_chat_settings(table, settings_for_tests_stub())
    assert str(error.value.message).startswith(f"site/kbgen.toml: [chat.{key}] ")


def test_an_unknown_chat_key_is_a_warning_not_an_error(tmp_path):
    settings = settings_for_tests(tmp_path, "sqlite:///:memory:", raw={"chat": {"colour": "#fff", "position": "bottom-left"}})
    assert settings.chat.position == "bottom-left"
    assert any("[chat.colour] unknown option, ignored" in warning for warning in settings.warnings), settings.warnings


def test_a_bad_chat_section_stops_the_start_with_file_line_and_key(api_app, chat_toml):
    with pytest.raises(SettingsError) as error:   # as a restart with this file would
        reconfigure(api_app, chat_toml, '[chat]\nposition = "top-middle"\n')
    assert f"{chat_toml}:2: [chat.position] must be one of bottom-right, bottom-left" in error.value.message


def test_guest_gives_name_and_email_and_sees_the_welcome_at_once(api_client, agent):
    missing = api_client.post("/api/chat/chats", json={"lang": "en"})
    assert missing.status_code == 422
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"name", "email"}
    chat = start(api_client, GUEST | {"lang": "ja"})
    assert chat["welcome"]["seq"] == 1 and chat["welcome"]["body"].startswith("こんにちは")
    assert len(chat["token"]) >= 40
    view = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()
    assert view["chat"]["status"] == "waiting" and [m["seq"] for m in view["messages"]] == [1]


def test_signed_in_customer_needs_no_prechat_fields_and_keeps_the_transcript(make_user, agent, api_settings):
    carl = make_user("carl@example.com", name="Carl")
    chat = start(carl, {"lang": "en"})
    # the session alone opens the customer's own chat (after a reload, even without the token)
    assert carl.get(f"/api/chat/chats/{chat['id']}").status_code == 200
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    carl.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "My invoice is wrong"})
    agent.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "Let me check"})
    history = carl.get("/api/chat/history").json()["chats"]
    assert [m["body"] for m in history[0]["messages"]][-2:] == ["My invoice is wrong", "Let me check"]
    customer_id = agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["chat"]["customer_id"]
    record = agent.get(f"/api/agent/chat/history?customer_id={customer_id}").json()["chats"]
    assert record[0]["id"] == chat["id"]
    sent = carl.post(f"/api/chat/chats/{chat['id']}/transcript")
    assert sent.json() == {"sent_to": "carl@example.com"}
    mail = read_outbox(api_settings)[-1]
    assert mail["To"] == "carl@example.com" and "Let me check" in mail.get_body(("plain",)).get_content()


def test_a_guest_reads_only_their_own_chat(api_client, new_client, make_user, agent):
    chat_a = start(api_client)
    other = new_client()
    chat_b = start(other, GUEST | {"email": "bob@example.com"})
    chat_id = chat_a["id"]
    for headers in ({}, as_guest(chat_b), {"X-Chat-Token": "x" * 43}):
        assert other.get(f"/api/chat/chats/{chat_id}", headers=headers).status_code == 404
        assert other.post(f"/api/chat/chats/{chat_id}/messages", json={"body": "hi"}, headers=headers).status_code == 404
        assert other.post(f"/api/chat/chats/{chat_id}/transcript", headers=headers).status_code == 404
    assert other.get(f"/api/chat/chats/{chat_id}/events?token={chat_b['token']}").status_code == 404
    denied = other.post(f"/api/chat/chats/{chat_id}/stream-access", headers=as_guest(chat_b))
    assert denied.status_code == 404 and "set-cookie" not in denied.headers
    # the token works from any browser; another signed-in customer without it does not
    assert other.get(f"/api/chat/chats/{chat_id}", headers=as_guest(chat_a)).status_code == 200
    assert make_user("eve@example.com").get(f"/api/chat/chats/{chat_id}").status_code == 404
    assert api_client.post(f"/api/chat/chats/{chat_id}/messages", json={"body": "hi"}, csrf=False,
                           headers=as_guest(chat_a)).status_code == 403


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/agent/chat/overview"), ("POST", "/api/agent/chat/presence"), ("POST", "/api/agent/chat/chats/{id}/accept"),
    ("GET", "/api/agent/chat/chats/{id}"), ("POST", "/api/agent/chat/chats/{id}/close"),
    ("GET", "/api/agent/chat/history?email=gina@example.com"),
])
def test_staff_endpoints_refuse_customers_and_guests(method, path, api_client, make_user, agent):
    chat = start(api_client)
    url = path.replace("{id}", chat["id"])
    kwargs = {"json": {}} if method == "POST" else {}
    assert api_client.request(method, url, headers=as_guest(chat), **kwargs).status_code == 401
    assert make_user("carl@example.com").request(method, url, **kwargs).status_code == 403


def test_staff_page_is_for_staff_only(api_client, make_user, agent):
    assert api_client.get("/agent/chat/").status_code == 401
    assert "Staff sign-in" in api_client.get("/agent/chat/").text
    assert make_user("carl@example.com").get("/agent/chat/").status_code == 403
    page = agent.get("/agent/chat/")
    # the chat page itself (its header, with the link back to the inbox, is drawn by its script)
    assert page.status_code == 200 and 'src="/agent/assets/chat.js"' in page.text and "Staff sign-in" not in page.text


def test_accept_is_atomic(api_client, make_user, agent):
    agents = [agent] + [make_user(f"agent{i}@example.com", role="agent") for i in range(3)]
    for _round in range(3):
        chat = start(api_client)
        barrier = threading.Barrier(len(agents))
        results = []

        def take(client, chat=chat, barrier=barrier, results=results):
            barrier.wait()
            results.append(client.post(f"/api/agent/chat/chats/{chat['id']}/accept").status_code)

        threads = [threading.Thread(target=take, args=(client,)) for client in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200] + [409] * (len(agents) - 1)
        joined = [m for m in agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["messages"] if "joined" in m["body"]]
        assert len(joined) == 1


def test_only_the_owner_replies_and_the_customer_sees_name_and_typing(api_client, make_user, agent):
    chat = start(api_client)
    colleague = make_user("bea@example.com", role="agent", name="Bea")
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "hi"}).status_code == 409
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    assert colleague.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "hi"}).status_code == 409
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/typing").status_code == 204
    state = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()["chat"]
    assert state["status"] == "active" and state["agent_name"] == "Alex Agent" and state["staff_typing"] is True
    assert "email" not in state and "owner_id" not in state      # staff details stay with staff
    api_client.post(f"/api/chat/chats/{chat['id']}/typing", headers=as_guest(chat))
    assert agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["chat"]["customer_typing"] is True


def test_numbering_is_gap_free_under_concurrent_senders_and_resends_are_not_doubled(api_client, agent):
    chat = start(api_client)
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")       # seq 2: "joined"
    results = []

    def send(i):
        sender = agent if i % 2 else api_client
        url = f"/api/agent/chat/chats/{chat['id']}/messages" if i % 2 else f"/api/chat/chats/{chat['id']}/messages"
        response = sender.post(url, json={"body": f"message {i}"}, headers=as_guest(chat) | {"Idempotency-Key": f"key-{i:04d}-x"})
        results.append(response.json()["seq"])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(3, 13))
    again = api_client.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "message 0"},
                            headers=as_guest(chat) | {"Idempotency-Key": "key-0000-x"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    messages = api_client.get(f"/api/chat/chats/{chat['id']}?after=0", headers=as_guest(chat)).json()["messages"]
    assert [m["seq"] for m in messages] == list(range(1, 13))
    catch_up = api_client.get(f"/api/chat/chats/{chat['id']}?after=10", headers=as_guest(chat)).json()["messages"]
    assert [m["seq"] for m in catch_up] == [11, 12]


def read_events(lines, wanted: int):
    """The next `wanted` message events from an SSE line iterator: (seq, body) pairs, plus state events."""
    messages, states, current = [], [], {}
    for line in lines:
        if line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif line == "" and current:
            if current.get("event") == "message":
                assert current["id"] == current["data"]["seq"]
                messages.append((current["id"], current["data"]["body"]))
            elif current.get("event") == "state":
                states.append(current["data"])
            current = {}
            if len(messages) >= wanted:
                break
    return messages, states


@pytest.fixture
def live(api_app):
    with ServerThread(api_app) as server:
        yield server


def test_stream_delivers_and_a_reconnect_resumes_without_loss_or_duplicates(api_client, agent, live):
    chat = start(api_client)
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    events = f"{live.url}/api/chat/chats/{chat['id']}/events?token={chat['token']}"
    with httpx.Client(timeout=10) as http:
        with http.stream("GET", events) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            first, states = read_events(response.iter_lines(), 2)
        assert [seq for seq, _ in first] == [1, 2]
        assert states[0]["agent_name"] == "Alex Agent"
        # while the customer is away, both sides write
        agent.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "Are you still there?"})
        api_client.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "Back now"}, headers=as_guest(chat))
        # the browser's way: a cookie for this one stream instead of the token in the URL
        access = api_client.post(f"/api/chat/chats/{chat['id']}/stream-access", headers=as_guest(chat))
        cookie = access.headers["set-cookie"]
        assert "HttpOnly" in cookie and f"Path=/api/chat/chats/{chat['id']}/events" in cookie
        stream_cookie = {"Cookie": f"kb_chat_stream={chat['token']}"}
        # EventSource resumes with Last-Event-ID: exactly the missed messages, in order
        with http.stream("GET", events.split("?")[0], headers={"Last-Event-ID": "2"} | stream_cookie) as response:
            lines = response.iter_lines()
            missed, _ = read_events(lines, 2)
            assert missed == [(3, "Are you still there?"), (4, "Back now")]
            started = utcnow()
            agent.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "Great"})
            live_message, _ = read_events(lines, 1)
            assert live_message == [(5, "Great")]
            assert (utcnow() - started).total_seconds() < 2
        # staff stream with ?after= catch-up
        session = {"Cookie": f"kb_session={agent.http.cookies.get('kb_session')}"}
        with http.stream("GET", f"{live.url}/api/agent/chat/chats/{chat['id']}/events?after=3", headers=session) as response:
            assert response.status_code == 200
            staff_view, _ = read_events(response.iter_lines(), 2)
        assert [seq for seq, _ in staff_view] == [4, 5]


def test_no_staff_online_leave_a_message_becomes_a_ticket(api_client, make_user, api_settings):
    assert api_client.get("/api/chat/config").json()["available"] is False
    missing = api_client.post("/api/chat/leave-message", json={"body": "Call me back", "name": "Gina"})
    assert missing.status_code == 422
    left = api_client.post("/api/chat/leave-message", json={"body": "Please call me back\nabout my plan", "name": "Gina",
                                                           "email": "gina@example.com", "lang": "en"},
                           headers={"Idempotency-Key": "leave-message-1"})
    assert left.status_code == 201, left.text
    resent = api_client.post("/api/chat/leave-message", json={"body": "Please call me back\nabout my plan", "name": "Gina",
                                                             "email": "gina@example.com", "lang": "en"},
                             headers={"Idempotency-Key": "leave-message-1"})
    assert resent.json()["ticket_id"] == left.json()["ticket_id"]
    staff = make_user("alex@example.com", role="agent")
    tickets = staff.get("/api/agent/tickets").json()["tickets"]
    assert len(tickets) == 1 and tickets[0]["subject"] == "Message: Please call me back" and tickets[0]["email"] == "gina@example.com"
    # the guest can follow it with the key, like any ticket
    ticket = api_client.get(f"/api/tickets/{left.json()['ticket_id']}", headers={"X-Ticket-Key": left.json()["guest_key"]})
    assert ticket.status_code == 200 and "about my plan" in ticket.json()["messages"][0]["body"]
    assert left.json()["number"] in read_outbox(api_settings)[-1]["Subject"]


def test_a_chat_nobody_accepts_offers_a_ticket(api_client, agent, api_app, api_settings):
    chat = start(api_client)
    api_client.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "Is my data exported?"}, headers=as_guest(chat))
    state = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()["chat"]
    assert state["unanswered"] is False
    with api_app.state.kb.sessions() as db:   # a minute and a bit later…
        db.get(ChatSession, chat["id"]).waiting_since = utcnow() - timedelta(seconds=61)
        db.commit()
    state = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()["chat"]
    assert state["unanswered"] is True
    made = api_client.post(f"/api/chat/chats/{chat['id']}/ticket", json={}, headers=as_guest(chat))
    assert made.status_code == 201, made.text
    ticket = agent.get(f"/api/agent/tickets/{made.json()['ticket_id']}").json()
    assert ticket["subject"] == "Chat: Is my data exported?" and "Hi! How can we help?" in ticket["messages"][0]["body"]
    after = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()
    assert after["chat"]["status"] == "missed" and made.json()["number"] in after["messages"][-1]["body"]
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/accept").status_code == 409
    assert api_client.post(f"/api/chat/chats/{chat['id']}/ticket", json={}, headers=as_guest(chat)).status_code == 409


def test_transfer_to_a_colleague_or_department_and_close(api_client, make_user, agent):
    bea = make_user("bea@example.com", role="agent", name="Bea")
    chat = start(api_client)
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    bea_id = agent.get("/api/agent/staff").json()["staff"][1]["id"]
    moved = agent.post(f"/api/agent/chat/chats/{chat['id']}/transfer", json={"to_user_id": bea_id})
    assert moved.status_code == 200 and moved.json()["owner_id"] == bea_id
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "x"}).status_code == 409
    assert bea.post(f"/api/agent/chat/chats/{chat['id']}/messages", json={"body": "Bea here"}).status_code == 201
    assert api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()["chat"]["agent_name"] == "Bea"
    back = bea.post(f"/api/agent/chat/chats/{chat['id']}/transfer", json={"department": "general"})
    assert back.json()["status"] == "waiting" and back.json()["owner_id"] is None
    assert [c["id"] for c in agent.get("/api/agent/chat/overview").json()["waiting"]] == [chat["id"]]
    assert bea.post(f"/api/agent/chat/chats/{chat['id']}/transfer", json={"department": "nope"}).status_code == 422
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    assert agent.post(f"/api/agent/chat/chats/{chat['id']}/close").json()["status"] == "closed"
    closed = api_client.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": "one more"}, headers=as_guest(chat))
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "chat_closed"


@pytest.mark.parametrize("lang, joined, moved, ended", [
    ("en", "Alex Agent joined the chat.", "Alex Agent transferred the chat to Bea.", "Bea ended the chat."),
    ("ja", "Alex Agent がチャットに参加しました。", "Alex Agent がチャットを Bea に引き継ぎました。", "Bea がチャットを終了しました。"),
])
def test_the_chats_own_notes_are_in_the_customers_language(api_client, make_user, agent, lang, joined, moved, ended):
    bea = make_user("bea@example.com", role="agent", name="Bea")
    chat = start(api_client, GUEST | {"lang": lang})
    agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
    bea_id = agent.get("/api/agent/staff").json()["staff"][1]["id"]
    agent.post(f"/api/agent/chat/chats/{chat['id']}/transfer", json={"to_user_id": bea_id})
    bea.post(f"/api/agent/chat/chats/{chat['id']}/close")
    view = api_client.get(f"/api/chat/chats/{chat['id']}", headers=as_guest(chat)).json()
    notes = [m["body"] for m in view["messages"] if m["kind"] == "system"]
    assert notes[1:] == [joined, moved, ended]


def test_overview_lists_waiting_chats_with_wait_time(api_client, new_client, agent):
    first = start(api_client)
    second_client = new_client()
    second = start(second_client, GUEST | {"email": "bob@example.com"})
    for text in ("My invoice is wrong", "It shows last month"):
        assert api_client.post(f"/api/chat/chats/{first['id']}/messages", json={"body": text},
                               headers=as_guest(first)).status_code == 201
    assert second_client.post(f"/api/chat/chats/{second['id']}/messages", json={"body": "Hello?"},
                              headers=as_guest(second)).status_code == 201
    overview = agent.get("/api/agent/chat/overview").json()
    assert [c["id"] for c in overview["waiting"]] == [first["id"], second["id"]]
    assert [c["preview"] for c in overview["waiting"]] == ["It shows last month", "Hello?"]
    assert overview["waiting"][0]["waited_seconds"] >= 0 and overview["online_staff"][0]["name"] == "Alex Agent"
    agent.post(f"/api/agent/chat/chats/{first['id']}/accept")
    overview = agent.get("/api/agent/chat/overview").json()
    assert [c["id"] for c in overview["mine"]] == [first["id"]] and len(overview["waiting"]) == 1


def test_default_settings_without_a_chat_section():
    assert ChatSettings().is_open(utcnow()) and ChatSettings().welcome_for("fr") == "Hi! How can we help?"


def test_switched_off_chat_offers_nothing_but_a_message(api_app, api_client, agent, chat_toml):
    reconfigure(api_app, chat_toml, CHAT_TOML + "enabled = false\n")
    config = api_client.get("/api/chat/config").json()
    assert config["enabled"] is False and config["available"] is False
    refused = api_client.post("/api/chat/chats", json=GUEST)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "chat_unavailable"


def test_messages_are_rendered_without_markup_from_the_sender(api_client, agent):
    chat = start(api_client)
    sent = api_client.post(f"/api/chat/chats/{chat['id']}/messages", headers=as_guest(chat),
                           json={"body": 'Look **here** <script>alert(1)</script> <a href="javascript:x()">link</a>'}).json()
    assert "<strong>here</strong>" in sent["body_html"]
    assert "<script" not in sent["body_html"] and "javascript:" not in sent["body_html"]
    assert sent["body"].startswith("Look **here**")      # stored as written


def test_a_quiet_stream_sends_pings_so_the_page_can_tell_it_from_a_stalled_one(api_client, agent, live, monkeypatch):
    from kbgen.api.features import chat_core
    monkeypatch.setattr(chat_core, "KEEPALIVE_SECONDS", 0.5)
    chat = start(api_client)
    with httpx.Client(timeout=10) as http:
        with http.stream("GET", f"{live.url}/api/chat/chats/{chat['id']}/events?token={chat['token']}") as response:
            started = utcnow()
            for line in response.iter_lines():
                if line == "event: ping":
                    break
    assert (utcnow() - started).total_seconds() < 3


def test_history_keeps_each_chat_with_its_own_transcript(make_user, agent):
    dana = make_user("dana@example.com", name="Dana")
    for text in ("First visit", "Second visit"):
        chat = start(dana, {"lang": "en"})
        assert dana.post(f"/api/chat/chats/{chat['id']}/messages", json={"body": text}).status_code == 201
        agent.post(f"/api/agent/chat/chats/{chat['id']}/accept")
        assert agent.post(f"/api/agent/chat/chats/{chat['id']}/close").json()["status"] == "closed"
    mine = dana.get("/api/chat/history").json()["chats"]
    customer_id = agent.get(f"/api/agent/chat/chats/{chat['id']}").json()["chat"]["customer_id"]
    record = agent.get(f"/api/agent/chat/history?customer_id={customer_id}").json()["chats"]
    for chats in (mine, record):
        texts = [[m["body"] for m in c["messages"]] for c in chats]
        assert len(texts) == 2 and "Second visit" in texts[0] and "First visit" in texts[1]
        assert all([m["seq"] for m in c["messages"]] == sorted(m["seq"] for m in c["messages"]) for c in chats)
        assert "First visit" not in texts[0] and "Second visit" not in texts[1]


def test_the_chat_section_is_read_once_per_start_not_per_request(api_client, chat_toml, monkeypatch):
    from kbgen import schema

    calls = []
    validate = schema.validate
    monkeypatch.setattr(schema, "validate", lambda *args, **kwargs: calls.append(1) or validate(*args, **kwargs))
    for _ in range(3):
        assert api_client.get("/api/chat/config").json()["enabled"] is True
    chat_toml.write_text(CHAT_TOML + "enabled = false\n", encoding="utf-8")   # an edit while the API runs …
    assert api_client.get("/api/chat/config").json()["enabled"] is True       # … applies at the next start
    assert calls == [], "validated once at start-up, never re-read per request"
