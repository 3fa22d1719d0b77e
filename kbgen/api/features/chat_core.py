"""Shared by the customer and staff chat endpoints: numbering messages, presence and opening
hours, JSON shapes, the Server-Sent Events loop, transcripts and the fall-back to a ticket.

Realtime without shared memory: every event stream polls the database for messages after the
last sequence number it sent, so a message written by one worker process reaches a stream held
by another within one poll interval."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time as clock
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator, Callable

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...shutdown import server_stopping
from ..db import utcnow
from ..markup import render_markdown
from ..models import Ticket, TicketEvent, TicketMessage, User
from .ticket_core import guest_key, new_ticket_number, ticket_link
from .chat_models import ChatMessage, ChatPresence, ChatSession
from .chat_settings import ChatSettings

POLL_SECONDS = 0.35
KEEPALIVE_SECONDS = 15
STREAM_SECONDS = 300          # then the browser reconnects (with Last-Event-ID): no stream lives forever
ONLINE_WINDOW = timedelta(seconds=45)
TYPING_WINDOW = timedelta(seconds=4)
MESSAGE_MAX = 4000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(chat: ChatSession, token: str | None) -> bool:
    return bool(token) and len(token) < 200 and hmac.compare_digest(chat.token_hash, token_hash(token))


def display_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.name or user.email.split("@")[0]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def append_note(db: Session, state, chat: ChatSession, key: str, **values: str) -> ChatMessage:
    """Add a system note (chat_note_<key> of the i18n strings, as the site words them) in the
    chat's language. A site's rewording with a placeholder the note lacks falls back to the
    bundled words rather than failing the agent's or customer's request."""
    from .notifications import site_text

    return append_message(db, chat, "system", site_text(state.settings, chat.lang, f"chat_note_{key}", **values))


def append_message(db: Session, chat: ChatSession, kind: str, body: str, author: User | None = None,
                   author_name: str = "") -> ChatMessage:
    """Add a message with the chat's next sequence number (caller commits). The UPDATE takes the
    chat row's write lock, so concurrent senders queue and their numbers commit in order."""
    now = utcnow()
    db.execute(update(ChatSession).where(ChatSession.id == chat.id)
               .values(last_seq=ChatSession.last_seq + 1, updated_at=now).execution_options(synchronize_session=False))
    seq = db.scalar(select(ChatSession.last_seq).where(ChatSession.id == chat.id))
    chat.last_seq = seq
    message = ChatMessage(chat_id=chat.id, seq=seq, author_kind=kind, author_id=author.id if author else None,
                          author_name=author_name or display_name(author), body=body, created_at=now)
    db.add(message)
    db.flush()
    return message


def message_json(message: ChatMessage) -> dict:
    return {"seq": message.seq, "id": message.id, "kind": message.author_kind, "author_name": message.author_name,
            "body": message.body, "body_html": render_markdown(message.body), "created_at": iso(message.created_at)}


def messages_after(db: Session, chat_id: str, after: int, limit: int = 500) -> list[ChatMessage]:
    return list(db.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat_id, ChatMessage.seq > after)
                           .order_by(ChatMessage.seq).limit(limit)))


def transcripts(db: Session, chats, limit: int = 500) -> dict[str, list[ChatMessage]]:
    """messages_after(db, chat.id, 0) for each of `chats`, in one query instead of one per chat
    (the history pages list up to 100 chats)."""
    ids = [chat.id for chat in chats]
    if not ids:
        return {}
    position = func.row_number().over(partition_by=ChatMessage.chat_id, order_by=ChatMessage.seq).label("position")
    numbered = select(ChatMessage.id, position).where(ChatMessage.chat_id.in_(ids), ChatMessage.seq > 0).subquery()
    found: dict[str, list[ChatMessage]] = {chat_id: [] for chat_id in ids}
    for message in db.scalars(select(ChatMessage).join(numbered, numbered.c.id == ChatMessage.id)
                              .where(numbered.c.position <= limit).order_by(ChatMessage.seq)):
        found[message.chat_id].append(message)
    return found


def online_staff(db: Session) -> list[User]:
    since = utcnow() - ONLINE_WINDOW
    return list(db.scalars(select(User).join(ChatPresence, ChatPresence.user_id == User.id)
                           .where(ChatPresence.status == "online", ChatPresence.last_seen > since,
                                  User.disabled.is_(False), User.role.in_(("agent", "admin")))
                           .order_by(User.email)))


def availability(db: Session, chat_config: ChatSettings) -> dict:
    is_open = chat_config.is_open(utcnow())
    online = bool(online_staff(db)) if is_open else False
    return {"open": is_open, "online": online, "available": chat_config.enabled and is_open and online}


