"""Community forum (/api/forum/…): customers ask questions in a KB category, others answer, the
asker (or staff) accepts one answer, answers get one upvote per user. Guests read.

Moderation (the agent side) is in forum_staff.py; the abuse checks in community.py."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from sqlalchemy import and_, case, delete, func, or_, select, update

from ..db import escape_like, utcnow
from ..deps import DB, OptionalUser, SignedIn, State, rate_limit
from ..errors import field_error, not_found, user_error
from ..idempotency import fingerprint, run_once
from ..markup import render_markdown
from ..models import User, users_by_id
from ..schemas import Strict
from .community import (RecordId, trap_response, author_json, check_honeypot, check_links, check_may_take_part, clean_body, clean_line, iso,
                          needs_approval, plain_excerpt, settings_of,
                          where_words_match)
from .forum_models import ForumAnswer, ForumAnswerVote, ForumTopic

router = APIRouter(prefix="/forum", tags=["forum"])

TITLE_MAX = 200
BODY_MAX = 20000
CATEGORY_MAX = 200


class TopicBody(Strict):
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    category: str = Field(max_length=CATEGORY_MAX, description="a KB category path such as billing/invoices")
    lang: str = Field(default="en", max_length=16, pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    homepage: str = Field(default="", max_length=200, description="leave empty (spam trap)")


class AnswerBody(Strict):
    body: str = Field(max_length=BODY_MAX)
    homepage: str = Field(default="", max_length=200, description="leave empty (spam trap)")


class TopicEdit(Strict):
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)
    homepage: str = Field(default="", max_length=200, description="leave empty (spam trap)")


class AcceptBody(Strict):
    answer_id: str | None = Field(default=None, max_length=32, description="null to withdraw the acceptance")


def clean_category(value: str) -> str:
    value = "/".join(part.strip() for part in value.strip().strip("/").split("/") if part.strip())
    if not value:
        raise field_error("category", "is required: choose a category")
    if any(ord(c) < 32 for c in value) or any(c in value for c in '<>"\\'):
        raise field_error("category", "is not a category path")
    return value


def can_see(post, user: User | None) -> bool:
    if post.status == "visible" or (user is not None and user.is_staff):
        return True
    return post.status == "pending" and user is not None and post.author_id == user.id


def visible_filter(model, user: User | None):
    if user is not None and user.is_staff:
        return model.status != "hidden"
    if user is None:
        return model.status == "visible"
    return or_(model.status == "visible", and_(model.status == "pending", model.author_id == user.id))


def topic_summary(topic: ForumTopic, authors: dict) -> dict:
    return {
        "id": topic.id, "title": topic.title, "category": topic.category, "lang": topic.lang,
        "author": author_json(authors.get(topic.author_id)), "created_at": iso(topic.created_at),
        "last_activity_at": iso(topic.last_activity_at), "answer_count": topic.answer_count,
        "has_accepted_answer": topic.accepted_answer_id is not None, "pinned": topic.pinned, "locked": topic.locked,
        "status": topic.status, "excerpt": plain_excerpt(topic.body),
    }


def editable_until(post, user: User | None, window_minutes: int):
    """Until when the signed-in author may still edit or delete `post`; None when they may not."""
    if user is None or post.author_id != user.id or window_minutes <= 0 or post.status == "hidden":
        return None
    until = post.created_at + timedelta(minutes=window_minutes)
    return until if utcnow() < until else None


def answer_json(answer: ForumAnswer, topic: ForumTopic, authors: dict, voted: set[str], user: User | None,
                window_minutes: int = 0) -> dict:
    return {
        "id": answer.id, "body_html": render_markdown(answer.body), "author": author_json(authors.get(answer.author_id)),
        "created_at": iso(answer.created_at), "edited_at": iso(answer.edited_at), "score": answer.score,
        "voted": answer.id in voted, "accepted": answer.id == topic.accepted_answer_id, "status": answer.status,
        "mine": user is not None and answer.author_id == user.id,
        "editable_until": iso(editable_until(answer, user, window_minutes)),
    } | ({"body": answer.body} if editable_until(answer, user, window_minutes) else {})   # the author's Markdown, for the edit form


def load_topic(db, topic_id: str, user: User | None, *, lock: bool = False) -> ForumTopic:
    topic = db.get(ForumTopic, topic_id, with_for_update=lock) if len(topic_id) <= 32 else None
    if topic is None or not can_see(topic, user):
        raise not_found("topic")
    return topic


@router.get("/categories", summary="Categories that have topics, with topic and unanswered counts")
def categories(db: DB, user: OptionalUser, lang: Annotated[str | None, Query(max_length=16)] = None) -> dict:
    query = select(ForumTopic.category, func.count(), func.sum(case((ForumTopic.answer_count == 0, 1), else_=0)))
    query = query.where(ForumTopic.status == "visible")
    if lang:
        query = query.where(ForumTopic.lang == lang)
    rows = db.execute(query.group_by(ForumTopic.category).order_by(ForumTopic.category)).all()
    return {"categories": [{"path": path, "topics": count, "unanswered": int(unanswered or 0)} for path, count, unanswered in rows]}


@router.get("/topics", summary="Topics: by category, answered/unanswered, search, sorting and pages")
def list_topics(db: DB, user: OptionalUser,
                category: Annotated[str | None, Query(max_length=CATEGORY_MAX)] = None,
                filter: Annotated[Literal["all", "unanswered", "answered", "solved"], Query()] = "all",
                sort: Annotated[Literal["activity", "new", "answers"], Query()] = "activity",
                q: Annotated[str | None, Query(max_length=200)] = None,
                lang: Annotated[str | None, Query(max_length=16)] = None,
                page: Annotated[int, Query(ge=1, le=10000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=50)] = 20) -> dict:
    query = select(ForumTopic).where(visible_filter(ForumTopic, user))
    if category:
        path = category.strip().strip("/")
        query = query.where(or_(ForumTopic.category == path, ForumTopic.category.like("%" + escape_like(path) + "/%", escape="\\")))
    if lang:
        query = query.where(ForumTopic.lang == lang)
    if filter == "unanswered":
        query = query.where(ForumTopic.answer_count == 0)
    elif filter == "answered":
        query = query.where(ForumTopic.answer_count > 0)
    elif filter == "solved":
        query = query.where(ForumTopic.accepted_answer_id.is_not(None))
    query = where_words_match(query, q, ForumTopic.title, ForumTopic.body)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = {"activity": [ForumTopic.last_activity_at.desc()], "new": [ForumTopic.created_at.desc()],
             "answers": [ForumTopic.answer_count.desc(), ForumTopic.last_activity_at.desc()]}[sort]
    rows = db.scalars(query.order_by(ForumTopic.pinned.desc(), *order, ForumTopic.id)
                      .limit(per_page).offset((page - 1) * per_page)).all()
    authors = users_by_id(db, [t.author_id for t in rows])
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page)),
            "topics": [topic_summary(t, authors) for t in rows]}


@router.get("/topics/{topic_id}", summary="A topic with its answers: the accepted one first, then by votes")
def get_topic(topic_id: RecordId, db: DB, user: OptionalUser, state: State) -> dict:
    topic = load_topic(db, topic_id, user)
    answers = db.scalars(select(ForumAnswer).where(ForumAnswer.topic_id == topic.id, visible_filter(ForumAnswer, user))
                         .order_by(ForumAnswer.created_at, ForumAnswer.id)).all()
    answers = sorted(answers, key=lambda a: (a.id != topic.accepted_answer_id, -a.score))
    voted: set[str] = set()
    if user is not None and answers:
        voted = set(db.scalars(select(ForumAnswerVote.answer_id).where(
            ForumAnswerVote.user_id == user.id, ForumAnswerVote.answer_id.in_([a.id for a in answers]))))
    authors = users_by_id(db, [topic.author_id] + [a.author_id for a in answers])
    mine = user is not None and topic.author_id == user.id
    window = settings_of(state).edit_window_minutes
    return topic_summary(topic, authors) | {
        "body_html": render_markdown(topic.body), "edited_at": iso(topic.edited_at),
        "accepted_answer_id": topic.accepted_answer_id, "mine": mine,
        "can_accept": user is not None and (mine or user.is_staff),
        "can_answer": user is not None and topic.status == "visible" and (not topic.locked or user.is_staff),
        "editable_until": iso(editable_until(topic, user, window)),
        **({"body": topic.body} if editable_until(topic, user, window) else {}),
        "answers": [answer_json(a, topic, authors, voted, user, window) for a in answers],
    }


@router.post("/topics", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Ask a question. Send Idempotency-Key so a resend never posts twice.")
def create_topic(body: TopicBody, request: Request, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    if check_honeypot(body.homepage):
        return trap_response()
    title = clean_line(body.title, "title")
    text = clean_body(body.body)
    category = clean_category(body.category)
    config = settings_of(state)
    check_links(user, config, title=title, body=text)
    held = needs_approval(db, user, config)

    def create():
        now = utcnow()
        topic = ForumTopic(title=title, body=text, category=category, lang=body.lang, author_id=user.id,
                           status="pending" if held else "visible", approved_at=None if held else now,
                           created_at=now, last_activity_at=now)
        db.add(topic)
        db.flush()
        return 201, {"id": topic.id, "status": topic.status}

    return run_once(db, request, "forum.topic", fingerprint(user.id, body.model_dump()), create)


def tell_asker(db, state, topic: ForumTopic, answerer: User, text: str) -> None:
    """The asker hears about a published answer from someone else (in the topic's language)."""
    from ...config import portal_url
    from . import notifications

    asker = db.get(User, topic.author_id) if topic.author_id else None
    if asker is None or asker.disabled or asker.id == answerer.id:
        return
    page = portal_url(topic.lang, "community", state.settings.portal_path)
    link = f"{state.settings.public_url}{state.settings.site_root.rstrip('/')}/{page}#topic={topic.id}"
    notifications.send(state, asker.email, topic.lang, "forum_answer", db=db, name=answerer.name or "—",
                       title=topic.title, body=text, link=link)


@router.post("/topics/{topic_id}/answers", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Answer a topic. Send Idempotency-Key so a resend never posts twice.")
def create_answer(topic_id: RecordId, body: AnswerBody, request: Request, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    topic = load_topic(db, topic_id, user)
    if topic.status != "visible":
        raise user_error(409, "conflict", "question_awaiting_approval")
    if topic.locked and not user.is_staff:
        raise user_error(409, "conflict", "topic_locked")
    if check_honeypot(body.homepage):
        return trap_response()
    text = clean_body(body.body)
    config = settings_of(state)
    check_links(user, config, body=text)
    held = needs_approval(db, user, config)

    def create():
        now = utcnow()
        answer = ForumAnswer(topic_id=topic.id, body=text, author_id=user.id, status="pending" if held else "visible",
                             approved_at=None if held else now, created_at=now)
        db.add(answer)
        if not held:
            # an increment in SQL, so concurrent answers are all counted
            db.execute(update(ForumTopic).where(ForumTopic.id == topic.id)
                       .values(answer_count=ForumTopic.answer_count + 1, last_activity_at=now))
            tell_asker(db, state, topic, user, text)
        db.flush()
        return 201, {"id": answer.id, "topic_id": topic.id, "status": answer.status}

    return run_once(db, request, f"forum.answer:{topic.id}", fingerprint(user.id, body.model_dump()), create)


@router.put("/topics/{topic_id}/accepted", summary="Accept an answer (the asker or staff); answer_id null withdraws it")
def accept_answer(topic_id: RecordId, body: AcceptBody, db: DB, user: SignedIn) -> dict:
    topic = load_topic(db, topic_id, user)
    if topic.author_id != user.id and not user.is_staff:
        raise user_error(403, "forbidden", "only_the_asker_accepts")
    if body.answer_id is not None:
        answer = db.get(ForumAnswer, body.answer_id)
        if answer is None or answer.topic_id != topic.id or answer.status != "visible":
            raise field_error("answer_id", "is not a published answer of this topic")
    topic.accepted_answer_id = body.answer_id
    db.commit()
    return {"id": topic.id, "accepted_answer_id": topic.accepted_answer_id}


def _votable_answer(db, answer_id: str, user: User) -> ForumAnswer:
    # the row lock serializes votes on one answer, so the stored score always equals the vote rows
    answer = db.get(ForumAnswer, answer_id, with_for_update=True) if len(answer_id) <= 32 else None
    if answer is None or answer.status != "visible":
        raise not_found("answer")
    topic = db.get(ForumTopic, answer.topic_id)
    if topic is None or topic.status != "visible":
        raise not_found("answer")
    return answer


@router.put("/answers/{answer_id}/vote", dependencies=[Depends(rate_limit("rating"))],
            summary="Upvote an answer (once per user; voting again changes nothing)")
def vote(answer_id: RecordId, db: DB, user: SignedIn, state: State) -> dict:
    check_may_take_part(db, state, user, vote=True)
    answer = _votable_answer(db, answer_id, user)
    if answer.author_id == user.id:
        raise user_error(403, "forbidden", "own_answer_vote")
    if db.get(ForumAnswerVote, (answer.id, user.id)) is None:
        db.add(ForumAnswerVote(answer_id=answer.id, user_id=user.id))
        answer.score = ForumAnswer.score + 1
    score = _score_now(db, answer)
    db.commit()
    return {"id": answer.id, "score": score, "voted": True}


def _score_now(db, answer: ForumAnswer) -> int:
    # read inside the transaction that changed it, not by a refresh() that opens another one
    db.flush()
    return db.scalar(select(ForumAnswer.score).where(ForumAnswer.id == answer.id))


@router.delete("/answers/{answer_id}/vote", dependencies=[Depends(rate_limit("rating"))], summary="Take an upvote back")
def unvote(answer_id: RecordId, db: DB, user: SignedIn, state: State) -> dict:
    check_may_take_part(db, state, user, vote=True)
    answer = _votable_answer(db, answer_id, user)
    removed = db.execute(delete(ForumAnswerVote).where(ForumAnswerVote.answer_id == answer.id,
                                                       ForumAnswerVote.user_id == user.id)).rowcount
    if removed:
        answer.score = ForumAnswer.score - 1
    score = _score_now(db, answer)
    db.commit()
    return {"id": answer.id, "score": score, "voted": False}


# --- authors editing and deleting their own posts (within [forum] edit_window_minutes) -------

def _own_post(db, model, post_id: str, user: User, state, what: str):
    """The author's own post while its edit window is open (row-locked), else a clear refusal."""
    post = db.get(model, post_id, with_for_update=True) if len(post_id) <= 32 else None
    if post is None or not can_see(post, user):
        raise not_found(what)
    if post.author_id != user.id:
        raise user_error(403, "forbidden", "only_the_author", what=what)
    window = settings_of(state).edit_window_minutes
    if editable_until(post, user, window) is None:
        if window:
            raise user_error(403, "edit_window_over", "edit_window_over", what=what, minutes=window)
        raise user_error(403, "edit_window_over", "edits_not_allowed")
    return post


def _recheck(db, state, user: User, post, *, title: str | None = None, body: str | None = None) -> None:
    """The rules of a new post apply to an edit: clean text, the link limit for new accounts, and
    the moderation hold for accounts whose first posts are still held."""
    config = settings_of(state)
    check_links(user, config, **{name: text for name, text in (("title", title), ("body", body)) if text is not None})
    if needs_approval(db, user, config):
        post.status, post.approved_at = "pending", None


@router.patch("/topics/{topic_id}", dependencies=[Depends(rate_limit("submission"))],
              summary="Edit your own question (title and/or body) within the edit window")
def edit_topic(topic_id: RecordId, body: TopicEdit, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    if check_honeypot(body.homepage):
        return trap_response()
    topic = _own_post(db, ForumTopic, topic_id, user, state, "topic")
    title = clean_line(body.title, "title") if body.title is not None else None
    text = clean_body(body.body) if body.body is not None else None
    _recheck(db, state, user, topic, title=title, body=text)
    if title is not None:
        topic.title = title
    if text is not None:
        topic.body = text
    topic.edited_at = utcnow()
    db.commit()
    return {"id": topic.id, "status": topic.status, "edited_at": iso(topic.edited_at)}


@router.delete("/topics/{topic_id}", status_code=204, dependencies=[Depends(rate_limit("submission"))],
               summary="Delete your own question within the edit window (not once others answered it)")
def delete_own_topic(topic_id: RecordId, db: DB, user: SignedIn, state: State) -> None:
    check_may_take_part(db, state, user)
    topic = _own_post(db, ForumTopic, topic_id, user, state, "topic")
    others = db.scalar(select(func.count()).select_from(ForumAnswer)
                       .where(ForumAnswer.topic_id == topic.id, ForumAnswer.author_id != user.id)) or 0
    if others:
        raise user_error(409, "conflict", "question_has_answers")
    db.delete(topic)       # and, by the foreign key, the author's own answers to it
    db.commit()


@router.patch("/answers/{answer_id}", dependencies=[Depends(rate_limit("submission"))],
              summary="Edit your own answer within the edit window")
def edit_answer(answer_id: RecordId, body: AnswerBody, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    if check_honeypot(body.homepage):
        return trap_response()
    answer = _own_post(db, ForumAnswer, answer_id, user, state, "answer")
    text = clean_body(body.body)
    was = answer.status
    _recheck(db, state, user, answer, body=text)
    answer.body, answer.edited_at = text, utcnow()
    if was != answer.status:
        from .forum_staff import refresh_topic   # forum_staff imports this module
        refresh_topic(db, db.get(ForumTopic, answer.topic_id))
    db.commit()
    return {"id": answer.id, "status": answer.status, "edited_at": iso(answer.edited_at)}


@router.delete("/answers/{answer_id}", status_code=204, dependencies=[Depends(rate_limit("submission"))],
               summary="Delete your own answer within the edit window (its text is gone for good)")
def delete_own_answer(answer_id: RecordId, db: DB, user: SignedIn, state: State) -> None:
    from .forum_staff import refresh_topic   # forum_staff imports this module

    check_may_take_part(db, state, user)
    answer = _own_post(db, ForumAnswer, answer_id, user, state, "answer")
    topic = db.get(ForumTopic, answer.topic_id, with_for_update=True)
    db.delete(answer)
    refresh_topic(db, topic)
    db.commit()
