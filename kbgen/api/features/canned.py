"""Canned replies for staff (/api/agent/canned-replies): list, add, change, delete. The agent page
inserts one into a reply with {customer_name}, {ticket_number}, {agent_name} filled in."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from ..db import utcnow
from ..deps import DB, Staff
from ..errors import field_error, not_found
from ..schemas import Strict
from .ticket_core import iso
from .canned_models import CannedReply

router = APIRouter(prefix="/agent/canned-replies", tags=["agent"])


class CannedBody(Strict):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=20000)


def _json(reply: CannedReply) -> dict:
    return {"id": reply.id, "title": reply.title, "body": reply.body, "updated_at": iso(reply.updated_at)}


def _load(db, reply_id: str) -> CannedReply:
    reply = db.get(CannedReply, reply_id) if len(reply_id) <= 32 else None
    if reply is None:
        raise not_found("canned reply")
    return reply


def _clean(body: CannedBody) -> tuple[str, str]:
    title, text = body.title.strip(), body.body.strip()
    if not title:
        raise field_error("title", "is required")
    if not text:
        raise field_error("body", "is required")
    return title, text


@router.get("", summary="All canned replies, by title")
def list_replies(db: DB, staff: Staff) -> dict:
    return {"replies": [_json(r) for r in db.scalars(select(CannedReply).order_by(CannedReply.title, CannedReply.id))]}


@router.post("", status_code=201, summary="Add a canned reply")
def add_reply(body: CannedBody, db: DB, staff: Staff) -> dict:
    title, text = _clean(body)
    reply = CannedReply(title=title, body=text, created_by=staff.id)
    db.add(reply)
    db.commit()
    return _json(reply)


@router.put("/{reply_id}", summary="Change a canned reply")
def change_reply(reply_id: str, body: CannedBody, db: DB, staff: Staff) -> dict:
    reply = _load(db, reply_id)
    reply.title, reply.body = _clean(body)
    reply.updated_at = utcnow()
    db.commit()
    return _json(reply)


@router.delete("/{reply_id}", status_code=204, summary="Delete a canned reply")
def delete_reply(reply_id: str, db: DB, staff: Staff) -> None:
    db.delete(_load(db, reply_id))
    db.commit()
