"""Passwords, session tokens, CSRF tokens and client addresses."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from .settings import Settings

SESSION_COOKIE = "kb_session"
CSRF_COOKIE = "kb_csrf"
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()
# verified against when the email is unknown, so timing does not reveal which accounts exist
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _binding(session_token: str | None) -> str:
    # the token is bound to the browser's session: a cookie + header pair taken from another
    # session (or planted by a sibling subdomain) is worth nothing in this one
    return token_hash(session_token)[:32] if session_token else "anonymous"


def new_csrf_token(settings: Settings, session_token: str | None = None) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(settings, nonce, _binding(session_token))}"


def csrf_token_valid(settings: Settings, token: str | None, session_token: str | None = None) -> bool:
    if not token or not token.isascii() or token.count(".") != 1:
        return False
    nonce, signature = token.split(".")
    return hmac.compare_digest(signature, _sign(settings, nonce, _binding(session_token)))


def _sign(settings: Settings, value: str, binding: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{binding}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def request_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def origin_allowed(request: Request, settings: Settings) -> bool:
    """Browsers send Origin on every cross-site POST; a foreign one means a forged request."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return True  # not a browser, or a browser stripping both: the token still has to match
        origin = "/".join(referer.split("/", 3)[:3])
    origin = origin.rstrip("/")
    return origin == request_origin(request) or origin in settings.allowed_origins


def csrf_check(request: Request, settings: Settings) -> str | None:
    """None when the request may change state, else the reason it may not."""
    if not origin_allowed(request, settings):
        return "The request came from another site."
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    session_token = request.cookies.get(SESSION_COOKIE)
    if not cookie or not header or not cookie.isascii() or not header.isascii() \
            or not hmac.compare_digest(cookie, header) or not csrf_token_valid(settings, header, session_token):
        return "Missing or wrong CSRF token: fetch /api/session and send its csrf_token in the X-CSRF-Token header."
    return None


def client_ip(request: Request, settings: Settings) -> str:
    if settings.trust_proxy:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"
