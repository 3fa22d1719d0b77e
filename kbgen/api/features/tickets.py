"""Customer side of tickets: the form's config, submitting (guest or signed in), following a
ticket by account or private link, replying, and downloading its attachments."""
from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...config import portal_url
from ..deps import DB, OptionalUser, SignedIn, State, rate_limit
from ..errors import ApiError, field_error, not_found, user_error
from ..idempotency import fingerprint, run_once
from ..models import StoredFile, Ticket, TicketEvent, TicketMessage
from ..schemas import normalize_email
from ..ticket_form import ticket_form
from . import notifications
from .ticket_core import (FieldErrors, SavedFiles, clean_text, download_response, guest_key,
                            guest_key_matches, new_ticket_number, read_form, read_uploads, store_uploads,
                            ticket_detail, ticket_link, ticket_summary, validate_custom_fields, change_status)

router = APIRouter(tags=["tickets"])

TICKET_FORM_SCHEMA = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["subject", "body", "department"],
        "properties": {
            "subject": {"type": "string", "maxLength": 200}, "body": {"type": "string", "maxLength": 20000},
            "department": {"type": "string"}, "email": {"type": "string", "format": "email"},
            "name": {"type": "string", "maxLength": 120}, "lang": {"type": "string"},
            "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
        "additionalProperties": {"type": "string", "description": "custom fields as field.<name>"},
    }}}},
}
REPLY_FORM_SCHEMA = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["body"],
        "properties": {"body": {"type": "string", "maxLength": 20000},
                       "attachments": {"type": "array", "items": {"type": "string", "format": "binary"}}},
    }}}},
}
TicketKey = Annotated[str | None, Header(alias="X-Ticket-Key", max_length=100, description="guest private-link key")]


@router.get("/config/tickets", summary="The ticket form: departments, custom fields and attachment limits")
def ticket_form_config(state: State, lang: Annotated[str, Query(max_length=16)] = "en") -> dict:
    return ticket_form(state.settings.tickets, lang)


def _file_url(ticket: Ticket):
    return lambda stored: f"/api/tickets/{ticket.id}/files/{stored.id}"


@router.post("/tickets", status_code=201, openapi_extra=TICKET_FORM_SCHEMA,
             dependencies=[Depends(rate_limit("submission"))],
             summary="Submit a ticket (guest or signed in). Send Idempotency-Key to make resends safe.")
async def create_ticket(request: Request, state: State, db: DB, user: OptionalUser):
    form = await read_form(request, state)
    settings = state.settings
    errors = FieldErrors()
    limits = settings.tickets
    subject = clean_text(form.get("subject"), "subject", errors, required=True, max_length=limits.subject_max)
    body = clean_text(form.get("body"), "body", errors, required=True, max_length=limits.body_max, multiline=True)
    department = form.get("department") or (limits.departments[0].id if len(limits.departments) == 1 else "")
    if department not in {d.id for d in limits.departments}:
        errors.add("department", "choose one of the listed departments")
    lang = form.get("lang") if form.get("lang") in settings.languages else settings.languages[0]
    name = clean_text(form.get("name"), "name", errors, required=False, max_length=120)
    if user is not None:
        email, name = user.email, name or user.name
    else:
        email = clean_text(form.get("email"), "email", errors, required=True, max_length=254)
        if email:
            try:
                email = normalize_email(email)
            except ValueError:
                errors.add("email", "is not a valid email address")
    custom = validate_custom_fields(limits.fields, department, form, errors)
    uploads = await read_uploads(form, settings, errors)
    errors.raise_if_any()
    print_ = fingerprint(user.id if user else email, subject, body, department, custom,
                         [(u.filename, hashlib.sha256(u.data).hexdigest()) for u in uploads])
    saved = SavedFiles()

    def create():
        ticket = Ticket(number=new_ticket_number(), subject=subject, department=department, status="new",
                        customer_id=user.id if user else None, email=email, name=name, lang=lang,
                        fields_json=json.dumps(custom, ensure_ascii=False), guest_key_hash="")
        db.add(ticket)
        db.flush()
        key = guest_key(settings, ticket.id)
        ticket.guest_key_hash = hashlib.sha256(key.encode()).hexdigest()
        message = TicketMessage(ticket_id=ticket.id, author_id=user.id if user else None, author_kind="customer",
                                body=body)
        db.add(message)
        db.add(TicketEvent(ticket_id=ticket.id, from_status=None, to_status="new"))
        db.flush()
        store_uploads(db, state, uploads, saved, ticket=ticket, message=message, uploader=user)
        link = ticket_link(settings, ticket, key)
        # queued in the ticket's own transaction: the mail exists exactly when the ticket does, and
        # sending it (later, by the outbox worker) can never fail this request
        notifications.send(state, email, lang, "received", db=db, number=ticket.number, subject=subject, link=link)
        department_name = next((dict(d.labels) for d in settings.tickets.departments if d.id == department), department)
        notifications.tell_staff(db, state, "staff_new_ticket", exclude=user.id if user else None, number=ticket.number,
                                 subject=subject, customer=name or email, department=department_name, body=body,
                                 link=notifications.agent_ticket_url(settings, ticket))
        return 201, ticket_summary(ticket) | {"guest_key": key, "private_url": link,
                                              "path": portal_url(lang, "tickets", settings.portal_path)
                                              + f"#ticket={ticket.id}&key={key}"}

    def run():
        try:
            for _attempt in range(3):
                try:
                    return run_once(db, request, "tickets.create", print_, create, lambda: saved.cleanup(state.files))
                except IntegrityError:  # a ticket-number collision (1 in 10^11): draw another
                    db.rollback()
                    saved.cleanup(state.files)
            raise ApiError(503, "busy", "Please try again.")
        finally:
            db.rollback()   # end any transaction inside this thread call (see get_db)

    return await run_in_threadpool(run)


