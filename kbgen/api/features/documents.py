"""Customer portal documents: staff attach a file to a customer's account; only that customer
and staff can list and download it."""
from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from ..db import escape_like
from ..deps import DB, OptionalUser, SignedIn, Staff, State, rate_limit
from ..errors import ApiError, not_found
from ..idempotency import fingerprint, run_once
from ..models import StoredFile, User
from .ticket_core import FieldErrors, clean_text, download_response, file_json, iso, read_uploads

router = APIRouter(tags=["documents"])

UPLOAD_SCHEMA = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"title": {"type": "string", "maxLength": 200}, "file": {"type": "string", "format": "binary"}},
    }}}},
}


def _document_json(stored: StoredFile) -> dict:
    return file_json(stored, f"/api/documents/{stored.id}/download") | {"title": stored.title or stored.filename,
                                                                         "created_at": iso(stored.created_at)}


@router.get("/documents", summary="The signed-in customer's documents")
def my_documents(db: DB, user: SignedIn) -> dict:
    rows = db.scalars(select(StoredFile).where(StoredFile.kind == "document", StoredFile.owner_id == user.id)
                      .order_by(StoredFile.created_at.desc())).all()
    return {"documents": [_document_json(d) for d in rows]}


@router.get("/documents/{document_id}/download", summary="Download a document (its customer or staff only)")
def download_document(document_id: str, db: DB, state: State, user: OptionalUser):
    stored = db.get(StoredFile, document_id) if len(document_id) <= 32 else None
    if (stored is None or stored.kind != "document" or user is None
            or not (user.is_staff or stored.owner_id == user.id)):
        raise not_found("document")
    return download_response(state, stored)


@router.get("/agent/customers", tags=["agent"], summary="Find customer accounts by email")
def find_customers(db: DB, staff: Staff, email: Annotated[str, Query(min_length=1, max_length=254)]) -> dict:
    pattern = escape_like(email.strip().lower()) + "%"
    rows = db.scalars(select(User).where(User.email.like(pattern, escape="\\")).order_by(User.email).limit(20)).all()
    return {"customers": [{"id": u.id, "email": u.email, "name": u.name, "role": u.role} for u in rows]}


@router.get("/agent/customers/{user_id}/documents", tags=["agent"], summary="A customer's documents")
def customer_documents(user_id: str, db: DB, staff: Staff) -> dict:
    if db.get(User, user_id) is None:
        raise not_found("customer")
    rows = db.scalars(select(StoredFile).where(StoredFile.kind == "document", StoredFile.owner_id == user_id)
                      .order_by(StoredFile.created_at.desc())).all()
    return {"documents": [_document_json(d) for d in rows]}


@router.post("/agent/customers/{user_id}/documents", status_code=201, tags=["agent"], openapi_extra=UPLOAD_SCHEMA,
             dependencies=[Depends(rate_limit("submission"))], summary="Attach a document to a customer account")
async def upload_document(user_id: str, request: Request, db: DB, state: State, staff: Staff):
    try:
        form = await request.form(max_files=2, max_fields=10)
    except Exception:
        raise ApiError(400, "bad_request", "Send the document as multipart/form-data.") from None
    errors = FieldErrors()
    title = clean_text(form.get("title"), "title", errors, required=False, max_length=200)
    uploads = await read_uploads(form, state.settings, errors, field_name="file")
    if not uploads and not errors.fields:
        errors.add("file", "is required")
    if len(uploads) > 1:
        errors.add("file", "one file at a time")
    errors.raise_if_any()
    upload = uploads[0]
    saved_keys: list[str] = []

    def create():
        owner = db.get(User, user_id) if len(user_id) <= 32 else None
        if owner is None:
            raise not_found("customer")
        key = state.files.save(upload.data)
        saved_keys.append(key)
        stored = StoredFile(kind="document", owner_id=owner.id, uploaded_by=staff.id, title=title or upload.filename,
                            filename=upload.filename, content_type=upload.content_type, size=len(upload.data),
                            storage_key=key)
        db.add(stored)
        db.flush()
        return 201, _document_json(stored)

    def cleanup():
        for key in saved_keys:
            state.files.delete(key)

    print_ = fingerprint(staff.id, user_id, title, hashlib.sha256(upload.data).hexdigest())
    def work():
        try:
            return run_once(db, request, f"documents.upload:{user_id}", print_, create, cleanup)
        finally:
            db.rollback()   # end any transaction inside this thread call (see get_db)

    return await run_in_threadpool(work)
