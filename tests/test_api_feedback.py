"""Feedback board API: ideas, one vote per user, statuses with notes and notifications, the
roadmap, merging duplicates, comments, abuse limits, and votes under real concurrency."""
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from kbgen.api.db import utcnow
from live_server import PoliteClient, ServerThread
from kbgen.api.features.feedback_models import FeedbackIdea, FeedbackVote
from kbgen.api.features.forum_models import ForumAnswer, ForumAnswerVote
from kbgen.api.mailer import read_outbox
from kbgen.api.models import AuthSession, User
from kbgen.api.security import new_token, token_hash


def suggest(client, title="Dark mode", body="Please add a *dark* theme.", **extra):
    response = client.post("/api/feedback/ideas", json={"title": title, "body": body, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def vote(client, idea_id):
    response = client.put(f"/api/feedback/ideas/{idea_id}/vote")
    assert response.status_code == 200, response.text
    return response.json()


def test_guests_read_customers_suggest_vote_and_unvote(api_client, make_user):
    alice, bob = make_user("alice@example.com", name="Alice"), make_user("bob@example.com")
    assert api_client.post("/api/feedback/ideas", json={"title": "t", "body": "b"}).status_code == 401
    idea = suggest(alice, body="Please add a *dark* theme <img src=x onerror=alert(1)>")
    seen = api_client.get(f"/api/feedback/ideas/{idea}").json()
    assert seen["status"] == "open" and seen["author"]["name"] == "Alice" and "alice@example.com" not in str(seen)
    assert "<em>dark</em>" in seen["body_html"] and "onerror" not in seen["body_html"]
    assert api_client.put(f"/api/feedback/ideas/{idea}/vote").status_code == 401
    assert vote(alice, idea) == {"id": idea, "vote_count": 1, "voted": True}
    assert vote(alice, idea)["vote_count"] == 1            # voting twice is a no-op
    assert vote(bob, idea)["vote_count"] == 2
    assert alice.get("/api/feedback/ideas").json()["ideas"][0]["voted"] is True
    assert api_client.get("/api/feedback/ideas").json()["ideas"][0]["voted"] is False
    assert alice.delete(f"/api/feedback/ideas/{idea}/vote").json() == {"id": idea, "vote_count": 1, "voted": False}
    assert alice.delete(f"/api/feedback/ideas/{idea}/vote").json()["vote_count"] == 1
    assert api_client.get(f"/api/feedback/ideas/{idea}").json()["vote_count"] == 1


def test_sort_top_new_trending_filter_search_and_pages(api_client, make_user, api_app):
    voters = [make_user(f"v{n}@example.com") for n in range(3)]
    old_favourite = suggest(voters[0], "Old favourite", "many votes long ago")
    rising = suggest(voters[0], "Rising idea", "fresh votes")
    newest = suggest(voters[0], "Newest idea", "no votes yet")
    for client in voters:
        vote(client, old_favourite)
    for client in voters[:2]:
        vote(client, rising)
    with api_app.state.kb.sessions() as db:   # the favourite's votes are a month old
        db.execute(update(FeedbackVote).where(FeedbackVote.idea_id == old_favourite).values(created_at=utcnow() - timedelta(days=30)))
        db.execute(update(FeedbackIdea).where(FeedbackIdea.id == old_favourite).values(created_at=utcnow() - timedelta(days=40)))
        db.commit()

    def titles(**params):
        response = api_client.get("/api/feedback/ideas", params=params)
        assert response.status_code == 200, response.text
        return [i["title"] for i in response.json()["ideas"]]

    assert titles(sort="top") == ["Old favourite", "Rising idea", "Newest idea"]
    assert titles(sort="new")[0] == "Newest idea"
    assert titles(sort="trending") == ["Rising idea", "Old favourite", "Newest idea"]
    assert titles(q="fresh") == ["Rising idea"]
    assert titles(status="planned") == []
    page = api_client.get("/api/feedback/ideas", params={"per_page": 2, "page": 2}).json()
    assert page["total"] == 3 and page["pages"] == 2 and [i["title"] for i in page["ideas"]] == ["Newest idea"]
    assert newest


def test_staff_status_with_note_reaches_roadmap_and_notifies_voters(api_client, make_user, api_settings):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    make_user("bystander@example.com")
    agent = make_user("agent@example.com", role="agent")
    idea = suggest(alice, "Export to PDF", "please")
    ja_idea = suggest(alice, "日本語のアイデア", "お願いします", lang="ja")
    vote(alice, idea), vote(bob, idea), vote(agent, idea), vote(bob, ja_idea)
    assert alice.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "planned"}).status_code == 403
    changed = agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "planned", "note": "Coming in **Q3**."})
    assert changed.status_code == 200, changed.text
    assert changed.json()["notified"] == 2                 # the voters, not the agent who made the change
    mails = read_outbox(api_settings)
    assert sorted(m["To"] for m in mails) == ["alice@example.com", "bob@example.com"]
    assert "Planned" in mails[0]["Subject"] and "Coming in **Q3**." in mails[0].get_body(("plain",)).get_content()
    assert f"/en/_portal/feedback/#idea={idea}" in mails[0].get_body(("plain",)).get_content()
    agent.patch(f"/api/agent/feedback/ideas/{ja_idea}", json={"status": "in_progress"})
    ja_mails = read_outbox(api_settings)[2:]
    # its voter and its author (who did not vote for it), both in the idea's language
    assert sorted(m["To"] for m in ja_mails) == ["alice@example.com", "bob@example.com"]
    assert all("対応中" in m["Subject"] for m in ja_mails)
    # a note alone, or the same status again, tells nobody
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "planned", "note": "Coming in **Q3**, maybe Q4."})
    assert len(read_outbox(api_settings)) == 4
    seen = api_client.get(f"/api/feedback/ideas/{idea}").json()
    assert seen["status"] == "planned" and "<strong>Q3</strong>, maybe Q4." in seen["status_note_html"]
    assert [(h["from"], h["to"]) for h in seen["history"]] == [("open", "planned")]
    roadmap = {c["status"]: [i["title"] for i in c["ideas"]] for c in api_client.get("/api/feedback/roadmap").json()["columns"]}
    assert roadmap == {"planned": ["Export to PDF"], "in_progress": ["日本語のアイデア"], "done": []}
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "declined"})
    roadmap = {c["status"]: c["ideas"] for c in api_client.get("/api/feedback/roadmap").json()["columns"]}
    assert roadmap["planned"] == []
    assert [i["title"] for i in api_client.get("/api/feedback/ideas?status=declined").json()["ideas"]] == ["Export to PDF"]
    assert agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "someday"}).status_code == 422


