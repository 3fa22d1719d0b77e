"""Staff side of the feedback board (/api/agent/feedback/…): set an idea's status with a public
note (its voters are told by email), edit, hide or delete ideas and comments, and merge a
duplicate into another idea, carrying its voters over without counting anyone twice."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import String, and_, delete, exists, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from ...config import portal_url
from ..db import utcnow
from ..deps import DB, Staff, State
from ..errors import ApiError, field_error, not_found
from ..markup import render_markdown
from ..models import User, users_by_id
from ..schemas import Strict
from .feedback import COMMENT_MAX, STATUS_WORDS, TITLE_MAX, BODY_MAX, Status
from .feedback_models import FeedbackComment, FeedbackIdea, FeedbackStatusChange, FeedbackVote
from .community import RecordId, blocked_ids, clean_body, clean_line, iso, staff_author, where_words_match

router = APIRouter(prefix="/agent/feedback", tags=["agent"])
NOTE_MAX = 2000


class IdeaChange(Strict):
    status: Status | None = None
    note: str | None = Field(default=None, max_length=NOTE_MAX, description="public note shown with the status (Markdown)")
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)
    hidden: bool | None = None


class MergeBody(Strict):
    into: str = Field(max_length=32, description="the idea that stays")


class CommentChange(Strict):
    body: str | None = Field(default=None, max_length=COMMENT_MAX)
    hidden: bool | None = None


def staff_idea_json(idea: FeedbackIdea, authors: dict, blocked: set[str]) -> dict:
    return {"id": idea.id, "title": idea.title, "body": idea.body, "body_html": render_markdown(idea.body),
            "status": idea.status, "status_note": idea.status_note, "vote_count": idea.vote_count,
            "comment_count": idea.comment_count, "merged_into_id": idea.merged_into_id, "hidden": idea.hidden,
            "created_at": iso(idea.created_at), "status_changed_at": iso(idea.status_changed_at), "lang": idea.lang,
            "author": staff_author(authors.get(idea.author_id), blocked)}


def _idea(db, idea_id: str, *, lock: bool = False) -> FeedbackIdea:
    idea = db.get(FeedbackIdea, idea_id, with_for_update=lock) if len(idea_id) <= 32 else None
    if idea is None:
        raise not_found("idea")
    return idea


def idea_link(settings, idea: FeedbackIdea) -> str:
    board = portal_url(idea.lang, "feedback", settings.portal_path)
    return f"{settings.public_url}{settings.site_root.rstrip('/')}/{board}#idea={idea.id}"


def notify_voters(state, idea: FeedbackIdea, voters: list[tuple[str, str]], actor: User) -> None:
    from . import notifications

    # the status in the mail's words (mail_idea_<status>, which a site may reword), else the board's
    texts = notifications.mail_strings(state.settings, idea.lang)
    fallback = STATUS_WORDS.get(idea.lang, STATUS_WORDS["en"])
    words = {status: texts.get(f"mail_idea_{status}", fallback[status]) for status in fallback}
    link = idea_link(state.settings, idea)

    for email, _name in voters:
        if email == actor.email:
            continue
        notifications.send(state, email, idea.lang, "idea_status", title=idea.title, status=words[idea.status],
                           note=idea.status_note + "\n\n" if idea.status_note else "", link=link)


@router.get("/ideas", summary="Every idea, including hidden and merged ones")
def staff_ideas(db: DB, staff: Staff, status: Annotated[Status | None, Query()] = None,
                q: Annotated[str | None, Query(max_length=200)] = None,
                page: Annotated[int, Query(ge=1, le=10000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=100)] = 50) -> dict:
    query = select(FeedbackIdea)
    if status:
        query = query.where(FeedbackIdea.status == status)
    query = where_words_match(query, q, FeedbackIdea.title, FeedbackIdea.body)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    ideas = db.scalars(query.order_by(FeedbackIdea.merged_into_id.is_not(None), FeedbackIdea.vote_count.desc(),
                                      FeedbackIdea.created_at.desc(), FeedbackIdea.id)
                       .limit(per_page).offset((page - 1) * per_page)).all()
    authors = users_by_id(db, [i.author_id for i in ideas])
    return {"total": total, "page": page, "per_page": per_page,
            "ideas": [staff_idea_json(i, authors, blocked_ids(db, authors)) for i in ideas]}


@router.get("/ideas/{idea_id}", summary="An idea with every comment, hidden ones included")
def staff_idea(idea_id: RecordId, db: DB, staff: Staff) -> dict:
    idea = _idea(db, idea_id)
    comments = db.scalars(select(FeedbackComment).where(FeedbackComment.idea_id == idea.id).order_by(FeedbackComment.created_at)).all()
    authors = users_by_id(db, [idea.author_id] + [c.author_id for c in comments])
    blocked = blocked_ids(db, authors)
    return staff_idea_json(idea, authors, blocked) | {"comments": [
        {"id": c.id, "body": c.body, "body_html": render_markdown(c.body), "hidden": c.hidden, "created_at": iso(c.created_at),
         "author": staff_author(authors.get(c.author_id), blocked)} for c in comments]}


@router.patch("/ideas/{idea_id}", summary="Set the status (voters are notified), the public note; edit or hide")
def change_idea(idea_id: RecordId, change: IdeaChange, db: DB, staff: Staff, state: State) -> dict:
    idea = _idea(db, idea_id)
    status_changed = change.status is not None and change.status != idea.status
    if change.note is not None:
        idea.status_note = change.note.replace("\r\n", "\n").strip()
    if change.title is not None:
        idea.title = clean_line(change.title, "title")
    if change.body is not None:
        idea.body = clean_body(change.body)
    if change.hidden is not None:
        idea.hidden = change.hidden
    voters: list[tuple[str, str]] = []
    if status_changed:
        if idea.merged_into_id:
            raise ApiError(409, "conflict", "This idea was merged into another one; change the status of that idea instead.")
        db.add(FeedbackStatusChange(idea_id=idea.id, from_status=idea.status, to_status=change.status,
                                    note=idea.status_note, actor_id=staff.id))
        idea.status = change.status
        idea.status_changed_at = utcnow()
        voters = list(db.execute(select(User.email, User.name).join(FeedbackVote, FeedbackVote.user_id == User.id)
                                 .where(FeedbackVote.idea_id == idea.id, User.disabled.is_(False))).all())
        author = db.get(User, idea.author_id) if idea.author_id else None
        if author is not None and not author.disabled and author.email not in {email for email, _name in voters}:
            voters.append((author.email, author.name))    # its author hears too, voted or not
    db.commit()
    if status_changed:
        notify_voters(state, idea, voters, staff)    # after the commit: a mail never announces a rolled-back change
    authors = users_by_id(db, [idea.author_id])
    return staff_idea_json(idea, authors, blocked_ids(db, authors)) | {"notified": len([v for v in voters if v[0] != staff.email])}


@router.post("/ideas/{idea_id}/merge", summary="Merge this duplicate into another idea; its voters move over once")
def merge_idea(idea_id: RecordId, body: MergeBody, db: DB, staff: Staff) -> dict:
    if body.into == idea_id:
        raise field_error("into", "is the same idea; choose the idea to keep")
    # lock both rows in a fixed order, so two merges (or a merge and votes) never wait on each other
    ideas = {}
    for key in sorted([idea_id, body.into]):
        idea = db.get(FeedbackIdea, key, with_for_update=True) if len(key) <= 32 else None
        if idea is None:
            raise not_found("idea") if key == idea_id else field_error("into", "no such idea", 404)
        ideas[key] = idea
    source, target = ideas[idea_id], ideas[body.into]
    if source.merged_into_id:
        raise ApiError(409, "conflict", "This idea was already merged into another one.")
    if target.merged_into_id:
        raise field_error("into", "was itself merged into another idea; merge into that one")
    other = aliased(FeedbackVote)
    already = exists().where(and_(other.idea_id == target.id, other.user_id == FeedbackVote.user_id))
    db.execute(insert(FeedbackVote).from_select(
        ["idea_id", "user_id", "created_at"],
        select(literal(target.id, String(32)), FeedbackVote.user_id, FeedbackVote.created_at).where(FeedbackVote.idea_id == source.id, ~already)))
    db.execute(delete(FeedbackVote).where(FeedbackVote.idea_id == source.id))
    db.execute(update(FeedbackIdea).where(FeedbackIdea.merged_into_id == source.id).values(merged_into_id=target.id))
    db.flush()
    target.vote_count = db.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.idea_id == target.id)) or 0
    source.vote_count = 0
    source.merged_into_id = target.id
    db.commit()
    return {"id": source.id, "merged_into_id": target.id, "vote_count": target.vote_count}


@router.delete("/ideas/{idea_id}", status_code=204, summary="Delete an idea, its votes and comments for good")
def delete_idea(idea_id: RecordId, db: DB, staff: Staff) -> None:
    idea = _idea(db, idea_id)
    db.delete(idea)
    db.commit()


def _recount_comments(db, idea_id: str) -> None:
    db.flush()
    count = db.scalar(select(func.count()).select_from(FeedbackComment).where(
        FeedbackComment.idea_id == idea_id, FeedbackComment.hidden.is_(False))) or 0
    db.execute(update(FeedbackIdea).where(FeedbackIdea.id == idea_id).values(comment_count=count))


@router.patch("/comments/{comment_id}", summary="Edit or hide a comment")
def change_comment(comment_id: RecordId, change: CommentChange, db: DB, staff: Staff) -> dict:
    comment = db.get(FeedbackComment, comment_id)
    if comment is None:
        raise not_found("comment")
    if change.body is not None:
        comment.body = clean_body(change.body)
        comment.edited_at = utcnow()
    if change.hidden is not None:
        comment.hidden = change.hidden
    _recount_comments(db, comment.idea_id)
    db.commit()
    return {"id": comment.id, "hidden": comment.hidden, "body_html": render_markdown(comment.body)}


@router.delete("/comments/{comment_id}", status_code=204, summary="Delete a comment for good")
def delete_comment(comment_id: RecordId, db: DB, staff: Staff) -> None:
    comment = db.get(FeedbackComment, comment_id)
    if comment is None:
        raise not_found("comment")
    idea_id = comment.idea_id
    db.delete(comment)
    _recount_comments(db, idea_id)
    db.commit()
