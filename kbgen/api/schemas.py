"""Shared request-validation helpers (pydantic types with messages a user can act on)."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def normalize_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ValueError("is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}".lower()


def _printable(value: str) -> str:
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValueError("contains control characters")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(normalize_email)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
ShortText = Annotated[str, StringConstraints(max_length=120, strip_whitespace=True), AfterValidator(_printable)]
LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")]


class Strict(BaseModel):
    """Request bodies refuse unknown keys, so a typo is an error instead of silently ignored."""
    model_config = ConfigDict(extra="forbid")


def user_json(user) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "email_verified": getattr(user, "email_verified_at", None) is not None}


LINE_BREAKS = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n", "\x0b": "\n", "\x0c": "\n"})


def normalize_text(value: str, multiline: bool) -> str:
    """Every kind of line break (CR LF, CR, NEL, U+2028/U+2029, VT, FF) stored as one "\\n"; in a
    one-line field (a subject, a name) as a space. Stored text then never carries a separator that
    mail headers, JSON-in-HTML or a CSV export would trip over."""
    value = value.replace("\r\n", "\n").translate(LINE_BREAKS)
    if not multiline:
        value = " ".join(value.replace("\t", " ").split(" "))
        value = " ".join(part.strip() for part in value.split("\n") if part.strip())
    return value


def printable(value: str, field: str, multiline: bool = True):
    from .errors import field_error
    value = normalize_text(value, multiline)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise field_error(field, "contains control characters")
    return value
