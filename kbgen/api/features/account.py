"""The signed-in customer's own account and tickets: change name or password, close a ticket,
rate the support of a solved ticket or an ended chat (good/bad + comment); staff see satisfaction
per agent and department, tickets and chats together (/api/agent/reports/satisfaction)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from ..auth import invalidate_reset_links
from ..db import utcnow
from ..deps import DB, OptionalUser, SignedIn, Staff, State, rate_limit
from ..errors import field_error, user_error
from ..models import AuthSession, User
from ..schemas import Password, ShortText, Strict, user_json
from ..security import SESSION_COOKIE, hash_password, token_hash, verify_password
from .chat import ChatToken, load_chat
from .ticket_core import change_status, ticket_summary
from .satisfaction_models import ChatSatisfaction, TicketSatisfaction
from .tickets import TicketKey, load_visible_ticket

router = APIRouter(tags=["account"])


class ProfileChange(Strict):
    name: ShortText


class PasswordChange(Strict):
    current_password: str = Field(max_length=256)
    new_password: Password


class Satisfaction(Strict):
    rating: Literal["good", "bad"]
    comment: str = Field(default="", max_length=2000)


@router.patch("/account", summary="Change your name")
def change_profile(body: ProfileChange, db: DB, user: SignedIn) -> dict:
    me = db.get(User, user.id)
    me.name = body.name
    db.commit()
    return {"user": user_json(me)}


@router.post("/account/password", dependencies=[Depends(rate_limit("signin"))],
             summary="Change your password (your other browsers are signed out)")
def change_password(body: PasswordChange, request: Request, db: DB, user: SignedIn) -> dict:
    me = db.get(User, user.id)
    if not verify_password(me.password_hash, body.current_password):
        raise field_error("current_password", "is not your current password")
    me.password_hash = hash_password(body.new_password)
    invalidate_reset_links(db, me.id)
    # other browsers signed in with the old password are signed out; this one stays
    current = request.cookies.get(SESSION_COOKIE)
    sessions = delete(AuthSession).where(AuthSession.user_id == me.id)
    if current:
        sessions = sessions.where(AuthSession.token_hash != token_hash(current))
    db.execute(sessions)
    db.commit()
    return {"user": user_json(me)}


@router.post("/tickets/{ticket_id}/close", summary="The customer closes their own ticket")
def close_ticket(ticket_id: str, db: DB, state: State, user: OptionalUser, x_ticket_key: TicketKey = None) -> dict:
    ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
    if user is not None and user.is_staff and ticket.customer_id != user.id:
        raise user_error(403, "forbidden", "staff_close_on_agent_page")
    change_status(db, ticket, "closed", user)
    db.commit()
    return ticket_summary(ticket)


def _save_rating(db: Session, row: TicketSatisfaction | ChatSatisfaction, body: Satisfaction, agent_id: str | None,
                 department: str) -> dict:
    """Stores a new or changed rating with the agent and department as they are now, for the reports."""
    row.rating, row.comment = body.rating, body.comment.strip()
    row.agent_id, row.department, row.updated_at = agent_id, department, utcnow()
    db.add(row)
    db.commit()
    return {"rating": row.rating, "comment": row.comment}


@router.put("/tickets/{ticket_id}/satisfaction", summary="Rate the support of a solved or closed ticket (rating again changes it)")
def rate_ticket(ticket_id: str, body: Satisfaction, db: DB, state: State, user: OptionalUser,
                x_ticket_key: TicketKey = None) -> dict:
    ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
    if user is not None and user.is_staff and ticket.customer_id != user.id:
        raise user_error(403, "forbidden", "only_the_customer_rates")
    if ticket.status not in ("solved", "closed"):
        raise user_error(409, "conflict", "rate_when_solved")
    row = db.get(TicketSatisfaction, ticket.id) or TicketSatisfaction(ticket_id=ticket.id)
    return _save_rating(db, row, body, ticket.assignee_id, ticket.department)


@router.get("/tickets/{ticket_id}/satisfaction", summary="Your rating of a ticket, if any")
def my_rating(ticket_id: str, db: DB, state: State, user: OptionalUser, x_ticket_key: TicketKey = None) -> dict:
    ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
    row = db.get(TicketSatisfaction, ticket.id)
    return {"rating": row.rating if row else None, "comment": row.comment if row else ""}


@router.put("/chat/chats/{chat_id}/satisfaction", tags=["chat"], dependencies=[Depends(rate_limit("rating"))],
            summary="Rate an ended chat (its token or the signed-in customer; rating again changes it)")
def rate_chat(chat_id: str, body: Satisfaction, db: DB, user: OptionalUser, x_chat_token: ChatToken = None) -> dict:
    chat = load_chat(db, chat_id, x_chat_token, user)    # only its customer: staff have no token and own no chat
    if chat.status != "closed" or chat.owner_id is None:
        raise user_error(409, "conflict", "rate_chat_when_ended")
    row = db.get(ChatSatisfaction, chat.id) or ChatSatisfaction(chat_id=chat.id)
    return _save_rating(db, row, body, chat.owner_id, chat.department)


@router.get("/chat/chats/{chat_id}/satisfaction", tags=["chat"], summary="Your rating of a chat, if any")
def my_chat_rating(chat_id: str, db: DB, user: OptionalUser, x_chat_token: ChatToken = None) -> dict:
    chat = load_chat(db, chat_id, x_chat_token, user)
    row = db.get(ChatSatisfaction, chat.id)
    return {"rating": row.rating if row else None, "comment": row.comment if row else "",
            "can_rate": chat.status == "closed" and chat.owner_id is not None}


@router.get("/agent/reports/satisfaction", tags=["agent"],
            summary="Satisfaction per agent and per department (tickets and chats together, and each apart)")
def satisfaction_report(db: DB, staff: Staff) -> dict:
    def counts(model, column) -> dict[str, list[int]]:
        good = func.sum(case((model.rating == "good", 1), else_=0))
        bad = func.sum(case((model.rating == "bad", 1), else_=0))
        return {key or "": [int(g or 0), int(b or 0)] for key, g, b in db.execute(select(column, good, bad).group_by(column))}

    def rows(ticket_counts: dict, chat_counts: dict) -> list[dict]:
        result = []
        for key in sorted(set(ticket_counts) | set(chat_counts)):
            tg, tb = ticket_counts.get(key, [0, 0])
            cg, cb = chat_counts.get(key, [0, 0])
            g, b = tg + cg, tb + cb
            result.append({"key": key, "good": g, "bad": b, "score": round(100 * g / (g + b)) if g + b else None,
                           "tickets": {"good": tg, "bad": tb}, "chats": {"good": cg, "bad": cb}})
        return result

    agents = rows(counts(TicketSatisfaction, TicketSatisfaction.agent_id), counts(ChatSatisfaction, ChatSatisfaction.agent_id))
    names = {u.id: (u.name or u.email) for u in db.scalars(select(User).where(User.id.in_([a["key"] for a in agents if a["key"]])))}
    for row in agents:
        row["name"] = names.get(row["key"], "—")
    departments = rows(counts(TicketSatisfaction, TicketSatisfaction.department), counts(ChatSatisfaction, ChatSatisfaction.department))
    comments = [{"kind": kind, "rating": r.rating, "comment": r.comment, "department": r.department, "updated_at": r.updated_at}
                for kind, model in (("ticket", TicketSatisfaction), ("chat", ChatSatisfaction))
                for r in db.scalars(select(model).where(model.comment != "").order_by(model.updated_at.desc()).limit(20))]
    comments.sort(key=lambda c: c.pop("updated_at"), reverse=True)
    return {"agents": agents, "departments": departments, "comments": comments[:20]}
