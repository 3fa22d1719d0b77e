"""Exactly-once submissions. The browser gives every submission a random id (Idempotency-Key
header) and resends it with the same id after being offline; the server answers a resend with the
response it gave the first time instead of creating a second record.

The record of the key is inserted in the same transaction as the rows it created, so either both
exist or neither: a concurrent duplicate fails on the key's primary key and gets the first answer."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import timedelta
from typing import Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import utcnow
from .errors import ApiError
from .models import IdempotencyRecord

HEADER = "idempotency-key"
RETENTION = timedelta(days=30)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise ApiError(422, "validation_failed", "Idempotency-Key: must be 8–100 letters, digits, - or _",
                       [{"field": "Idempotency-Key", "reason": "must be 8–100 letters, digits, - or _"}])
    return key


def fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotencyRecord, print_: str) -> JSONResponse:
    if record.fingerprint != print_:
        raise ApiError(409, "idempotency_key_reused",
                       "This Idempotency-Key was already used for a different submission; generate a new one.")
    return JSONResponse(json.loads(record.response_json), status_code=record.status_code,
                        headers={"Idempotent-Replayed": "true"})


def run_once(db: Session, request: Request, scope: str, print_: str,
             create: Callable[[], tuple[int, dict]], cleanup: Callable[[], None] = lambda: None) -> JSONResponse:
    """Run `create` (which adds rows to `db` and returns status + JSON body) at most once per key.

    `cleanup` undoes side effects outside the database (saved files) when the transaction loses."""
    key = idempotency_key(request)
    if key is None:
        status, body = create()
        db.commit()
        return JSONResponse(body, status_code=status)
    full_key = f"{scope}:{key}"
    existing = db.get(IdempotencyRecord, full_key)
    if existing is not None:
        cleanup()
        return _replay(existing, print_)
    status, body = create()
    if secrets.randbelow(200) == 0:   # now and then, forget keys older than any sane offline period
        db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION))
    db.add(IdempotencyRecord(key=full_key, fingerprint=print_, status_code=status, response_json=json.dumps(body)))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        cleanup()
        existing = db.get(IdempotencyRecord, full_key)
        if existing is None:
            raise
        return _replay(existing, print_)
    return JSONResponse(body, status_code=status)
