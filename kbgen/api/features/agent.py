"""Staff side of tickets (/api/agent/…): inbox with filters, assign, reply, change status,
internal notes. Every endpoint needs an agent or admin session."""
from __future__ import annotations

from typing import Annotated, Literal

import hashlib
from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from sqlalchemy import and_, false, func, or_, select

from ..db import escape_like, utcnow
from ..deps import DB, Staff, State, rate_limit
from ..errors import field_error, not_found
from ..idempotency import fingerprint, run_once
from ..models import STAFF_ROLES, StoredFile, Ticket, TicketMessage, User
from ..settings import TICKET_PRIORITIES
from ..schemas import Strict
from . import notifications
from .ticket_core import (STATUS_FLOW, FieldErrors, SavedFiles, Upload, change_status, clean_text, download_response,
                          guest_key, iso, read_form, read_uploads, store_uploads, ticket_detail, ticket_link, ticket_summary)

router = APIRouter(prefix="/agent", tags=["agent"])
Status = Literal["new", "open", "waiting", "solved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
OPEN_STATUSES = ("new", "open", "waiting")      # the SLA clock runs until a ticket is solved


class TicketChange(Strict):
    status: Status | None = None
    assignee_id: str | None = Field(default=None, max_length=32, description='a staff user id, or "" to unassign')
    department: str | None = Field(default=None, max_length=40)
    priority: Priority | None = None


class AgentReply(Strict):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = False
    status: Status | None = Field(default=None, description='status after a public reply (default "waiting")')


def _staff_ticket(db, ticket_id: str) -> Ticket:
    ticket = db.get(Ticket, ticket_id) if len(ticket_id) <= 32 else None
    if ticket is None:
        raise not_found("ticket")
    return ticket


def _file_url(ticket):
    return lambda stored: f"/api/agent/tickets/{ticket.id}/files/{stored.id}"


def due_at(settings, ticket: Ticket):
    """When the ticket should be solved by, from the SLA target of its priority and department
    ([tickets.sla] in kbgen.toml); None without a target."""
    hours = settings.tickets.sla_hours(ticket.department, ticket.priority or "normal")
    return ticket.created_at + timedelta(hours=hours) if hours is not None else None


def sla_json(settings, ticket: Ticket, now) -> dict:
    due = due_at(settings, ticket)
    labels = {d.id: d.labels for d in settings.tickets.departments}.get(ticket.department, {})
    return {"priority": ticket.priority or "normal", "due_at": iso(due),
            "overdue": bool(due and ticket.status in OPEN_STATUSES and due < now),
            "department_labels": labels}


def _overdue_clause(settings, now):
    """Open tickets past their due time, as SQL: one branch per department/priority target."""
    sla = settings.tickets.sla
    branches = []
    departments = [d.id for d in settings.tickets.departments]
    for priority in TICKET_PRIORITIES:
        for department in departments:
            hours = settings.tickets.sla_hours(department, priority)
            if hours is not None:
                branches.append(and_(Ticket.department == department, Ticket.priority == priority,
                                     Ticket.created_at < now - timedelta(hours=hours)))
        fallback = sla.get("", {}).get(priority)
        if fallback is not None:   # tickets of a department no longer configured
            branches.append(and_(Ticket.department.not_in(departments), Ticket.priority == priority,
                                 Ticket.created_at < now - timedelta(hours=fallback)))
    return and_(Ticket.status.in_(OPEN_STATUSES), or_(*branches)) if branches else false()


@router.get("/tickets", summary="Ticket inbox with filters")
def inbox(db: DB, staff: Staff,
          status: Annotated[list[Status] | None, Query()] = None,
          department: Annotated[str | None, Query(max_length=40)] = None,
          assignee: Annotated[str | None, Query(max_length=32, description='"me", "none" or a staff id')] = None,
          q: Annotated[str | None, Query(max_length=100)] = None,
          priority: Annotated[list[Priority] | None, Query()] = None,
          overdue: bool = False,
          email: Annotated[str | None, Query(max_length=254, description="one customer's tickets")] = None,
          limit: Annotated[int, Query(ge=1, le=200)] = 50,
          offset: Annotated[int, Query(ge=0, le=100000)] = 0, *, state: State) -> dict:
    now = utcnow()
    query = select(Ticket)
    if priority:
        query = query.where(Ticket.priority.in_(priority))
    if overdue:
        query = query.where(_overdue_clause(state.settings, now))
    if email:
        query = query.where(func.lower(Ticket.email) == email.strip().lower())
    if status:
        query = query.where(Ticket.status.in_(status))
    if department:
        query = query.where(Ticket.department == department)
    if assignee == "me":
        query = query.where(Ticket.assignee_id == staff.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif assignee:
        query = query.where(Ticket.assignee_id == assignee)
    if q:
        # subject, customer, number, and any message of the conversation (a word the customer wrote)
        pattern = "%" + escape_like(q.strip()) + "%"
        in_messages = select(TicketMessage.ticket_id).where(TicketMessage.body.ilike(pattern, escape="\\"))
        query = query.where(or_(Ticket.subject.ilike(pattern, escape="\\"), Ticket.email.ilike(pattern, escape="\\"),
                                Ticket.name.ilike(pattern, escape="\\"), Ticket.number == q.strip().upper(),
                                Ticket.id.in_(in_messages)))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.scalars(query.order_by(Ticket.updated_at.desc(), Ticket.id).limit(limit).offset(offset)).all()
    return {"total": total, "tickets": [ticket_summary(t) | {"email": t.email, "name": t.name, "assignee_id": t.assignee_id}
                                        | sla_json(state.settings, t, now) for t in rows]}


@router.get("/staff", summary="Agents and admins, for the assignee menu")
def staff_list(db: DB, staff: Staff) -> dict:
    people = db.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.disabled.is_(False)).order_by(User.email)).all()
    return {"staff": [{"id": u.id, "email": u.email, "name": u.name, "role": u.role} for u in people], "me": staff.id,
            "notify_email": staff.notify_email, "lang": staff.lang or "en"}