def chat_state(db: Session, chat: ChatSession, chat_config: ChatSettings, *, staff: bool) -> dict:
    now = utcnow()
    owner = db.get(User, chat.owner_id) if chat.owner_id else None
    waited = int((now - chat.waiting_since).total_seconds())
    state = {
        "id": chat.id, "status": chat.status, "department": chat.department, "last_seq": chat.last_seq,
        "agent_name": display_name(owner) if chat.status == "active" else "",
        "staff_typing": bool(chat.status == "active" and chat.staff_typing_until and chat.staff_typing_until > now),
        "waited_seconds": waited if chat.status == "waiting" else 0,
        "unanswered": chat.status == "waiting" and waited >= chat_config.unanswered_after_seconds,
        "ticket_id": chat.ticket_id,
    }
    if staff:
        state |= {"customer_typing": bool(chat.customer_typing_until and chat.customer_typing_until > now),
                  "owner_id": chat.owner_id, "name": chat.name, "email": chat.email, "lang": chat.lang,
                  "page": chat.page, "customer_id": chat.customer_id, "created_at": iso(chat.created_at),
                  "satisfaction": chat_rating(db, chat)}
    return state


def chat_rating(db: Session, chat: ChatSession) -> dict | None:
    """The customer's rating of an ended chat, for staff."""
    from .satisfaction_models import ChatSatisfaction
    row = db.get(ChatSatisfaction, chat.id) if chat.status == "closed" else None
    return {"rating": row.rating, "comment": row.comment} if row else None


@contextmanager
def read_only_session(state):
    """A session for the stream's polls. Autocommit: each poll is its own statement, and on SQLite
    it does not take the write lock that the API's normal transactions take (BEGIN IMMEDIATE)."""
    engine = state.sessions.kw["bind"]
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        with Session(bind=connection) as session:
            yield session


def _sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def event_stream(request, state, chat_id: str, after: int, chat_config: Callable[[], ChatSettings], *,
                       staff: bool) -> AsyncIterator[str]:
    """`message` events (id = sequence number, so EventSource's Last-Event-ID resumes exactly)
    and `state` events (status, agent, typing) whenever they change."""
    def poll(sent: int):
        with read_only_session(state) as db:
            chat = db.get(ChatSession, chat_id)
            if chat is None:
                return None, []
            return chat_state(db, chat, chat_config(), staff=staff), [message_json(m) for m in messages_after(db, chat_id, sent)]

    yield "retry: 1000\n\n"
    sent, last_state = after, None
    started = last_write = clock.monotonic()
    while True:
        if await request.is_disconnected() or server_stopping():
            return
        snapshot, messages = await run_in_threadpool(poll, sent)
        if snapshot is None:
            yield _sse("gone", {"id": chat_id})
            return
        snapshot.pop("waited_seconds", None)   # ticks every second; the page counts it itself
        if snapshot != last_state:
            last_state = snapshot
            yield _sse("state", snapshot)
            last_write = clock.monotonic()
        for message in messages:
            sent = message["seq"]
            yield _sse("message", message, sent)
            last_write = clock.monotonic()
        if clock.monotonic() - last_write > KEEPALIVE_SECONDS:
            # an event rather than a comment, so the page can tell a quiet stream from a stalled one
            yield "event: ping\ndata: {}\n\n"
            last_write = clock.monotonic()
        if clock.monotonic() - started > STREAM_SECONDS:
            return
        await asyncio.sleep(POLL_SECONDS)


def transcript_text(db: Session, chat: ChatSession, support: str = "Support", you: str = "You") -> str:
    lines = []
    for message in messages_after(db, chat.id, 0, limit=5000):
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        who = message.author_name or (support if message.author_kind != "customer" else (chat.name or you))
        lines.append(f"[{stamp}] {who}: {message.body}")
    return "\n".join(lines)


def create_ticket(db: Session, state, *, subject: str, body: str, department: str, email: str, name: str,
                  lang: str, customer_id: str | None) -> tuple[Ticket, str]:
    """A ticket in the same shape the ticket form makes (caller commits); returns it and its guest key."""
    ticket = Ticket(number=new_ticket_number(), subject=subject[:200], department=department, status="new",
                    customer_id=customer_id, email=email, name=name[:120], lang=lang, fields_json="{}",
                    guest_key_hash="")
    db.add(ticket)
    db.flush()
    key = guest_key(state.settings, ticket.id)
    ticket.guest_key_hash = hashlib.sha256(key.encode()).hexdigest()
    db.add(TicketMessage(ticket_id=ticket.id, author_id=customer_id, author_kind="customer", body=body))
    db.add(TicketEvent(ticket_id=ticket.id, from_status=None, to_status="new"))
    db.flush()
    return ticket, key


def notify_ticket_created(state, ticket: Ticket, key: str, db=None) -> None:
    link = ticket_link(state.settings, ticket, None if ticket.customer_id else key)
    from . import notifications

    notifications.send(state, ticket.email, ticket.lang, "received", db=db, number=ticket.number, subject=ticket.subject, link=link)
    if db is not None:
        notifications.tell_staff(db, state, "staff_new_ticket", number=ticket.number, subject=ticket.subject,
                                 customer=ticket.name or ticket.email, department=ticket.department,
                                 body=ticket.subject, link=notifications.agent_ticket_url(state.settings, ticket))


def departments_for_chat(state, chat_config: ChatSettings) -> list:
    ticket_departments = state.settings.tickets.departments
    if not chat_config.departments:
        return list(ticket_departments)
    return [d for d in ticket_departments if d.id in chat_config.departments]


def label(labels: dict, lang: str) -> str:
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()))
