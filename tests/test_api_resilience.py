"""The API under attack and under a crowd: a request that stored something succeeds (text is
normalised first, mail goes through the durable outbox), malformed headers get 4xx, strangers
cannot lock anyone out, old reset links die, CSRF tokens belong to one session, crashes leave no
orphan files, oversize and stalled bodies are cut off, excess load gets 429, and a burst of
reads and votes against a real server gives no 5xx and exact counts (SQLite and PostgreSQL)."""
import asyncio
import os
import socket
import time

import httpx
import pytest
from sqlalchemy import func, select

from kbgen.api import middleware
from kbgen.api.app import sweep_orphan_uploads
from live_server import PoliteClient, ServerThread
from kbgen.api.mailer import Mailer, read_outbox
from kbgen.api.models import OutboxMail, RateCounter
from kbgen.api.settings import Rate, SmtpSettings
from api_fixtures import PASSWORD

GUEST = {"body": "It does not start", "department": "general", "email": "guest@example.com"}


def department(client) -> str:
    return client.get("/api/config/tickets").json()["departments"][0]["id"]


def test_line_separators_in_a_subject_are_normalised_and_the_guest_gets_the_ticket(api_client, api_settings):
    data = GUEST | {"subject": "Help\u2028now\u2029please\x85", "department": department(api_client)}
    first = api_client.post("/api/tickets", data=data, headers={"Idempotency-Key": "subject-2028-a"})
    assert first.status_code == 201, first.text
    assert first.json()["subject"] == "Help now please"
    again = api_client.post("/api/tickets", data=data, headers={"Idempotency-Key": "subject-2028-a"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"], "a retry gets the same ticket, not 409"
    [mail] = read_outbox(api_settings)
    assert mail["Subject"] == f"[{first.json()['number']}] We received your request: Help now please"


def test_chat_message_with_line_breaks_is_stored_and_mailed(api_client, api_settings):
    left = api_client.post("/api/chat/leave-message", json={"body": "Call me\u2028back\nplease", "email": "gina@example.com"},
                           headers={"Idempotency-Key": "leave-message-2028"})
    assert left.status_code == 201, left.text
    [mail] = read_outbox(api_settings)
    assert left.json()["number"] in mail["Subject"] and "\n" not in mail["Subject"]


def test_a_mail_problem_never_fails_the_request_and_the_mail_survives_a_restart(api_app, api_client, api_settings):
    # SMTP on a port nobody listens on: the request still succeeds, the mail waits for a retry
    api_app.state.kb.mailer.settings = api_settings.with_overrides(
        smtp=SmtpSettings(host="127.0.0.1", port=9, sender="support@example.com"))
    created = api_client.post("/api/tickets", data=GUEST | {"subject": "Mail server down", "department": department(api_client)})
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with api_app.state.kb.sessions() as db:
            row = db.scalar(select(OutboxMail))
        if row.last_error or row.sent_at:
            break
        time.sleep(0.05)
    assert row.sent_at is None and row.attempts == 1 and row.last_error, "tried, failed, kept for a retry"
    api_app.state.kb.mailer.stop_worker()
    # the process restarts with a working mail setup, and the retry is due
    with api_app.state.kb.sessions() as db:
        db.get(OutboxMail, row.id).next_attempt_at = row.created_at
        db.commit()
    restarted = Mailer(api_settings, api_app.state.kb.sessions)
    assert restarted.drain()[0] == 1
    [mail] = read_outbox(api_settings)
    assert "Mail server down" in mail["Subject"]


def test_the_outbox_folder_reads_in_the_order_mails_were_queued_whatever_order_they_were_sent(api_app, api_settings):
    # two workers (the server's and a script's) may send in any order: here the later mail is due
    # first, as a retry or a lease taken by the other worker would make it
    from datetime import timedelta
    from kbgen.api.db import utcnow

    now = utcnow()
    with api_app.state.kb.sessions() as db:
        db.add_all([OutboxMail(id="first", recipient="a@example.com", subject="Queued first", body="1", attempts=0,
                               created_at=now - timedelta(seconds=2), next_attempt_at=now - timedelta(seconds=1), last_error=""),
                    OutboxMail(id="second", recipient="a@example.com", subject="Queued second", body="2", attempts=0,
                               created_at=now - timedelta(seconds=1), next_attempt_at=now - timedelta(seconds=3), last_error="")])
        db.commit()
    assert Mailer(api_settings, api_app.state.kb.sessions).drain()[0] == 2
    assert [mail["Subject"] for mail in read_outbox(api_settings)] == ["Queued first", "Queued second"]


def test_a_mail_queued_in_a_request_leaves_as_soon_as_the_request_commits(api_app, api_settings):
    mailer = api_app.state.kb.mailer
    mailer.start_worker(persistent=True)   # the server's worker, idle
    try:
        time.sleep(0.2)
        with api_app.state.kb.sessions() as db:
            mailer.send("ann@example.com", "Your reset link", "https://example.com/#reset=abc", db=db)
            time.sleep(0.5)   # the request still has work to do before it commits
            db.commit()
        # delivered within seconds by the server's worker (not read_outbox, which would send it
        # itself), not at its next idle poll half a minute later
        deadline = time.monotonic() + 5
        while not list(api_settings.outbox_dir.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(api_settings.outbox_dir.glob("*.eml"))) == 1
        with api_app.state.kb.sessions() as db:   # and a mail whose request fails is never sent
            mailer.send("bob@example.com", "Never", "rolled back", db=db)
            db.rollback()
        time.sleep(0.3)
        assert [mail["To"] for mail in read_outbox(api_settings)] == ["ann@example.com"]
    finally:
        mailer.stop_worker()


@pytest.mark.parametrize("header, value", [
    ("X-CSRF-Token", "tökén".encode()), ("X-Ticket-Key", "ключ".encode()), ("Idempotency-Key", "clé-ünïcode".encode()),
    ("Cookie", "kb_csrf=t\xc3\xb6ken".encode("latin-1")),
])
def test_malformed_header_values_get_a_4xx_not_a_500(api_client, header, value):
    response = api_client.http.post("/api/tickets", headers={header: value, "Origin": "http://testserver"},
                                    data={"subject": "x", "body": "y"})
    assert 400 <= response.status_code < 500, response.text
    if header != "X-Ticket-Key":
        reply = api_client.http.get("/api/tickets/abc", headers={header: value})
        assert 400 <= reply.status_code < 500


@pytest.fixture
def steady_clock(monkeypatch):
    """Rate limits count in fixed windows (a minute, an hour…): a test whose requests straddle a
    window's end would see the count start again. The clock stands still for the test."""
    from kbgen.api import deps

    now = deps.utcnow()
    monkeypatch.setattr(deps, "utcnow", lambda: now)


def test_failed_passwords_from_one_address_do_not_lock_the_owner_out(api_app, make_user, new_client, steady_clock):
    make_user("owner@example.com")
    settings = api_app.state.kb.settings
    api_app.state.kb.settings = settings.with_overrides(
        trust_proxy=True, rates=dict(settings.rates, signin=Rate(5, 60), signin_account=Rate(50, 3600)))
    stranger = new_client()
    codes = [stranger.post("/api/auth/login", json={"email": "owner@example.com", "password": "guess guess"},
                           headers={"X-Forwarded-For": "203.0.113.9"}).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    owner = new_client().post("/api/auth/login", json={"email": "owner@example.com", "password": PASSWORD},
                              headers={"X-Forwarded-For": "198.51.100.7"})
    assert owner.status_code == 200, owner.text


def test_failed_passwords_from_many_addresses_meet_the_account_cap(api_app, make_user, new_client, steady_clock):
    make_user("target@example.com")
    settings = api_app.state.kb.settings
    api_app.state.kb.settings = settings.with_overrides(
        trust_proxy=True, rates=dict(settings.rates, signin=Rate(5, 60), signin_account=Rate(8, 3600)))
    codes = [new_client().post("/api/auth/login", json={"email": "target@example.com", "password": "guess guess"},
                               headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(10)]
    assert codes[:8] == [401] * 8 and codes[8:] == [429, 429]


def test_reset_requests_by_a_stranger_never_block_the_owners_request(api_app, make_user, new_client, api_settings,
                                                                   steady_clock):
    make_user("victim@example.com")
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(trust_proxy=True)
    for n in range(5):
        asked = new_client().post("/api/auth/password-reset", json={"email": "victim@example.com"},
                                  headers={"X-Forwarded-For": f"203.0.113.{n}"})
        assert asked.status_code == 202
    own = new_client().post("/api/auth/password-reset", json={"email": "victim@example.com"},
                            headers={"X-Forwarded-For": "198.51.100.7"})
    assert own.status_code == 202 and own.json() == asked.json()
    mails = read_outbox(api_settings)
    with api_app.state.kb.sessions() as db:   # what the database holds, should this ever fail again
        rows = [(m.attempts, m.sent_at is not None, m.failed_at is not None, m.last_error) for m in db.scalars(select(OutboxMail))]
        counters = [(c.bucket, c.window, c.count) for c in db.scalars(select(RateCounter))]
    assert len(mails) == 3, f"answered the same every time, mailed at most 3 times an hour: {rows} {counters}"


def reset_token(mail) -> str:
    return mail.get_body(("plain",)).get_content().split("#reset=")[1].split()[0]


def test_an_older_reset_link_is_void_once_a_newer_one_was_used(make_user, api_client, api_settings):
    make_user("ann@example.com")
    for _ in range(2):
        assert api_client.post("/api/auth/password-reset", json={"email": "ann@example.com"}).status_code == 202
    older, newer = (reset_token(m) for m in read_outbox(api_settings))
    used = api_client.post("/api/auth/password-reset/confirm", json={"token": newer, "password": "brand new password"})
    assert used.status_code == 200, used.text
    stale = api_client.post("/api/auth/password-reset/confirm", json={"token": older, "password": "attacker password"})
    assert stale.status_code == 400
    assert api_client.post("/api/auth/login", json={"email": "ann@example.com", "password": "brand new password"}).status_code == 200


def test_a_csrf_pair_from_another_session_is_refused(make_user, new_client):
    attacker = new_client()
    planted = attacker.csrf_token()   # cookie and header value the attacker knows (and could plant)
    victim = make_user("victim@example.com")
    victim.http.cookies.set("kb_csrf", planted)
    refused = victim.post("/api/tickets", data={"subject": "x", "body": "y"}, headers={"X-CSRF-Token": planted})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    victim.http.cookies.delete("kb_csrf")
    fresh = victim.csrf_token()   # the victim's own token works
    assert victim.post("/api/auth/logout", headers={"X-CSRF-Token": fresh}).status_code == 204


def test_orphan_upload_files_left_by_a_crash_are_swept(api_app, api_client):
    state = api_app.state.kb
    created = api_client.post("/api/tickets", data=GUEST | {"subject": "With a file", "department": department(api_client)},
                              files=[("attachments", ("log.txt", b"kept", "text/plain"))])
    assert created.status_code == 201, created.text
    # a crash between writing an upload and committing its row: bytes nobody can reach
    orphan = state.files.path_for(state.files.save(b"lost"))
    young = state.files.path_for(state.files.save(b"a request still running"))
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    for path in state.files.root.glob("*/*"):
        if path not in (orphan, young):
            os.utime(path, (old, old))
    sweep_orphan_uploads(state)
    assert not orphan.exists() and young.exists()
    ticket = api_client.get(f"/api/tickets/{created.json()['id']}", headers={"X-Ticket-Key": created.json()["guest_key"]}).json()
    file_url = ticket["messages"][0]["attachments"][0]["url"]
    download = api_client.get(file_url, headers={"X-Ticket-Key": created.json()["guest_key"]})
    assert download.status_code == 200 and download.content == b"kept"


def test_chunked_oversize_body_gets_413(api_client, api_settings):
    def chunks(total):
        for _ in range(total // 4096 + 1):
            yield b"x" * 4096

    token = api_client.csrf_token()
    headers = {"X-CSRF-Token": token, "Origin": "http://testserver", "Content-Type": "application/json"}
    response = api_client.http.post("/api/auth/login", content=chunks(api_settings.max_json_bytes * 2), headers=headers)
    assert response.status_code == 413, response.text
    headers["Content-Type"] = "multipart/form-data; boundary=xyz"
    response = api_client.http.post("/api/tickets", content=chunks(api_settings.max_upload_request_bytes + 8192),
                                    headers=headers)
    assert response.status_code == 413, response.text


def test_a_body_that_never_arrives_is_cut_off(api_app, monkeypatch):
    monkeypatch.setattr(middleware, "BODY_CHUNK_SECONDS", 0.5)
    with ServerThread(api_app) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n{")
        started = time.monotonic()
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 5


def test_public_lists_carry_an_etag_and_answer_304(api_client, make_user):
    first = api_client.get("/api/forum/topics")
    assert first.status_code == 200 and first.headers["etag"]
    assert "no-cache" in first.headers["cache-control"]
    again = api_client.get("/api/forum/topics", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    signed_in = make_user("reader@example.com")
    assert "etag" not in signed_in.get("/api/forum/topics").headers, "a signed-in visitor's answer is their own"


def test_cached_lists_show_a_change_at_once_and_a_vote_soon(api_client, make_user):
    api_client.get("/api/feedback/ideas")   # cached now
    poster = make_user("poster@example.com")
    idea = poster.post("/api/feedback/ideas", json={"title": "Dark mode", "body": "Please"}).json()
    assert "Dark mode" in [i["title"] for i in api_client.get("/api/feedback/ideas").json()["ideas"]], \
        "the next anonymous reader sees the new idea, not the copy from before"
    api_client.get(f"/api/feedback/ideas/{idea['id']}")
    assert poster.put(f"/api/feedback/ideas/{idea['id']}/vote").status_code == 200
    counts = [api_client.get(f"/api/feedback/ideas/{idea['id']}").json()["vote_count"] for _ in range(30)]
    assert counts[-1] == 1, "a vote reaches anonymous readers once the copy is refreshed"


def test_a_guest_ticket_page_is_cached_per_key_and_fresh_after_a_reply(api_client, make_user):
    ticket = api_client.post("/api/tickets", data=GUEST | {"subject": "Cached page", "department": department(api_client)}).json()
    url, key = f"/api/tickets/{ticket['id']}", {"X-Ticket-Key": ticket["guest_key"]}
    first = api_client.get(url, headers=key)
    assert first.status_code == 200 and "private" in first.headers["cache-control"]
    assert api_client.get(url, headers={"X-Ticket-Key": "0" * 40}).status_code == 404, "a copy is never served to a wrong key"
    assert api_client.get(url).status_code == 404
    agent = make_user("agent@example.com", role="agent")
    reply = agent.post(f"/api/agent/tickets/{ticket['id']}/messages", json={"body": "We are on it"})
    assert reply.status_code == 201, reply.text
    bodies = [m["body"] for m in api_client.get(url, headers=key).json()["messages"]]
    assert any("We are on it" in body for body in bodies), "the guest sees the reply at once"


def test_a_change_in_one_worker_process_drops_the_other_workers_copy(api_settings, make_user, api_app):
    """Two workers share the database and the data directory: an idea posted through one is
    listed by the other at once (the stamp file), not after the copy's maximum age."""
    from fastapi.testclient import TestClient

    from kbgen.api.app import create_app

    other = create_app(api_settings, migrate=False)
    with TestClient(other) as second:
        second.get("/api/feedback/ideas")   # the other worker's copy
        poster = make_user("poster@example.com")   # writes through the first worker
        assert poster.post("/api/feedback/ideas", json={"title": "Seen everywhere", "body": "x"}).status_code == 201
        assert "Seen everywhere" in [i["title"] for i in second.get("/api/feedback/ideas").json()["ideas"]]
    other.state.engine.dispose()


def test_excess_requests_get_429_with_retry_after_never_a_hang(api_settings):
    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    shed = middleware.LoadShedMiddleware(slow_app, api_settings, max_in_flight=2, queue_seconds=0.2)

    async def scenario():
        transport = httpx.ASGITransport(app=shed)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            busy = [asyncio.create_task(client.get("/api/forum/topics")) for _ in range(2)]
            await asyncio.sleep(0.05)
            excess = await client.get("/api/forum/topics")
            release.set()
            return excess, [await task for task in busy]

    excess, served = asyncio.run(scenario())
    assert excess.status_code == 429 and excess.headers["retry-after"] == "1"
    assert [r.status_code for r in served] == [200, 200]


def test_reads_get_429_busy_while_the_event_loop_lags_and_writes_go_through():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = middleware.OverloadMiddleware(app, max_lag=0.2)

    async def scenario():
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            calm = (await client.get("/api/forum/topics")).status_code
            await asyncio.sleep(0.1)
            time.sleep(0.4)   # a request hogging the loop (parsing a crowd's bodies…)
            await asyncio.sleep(0.1)
            lagging = await client.get("/api/forum/topics")
            write = (await client.post("/api/forum/topics")).status_code
            health = (await client.get("/api/health")).status_code
            await asyncio.sleep(0.7)   # the lag leaves the half-second window
            return calm, lagging, write, health, (await client.get("/api/forum/topics")).status_code

    calm, lagging, write, health, recovered = asyncio.run(scenario())
    assert calm == 200 and lagging.status_code == 429 and lagging.json()["error"]["code"] == "busy"
    assert lagging.headers["retry-after"] == "1"
    assert (write, health, recovered) == (200, 200, 200)


@pytest.mark.parametrize("configured, guarded", [(None, True), (0, False)])
def test_the_overload_guard_is_on_by_default_and_can_be_turned_off(tmp_path, configured, guarded):
    from kbgen.api.app import create_app
    from kbgen.api.settings import settings_from_dict

    api = {"data_dir": str(tmp_path), "secret_key": "x"} | ({} if configured is None else {"overload_lag_ms": configured})
    app = create_app(settings_from_dict({"api": api}, source="kbgen.toml", base_dir=tmp_path))
    assert any(m.cls is middleware.OverloadMiddleware for m in app.user_middleware) is guarded
    app.state.engine.dispose()


def test_a_burst_of_reads_and_votes_gives_no_5xx_and_exact_counts(api_app, make_user):
    """200 simultaneous anonymous reads and 30 simultaneous votes on one idea, against a real
    uvicorn server. Counts, not times: every read answered, every vote counted exactly once."""
    from kbgen.api.features.feedback_models import FeedbackIdea, FeedbackVote

    author = make_user("author@example.com")
    idea = author.post("/api/feedback/ideas", json={"title": "Dark mode", "body": "Please"}).json()
    voters = [make_user(f"voter{n}@example.com") for n in range(30)]
    tokens = [voter.csrf_token() for voter in voters]
    with ServerThread(api_app) as server:
        async def burst():
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as anonymous:
                async def read(n):
                    path = ("/api/feedback/ideas", "/api/forum/topics", f"/api/feedback/ideas/{idea['id']}")[n % 3]
                    return await retrying(anonymous, "GET", path)

                async def vote(voter, token):
                    async with httpx.AsyncClient(base_url=server.url, timeout=60, cookies=dict(voter.http.cookies)) as http:
                        headers = {"X-CSRF-Token": token, "Origin": server.url}
                        return await retrying(http, "PUT", f"/api/feedback/ideas/{idea['id']}/vote", headers=headers)

                return await asyncio.gather(*[read(n) for n in range(200)], *[vote(v, t) for v, t in zip(voters, tokens)])

        answers = asyncio.run(burst())
    codes = [r.status_code for r in answers]
    assert not [c for c in codes if c >= 500], codes
    assert codes.count(200) == 230, sorted(set(codes))
    with api_app.state.kb.sessions() as db:
        stored = db.get(FeedbackIdea, idea["id"])
        rows = db.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.idea_id == idea["id"]))
    assert stored.vote_count == rows == 30
    with ServerThread(api_app) as server:   # and the public list, cached during the burst, says so too
        for _ in range(50):
            listed = PoliteClient().get(f"{server.url}/api/feedback/ideas/{idea['id']}").json()["vote_count"]
            if listed == 30:
                break
            time.sleep(0.1)
    assert listed == 30


async def retrying(http, method, path, **kwargs):
    """A well-behaved client: waits as long as a 429's Retry-After says (a bounded number of times)."""
    for _ in range(20):
        response = await http.request(method, path, **kwargs)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    return response