@router.get("/tickets", summary="The signed-in customer's tickets, newest activity first")
def my_tickets(db: DB, user: SignedIn) -> dict:
    tickets = db.scalars(select(Ticket).where(Ticket.customer_id == user.id).order_by(Ticket.updated_at.desc())).all()
    return {"tickets": [ticket_summary(t) for t in tickets]}


def load_visible_ticket(db, state, ticket_id: str, user, key: str | None) -> Ticket:
    """The ticket if the caller may see it: its customer, its guest link, or staff. Else 404."""
    ticket = db.get(Ticket, ticket_id) if len(ticket_id) <= 32 else None
    if ticket is None:
        raise not_found("ticket")
    if user is not None and (user.is_staff or (ticket.customer_id and ticket.customer_id == user.id)):
        return ticket
    if guest_key_matches(state.settings, ticket, key):
        return ticket
    raise not_found("ticket")


@router.get("/tickets/{ticket_id}", summary="One ticket with its status history and conversation")
def get_ticket(ticket_id: str, db: DB, state: State, user: OptionalUser, x_ticket_key: TicketKey = None) -> dict:
    ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
    return ticket_detail(db, ticket, staff=False, file_url=_file_url(ticket))


@router.post("/tickets/{ticket_id}/messages", status_code=201, openapi_extra=REPLY_FORM_SCHEMA,
             dependencies=[Depends(rate_limit("submission"))], summary="The customer replies to their ticket")
async def reply(ticket_id: str, request: Request, state: State, db: DB, user: OptionalUser,
                x_ticket_key: TicketKey = None):
    form = await read_form(request, state)
    errors = FieldErrors()
    body = clean_text(form.get("body"), "body", errors, required=True, max_length=state.settings.tickets.body_max,
                      multiline=True)
    uploads = await read_uploads(form, state.settings, errors)
    saved = SavedFiles()
    ticket = None

    def work():
        # one thread-pool call that ends its transaction: see get_db on why
        nonlocal ticket
        try:
            ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
            if user is not None and user.is_staff and ticket.customer_id != user.id:
                raise user_error(403, "forbidden", "staff_reply_on_agent_page")
            errors.raise_if_any()
            if ticket.status == "closed":
                raise field_error("body", "this ticket is closed; please open a new ticket", 409)
            print_ = fingerprint(ticket.id, body, [(u.filename, hashlib.sha256(u.data).hexdigest()) for u in uploads])
            return run_once(db, request, f"tickets.reply:{ticket.id}", print_, create, lambda: saved.cleanup(state.files))
        finally:
            db.rollback()

    def create():
        message = TicketMessage(ticket_id=ticket.id, author_id=user.id if user else None, author_kind="customer", body=body)
        db.add(message)
        db.flush()
        store_uploads(db, state, uploads, saved, ticket=ticket, message=message, uploader=user)
        # the customer answering (or coming back after "solved") puts the ball in the agents' court
        if ticket.status in ("waiting", "solved"):
            change_status(db, ticket, "open", user)
        else:
            from ..db import utcnow
            ticket.updated_at = utcnow()
        notifications.tell_staff(db, state, "staff_customer_reply", ticket, number=ticket.number, subject=ticket.subject,
                                 customer=ticket.name or ticket.email, body=body,
                                 link=notifications.agent_ticket_url(state.settings, ticket))
        return 201, {"id": message.id, "ticket_id": ticket.id, "status": ticket.status}

    return await run_in_threadpool(work)


@router.get("/tickets/{ticket_id}/files/{file_id}", summary="Download an attachment of a ticket you may see")
def ticket_file(ticket_id: str, file_id: str, db: DB, state: State, user: OptionalUser,
                x_ticket_key: TicketKey = None):
    # guests send their key as a header only: a key in the URL would land in logs and histories
    ticket = load_visible_ticket(db, state, ticket_id, user, x_ticket_key)
    stored = db.get(StoredFile, file_id) if len(file_id) <= 32 else None
    if stored is None or stored.ticket_id != ticket.id or stored.kind != "attachment":
        raise not_found("file")
    if not (user is not None and user.is_staff):
        message = db.get(TicketMessage, stored.message_id)
        if message is None or message.internal:
            raise not_found("file")
    return download_response(state, stored)
