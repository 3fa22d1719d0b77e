"""Community forum API: asking, answering, accepting, voting, lists and search, moderation,
blocks and the abuse limits, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from api_fixtures import reconfigure

from kbgen.api.db import utcnow
from kbgen.api.models import User
from kbgen.api.settings import Rate


@pytest.fixture
def community(api_app, tmp_path):
    """community(forum={...}, community={...}) → the app now reads these [forum]/[community] settings."""
    def configure(**sections):
        lines = []
        for section, values in sections.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {value!r}" for key, value in values.items()]
        path = tmp_path / "community.toml"
        reconfigure(api_app, path, "\n".join(lines) + "\n")
    configure(forum={"moderate_first_posts": 0})
    return configure


def age_account(api_app, email, days=30):
    with api_app.state.kb.sessions() as db:
        db.execute(update(User).where(User.email == email).values(created_at=utcnow() - timedelta(days=days)))
        db.commit()


def ask(client, title="How do I export tickets?", body="I need a **CSV**.", category="ticket-system", **extra):
    response = client.post("/api/forum/topics", json={"title": title, "body": body, "category": category, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def answer(client, topic_id, body="Use *Export* in settings."):
    response = client.post(f"/api/forum/topics/{topic_id}/answers", json={"body": body})
    assert response.status_code == 201, response.text
    return response.json()


def test_guests_read_signed_in_customers_ask_and_answer(api_client, make_user, community):
    alice = make_user("alice@example.com", name="Alice")
    bob = make_user("bob@example.com", name="Bob")
    assert api_client.post("/api/forum/topics", json={"title": "x", "body": "y", "category": "c"}).status_code == 401
    topic = ask(alice, body="I need a **CSV** <script>window.__xss=1</script>")
    assert topic["status"] == "visible"
    answer(bob, topic["id"])
    seen = api_client.get(f"/api/forum/topics/{topic['id']}").json()
    assert seen["title"] == "How do I export tickets?" and seen["author"] == {"id": seen["author"]["id"], "name": "Alice", "staff": False}
    assert "<strong>CSV</strong>" in seen["body_html"] and "<script" not in seen["body_html"]
    assert "alice@example.com" not in str(seen)   # community pages never show email addresses
    assert [a["author"]["name"] for a in seen["answers"]] == ["Bob"]
    assert "<em>Export</em>" in seen["answers"][0]["body_html"]
    assert seen["can_answer"] is False and seen["can_accept"] is False
    listed = api_client.get("/api/forum/topics").json()
    assert listed["total"] == 1 and listed["topics"][0]["answer_count"] == 1
    assert listed["topics"][0]["excerpt"] == "I need a CSV"


def test_asker_or_staff_accepts_one_answer_shown_first_and_flagged(api_client, make_user, community):
    alice, bob, carol = (make_user(f"{n}@example.com") for n in ("alice", "bob", "carol"))
    agent = make_user("agent@example.com", role="agent")
    topic = ask(alice)
    first = answer(bob, topic["id"], "first")
    second = answer(carol, topic["id"], "second")
    url = f"/api/forum/topics/{topic['id']}/accepted"
    assert bob.put(url, json={"answer_id": second["id"]}).status_code == 403
    assert alice.put(url, json={"answer_id": "nope"}).status_code == 422
    assert alice.put(url, json={"answer_id": second["id"]}).json()["accepted_answer_id"] == second["id"]
    seen = api_client.get(f"/api/forum/topics/{topic['id']}").json()
    assert [a["id"] for a in seen["answers"]] == [second["id"], first["id"]]
    assert seen["answers"][0]["accepted"] and not seen["answers"][1]["accepted"]
    assert api_client.get("/api/forum/topics").json()["topics"][0]["has_accepted_answer"] is True
    assert agent.put(url, json={"answer_id": first["id"]}).status_code == 200
    assert api_client.get(f"/api/forum/topics/{topic['id']}").json()["answers"][0]["id"] == first["id"]
    assert alice.put(url, json={"answer_id": None}).json()["accepted_answer_id"] is None
    assert api_client.get("/api/forum/topics").json()["topics"][0]["has_accepted_answer"] is False


def test_one_upvote_per_user_and_unvote(api_client, make_user, community):
    alice, bob, carol = (make_user(f"{n}@example.com") for n in ("alice", "bob", "carol"))
    topic = ask(alice)
    low = answer(bob, topic["id"], "low")
    high = answer(carol, topic["id"], "high")
    vote = f"/api/forum/answers/{high['id']}/vote"
    assert api_client.put(vote).status_code == 401
    assert alice.put(vote).json() == {"id": high["id"], "score": 1, "voted": True}
    assert alice.put(vote).json()["score"] == 1          # a second vote changes nothing
    assert bob.put(vote).json()["score"] == 2
    assert carol.put(vote).status_code == 403            # not for one's own answer
    seen = alice.get(f"/api/forum/topics/{topic['id']}").json()
    assert [a["id"] for a in seen["answers"]] == [high["id"], low["id"]]   # most votes first
    assert seen["answers"][0]["voted"] is True and seen["answers"][1]["voted"] is False
    assert alice.delete(vote).json() == {"id": high["id"], "score": 1, "voted": False}
    assert alice.delete(vote).json()["score"] == 1       # unvoting twice changes nothing either
    assert api_client.put("/api/forum/answers/unknown/vote").status_code == 401
    assert alice.put("/api/forum/answers/unknown/vote").status_code == 404


def test_lists_filter_by_category_answered_search_sort_and_pages(api_client, make_user, community):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    billing = ask(alice, "Invoice address", "Where do I change it?", "billing")
    sub = ask(alice, "Refund timing", "How long do refunds take?", "billing/refunds")
    ask(alice, "Ticket tags", "Can tags be colored?", "ticket-system")
    ask(alice, "日本語の質問", "請求書について", "billing", lang="ja")
    answer(bob, billing["id"])
    answer(bob, sub["id"])
    alice.put(f"/api/forum/topics/{sub['id']}/accepted", json={"answer_id": answer(bob, sub["id"])["id"]})

    def titles(**params):
        response = api_client.get("/api/forum/topics", params={"lang": "en", **params})
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["topics"]]

    assert set(titles(category="billing")) == {"Invoice address", "Refund timing"}   # subcategories included
    assert titles(category="billing/refunds") == ["Refund timing"]
    assert titles(filter="unanswered") == ["Ticket tags"]
    assert set(titles(filter="answered")) == {"Invoice address", "Refund timing"}
    assert titles(filter="solved") == ["Refund timing"]
    assert titles(q="refunds take") == ["Refund timing"]
    assert titles(q="COLORED") == ["Ticket tags"]
    assert titles(q="100%_") == []
    assert titles(sort="answers")[0] == "Refund timing"
    assert titles(sort="new") == ["Ticket tags", "Refund timing", "Invoice address"]
    assert titles(sort="activity")[0] == "Refund timing"
    first = api_client.get("/api/forum/topics", params={"lang": "en", "per_page": 2, "sort": "new"}).json()
    second = api_client.get("/api/forum/topics", params={"lang": "en", "per_page": 2, "page": 2, "sort": "new"}).json()
    assert first["total"] == 3 and first["pages"] == 2 and len(first["topics"]) == 2
    assert [t["title"] for t in second["topics"]] == ["Invoice address"]
    assert api_client.get("/api/forum/topics", params={"lang": "ja"}).json()["topics"][0]["title"] == "日本語の質問"
    cats = {c["path"]: c for c in api_client.get("/api/forum/categories?lang=en").json()["categories"]}
    assert cats["ticket-system"] == {"path": "ticket-system", "topics": 1, "unanswered": 1}
    assert cats["billing"]["unanswered"] == 0
    assert api_client.get("/api/forum/topics", params={"sort": "bogus"}).status_code == 422


def test_first_posts_of_new_accounts_wait_for_approval(api_client, make_user, community, new_client):
    community(forum={"moderate_first_posts": 1})
    newbie = make_user("newbie@example.com")
    other = make_user("other@example.com")
    agent = make_user("agent@example.com", role="agent")
    staff_topic = ask(agent, "Welcome", "Staff posts are never held")
    assert staff_topic["status"] == "visible"
    held = ask(newbie, "My first question", "Hello")
    assert held["status"] == "pending"
    assert api_client.get(f"/api/forum/topics/{held['id']}").status_code == 404
    assert other.get(f"/api/forum/topics/{held['id']}").status_code == 404
    assert newbie.get(f"/api/forum/topics/{held['id']}").json()["status"] == "pending"
    assert [t["title"] for t in api_client.get("/api/forum/topics").json()["topics"]] == ["Welcome"]
    assert {t["title"] for t in newbie.get("/api/forum/topics").json()["topics"]} == {"Welcome", "My first question"}
    assert other.post(f"/api/forum/topics/{held['id']}/answers", json={"body": "x"}).status_code == 404
    queue = agent.get("/api/agent/forum/queue").json()
    assert [t["id"] for t in queue["topics"]] == [held["id"]]
    assert queue["topics"][0]["author"]["email"] == "newbie@example.com"
    assert agent.patch(f"/api/agent/forum/topics/{held['id']}", json={"status": "visible"}).json()["status"] == "visible"
    assert agent.get("/api/agent/forum/queue").json()["topics"] == []
    assert api_client.get(f"/api/forum/topics/{held['id']}").status_code == 200
    assert ask(newbie, "Second question", "Now trusted")["status"] == "visible"
    # answers are held the same way, and count once approved
    held_answer = answer(other, held["id"], "an answer from a new account")
    assert held_answer["status"] == "pending"
    assert api_client.get(f"/api/forum/topics/{held['id']}").json()["answers"] == []
    assert [a["id"] for a in agent.get("/api/agent/forum/queue").json()["answers"]] == [held_answer["id"]]
    agent.patch(f"/api/agent/forum/answers/{held_answer['id']}", json={"status": "visible"})
    assert api_client.get(f"/api/forum/topics/{held['id']}").json()["answer_count"] == 1


def test_staff_hide_delete_lock_pin_and_edit(api_client, make_user, community):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    agent = make_user("agent@example.com", role="agent")
    old = ask(alice, "Old topic")
    topic = ask(alice, "Spam topic")
    reply = answer(bob, topic["id"])
    alice.put(f"/api/forum/topics/{topic['id']}/accepted", json={"answer_id": reply["id"]})
    staff_url = f"/api/agent/forum/topics/{old['id']}"
    assert alice.patch(staff_url, json={"pinned": True}).status_code == 403
    assert api_client.patch(staff_url, json={"pinned": True}).status_code == 401
    assert agent.patch(staff_url, json={"pinned": True, "locked": True}).status_code == 200
    assert api_client.get("/api/forum/topics").json()["topics"][0]["title"] == "Old topic"   # pinned first
    locked = bob.post(f"/api/forum/topics/{old['id']}/answers", json={"body": "late"})
    assert locked.status_code == 409 and "locked" in locked.json()["error"]["message"]
    assert agent.post(f"/api/forum/topics/{old['id']}/answers", json={"body": "Staff may still answer"}).status_code == 201
    edited = agent.patch(staff_url, json={"title": "Better title", "body": "Edited **body**", "category": "billing"}).json()
    assert edited["title"] == "Better title" and edited["edited_at"]
    assert "<strong>body</strong>" in api_client.get(f"/api/forum/topics/{old['id']}").json()["body_html"]
    # hiding the accepted answer withdraws the acceptance and the count
    agent.patch(f"/api/agent/forum/answers/{reply['id']}", json={"status": "hidden"})
    seen = api_client.get(f"/api/forum/topics/{topic['id']}").json()
    assert seen["answers"] == [] and seen["answer_count"] == 0 and seen["accepted_answer_id"] is None
    agent.patch(f"/api/agent/forum/topics/{topic['id']}", json={"status": "hidden"})
    assert api_client.get(f"/api/forum/topics/{topic['id']}").status_code == 404
    assert alice.get(f"/api/forum/topics/{topic['id']}").status_code == 404
    assert agent.get("/api/agent/forum/topics?status=hidden").json()["topics"][0]["id"] == topic["id"]
    assert agent.delete(f"/api/agent/forum/topics/{topic['id']}").status_code == 204
    assert agent.get(f"/api/agent/forum/topics/{topic['id']}").status_code == 404
    answers = agent.get(f"/api/agent/forum/topics/{old['id']}").json()["answers"]
    assert agent.delete(f"/api/agent/forum/answers/{answers[0]['id']}").status_code == 204
    assert api_client.get(f"/api/forum/topics/{old['id']}").json()["answer_count"] == 0


def test_blocked_accounts_cannot_post_or_vote_but_can_read(api_client, make_user, community):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    agent = make_user("agent@example.com", role="agent")
    topic = ask(alice)
    reply = answer(bob, topic["id"])
    assert bob.post("/api/agent/community/blocks", json={"email": "alice@example.com"}).status_code == 403
    blocked = agent.post("/api/agent/community/blocks", json={"email": "alice@example.com", "reason": "spam"})
    assert blocked.status_code == 201, blocked.text
    refused = alice.post("/api/forum/topics", json={"title": "t", "body": "b", "category": "c"})
    assert refused.status_code == 403 and "may not post" in refused.json()["error"]["message"]
    assert alice.post(f"/api/forum/topics/{topic['id']}/answers", json={"body": "b"}).status_code == 403
    assert alice.put(f"/api/forum/answers/{reply['id']}/vote").status_code == 403
    assert alice.get(f"/api/forum/topics/{topic['id']}").status_code == 200
    assert agent.get("/api/agent/community/blocks").json()["blocks"][0]["email"] == "alice@example.com"
    assert agent.post("/api/agent/community/blocks", json={"email": "agent@example.com"}).status_code == 409
    assert agent.post("/api/agent/community/blocks", json={"email": "ghost@example.com"}).status_code == 404
    assert agent.delete(f"/api/agent/community/blocks/{blocked.json()['user_id']}").status_code == 204
    assert alice.put(f"/api/forum/answers/{reply['id']}/vote").status_code == 200


def test_honeypot_link_limit_and_lengths(api_client, make_user, community, api_app):
    community(forum={"moderate_first_posts": 0}, community={"new_account_days": 7, "new_account_max_links": 1})
    newbie = make_user("newbie@example.com")
    trapped = newbie.post("/api/forum/topics", json={"title": "Buy now", "body": "cheap", "category": "c", "homepage": "http://spam.example"})
    assert trapped.status_code == 201
    assert api_client.get("/api/forum/topics").json()["total"] == 0 and newbie.get(f"/api/forum/topics/{trapped.json()['id']}").status_code == 404
    two_links = "See [here](https://a.example) and https://b.example/x"
    refused = newbie.post("/api/forum/topics", json={"title": "Links", "body": two_links, "category": "c"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "body"
    assert "at most 1 link" in refused.json()["error"]["message"]
    assert newbie.post("/api/forum/topics", json={"title": "One link", "body": "see https://a.example", "category": "c"}).status_code == 201
    age_account(api_app, "newbie@example.com")
    assert newbie.post("/api/forum/topics", json={"title": "Links", "body": two_links, "category": "c"}).status_code == 201
    too_long = newbie.post("/api/forum/topics", json={"title": "x" * 201, "body": "b", "category": "c"})
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"][0]["field"] == "title"
    assert newbie.post("/api/forum/topics", json={"title": "t", "body": "b" * 20001, "category": "c"}).status_code == 422
    assert newbie.post("/api/forum/topics", json={"title": "   ", "body": "b", "category": "c"}).status_code == 422
    assert newbie.post("/api/forum/topics", json={"title": "t", "body": "b", "category": "c", "extra": 1}).status_code == 422


def test_a_resend_with_the_same_idempotency_key_posts_once(api_client, make_user, community):
    alice = make_user("alice@example.com")
    payload = {"title": "Offline question", "body": "sent twice", "category": "c"}
    first = alice.post("/api/forum/topics", json=payload, headers={"Idempotency-Key": "offline-key-1"})
    again = alice.post("/api/forum/topics", json=payload, headers={"Idempotency-Key": "offline-key-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert api_client.get("/api/forum/topics").json()["total"] == 1
    reply = {"body": "answer sent twice"}
    url = f"/api/forum/topics/{first.json()['id']}/answers"
    alice.post(url, json=reply, headers={"Idempotency-Key": "offline-key-2"})
    alice.post(url, json=reply, headers={"Idempotency-Key": "offline-key-2"})
    assert api_client.get(f"/api/forum/topics/{first.json()['id']}").json()["answer_count"] == 1


def test_rate_limits_per_account_and_per_address(api_app, make_user, community):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    state = api_app.state.kb
    state.settings = state.settings.with_overrides(rates={**state.settings.rates, "submission": Rate(2, 3600)}, trust_proxy=True)
    payload = {"title": "t", "body": "b", "category": "c"}
    # one account from many addresses: the per-account limit stops it
    for n in range(2):
        assert alice.post("/api/forum/topics", json=payload, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code == 201
    limited = alice.post("/api/forum/topics", json=payload, headers={"X-Forwarded-For": "10.0.0.9"})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    # many accounts from one address: the per-address limit stops them
    assert bob.post("/api/forum/topics", json=payload, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 201
    assert bob.post("/api/forum/topics", json=payload, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 429


def test_bad_settings_name_the_file_line_and_key(api_client, community):
    from kbgen.api.settings import SettingsError

    with pytest.raises(SettingsError) as error:   # a restart with this file stops with the problem …
        community(forum={"moderate_first_posts": -1}, community={"new_account_days": "7"})
    message = error.value.message
    assert "community.toml:2: [forum.moderate_first_posts] must be a whole number from 0 to 1000 (got -1)" in message
    assert "community.toml:4: [community.new_account_days]" in message, "… and every other problem of the file"


def age_post(api_app, model, post_id, minutes):
    with api_app.state.kb.sessions() as db:
        db.execute(update(model).where(model.id == post_id).values(created_at=utcnow() - timedelta(minutes=minutes)))
        db.commit()


def test_authors_edit_and_delete_their_own_posts_within_the_window(api_app, api_client, make_user, community):
    from kbgen.api.features.forum_models import ForumAnswer, ForumTopic

    community(forum={"moderate_first_posts": 0, "edit_window_minutes": 30})
    alice, bob = make_user("alice@example.com", name="Alice"), make_user("bob@example.com", name="Bob")
    for email in ("alice@example.com", "bob@example.com"):
        age_account(api_app, email)
    topic = ask(alice, title="Typo in the title", body="First text")
    reply = answer(bob, topic["id"], "Secret first draft of the answer")
    read = bob.get(f"/api/forum/topics/{topic['id']}").json()
    assert read["answers"][0]["editable_until"] and read["editable_until"] is None    # bob's answer, alice's topic
    assert bob.patch(f"/api/forum/topics/{topic['id']}", json={"title": "Hijacked"}).status_code == 403
    assert alice.patch(f"/api/forum/answers/{reply['id']}", json={"body": "Hijacked"}).status_code == 403
    assert alice.delete(f"/api/forum/answers/{reply['id']}").status_code == 403
    assert api_client.patch(f"/api/forum/answers/{reply['id']}", json={"body": "x"}).status_code == 401
    assert bob.patch(f"/api/forum/answers/{reply['id']}", json={"body": "x"}, csrf=False).status_code == 403
    # an edit passes the rules of a new post: no empty text, no control characters
    assert bob.patch(f"/api/forum/answers/{reply['id']}", json={"body": "  "}).status_code == 422
    edited = bob.patch(f"/api/forum/answers/{reply['id']}", json={"body": "Better <script>alert(1)</script> answer"})
    assert edited.status_code == 200 and edited.json()["edited_at"]
    shown = api_client.get(f"/api/forum/topics/{topic['id']}").json()["answers"][0]
    assert shown["edited_at"] and "Better" in shown["body_html"] and "<script" not in shown["body_html"]
    assert alice.patch(f"/api/forum/topics/{topic['id']}", json={"title": "Fixed title"}).json()["edited_at"]
    assert api_client.get(f"/api/forum/topics/{topic['id']}").json()["title"] == "Fixed title"
    # others answered: the question stays (its answers would go with it)
    assert alice.delete(f"/api/forum/topics/{topic['id']}").status_code == 409
    assert bob.delete(f"/api/forum/answers/{reply['id']}").status_code == 204
    after = api_client.get(f"/api/forum/topics/{topic['id']}")
    assert "draft" not in after.text and "Better" not in after.text and after.json()["answer_count"] == 0
    staff = make_user("mod@example.com", role="agent")
    assert "Better" not in staff.get(f"/api/agent/forum/topics/{topic['id']}").text
    # past the window: neither edit nor delete
    late = answer(bob, topic["id"], "Late answer")
    age_post(api_app, ForumAnswer, late["id"], 31)
    refused = bob.patch(f"/api/forum/answers/{late['id']}", json={"body": "changed"})
    assert refused.status_code == 403 and "30 minutes" in refused.json()["error"]["message"]
    assert bob.delete(f"/api/forum/answers/{late['id']}").status_code == 403
    assert api_client.get(f"/api/forum/topics/{topic['id']}").json()["answers"][0]["editable_until"] is None
    # a question nobody else answered can be deleted, and then no list shows it
    lonely = ask(alice, title="Nobody answers this", body="Lonely body text")
    assert alice.delete(f"/api/forum/topics/{lonely['id']}").status_code == 204
    assert api_client.get(f"/api/forum/topics/{lonely['id']}").status_code == 404
    assert "Lonely" not in api_client.get("/api/forum/topics").text
    age_post(api_app, ForumTopic, topic["id"], 31)
    assert alice.patch(f"/api/forum/topics/{topic['id']}", json={"body": "too late"}).status_code == 403


def test_an_edit_window_of_zero_turns_editing_off_and_edits_obey_the_link_limit(api_app, make_user, community):
    community(forum={"moderate_first_posts": 0, "edit_window_minutes": 0}, community={"new_account_max_links": 1})
    alice = make_user("alice@example.com")
    topic = ask(alice)
    assert alice.get(f"/api/forum/topics/{topic['id']}").json()["editable_until"] is None
    assert alice.patch(f"/api/forum/topics/{topic['id']}", json={"body": "changed"}).status_code == 403
    assert alice.delete(f"/api/forum/topics/{topic['id']}").status_code == 403
    community(forum={"moderate_first_posts": 0, "edit_window_minutes": 30}, community={"new_account_max_links": 1})
    spam = alice.patch(f"/api/forum/topics/{topic['id']}", json={"body": "http://a.example http://b.example"})
    assert spam.status_code == 422                      # a new account's link limit holds for edits too
    from kbgen.api.features.community import parse_community_settings
    from kbgen.api.settings import SettingsError
    with pytest.raises(SettingsError, match=r"\[forum\.edit_window_minutes\] must be a whole number from 0 to 525600"):
        parse_community_settings({"forum": {"edit_window_minutes": -1}}, "site.toml")
    assert parse_community_settings({}).edit_window_minutes == 30


def test_the_asker_hears_of_a_held_answer_when_it_is_approved(api_app, make_user, community, api_settings):
    from kbgen.api.mailer import read_outbox

    community(forum={"moderate_first_posts": 1})
    alice = make_user("alice@example.com")
    age_account(api_app, "alice@example.com")
    staff = make_user("mod@example.com", role="agent")
    asker_topic = ask(alice, title="Alice asks")
    staff.patch(f"/api/agent/forum/topics/{asker_topic['id']}", json={"status": "visible"})
    carl = make_user("carl@example.com", name="Carl")
    held = answer(carl, asker_topic["id"], "Look under Billing")
    assert held["status"] == "pending"
    to_alice = lambda: [m for m in read_outbox(api_settings) if m["To"] == "alice@example.com"]   # noqa: E731
    assert to_alice() == []                                  # nothing while it is held
    assert staff.patch(f"/api/agent/forum/answers/{held['id']}", json={"status": "visible"}).status_code == 200
    (mail,) = to_alice()
    assert "Alice asks" in mail["Subject"] and "Look under Billing" in mail.get_body(("plain",)).get_content()
    staff.patch(f"/api/agent/forum/answers/{held['id']}", json={"status": "hidden"})
    staff.patch(f"/api/agent/forum/answers/{held['id']}", json={"status": "visible"})
    assert len(to_alice()) == 1                              # showing it again is no new answer