class MySettings(Strict):
    notify_email: bool | None = Field(default=None, description="mail about new tickets, customer replies and waiting chats")
    lang: Literal["en", "ja"] | None = Field(default=None, description="language of the agent page and of mails to this agent")


@router.put("/me", summary="The signed-in agent's own settings: mail notifications on or off, language")
def my_settings(change: MySettings, db: DB, staff: Staff) -> dict:
    me = db.get(User, staff.id)
    if change.notify_email is not None:
        me.notify_email = change.notify_email
    if change.lang is not None:
        me.lang = change.lang
    db.commit()
    return {"notify_email": me.notify_email, "lang": me.lang or "en"}


@router.get("/tickets/{ticket_id}", summary="A ticket with internal notes and customer details")
def agent_ticket(ticket_id: str, db: DB, staff: Staff, state: State) -> dict:
    ticket = _staff_ticket(db, ticket_id)
    return ticket_detail(db, ticket, staff=True, file_url=_file_url(ticket)) | sla_json(state.settings, ticket, utcnow())


@router.get("/tickets/{ticket_id}/related", summary="The same customer's other tickets and chats")
def related(ticket_id: str, db: DB, staff: Staff) -> dict:
    from .chat_models import ChatSession

    ticket = _staff_ticket(db, ticket_id)
    same_customer = [func.lower(Ticket.email) == ticket.email.lower()]
    if ticket.customer_id:
        same_customer.append(Ticket.customer_id == ticket.customer_id)
    tickets = db.scalars(select(Ticket).where(or_(*same_customer), Ticket.id != ticket.id)
                         .order_by(Ticket.created_at.desc()).limit(20)).all()
    chat_match = [func.lower(ChatSession.email) == ticket.email.lower()]
    if ticket.customer_id:
        chat_match.append(ChatSession.customer_id == ticket.customer_id)
    chats = db.scalars(select(ChatSession).where(or_(*chat_match)).order_by(ChatSession.created_at.desc()).limit(20)).all()
    return {"tickets": [ticket_summary(t) for t in tickets],
            "chats": [{"id": c.id, "status": c.status, "department": c.department, "created_at": iso(c.created_at),
                       "ticket_id": c.ticket_id} for c in chats]}


@router.patch("/tickets/{ticket_id}", summary="Assign, change status or department")
def update_ticket(ticket_id: str, change: TicketChange, db: DB, staff: Staff, state: State) -> dict:
    ticket = _staff_ticket(db, ticket_id)
    if change.assignee_id is not None:
        if change.assignee_id == "":
            ticket.assignee_id = None
        else:
            assignee = db.get(User, change.assignee_id)
            if assignee is None or not assignee.is_staff:
                raise field_error("assignee_id", "is not a staff account")
            ticket.assignee_id = assignee.id
        ticket.updated_at = utcnow()
    if change.department is not None:
        if change.department not in {d.id for d in state.settings.tickets.departments}:
            raise field_error("department", "is not a configured department")
        ticket.department = change.department
    if change.priority is not None:
        ticket.priority = change.priority
        ticket.updated_at = utcnow()
    if change.status is not None and change.status != ticket.status:
        change_status(db, ticket, change.status, staff)
        # the customer hears when their ticket is solved, closed or reopened (not about "waiting": a reply says that)
        if change.status in ("open", "solved", "closed"):
            words = notifications.site_strings(state.settings, ticket.lang)
            link = ticket_link(state.settings, ticket, None if ticket.customer_id else guest_key(state.settings, ticket.id))
            notifications.send(state, ticket.email, ticket.lang, "status", db=db, number=ticket.number, subject=ticket.subject,
                               status=words.get(f"mail_status_{change.status}", change.status), link=link)
    db.commit()
    return ticket_summary(ticket) | {"assignee_id": ticket.assignee_id} | sla_json(state.settings, ticket, utcnow())