def test_merging_carries_voters_over_once(api_client, make_user, api_app):
    a, b, c, d = (make_user(f"{n}@example.com") for n in "abcd")
    agent = make_user("agent@example.com", role="agent")
    keep = suggest(a, "Dark mode", "original")
    duplicate = suggest(b, "Night theme", "same thing")
    vote(a, keep), vote(b, keep)
    vote(b, duplicate), vote(c, duplicate), vote(d, duplicate)     # b voted for both
    assert b.post(f"/api/agent/feedback/ideas/{duplicate}/merge", json={"into": keep}).status_code == 403
    assert agent.post(f"/api/agent/feedback/ideas/{duplicate}/merge", json={"into": duplicate}).status_code == 422
    assert agent.post(f"/api/agent/feedback/ideas/{duplicate}/merge", json={"into": "missing"}).status_code == 404
    merged = agent.post(f"/api/agent/feedback/ideas/{duplicate}/merge", json={"into": keep})
    assert merged.status_code == 200, merged.text
    assert merged.json()["vote_count"] == 4                # a, b, c, d: b counted once
    with api_app.state.kb.sessions() as db:
        assert db.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.idea_id == keep)) == 4
        assert db.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.idea_id == duplicate)) == 0
    assert [i["title"] for i in api_client.get("/api/feedback/ideas").json()["ideas"]] == ["Dark mode"]
    old = c.get(f"/api/feedback/ideas/{duplicate}").json()
    assert old["merged_into"] == {"id": keep, "title": "Dark mode"} and old["can_comment"] is False
    assert c.get(f"/api/feedback/ideas/{keep}").json()["voted"] is True
    # voting on the duplicate's old page counts for the idea that stayed (and still only once)
    assert vote(c, duplicate) == {"id": keep, "vote_count": 4, "voted": True}
    assert c.post(f"/api/feedback/ideas/{duplicate}/comments", json={"body": "hi"}).status_code == 409
    assert agent.post(f"/api/agent/feedback/ideas/{duplicate}/merge", json={"into": keep}).status_code == 409
    third = suggest(c, "Black theme", "again")
    assert agent.post(f"/api/agent/feedback/ideas/{third}/merge", json={"into": duplicate}).status_code == 422
    assert agent.patch(f"/api/agent/feedback/ideas/{duplicate}", json={"status": "done"}).status_code == 409


