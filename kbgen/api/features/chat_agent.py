"""Staff side of live chat (/api/agent/chat/…) and its page (/agent/chat/): presence heartbeats,
the queue of waiting chats, accepting (exactly one agent wins), replying, transferring to a
colleague or department, closing, and the transcripts on a customer's record."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import Field
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..deps import DB, Staff, State, current_user, rate_limit
from ..errors import ApiError, field_error, not_found
from ..idempotency import fingerprint, run_once
from ..models import User
from ..pages import signin_page
from ..schemas import Strict, printable
from . import chat_core as core
from .chat_models import ChatMessage, ChatPresence, ChatSession
from .chat_settings import chat_settings

router = APIRouter(prefix="/agent/chat", tags=["agent chat"])
page_router = APIRouter(include_in_schema=False)
PAGE = Path(__file__).resolve().parent.parent / "agent" / "chat.html"
Seq = Annotated[int, Query(ge=0, le=10**9)]


class Presence(Strict):
    status: Literal["online", "away", "offline"] = "online"


class StaffText(Strict):
    body: str = Field(min_length=1, max_length=core.MESSAGE_MAX)


class Transfer(Strict):
    to_user_id: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=40)


def _chat(db, chat_id: str) -> ChatSession:
    chat = db.get(ChatSession, chat_id) if len(chat_id) <= 32 else None
    if chat is None:
        raise not_found("chat")
    return chat


def _newest_messages(db, chats) -> dict[str, str]:
    """The newest message of each chat (the one numbered last_seq), in one query rather than one
    per chat: the agent page polls the overview every few seconds."""
    ids = [chat.id for chat in chats if chat.last_seq]
    if not ids:
        return {}
    rows = db.execute(select(ChatMessage.chat_id, ChatMessage.body)
                      .join(ChatSession, ChatSession.id == ChatMessage.chat_id)
                      .where(ChatMessage.chat_id.in_(ids), ChatMessage.seq == ChatSession.last_seq))
    return {chat_id: body for chat_id, body in rows}


def _summary(chat: ChatSession, now, newest: dict[str, str]) -> dict:
    return {"id": chat.id, "status": chat.status, "name": chat.name, "email": chat.email, "department": chat.department,
            "owner_id": chat.owner_id, "last_seq": chat.last_seq, "page": chat.page, "lang": chat.lang,
            "waited_seconds": int((now - chat.waiting_since).total_seconds()) if chat.status == "waiting" else 0,
            "preview": newest.get(chat.id, "")[:140],
            "customer_typing": bool(chat.customer_typing_until and chat.customer_typing_until > now)}


@router.post("/presence", summary="Heartbeat of the agent page (every ~15 s); online staff make the chat available")
def heartbeat(body: Presence, db: DB, staff: Staff) -> dict:
    for _attempt in range(3):
        row = db.get(ChatPresence, staff.id)
        if row is None:
            db.add(ChatPresence(user_id=staff.id, status=body.status, last_seen=utcnow()))
        else:
            row.status, row.last_seen = body.status, utcnow()
        try:
            db.commit()
            break
        except IntegrityError:   # two tabs' first heartbeats at once
            db.rollback()
    return {"status": body.status}


@router.get("/overview", summary="Waiting chats (longest wait first), my chats, colleagues online")
def overview(db: DB, state: State, staff: Staff, lang: Annotated[str, Query(max_length=16)] = "en") -> dict:
    now = utcnow()
    config = chat_settings(state.settings)
    open_chats = db.scalars(select(ChatSession).where(ChatSession.status.in_(("waiting", "active")))
                            .order_by(ChatSession.waiting_since)).all()
    newest = _newest_messages(db, open_chats)
    return {
        "me": {"id": staff.id, "name": core.display_name(staff)},
        "online_staff": [{"id": u.id, "name": core.display_name(u)} for u in core.online_staff(db)],
        "departments": [{"id": d.id, "label": core.label(d.labels, lang)} for d in core.departments_for_chat(state, config)],
        "hours": config.hours_json(),          # shown on the agent page as on the customer's chat
        "waiting": [_summary(c, now, newest) for c in open_chats if c.status == "waiting"],
        "mine": [_summary(c, now, newest) for c in open_chats if c.status == "active" and c.owner_id == staff.id],
        "others": [_summary(c, now, newest) for c in open_chats if c.status == "active" and c.owner_id != staff.id],
        "unanswered_after_seconds": config.unanswered_after_seconds,
    } | core.availability(db, config)


@router.post("/chats/{chat_id}/accept", summary="Take a waiting chat. Exactly one of several agents accepting at once wins; the others get 409.")
def accept(chat_id: str, db: DB, state: State, staff: Staff) -> dict:
    chat = _chat(db, chat_id)
    now = utcnow()
    # a conditional UPDATE is atomic on SQLite and PostgreSQL: only one transaction sees status = waiting
    won = db.execute(update(ChatSession).where(ChatSession.id == chat.id, ChatSession.status == "waiting")
                     .values(status="active", owner_id=staff.id, accepted_at=now, updated_at=now)
                     .execution_options(synchronize_session=False)).rowcount
    if not won:
        db.rollback()
        raise ApiError(409, "conflict", "Someone else has already taken this chat, or it has ended.")
    db.refresh(chat)
    core.append_note(db, state, chat, "joined", name=core.display_name(staff))
    db.commit()
    return core.chat_state(db, chat, chat_settings(state.settings), staff=True)


@router.get("/chats/{chat_id}", summary="A chat (any state) with its messages after `after`")
def get_chat(chat_id: str, db: DB, state: State, staff: Staff, after: Seq = 0) -> dict:
    chat = _chat(db, chat_id)
    return {"chat": core.chat_state(db, chat, chat_settings(state.settings), staff=True),
            "messages": [core.message_json(m) for m in core.messages_after(db, chat.id, after)]}


@router.get("/chats/{chat_id}/events", response_class=StreamingResponse,
            summary="Server-Sent Events of one chat for staff (messages, customer typing, state)")
def chat_events(chat_id: str, request: Request, db: DB, state: State, staff: Staff, after: Seq = 0):
    chat = _chat(db, chat_id)
    header = request.headers.get("last-event-id", "")
    resume = max(after, int(header) if header.isdigit() and len(header) < 10 else 0)
    db.close()
    stream = core.event_stream(request, state, chat.id, resume, lambda: chat_settings(state.settings), staff=True)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _owned(chat: ChatSession, staff: User) -> None:
    if chat.status != "active" or chat.owner_id != staff.id:
        raise ApiError(409, "not_owner", "Accept this chat first (or it belongs to a colleague, or it has ended).")


@router.post("/chats/{chat_id}/messages", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Reply in a chat you own (send an Idempotency-Key)")
def reply(chat_id: str, body: StaffText, request: Request, db: DB, staff: Staff):
    chat = _chat(db, chat_id)
    text = printable(body.body.strip(), "body")
    if not text:
        raise field_error("body", "is required")

    def create():
        _owned(chat, staff)
        chat.staff_typing_until = None
        return 201, core.message_json(core.append_message(db, chat, "agent", text, author=staff))

    return run_once(db, request, f"chat.reply:{chat.id}", fingerprint(staff.id, text), create)


@router.post("/chats/{chat_id}/typing", status_code=204, summary="The agent is typing")
def staff_typing(chat_id: str, db: DB, staff: Staff) -> None:
    chat = _chat(db, chat_id)
    if chat.status == "active" and chat.owner_id == staff.id:
        chat.staff_typing_until = utcnow() + core.TYPING_WINDOW
        db.commit()


@router.post("/chats/{chat_id}/transfer", summary="Hand the chat to a colleague, or back to a department's queue")
def transfer(chat_id: str, body: Transfer, db: DB, state: State, staff: Staff) -> dict:
    chat = _chat(db, chat_id)
    if chat.status not in ("waiting", "active"):
        raise ApiError(409, "conflict", "This chat has ended.")
    if chat.status == "active" and chat.owner_id != staff.id and staff.role != "admin":
        raise ApiError(409, "not_owner", "Only the agent in this chat (or an admin) can transfer it.")
    if bool(body.to_user_id) == bool(body.department):
        raise field_error("to_user_id", "give either a colleague (to_user_id) or a department")
    config = chat_settings(state.settings)
    now = utcnow()
    if body.to_user_id:
        colleague = db.get(User, body.to_user_id)
        if colleague is None or not colleague.is_staff:
            raise field_error("to_user_id", "is not a staff account")
        chat.status, chat.owner_id, chat.accepted_at = "active", colleague.id, now
        note = ("transferred_to_agent", {"name": core.display_name(staff), "colleague": core.display_name(colleague)})
    else:
        departments = {d.id: d for d in core.departments_for_chat(state, config)}
        if body.department not in departments:
            raise field_error("department", "is not a chat department")
        chat.status, chat.owner_id, chat.department, chat.waiting_since = "waiting", None, body.department, now
        note = ("transferred_to_department", {"department": core.label(departments[body.department].labels, chat.lang)})
    chat.staff_typing_until = None
    core.append_note(db, state, chat, note[0], **note[1])
    db.commit()
    return core.chat_state(db, chat, config, staff=True)


@router.post("/chats/{chat_id}/close", summary="End the chat")
def close(chat_id: str, db: DB, state: State, staff: Staff) -> dict:
    chat = _chat(db, chat_id)
    if chat.status == "active" and chat.owner_id != staff.id and staff.role != "admin":
        raise ApiError(409, "not_owner", "Only the agent in this chat (or an admin) can close it.")
    if chat.status in ("waiting", "active"):
        core.append_note(db, state, chat, "agent_ended", name=core.display_name(staff))
        chat.status, chat.closed_at, chat.staff_typing_until = "closed", utcnow(), None
        db.commit()
    return core.chat_state(db, chat, chat_settings(state.settings), staff=True)


@router.get("/history", summary="Past chats of a customer (by account id or email), with transcripts")
def history(db: DB, state: State, staff: Staff,
            customer_id: Annotated[str | None, Query(max_length=32)] = None,
            email: Annotated[str | None, Query(max_length=254)] = None,
            limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    if not customer_id and not email:
        raise field_error("customer_id", "give customer_id or email")
    conditions = []
    if customer_id:
        conditions.append(ChatSession.customer_id == customer_id)
    if email:
        conditions.append(ChatSession.email == email.strip().lower())
    chats = db.scalars(select(ChatSession).where(or_(*conditions)).order_by(ChatSession.created_at.desc()).limit(limit)).all()
    config = chat_settings(state.settings)
    messages = core.transcripts(db, chats)
    return {"chats": [core.chat_state(db, c, config, staff=True)
                      | {"messages": [core.message_json(m) for m in messages[c.id]]} for c in chats]}


@page_router.get("/agent/chat")
def chat_page_redirect() -> RedirectResponse:
    return RedirectResponse("/agent/chat/", status_code=308)


@page_router.get("/agent/chat/")
def chat_page(request: Request, user=Depends(current_user)) -> Response:
    if user is None or not user.is_staff:
        return signin_page(request, 401 if user is None else 403)
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