AGENT_REPLY_FORM_SCHEMA = {
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": AgentReply.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["body"],
            "properties": {"body": {"type": "string", "maxLength": 20000}, "internal": {"type": "boolean"},
                           "status": {"type": "string", "enum": ["new", "open", "waiting", "solved", "closed"]},
                           "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    }},
}


async def _reply_input(request: Request, state, errors: FieldErrors) -> tuple[AgentReply | None, list[Upload]]:
    """The reply as JSON (text only) or as a form with files: the same limits (number, size, types)
    as a customer's attachments, checked together with the text so every problem shows at once."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            return AgentReply.model_validate_json(await request.body()), []
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from None
    form = await read_form(request, state)
    body = clean_text(form.get("body"), "body", errors, required=True, max_length=state.settings.tickets.body_max, multiline=True)
    internal = form.get("internal") in ("on", "true", "1", "yes")
    status = form.get("status") or None
    if status is not None and status not in STATUS_FLOW:
        errors.add("status", f"must be one of: {', '.join(STATUS_FLOW)}")
        status = None
    uploads = await read_uploads(form, state.settings, errors)
    return (AgentReply(body=body, internal=internal, status=status) if body else None), uploads


@router.post("/tickets/{ticket_id}/messages", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             openapi_extra=AGENT_REPLY_FORM_SCHEMA,
             summary="Reply to the customer, or add an internal note (never shown to the customer); "
                     "as JSON, or as multipart/form-data with attachments")
async def agent_reply(ticket_id: str, request: Request, db: DB, staff: Staff, state: State):
    errors = FieldErrors()
    reply, uploads = await _reply_input(request, state, errors)
    saved = SavedFiles()
    notify_customer = []

    def work():
        # one thread-pool call that ends its transaction (see get_db)
        try:
            ticket = _staff_ticket(db, ticket_id)
            errors.raise_if_any()
            if not reply.body.strip():
                raise field_error("body", "is required")
            print_ = fingerprint(staff.id, reply.model_dump(), [(u.filename, hashlib.sha256(u.data).hexdigest()) for u in uploads])
            response = run_once(db, request, f"agent.reply:{ticket.id}", print_, lambda: create(ticket),
                                lambda: saved.cleanup(state.files))
            if notify_customer:
                link = ticket_link(state.settings, ticket, None if ticket.customer_id else guest_key(state.settings, ticket.id))
                notifications.send(state, ticket.email, ticket.lang, "reply", number=ticket.number, subject=ticket.subject,
                                   body=reply.body, link=link,
                                   files=notifications.optional_line(state, ticket.lang, "mail_reply_files",
                                                                     [u.filename for u in uploads]))
            return response
        finally:
            db.rollback()

    def create(ticket):
        message = TicketMessage(ticket_id=ticket.id, author_id=staff.id, author_kind="agent", body=reply.body,
                                internal=reply.internal)
        db.add(message)
        db.flush()
        # the customer may download these from their ticket page, unless the note is internal
        store_uploads(db, state, uploads, saved, ticket=ticket, message=message, uploader=staff)
        if not reply.internal:
            change_status(db, ticket, reply.status or "waiting", staff)
            notify_customer.append(True)
        if ticket.assignee_id is None:
            ticket.assignee_id = staff.id
        ticket.updated_at = utcnow()
        db.flush()
        return 201, {"id": message.id, "ticket_id": ticket.id, "status": ticket.status, "internal": reply.internal,
                     "attachments": len(uploads)}

    return await run_in_threadpool(work)


@router.get("/tickets/{ticket_id}/files/{file_id}", summary="Download any attachment of a ticket")
def agent_file(ticket_id: str, file_id: str, db: DB, staff: Staff, state: State):
    stored = db.get(StoredFile, file_id) if len(file_id) <= 32 else None
    if stored is None or stored.ticket_id != ticket_id:
        raise not_found("file")
    return download_response(state, stored)


@router.get("/statuses", summary="The ticket statuses in their usual order")
def statuses(staff: Staff) -> dict:
    return {"statuses": list(STATUS_FLOW)}


@router.get("/strings", summary="The agent page's words in a language (the agent_* keys of kbgen/i18n/<lang>.toml)")
def strings(staff: Staff, state: State, lang: Annotated[str, Query(max_length=16)] = "en") -> dict:
    # the same files and overrides as the site's pages: bundled, then the site's themes/<name>/i18n/
    table = notifications.site_strings(state.settings, lang)
    return {"lang": lang, "strings": {key[len("agent_"):]: value for key, value in table.items() if key.startswith("agent_")}}
