"""Feedback board (/api/feedback/…): customers post ideas, vote (one vote per signed-in user,
voting twice changes nothing, unvoting allowed) and comment; staff set statuses with a public
note (feedback_staff.py); the public roadmap groups ideas by status.

Vote counts are kept in the idea row and changed only while that row is locked, so the count
always equals the number of vote rows, however many people vote at once."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from sqlalchemy import delete, func, select, update

from ..db import utcnow
from ..deps import DB, OptionalUser, SignedIn, State, rate_limit
from ..errors import not_found, user_error
from ..idempotency import fingerprint, run_once
from ..markup import render_markdown
from ..models import User, users_by_id
from ..schemas import Strict
from .community import (RecordId, trap_response, author_json, check_honeypot, check_links, check_may_take_part, clean_body, clean_line, iso,
                          plain_excerpt, settings_of, where_words_match)
from .feedback_models import IDEA_STATUSES, ROADMAP_STATUSES, FeedbackComment, FeedbackIdea, FeedbackStatusChange, FeedbackVote

router = APIRouter(prefix="/feedback", tags=["feedback"])

TITLE_MAX = 200
BODY_MAX = 10000
COMMENT_MAX = 5000
TRENDING_DAYS = 7
ROADMAP_DONE_LIMIT = 50
Status = Literal["open", "planned", "in_progress", "done", "declined"]


class IdeaBody(Strict):
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX, description="the description (Markdown)")
    lang: str = Field(default="en", max_length=16, pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
    homepage: str = Field(default="", max_length=200, description="leave empty (spam trap)")


class CommentBody(Strict):
    body: str = Field(max_length=COMMENT_MAX)
    homepage: str = Field(default="", max_length=200, description="leave empty (spam trap)")


def idea_summary(idea: FeedbackIdea, authors: dict, voted: set[str]) -> dict:
    return {
        "id": idea.id, "title": idea.title, "status": idea.status, "status_note_html": render_markdown(idea.status_note) if idea.status_note else "",
        "status_changed_at": iso(idea.status_changed_at), "vote_count": idea.vote_count, "comment_count": idea.comment_count,
        "author": author_json(authors.get(idea.author_id)), "created_at": iso(idea.created_at), "lang": idea.lang,
        "voted": idea.id in voted, "excerpt": plain_excerpt(idea.body),
    }


def my_votes(db, user: User | None, ids) -> set[str]:
    ids = list(ids)
    if user is None or not ids:
        return set()
    return set(db.scalars(select(FeedbackVote.idea_id).where(FeedbackVote.user_id == user.id, FeedbackVote.idea_id.in_(ids))))


def public_ideas():
    return select(FeedbackIdea).where(FeedbackIdea.hidden.is_(False), FeedbackIdea.merged_into_id.is_(None))


def load_idea(db, idea_id: str, user: User | None, *, lock: bool = False) -> FeedbackIdea:
    idea = db.get(FeedbackIdea, idea_id, with_for_update=lock) if len(idea_id) <= 32 else None
    if idea is None or (idea.hidden and not (user is not None and user.is_staff)):
        raise not_found("idea")
    return idea


def final_idea(db, idea: FeedbackIdea, user: User | None, *, lock: bool = False) -> FeedbackIdea:
    """The idea a duplicate was merged into (following a chain of merges), else the idea itself."""
    for _hop in range(10):
        if idea.merged_into_id is None:
            return idea
        idea = load_idea(db, idea.merged_into_id, user, lock=lock)
    return idea


@router.get("/ideas", summary="Ideas: filter by status, sort by top / new / trending, search, pages")
def list_ideas(db: DB, user: OptionalUser,
               status: Annotated[Status | None, Query()] = None,
               sort: Annotated[Literal["top", "new", "trending"], Query()] = "top",
               q: Annotated[str | None, Query(max_length=200)] = None,
               page: Annotated[int, Query(ge=1, le=10000)] = 1,
               per_page: Annotated[int, Query(ge=1, le=50)] = 20) -> dict:
    query = public_ideas()
    if status:
        query = query.where(FeedbackIdea.status == status)
    query = where_words_match(query, q, FeedbackIdea.title, FeedbackIdea.body)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    if sort == "trending":
        # votes of the last week (votes merged in keep their date), then all votes
        recent = (select(FeedbackVote.idea_id, func.count().label("recent"))
                  .where(FeedbackVote.created_at >= utcnow() - timedelta(days=TRENDING_DAYS))
                  .group_by(FeedbackVote.idea_id).subquery())
        query = query.outerjoin(recent, recent.c.idea_id == FeedbackIdea.id).order_by(
            func.coalesce(recent.c.recent, 0).desc(), FeedbackIdea.vote_count.desc(), FeedbackIdea.created_at.desc())
    elif sort == "new":
        query = query.order_by(FeedbackIdea.created_at.desc())
    else:
        query = query.order_by(FeedbackIdea.vote_count.desc(), FeedbackIdea.created_at.desc())
    ideas = db.scalars(query.order_by(FeedbackIdea.id).limit(per_page).offset((page - 1) * per_page)).all()
    authors = users_by_id(db, [i.author_id for i in ideas])
    voted = my_votes(db, user, [i.id for i in ideas])
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page)),
            "ideas": [idea_summary(i, authors, voted) for i in ideas]}


@router.get("/roadmap", summary="Planned, in-progress and recently done ideas, grouped by status")
def roadmap(db: DB, user: OptionalUser) -> dict:
    ideas = db.scalars(public_ideas().where(FeedbackIdea.status.in_(ROADMAP_STATUSES))
                       .order_by(FeedbackIdea.status_changed_at.desc(), FeedbackIdea.vote_count.desc(), FeedbackIdea.id)).all()
    authors = users_by_id(db, [i.author_id for i in ideas])
    voted = my_votes(db, user, [i.id for i in ideas])
    columns = []
    for status in ROADMAP_STATUSES:
        chosen = [i for i in ideas if i.status == status]
        if status == "done":
            chosen = chosen[:ROADMAP_DONE_LIMIT]
        else:
            chosen.sort(key=lambda i: -i.vote_count)
        columns.append({"status": status, "ideas": [idea_summary(i, authors, voted) for i in chosen]})
    return {"columns": columns}


@router.get("/ideas/{idea_id}", summary="An idea with its comments, status history and where it was merged")
def get_idea(idea_id: RecordId, db: DB, user: OptionalUser) -> dict:
    idea = load_idea(db, idea_id, user)
    comments = db.scalars(select(FeedbackComment).where(FeedbackComment.idea_id == idea.id, FeedbackComment.hidden.is_(False))
                          .order_by(FeedbackComment.created_at, FeedbackComment.id)).all()
    history = db.scalars(select(FeedbackStatusChange).where(FeedbackStatusChange.idea_id == idea.id)
                         .order_by(FeedbackStatusChange.created_at)).all()
    authors = users_by_id(db, [idea.author_id] + [c.author_id for c in comments])
    merged_into = None
    if idea.merged_into_id:
        target = final_idea(db, idea, user)
        merged_into = {"id": target.id, "title": target.title}
    return idea_summary(idea, authors, my_votes(db, user, [idea.id])) | {
        "body_html": render_markdown(idea.body), "merged_into": merged_into,
        "comments": [{"id": c.id, "body_html": render_markdown(c.body), "author": author_json(authors.get(c.author_id)),
                      "created_at": iso(c.created_at), "edited_at": iso(c.edited_at)} for c in comments],
        "history": [{"from": h.from_status, "to": h.to_status, "note_html": render_markdown(h.note) if h.note else "",
                     "at": iso(h.created_at)} for h in history],
        "can_comment": user is not None and idea.merged_into_id is None,
    }


@router.post("/ideas", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Suggest an idea. Send Idempotency-Key so a resend never posts twice.")
def create_idea(body: IdeaBody, request: Request, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    if check_honeypot(body.homepage):
        return trap_response("open")
    title = clean_line(body.title, "title")
    text = clean_body(body.body)
    check_links(user, settings_of(state), title=title, body=text)

    def create():
        idea = FeedbackIdea(title=title, body=text, lang=body.lang, author_id=user.id, status="open")
        db.add(idea)
        db.flush()
        return 201, {"id": idea.id, "status": idea.status}

    return run_once(db, request, "feedback.idea", fingerprint(user.id, body.model_dump()), create)


@router.post("/ideas/{idea_id}/comments", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Comment on an idea. Send Idempotency-Key so a resend never posts twice.")
def create_comment(idea_id: RecordId, body: CommentBody, request: Request, db: DB, user: SignedIn, state: State):
    check_may_take_part(db, state, user)
    idea = load_idea(db, idea_id, user)
    if idea.merged_into_id:
        raise user_error(409, "conflict", "idea_merged_comment")
    if check_honeypot(body.homepage):
        return trap_response("visible")
    text = clean_body(body.body)
    check_links(user, settings_of(state), body=text)

    def create():
        comment = FeedbackComment(idea_id=idea.id, author_id=user.id, body=text)
        db.add(comment)
        db.execute(update(FeedbackIdea).where(FeedbackIdea.id == idea.id).values(comment_count=FeedbackIdea.comment_count + 1))
        db.flush()
        return 201, {"id": comment.id, "idea_id": idea.id}

    return run_once(db, request, f"feedback.comment:{idea.id}", fingerprint(user.id, body.model_dump()), create)


@router.put("/ideas/{idea_id}/vote", dependencies=[Depends(rate_limit("rating"))],
            summary="Vote for an idea (once per user; voting again changes nothing). A merged idea's vote goes to the idea it was merged into.")
def vote(idea_id: RecordId, db: DB, user: SignedIn, state: State) -> dict:
    check_may_take_part(db, state, user, vote=True)
    idea = final_idea(db, load_idea(db, idea_id, user, lock=True), user, lock=True)
    if db.get(FeedbackVote, (idea.id, user.id)) is None:
        db.add(FeedbackVote(idea_id=idea.id, user_id=user.id))
        idea.vote_count = FeedbackIdea.vote_count + 1
    count = _count_now(db, idea)
    db.commit()
    return {"id": idea.id, "vote_count": count, "voted": True}


def _count_now(db, idea: FeedbackIdea) -> int:
    # read inside the transaction that changed it: a refresh() after commit would open a second
    # transaction (on SQLite one that takes the write lock) just to read a number
    db.flush()
    return db.scalar(select(FeedbackIdea.vote_count).where(FeedbackIdea.id == idea.id))


@router.delete("/ideas/{idea_id}/vote", dependencies=[Depends(rate_limit("rating"))], summary="Take a vote back")
def unvote(idea_id: RecordId, db: DB, user: SignedIn, state: State) -> dict:
    check_may_take_part(db, state, user, vote=True)
    idea = final_idea(db, load_idea(db, idea_id, user, lock=True), user, lock=True)
    removed = db.execute(delete(FeedbackVote).where(FeedbackVote.idea_id == idea.id, FeedbackVote.user_id == user.id)).rowcount
    if removed:
        idea.vote_count = FeedbackIdea.vote_count - 1
    count = _count_now(db, idea)
    db.commit()
    return {"id": idea.id, "vote_count": count, "voted": False}


STATUS_WORDS = {
    "en": {"open": "Open", "planned": "Planned", "in_progress": "In progress", "done": "Done", "declined": "Declined"},
    "ja": {"open": "受付中", "planned": "予定", "in_progress": "対応中", "done": "完了", "declined": "見送り"},
}
assert all(set(words) == set(IDEA_STATUSES) for words in STATUS_WORDS.values())
