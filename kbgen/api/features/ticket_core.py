"""Shared by the customer and agent ticket endpoints: form validation against [tickets],
attachments, status changes, JSON shapes and notifications."""
from __future__ import annotations

import json
import mimetypes
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

from ...config import portal_url
from fastapi import HTTPException, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import ApiError
from ..markup import render_markdown
from ..models import StoredFile, Ticket, TicketEvent, TicketMessage, User, users_by_id
from ..schemas import normalize_email, normalize_text
from ..settings import Settings, TicketField

STATUS_FLOW = ("new", "open", "waiting", "solved", "closed")
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"   # no look-alikes (0/O, 1/I/L)
SAFE_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
MAX_FORM_FIELDS = 60


class FieldErrors:
    """Collects every problem of a form so the user sees them all at once."""

    def __init__(self):
        self.fields: list[dict] = []

    def add(self, name: str, reason: str) -> None:
        self.fields.append({"field": name, "reason": reason})

    def raise_if_any(self) -> None:
        if self.fields:
            message = "; ".join(f"{f['field']}: {f['reason']}" for f in self.fields)
            raise ApiError(422, "validation_failed", message, self.fields)


def new_ticket_number() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def clean_text(value, name: str, errors: FieldErrors, *, required: bool, max_length: int, multiline=False) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(name, "is required")
        return ""
    if not isinstance(value, str):
        errors.add(name, "must be text")
        return ""
    value = normalize_text(value, multiline).strip()
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        errors.add(name, "contains control characters")
        return ""
    if len(value) > max_length:
        errors.add(name, f"is longer than {max_length} characters")
        return ""
    return value


def validate_custom_fields(config: tuple[TicketField, ...], department: str, form, errors: FieldErrors) -> dict:
    values = {}
    for spec in config:
        if spec.departments and department not in spec.departments:
            continue
        key = f"field.{spec.name}"
        raw = form.get(key)
        if raw is not None and not isinstance(raw, str):
            errors.add(key, "must be text")
            continue
        if spec.type == "checkbox":
            checked = raw in ("on", "true", "1", "yes")
            if raw not in (None, "", "on", "true", "1", "yes", "false", "0", "no"):
                errors.add(key, "must be true or false")
            elif spec.required and not checked:
                errors.add(key, "must be checked")
            values[spec.name] = checked
            continue
        text = clean_text(raw, key, errors, required=spec.required, max_length=spec.max_length,
                          multiline=spec.type == "textarea")
        if not text:
            continue
        if spec.type == "select" and text not in {o.value for o in spec.options}:
            errors.add(key, f"must be one of: {', '.join(o.value for o in spec.options)}")
        elif spec.type == "email":
            try:
                text = normalize_email(text)
            except ValueError:
                errors.add(key, "is not a valid email address")
        elif spec.type == "number":
            if not re.fullmatch(r"-?\d{1,15}(\.\d{1,6})?", text):
                errors.add(key, "must be a number")
        values[spec.name] = text
    return values


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class SavedFiles:
    keys: list[str] = field(default_factory=list)

    def cleanup(self, store) -> None:
        for key in self.keys:
            store.delete(key)


def safe_filename(name: str) -> str:
    name = (name or "file").replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .") or "file"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:140] + dot + ext[:9]) if dot else name[:150]
    return name


def content_type_for(filename: str) -> str:
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return guessed if guessed in SAFE_INLINE_TYPES or guessed.startswith("image/") else "application/octet-stream"


async def read_uploads(form, settings: Settings, errors: FieldErrors, field_name: str = "attachments") -> list[Upload]:
    limits = settings.tickets
    uploads, total = [], 0
    items = [item for item in form.getlist(field_name)]
    files = [item for item in items if hasattr(item, "read")]
    if len(items) != len(files):
        # an empty string is what browsers send for "no file chosen"
        if any(isinstance(item, str) and item for item in items):
            errors.add(field_name, "must be files")
    files = [f for f in files if (f.filename or f.size)]
    if len(files) > limits.max_files:
        errors.add(field_name, f"at most {limits.max_files} files")
        return []
    for upload in files:
        name = safe_filename(upload.filename)
        ext = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
        data = await upload.read(limits.max_file_bytes + 1)
        if ext not in limits.allowed_types:
            errors.add(field_name, f"{name}: files of this type are not accepted (allowed: {', '.join(limits.allowed_types)})")
            continue
        if len(data) > limits.max_file_bytes:
            errors.add(field_name, f"{name}: larger than {limits.max_file_bytes // (1024 * 1024)} MB")
            continue
        if not data:
            errors.add(field_name, f"{name}: the file is empty")
            continue
        total += len(data)
        uploads.append(Upload(name, content_type_for(name), data))
    if total > limits.max_total_bytes:
        errors.add(field_name, f"together larger than {limits.max_total_bytes // (1024 * 1024)} MB")
    return uploads


