"""Customer side of live chat (/api/chat/…): the button's config, starting a chat (guest or signed
in), the realtime stream, sending, typing, ending, the transcript by email, and the fall-backs to
a ticket when nobody is there. A guest proves a chat is theirs with the secret token they got
when starting it; a signed-in customer may also use their session."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy import select

from ..db import utcnow
from ..deps import DB, OptionalUser, SignedIn, State, rate_limit
from ..errors import ApiError, field_error, not_found, user_error
from ..idempotency import fingerprint, run_once
from ..schemas import Email, LangCode, ShortText, Strict, printable
from . import chat_core as core
from .chat_models import ChatSession
from .chat_settings import chat_settings

router = APIRouter(prefix="/chat", tags=["chat"])
ChatToken = Annotated[str | None, Header(alias="X-Chat-Token", max_length=200, description="the guest's secret chat token")]
Seq = Annotated[int, Query(ge=0, le=10**9, description="only messages with a higher sequence number")]


class StartChat(Strict):
    name: ShortText | None = None
    email: Email | None = None
    department: str | None = Field(default=None, max_length=40)
    lang: LangCode = "en"
    page: str | None = Field(default=None, max_length=300, description="the page the chat was started from")


class ChatText(Strict):
    body: str = Field(min_length=1, max_length=core.MESSAGE_MAX)


class LeaveMessage(Strict):
    name: ShortText | None = None
    email: Email | None = None
    department: str | None = Field(default=None, max_length=40)
    body: str = Field(min_length=1, max_length=20000)
    lang: LangCode = "en"
    page: str | None = Field(default=None, max_length=300)


class ChatToTicket(Strict):
    email: Email | None = None
    body: str | None = Field(default=None, max_length=20000, description="anything to add to the transcript")


def _department(state, chat_config, requested: str | None) -> str:
    choices = core.departments_for_chat(state, chat_config)
    if requested:
        if requested not in {d.id for d in choices}:
            raise field_error("department", "choose one of the listed departments")
        return requested
    return choices[0].id


def load_chat(db, chat_id: str, token: str | None, user) -> ChatSession:
    """The chat if the caller holds its token or is its signed-in customer; else 404."""
    chat = db.get(ChatSession, chat_id) if len(chat_id) <= 32 else None
    if chat is None:
        raise not_found("chat")
    if core.token_matches(chat, token) or (user is not None and chat.customer_id and chat.customer_id == user.id):
        return chat
    raise not_found("chat")


@router.get("/config", summary="The chat button: look, welcome text, pre-chat fields and whether anyone is there")
def chat_config(db: DB, state: State, user: OptionalUser, lang: Annotated[str, Query(max_length=16)] = "en") -> dict:
    config = chat_settings(state.settings)
    departments = core.departments_for_chat(state, config)
    return {
        "enabled": config.enabled, "position": config.position, "accent": config.accent,
        "welcome": config.welcome_for(lang),
        "prechat_fields": [] if user is not None else list(config.prechat_fields),
        "departments": [{"id": d.id, "label": core.label(d.labels, lang)} for d in departments],
        "unanswered_after_seconds": config.unanswered_after_seconds,
        "signed_in": user is not None, "user_name": core.display_name(user),
        "hours": config.hours_json(),
    } | core.availability(db, config)


@router.post("/chats", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Start a chat. Guests give the configured pre-chat fields. Keep the returned token secret.")
def start_chat(body: StartChat, request: Request, db: DB, state: State, user: OptionalUser):
    config = chat_settings(state.settings)
    if not config.enabled:
        raise user_error(409, "chat_unavailable", "chat_switched_off")
    if not core.availability(db, config)["available"]:
        raise user_error(409, "chat_unavailable", "chat_nobody_available")
    if user is not None:
        name, email = core.display_name(user), user.email
    else:
        name, email = (body.name or "").strip(), body.email or ""
        problems = [{"field": f, "reason": "is required"} for f, v in (("name", name), ("email", email))
                    if f in config.prechat_fields and not v]
        if problems:
            raise ApiError(422, "validation_failed", "; ".join(f"{p['field']}: is required" for p in problems), problems)
    department = _department(state, config, body.department)
    lang = body.lang if body.lang in state.settings.languages else state.settings.languages[0]

    def create():
        token = secrets.token_urlsafe(32)
        chat = ChatSession(customer_id=user.id if user else None, name=name, email=email, lang=lang,
                           department=department, page=body.page or "", token_hash=core.token_hash(token),
                           status="waiting")
        db.add(chat)
        db.flush()
        welcome = core.append_message(db, chat, "system", config.welcome_for(lang))
        from . import notifications
        notifications.tell_staff(db, state, "staff_chat_waiting", customer=name or email or "—",
                                 department=next((dict(d.labels) for d in core.departments_for_chat(state, config)
                                                  if d.id == department), department),
                                 link=f"{state.settings.public_url}/agent/chat/#chat={chat.id}")   # opens that chat
        return 201, {"id": chat.id, "token": token, "status": chat.status, "welcome": core.message_json(welcome)}

    return run_once(db, request, "chat.start", fingerprint(user.id if user else email, body.model_dump()), create)


@router.get("/chats/{chat_id}", summary="A chat's state and its messages after `after`")
def get_chat(chat_id: str, db: DB, state: State, user: OptionalUser, x_chat_token: ChatToken = None,
             after: Seq = 0) -> dict:
    chat = load_chat(db, chat_id, x_chat_token, user)
    return {"chat": core.chat_state(db, chat, chat_settings(state.settings), staff=False),
            "messages": [core.message_json(m) for m in core.messages_after(db, chat.id, after)]}


STREAM_COOKIE = "kb_chat_stream"


@router.post("/chats/{chat_id}/stream-access", status_code=204,
             summary="Lets this browser open the chat's event stream: sets an HttpOnly cookie valid only for that stream")
def stream_access(chat_id: str, request: Request, response: Response, db: DB, state: State, user: OptionalUser,
                  x_chat_token: ChatToken = None) -> None:
    # EventSource cannot send headers; a cookie keeps the secret token out of URLs (and access logs)
    load_chat(db, chat_id, x_chat_token, user)
    if x_chat_token:
        events_path = request.url.path.removesuffix("/stream-access") + "/events"
        response.set_cookie(STREAM_COOKIE, x_chat_token, httponly=True, samesite="lax", path=events_path,
                            secure=state.settings.cookie_secure, max_age=7 * 24 * 3600)


@router.get("/chats/{chat_id}/events", summary="Server-Sent Events: `message` (id = sequence number) and `state`",
            response_class=StreamingResponse)
def chat_events(chat_id: str, request: Request, state: State, db: DB, user: OptionalUser,
                token: Annotated[str | None, Query(max_length=200, description="the chat token; better: POST …/stream-access first")] = None,
                after: Seq = 0, last_event_id: Annotated[str | None, Header(max_length=20)] = None):
    chat = load_chat(db, chat_id, token or request.cookies.get(STREAM_COOKIE), user)
    resume = max(after, int(last_event_id) if last_event_id and last_event_id.isdigit() else 0)
    db.close()   # the stream polls with its own short sessions; do not hold this one for minutes
    stream = core.event_stream(request, state, chat.id, resume, lambda: chat_settings(state.settings), staff=False)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/chats/{chat_id}/messages", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Send a message. Send an Idempotency-Key so a resend after a lost connection is not doubled.")
def send_message(chat_id: str, body: ChatText, request: Request, db: DB, user: OptionalUser,
                 x_chat_token: ChatToken = None):
    chat = load_chat(db, chat_id, x_chat_token, user)
    text = printable(body.body.strip(), "body")
    if not text:
        raise field_error("body", "is required")

    def create():
        if chat.status not in ("waiting", "active"):
            raise user_error(409, "chat_closed", "chat_ended")
        chat.customer_typing_until = None
        message = core.append_message(db, chat, "customer", text, author_name=chat.name or "")
        return 201, core.message_json(message)

    return run_once(db, request, f"chat.message:{chat.id}", fingerprint(text), create)


@router.post("/chats/{chat_id}/typing", status_code=204, summary="The customer is typing (send every few seconds while typing)")
def customer_typing(chat_id: str, db: DB, user: OptionalUser, x_chat_token: ChatToken = None) -> None:
    chat = load_chat(db, chat_id, x_chat_token, user)
    if chat.status in ("waiting", "active"):
        chat.customer_typing_until = utcnow() + core.TYPING_WINDOW
        db.commit()


@router.post("/chats/{chat_id}/close", summary="The customer ends the chat")
def customer_close(chat_id: str, db: DB, state: State, user: OptionalUser, x_chat_token: ChatToken = None) -> dict:
    chat = load_chat(db, chat_id, x_chat_token, user)
    if chat.status in ("waiting", "active"):
        core.append_note(db, state, chat, "customer_ended")
        chat.status, chat.closed_at = "closed", utcnow()
        db.commit()
    return core.chat_state(db, chat, chat_settings(state.settings), staff=False)


@router.post("/chats/{chat_id}/transcript", dependencies=[Depends(rate_limit("submission"))],
             summary="Email the transcript to the chat's address")
def email_transcript(chat_id: str, db: DB, state: State, user: OptionalUser, x_chat_token: ChatToken = None) -> dict:
    chat = load_chat(db, chat_id, x_chat_token, user)
    if not chat.email:
        raise field_error("email", "this chat has no email address")
    from . import notifications

    words = notifications.mail_strings(state.settings, chat.lang)
    notifications.send(state, chat.email, chat.lang, "transcript", db=db, transcript=core.transcript_text(
        db, chat, support=words.get("mail_transcript_support", "Support"), you=words.get("mail_transcript_you", "You")))
    db.commit()
    return {"sent_to": chat.email}


@router.post("/chats/{chat_id}/ticket", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Nobody answered: turn the waiting chat into a ticket answered by email")
def chat_to_ticket(chat_id: str, body: ChatToTicket, request: Request, db: DB, state: State, user: OptionalUser,
                   x_chat_token: ChatToken = None):
    chat = load_chat(db, chat_id, x_chat_token, user)
    email = chat.email or body.email
    if not email:
        raise field_error("email", "is required so that we can answer you")
    extra = printable((body.body or "").strip(), "body")

    def create():
        if chat.status != "waiting" or chat.ticket_id:
            raise ApiError(409, "conflict", "This chat is no longer waiting.")
        transcript = core.transcript_text(db, chat)
        text = f"{extra}\n\n---\nChat transcript:\n{transcript}" if extra else f"Chat transcript:\n{transcript}"
        first = next((line for line in (extra, *[m.body for m in core.messages_after(db, chat.id, 1)]) if line), "")
        ticket, key = core.create_ticket(db, state, subject=f"Chat: {first[:80] or 'message'}", body=text,
                                         department=chat.department, email=email, name=chat.name, lang=chat.lang,
                                         customer_id=chat.customer_id)
        chat.email, chat.ticket_id = email, ticket.id
        chat.status, chat.closed_at = "missed", utcnow()
        core.append_note(db, state, chat, "saved_as_ticket", number=ticket.number)
        core.notify_ticket_created(state, ticket, key, db=db)   # queued in this transaction
        return 201, {"ticket_id": ticket.id, "number": ticket.number, "guest_key": key}

    return run_once(db, request, f"chat.ticket:{chat.id}", fingerprint(email, extra), create)


@router.post("/leave-message", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Outside opening hours or with nobody online: leave a message, which becomes a ticket")
def leave_message(body: LeaveMessage, request: Request, db: DB, state: State, user: OptionalUser):
    config = chat_settings(state.settings)
    if user is not None:
        name, email = core.display_name(user), user.email
    else:
        name, email = (body.name or "").strip(), body.email
        if not email:
            raise field_error("email", "is required so that we can answer you")
    text = printable(body.body.strip(), "body")
    if not text:
        raise field_error("body", "is required")
    department = _department(state, config, body.department)
    lang = body.lang if body.lang in state.settings.languages else state.settings.languages[0]

    def create():
        page = f"\n\n(sent from {body.page})" if body.page else ""
        ticket, key = core.create_ticket(db, state, subject=f"Message: {text.splitlines()[0][:80]}", body=text + page,
                                         department=department, email=email, name=name, lang=lang,
                                         customer_id=user.id if user else None)
        core.notify_ticket_created(state, ticket, key, db=db)   # queued in this transaction
        return 201, {"ticket_id": ticket.id, "number": ticket.number, "guest_key": key}

    return run_once(db, request, "chat.leave_message", fingerprint(user.id if user else email, body.model_dump()), create)


@router.get("/history", summary="The signed-in customer's past chats with their transcripts")
def my_chats(db: DB, state: State, user: SignedIn, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    chats = db.scalars(select(ChatSession).where(ChatSession.customer_id == user.id)
                       .order_by(ChatSession.created_at.desc()).limit(limit)).all()
    config = chat_settings(state.settings)
    messages = core.transcripts(db, chats)
    return {"chats": [core.chat_state(db, c, config, staff=False) | {"created_at": core.iso(c.created_at),
                                                                       "messages": [core.message_json(m) for m in messages[c.id]]}
                      for c in chats]}

