"""Staff moderation of the community (/api/agent/forum/…, /api/agent/community/…): the queue of
held first posts, hide / delete / lock / pin / edit topics and answers, and the community block list.
Every endpoint needs an agent or admin session."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import func, select

from ..db import utcnow
from ..deps import DB, Staff, State
from ..errors import ApiError, field_error, not_found
from ..markup import render_markdown
from ..models import User, users_by_id
from ..schemas import Email, Strict
from .forum import BODY_MAX, CATEGORY_MAX, TITLE_MAX, clean_category, tell_asker
from .community import RecordId, blocked_ids, clean_body, clean_line, iso, staff_author, where_words_match
from .forum_models import CommunityBlock, ForumAnswer, ForumTopic

router = APIRouter(prefix="/agent", tags=["agent"])
Status = Literal["visible", "pending", "hidden"]


class TopicChange(Strict):
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)
    category: str | None = Field(default=None, max_length=CATEGORY_MAX)
    status: Literal["visible", "hidden"] | None = Field(default=None, description="visible also approves a held post")
    locked: bool | None = None
    pinned: bool | None = None


class AnswerChange(Strict):
    body: str | None = Field(default=None, max_length=BODY_MAX)
    status: Literal["visible", "hidden"] | None = None


class BlockBody(Strict):
    user_id: str | None = Field(default=None, max_length=32)
    email: Email | None = None
    reason: str = Field(default="", max_length=500)


def staff_topic_json(topic: ForumTopic, authors: dict, blocked: set[str]) -> dict:
    return {"id": topic.id, "title": topic.title, "category": topic.category, "lang": topic.lang, "status": topic.status,
            "locked": topic.locked, "pinned": topic.pinned, "answer_count": topic.answer_count,
            "accepted_answer_id": topic.accepted_answer_id, "created_at": iso(topic.created_at),
            "edited_at": iso(topic.edited_at), "body": topic.body, "body_html": render_markdown(topic.body),
            "author": staff_author(authors.get(topic.author_id), blocked)}


def staff_answer_json(answer: ForumAnswer, authors: dict, blocked: set[str], topic: ForumTopic | None = None) -> dict:
    data = {"id": answer.id, "topic_id": answer.topic_id, "status": answer.status, "score": answer.score,
            "created_at": iso(answer.created_at), "edited_at": iso(answer.edited_at), "body": answer.body,
            "body_html": render_markdown(answer.body), "author": staff_author(authors.get(answer.author_id), blocked)}
    if topic is not None:
        data["topic_title"] = topic.title
        data["accepted"] = topic.accepted_answer_id == answer.id
    return data


def refresh_topic(db, topic: ForumTopic) -> None:
    """Recount after moderation changed which answers are public."""
    db.flush()
    visible = select(ForumAnswer).where(ForumAnswer.topic_id == topic.id, ForumAnswer.status == "visible")
    topic.answer_count = db.scalar(select(func.count()).select_from(visible.subquery())) or 0
    latest = db.scalar(select(func.max(ForumAnswer.created_at)).where(ForumAnswer.topic_id == topic.id,
                                                                     ForumAnswer.status == "visible"))
    topic.last_activity_at = max(latest, topic.created_at) if latest else topic.created_at
    if topic.accepted_answer_id:
        accepted = db.get(ForumAnswer, topic.accepted_answer_id)
        if accepted is None or accepted.status != "visible":
            topic.accepted_answer_id = None


def _topic(db, topic_id: str) -> ForumTopic:
    topic = db.get(ForumTopic, topic_id)
    if topic is None:
        raise not_found("topic")
    return topic


def _answer(db, answer_id: str) -> ForumAnswer:
    answer = db.get(ForumAnswer, answer_id)
    if answer is None:
        raise not_found("answer")
    return answer


def _set_status(post, status: str | None) -> None:
    if status is None:
        return
    post.status = status
    if status == "visible" and post.approved_at is None:
        post.approved_at = utcnow()


@router.get("/forum/queue", summary="Posts held for approval (first posts of new accounts), oldest first")
def moderation_queue(db: DB, staff: Staff) -> dict:
    topics = db.scalars(select(ForumTopic).where(ForumTopic.status == "pending").order_by(ForumTopic.created_at)).all()
    answers = db.scalars(select(ForumAnswer).where(ForumAnswer.status == "pending").order_by(ForumAnswer.created_at)).all()
    authors = users_by_id(db, [t.author_id for t in topics] + [a.author_id for a in answers])
    blocked = blocked_ids(db, authors)
    parents = {t.id: t for t in db.scalars(select(ForumTopic).where(ForumTopic.id.in_(list({a.topic_id for a in answers}))))}
    return {"topics": [staff_topic_json(t, authors, blocked) for t in topics],
            "answers": [staff_answer_json(a, authors, blocked, parents.get(a.topic_id)) for a in answers]}


@router.get("/forum/topics", summary="All topics, including held and hidden ones")
def staff_topics(db: DB, staff: Staff, status: Annotated[Status | None, Query()] = None,
                 q: Annotated[str | None, Query(max_length=200)] = None,
                 page: Annotated[int, Query(ge=1, le=10000)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=100)] = 50) -> dict:
    query = select(ForumTopic)
    if status:
        query = query.where(ForumTopic.status == status)
    query = where_words_match(query, q, ForumTopic.title, ForumTopic.body)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    topics = db.scalars(query.order_by(ForumTopic.pinned.desc(), ForumTopic.last_activity_at.desc(), ForumTopic.id)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    authors = users_by_id(db, [t.author_id for t in topics])
    blocked = blocked_ids(db, authors)
    return {"total": total, "page": page, "per_page": per_page, "topics": [staff_topic_json(t, authors, blocked) for t in topics]}


@router.get("/forum/topics/{topic_id}", summary="A topic with every answer, whatever its status")
def staff_topic(topic_id: RecordId, db: DB, staff: Staff) -> dict:
    topic = _topic(db, topic_id)
    answers = db.scalars(select(ForumAnswer).where(ForumAnswer.topic_id == topic.id).order_by(ForumAnswer.created_at)).all()
    authors = users_by_id(db, [topic.author_id] + [a.author_id for a in answers])
    blocked = blocked_ids(db, authors)
    return staff_topic_json(topic, authors, blocked) | {"answers": [staff_answer_json(a, authors, blocked, topic) for a in answers]}


@router.patch("/forum/topics/{topic_id}", summary="Approve, hide, lock, pin or edit a topic")
def change_topic(topic_id: RecordId, change: TopicChange, db: DB, staff: Staff) -> dict:
    topic = _topic(db, topic_id)
    if change.title is not None:
        topic.title = clean_line(change.title, "title")
        topic.edited_at = utcnow()
    if change.body is not None:
        topic.body = clean_body(change.body)
        topic.edited_at = utcnow()
    if change.category is not None:
        topic.category = clean_category(change.category)
    _set_status(topic, change.status)
    if change.locked is not None:
        topic.locked = change.locked
    if change.pinned is not None:
        topic.pinned = change.pinned
    db.commit()
    authors = users_by_id(db, [topic.author_id])
    return staff_topic_json(topic, authors, blocked_ids(db, authors))


@router.delete("/forum/topics/{topic_id}", status_code=204, summary="Delete a topic and its answers for good")
def delete_topic(topic_id: RecordId, db: DB, staff: Staff) -> None:
    topic = _topic(db, topic_id)
    db.delete(topic)
    db.commit()


@router.patch("/forum/answers/{answer_id}", summary="Approve, hide or edit an answer")
def change_answer(answer_id: RecordId, change: AnswerChange, db: DB, staff: Staff, state: State) -> dict:
    answer = _answer(db, answer_id)
    held = answer.status == "pending"
    if change.body is not None:
        answer.body = clean_body(change.body)
        answer.edited_at = utcnow()
    _set_status(answer, change.status)
    topic = db.get(ForumTopic, answer.topic_id)
    refresh_topic(db, topic)
    author = db.get(User, answer.author_id) if answer.author_id else None
    if held and answer.status == "visible" and author is not None:
        tell_asker(db, state, topic, author, answer.body)   # the asker hears once the held answer is out
    db.commit()
    authors = users_by_id(db, [answer.author_id])
    return staff_answer_json(answer, authors, blocked_ids(db, authors), topic)


@router.delete("/forum/answers/{answer_id}", status_code=204, summary="Delete an answer for good")
def delete_answer(answer_id: RecordId, db: DB, staff: Staff) -> None:
    answer = _answer(db, answer_id)
    topic = db.get(ForumTopic, answer.topic_id)
    db.delete(answer)
    refresh_topic(db, topic)
    db.commit()


@router.get("/community/blocks", summary="Accounts blocked from posting and voting in the community")
def list_blocks(db: DB, staff: Staff) -> dict:
    rows = db.execute(select(CommunityBlock, User).join(User, User.id == CommunityBlock.user_id)
                      .order_by(CommunityBlock.created_at.desc())).all()
    return {"blocks": [{"user_id": block.user_id, "email": user.email, "name": user.name, "reason": block.reason,
                        "created_at": iso(block.created_at)} for block, user in rows]}


@router.post("/community/blocks", status_code=201, summary="Block an account (by user_id or email) from posting and voting")
def block_account(body: BlockBody, db: DB, staff: Staff) -> dict:
    if (body.user_id is None) == (body.email is None):
        raise field_error("user_id", "give either user_id or email")
    user = db.get(User, body.user_id) if body.user_id else db.scalar(select(User).where(User.email == body.email))
    if user is None:
        raise field_error("email" if body.email else "user_id", "no such account", 404)
    if user.role != "customer":
        raise ApiError(409, "conflict", "Staff accounts cannot be blocked here; change their role first.")
    block = db.get(CommunityBlock, user.id)
    if block is None:
        block = CommunityBlock(user_id=user.id, blocked_by=staff.id)
        db.add(block)
    block.reason = " ".join(body.reason.split())
    db.commit()
    return {"user_id": user.id, "email": user.email, "name": user.name, "reason": block.reason, "created_at": iso(block.created_at)}


@router.delete("/community/blocks/{user_id}", status_code=204, summary="Lift a block")
def unblock_account(user_id: RecordId, db: DB, staff: Staff) -> None:
    block = db.get(CommunityBlock, user_id)
    if block is None:
        raise not_found("block")
    db.delete(block)
    db.commit()