async def read_form(request, state):
    """The multipart (or urlencoded) form of a ticket, reply or agent reply, within the attachment limits."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data") and not content_type.startswith("application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported_media_type", "Send the form as multipart/form-data.")
    try:
        return await request.form(max_files=state.settings.tickets.max_files + 1, max_fields=MAX_FORM_FIELDS)
    except (ApiError, HTTPException):   # HTTPException: the body was too large or too slow (middleware)
        raise
    except Exception:  # malformed multipart, too many parts…
        raise ApiError(400, "bad_request", "The form could not be read; send it as multipart/form-data.") from None


def store_uploads(db: Session, state, uploads: list[Upload], saved: SavedFiles, *, ticket: Ticket,
                  message: TicketMessage, uploader: User | None) -> None:
    for upload in uploads:
        key = state.files.save(upload.data)
        saved.keys.append(key)
        db.add(StoredFile(kind="attachment", ticket_id=ticket.id, message_id=message.id,
                          owner_id=ticket.customer_id, uploaded_by=uploader.id if uploader else None,
                          filename=upload.filename, content_type=upload.content_type, size=len(upload.data),
                          storage_key=key))


def change_status(db: Session, ticket: Ticket, new_status: str, actor: User | None) -> None:
    if new_status == ticket.status:
        return
    db.add(TicketEvent(ticket_id=ticket.id, from_status=ticket.status, to_status=new_status,
                       actor_id=actor.id if actor else None))
    ticket.status = new_status
    ticket.updated_at = utcnow()


def iso(value) -> str | None:
    return value.isoformat() if value else None


def file_json(file: StoredFile, url: str) -> dict:
    return {"id": file.id, "filename": file.filename, "size": file.size, "content_type": file.content_type, "url": url}


def ticket_summary(ticket: Ticket) -> dict:
    return {"id": ticket.id, "number": ticket.number, "subject": ticket.subject, "status": ticket.status,
            "department": ticket.department, "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at)}


def ticket_detail(db: Session, ticket: Ticket, *, staff: bool, file_url) -> dict:
    messages = db.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                          .order_by(TicketMessage.created_at, TicketMessage.id)).all()
    files = db.scalars(select(StoredFile).where(StoredFile.ticket_id == ticket.id)).all()
    files_by_message: dict[str, list] = {}
    for stored in files:
        files_by_message.setdefault(stored.message_id, []).append(stored)
    authors = users_by_id(db, (m.author_id for m in messages))
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                        .order_by(TicketEvent.created_at, TicketEvent.id)).all()
    conversation = []
    for message in messages:
        if message.internal and not staff:
            continue
        author = authors.get(message.author_id)
        conversation.append({
            "id": message.id, "author_kind": message.author_kind, "internal": message.internal,
            "author_name": (author.name or author.email.split("@")[0]) if author else (ticket.name or ticket.email.split("@")[0]),
            "body": message.body, "body_html": render_markdown(message.body), "created_at": iso(message.created_at),
            "attachments": [file_json(f, file_url(f)) for f in files_by_message.get(message.id, [])],
        })
    detail = ticket_summary(ticket) | {
        "email": ticket.email, "name": ticket.name, "lang": ticket.lang, "fields": json.loads(ticket.fields_json),
        "history": [{"from": e.from_status, "to": e.to_status, "at": iso(e.created_at)} for e in events],
        "messages": conversation,
    }
    if staff:
        detail["assignee_id"] = ticket.assignee_id
        detail["customer_id"] = ticket.customer_id
    return detail


def download_response(state, stored: StoredFile) -> Response:
    try:
        data = state.files.path_for(stored.storage_key).read_bytes()
    except FileNotFoundError:
        raise ApiError(404, "not_found", "The file is no longer stored.") from None
    # always a download, never rendered in our origin, whatever the file claims to be
    disposition = f"attachment; filename*=UTF-8''{quote(stored.filename)}"
    return Response(data, media_type=stored.content_type,
                    headers={"Content-Disposition": disposition, "Content-Security-Policy": "default-src 'none'; sandbox"})


def ticket_link(settings: Settings, ticket: Ticket, guest_key: str | None) -> str:
    base = f"{settings.public_url}{settings.site_root.rstrip('/')}/{portal_url(ticket.lang, 'tickets', settings.portal_path)}"
    return f"{base}#ticket={ticket.id}&key={guest_key}" if guest_key else f"{base}#ticket={ticket.id}"


def notify(state, ticket: Ticket, subject: str, text: str, db: Session | None = None) -> None:
    """Queue a mail about `ticket` (in `db`'s transaction when given; see Mailer.send)."""
    state.mailer.send(ticket.email, f"[{ticket.number}] {subject}", text, db=db)


def guest_key(settings: Settings, ticket_id: str) -> str:
    """The private-link key of a ticket, derived from the server secret so notifications can
    repeat the link (only its hash is stored; rotating secret_key invalidates old links)."""
    import hashlib
    import hmac

    return hmac.new(settings.secret_key.encode(), f"ticket-guest:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:40]


def guest_key_matches(settings: Settings, ticket: Ticket, key: str | None) -> bool:
    return guest_key_matches_id(settings, ticket.id, key)


def guest_key_matches_id(settings: Settings, ticket_id: str, key: str | None) -> bool:
    """No database needed: the API's read cache checks a key before serving a ticket's page."""
    import hmac

    return bool(key) and len(key) < 100 and key.isascii() and len(ticket_id) <= 32 \
        and hmac.compare_digest(guest_key(settings, ticket_id), key)