def test_comments_moderation_and_blocks(api_client, make_user):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    agent = make_user("agent@example.com", role="agent")
    idea = suggest(alice)
    assert api_client.post(f"/api/feedback/ideas/{idea}/comments", json={"body": "x"}).status_code == 401
    comment = bob.post(f"/api/feedback/ideas/{idea}/comments", json={"body": "**Yes** please"}).json()
    agent.post(f"/api/feedback/ideas/{idea}/comments", json={"body": "We are looking at it."})
    seen = api_client.get(f"/api/feedback/ideas/{idea}").json()
    assert seen["comment_count"] == 2 and "<strong>Yes</strong>" in seen["comments"][0]["body_html"]
    assert seen["comments"][1]["author"]["staff"] is True
    agent.patch(f"/api/agent/feedback/comments/{comment['id']}", json={"hidden": True})
    seen = api_client.get(f"/api/feedback/ideas/{idea}").json()
    assert seen["comment_count"] == 1 and len(seen["comments"]) == 1
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"hidden": True})
    assert api_client.get(f"/api/feedback/ideas/{idea}").status_code == 404
    assert api_client.get("/api/feedback/ideas").json()["total"] == 0
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"hidden": False})
    agent.post("/api/agent/community/blocks", json={"email": "bob@example.com"})
    assert bob.put(f"/api/feedback/ideas/{idea}/vote").status_code == 403
    assert bob.post("/api/feedback/ideas", json={"title": "t", "body": "b"}).status_code == 403
    assert bob.post(f"/api/feedback/ideas/{idea}/comments", json={"body": "b"}).status_code == 403
    assert bob.get(f"/api/feedback/ideas/{idea}").status_code == 200
    assert agent.delete(f"/api/agent/feedback/ideas/{idea}").status_code == 204
    assert api_client.get(f"/api/feedback/ideas/{idea}").status_code == 404


def test_honeypot_links_lengths_and_resends(api_client, make_user):
    alice = make_user("alice@example.com")
    trapped = alice.post("/api/feedback/ideas", json={"title": "Buy", "body": "cheap", "homepage": "x"})
    assert trapped.status_code == 201 and api_client.get("/api/feedback/ideas").json()["total"] == 0
    spam = alice.post("/api/feedback/ideas", json={"title": "t", "body": "http://a.example http://b.example"})
    assert spam.status_code == 422 and "link" in spam.json()["error"]["message"]
    assert alice.post("/api/feedback/ideas", json={"title": "t" * 201, "body": "b"}).status_code == 422
    assert alice.post("/api/feedback/ideas", json={"title": "t", "body": "b" * 10001}).status_code == 422
    payload = {"title": "Sent twice", "body": "offline"}
    first = alice.post("/api/feedback/ideas", json=payload, headers={"Idempotency-Key": "idea-key-123"})
    again = alice.post("/api/feedback/ideas", json=payload, headers={"Idempotency-Key": "idea-key-123"})
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert api_client.get("/api/feedback/ideas").json()["total"] == 1


# ---- concurrency: real HTTP server, many browsers voting and unvoting at once ----

@pytest.fixture
def live_api(api_app):
    with ServerThread(api_app) as running:
        yield running.url


def signed_in_http(api_app, base: str, email: str) -> httpx.Client:
    """A browser of a new account, signed in by a session row (skips the deliberately slow password hash)."""
    token = new_token()
    with api_app.state.kb.sessions() as db:
        user = User(email=email, name=email.split("@")[0], password_hash="-")
        db.add(user)
        db.flush()
        db.add(AuthSession(token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(hours=1)))
        db.commit()
    client = PoliteClient(base_url=base, cookies={"kb_session": token}, timeout=60)
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]
    return client


def test_concurrent_votes_and_unvotes_count_each_voter_once(api_app, live_api, make_user):
    agent = make_user("agent@example.com", role="agent")      # staff posts are never held for moderation
    idea = suggest(agent, "Popular idea", "everyone votes")
    topic = agent.post("/api/forum/topics", json={"title": "Q", "body": "?", "category": "c"}).json()["id"]
    reply = agent.post(f"/api/forum/topics/{topic}/answers", json={"body": "A"}).json()["id"]

    clients = [signed_in_http(api_app, live_api, f"voter{n}@example.com") for n in range(12)]
    finals: dict[int, bool] = {}
    rng = random.Random(7)
    plans = {n: [rng.choice([True, False]) for _ in range(6)] for n in range(len(clients))}
    # every account votes from two tabs at once (a double click, a resend): same plan, so the
    # last request of either tab leaves the plan's final state
    start = threading.Barrier(2 * len(clients))

    def run(n: int) -> None:
        client = clients[n]
        start.wait()
        for wants_vote in plans[n]:
            for path in (f"/api/feedback/ideas/{idea}/vote", f"/api/forum/answers/{reply}/vote"):
                response = client.put(path) if wants_vote else client.delete(path)
                assert response.status_code == 200, response.text
        finals[n] = plans[n][-1]

    with ThreadPoolExecutor(max_workers=2 * len(clients)) as pool:
        for future in [pool.submit(run, n) for n in list(range(len(clients))) * 2]:
            future.result()
    expected = sum(finals.values())
    assert 0 < expected < len(clients)
    with api_app.state.kb.sessions() as db:
        assert db.get(FeedbackIdea, idea).vote_count == expected
        assert db.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.idea_id == idea)) == expected
        assert db.get(ForumAnswer, reply).score == expected
        assert db.scalar(select(func.count()).select_from(ForumAnswerVote).where(ForumAnswerVote.answer_id == reply)) == expected
    for client in clients:
        client.close()
