"""Accounts and sessions: register, sign in/out, password reset by one-time expiring link."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..config import portal_url
from .db import utcnow
from .deps import DB, OptionalUser, State, count_event, rate_exceeded, rate_limit, session_lifetime
from .errors import field_error, user_error
from .models import AuthSession, PasswordReset, User
from .schemas import Email, LangCode, Password, ShortText, Strict, user_json
from .security import (CSRF_COOKIE, SESSION_COOKIE, client_ip, csrf_token_valid, hash_password, new_csrf_token,
                       new_token, token_hash, verify_password)

router = APIRouter(tags=["accounts"])


class RegisterBody(Strict):
    email: Email
    password: Password
    name: ShortText = ""
    lang: LangCode = "en"       # of the verification mail and later mails


class SignInBody(Strict):
    email: Email
    password: Password


class ResetRequestBody(Strict):
    email: Email
    lang: LangCode = "en"


class ResetConfirmBody(Strict):
    token: str
    password: Password


def invalidate_reset_links(db, user_id: str) -> None:
    """Call wherever a password changes: an older link must not set it again."""
    db.execute(update(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
               .values(used_at=utcnow()))


def set_csrf_cookie(response: Response, state, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="strict", secure=state.settings.cookie_secure,
                        path="/", max_age=60 * 60 * 24 * 365)


def start_session(db, response: Response, state, user: User, request: Request | None = None) -> None:
    previous = request.cookies.get(SESSION_COOKIE) if request is not None else None
    if previous:
        db.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash(previous)))
    token = new_token()
    db.add(AuthSession(token_hash=token_hash(token), user_id=user.id,
                       expires_at=utcnow() + session_lifetime(state.settings)))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=state.settings.cookie_secure,
                        path="/", max_age=int(session_lifetime(state.settings).total_seconds()))
    # the CSRF token is bound to the session: the new session gets its own
    set_csrf_cookie(response, state, new_csrf_token(state.settings, token))


@router.get("/session", summary="Who is signed in, and the CSRF token for state-changing requests")
def get_session(request: Request, response: Response, state: State, user: OptionalUser) -> dict:
    token = request.cookies.get(CSRF_COOKIE)
    session_token = request.cookies.get(SESSION_COOKIE)
    if not csrf_token_valid(state.settings, token, session_token):
        token = new_csrf_token(state.settings, session_token)
        set_csrf_cookie(response, state, token)
    return {"user": user_json(user) if user else None, "csrf_token": token}


@router.post("/auth/register", status_code=201, dependencies=[Depends(rate_limit("register"))])
def register(body: RegisterBody, request: Request, response: Response, db: DB, state: State) -> dict:
    lang = body.lang if body.lang in state.settings.languages else state.settings.languages[0]
    user = User(email=body.email, name=body.name, password_hash=hash_password(body.password), role="customer", lang=lang)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise field_error("email", "already has an account; sign in or reset the password", 409) from None
    # guest tickets under this address join the account only once the link is followed
    from .features.verification import send_verification
    send_verification(db, state, user, user.email)
    start_session(db, response, state, user, request)
    db.commit()
    return {"user": user_json(user)}


@router.post("/auth/login", dependencies=[Depends(rate_limit("signin"))])
def login(body: SignInBody, request: Request, response: Response, db: DB, state: State) -> dict:
    # Failed passwords are limited per account *and* address, so a stranger guessing from their
    # own address cannot lock the owner out of theirs; a much higher cap per account alone slows
    # guessing spread over many addresses. Only failures count.
    ip = client_ip(request, state.settings)
    per_address = f"email:{body.email}:{ip}"
    for name, key in (("signin", per_address), ("signin_account", f"email:{body.email}")):
        retry = rate_exceeded(state, name, key)
        if retry:
            raise user_error(429, "rate_limited", "signin_failed_too_often", seconds=retry,
                             headers={"Retry-After": str(retry)})
    user = db.scalar(select(User).where(User.email == body.email))
    password_hash, disabled = (user.password_hash, user.disabled) if user else (None, False)
    # end the read before counting in another transaction (SQLite: one writer at a time); the
    # rollback expires `user`, so nothing of it is read until the session is needed again
    db.rollback()
    if not verify_password(password_hash, body.password) or disabled:
        count_event(state, "signin", per_address)
        count_event(state, "signin_account", f"email:{body.email}")
        raise user_error(401, "bad_credentials", "bad_credentials")
    start_session(db, response, state, user, request)
    db.commit()
    return {"user": user_json(user)}


@router.post("/auth/logout", status_code=204)
def logout(request: Request, db: DB) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        db.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        db.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/auth/password-reset", status_code=202, dependencies=[Depends(rate_limit("password_reset"))])
def request_password_reset(body: ResetRequestBody, request: Request, db: DB, state: State) -> dict:
    user = db.scalar(select(User).where(User.email == body.email))
    user = (user.id, user.email, user.disabled) if user is not None else None
    db.rollback()   # before the counters' own transactions (on SQLite one writer at a time)
    # At most N reset mails per account and hour, but never a refusal: a stranger asking five
    # times for someone's address must not block that person's own request (they get the links
    # already sent, each valid until used or a newer one is used).
    if user is not None and not user[2] and not rate_exceeded(state, "password_reset_mail", f"user:{user[0]}"):
        user_id, email, _disabled = user
        count_event(state, "password_reset_mail", f"user:{user_id}")
        token = new_token()
        lang = body.lang if body.lang in state.settings.languages else state.settings.languages[0]
        account = portal_url(lang, "account", state.settings.portal_path)
        link = f"{state.settings.public_url}{state.settings.site_root.rstrip('/')}/{account}#reset={token}"
        db.add(PasswordReset(token_hash=token_hash(token), user_id=user_id,
                             expires_at=utcnow() + timedelta(minutes=state.settings.reset_minutes)))
        from .features.notifications import send as send_mail
        send_mail(state, email, lang, "reset", db=db, email=email, minutes=state.settings.reset_minutes, link=link)
        db.commit()
    # the same answer either way, so the form cannot be used to discover accounts
    return {"status": "sent_if_account_exists"}


@router.post("/auth/password-reset/confirm")
def confirm_password_reset(body: ResetConfirmBody, response: Response, db: DB, state: State) -> dict:
    reset = db.get(PasswordReset, token_hash(body.token)) if 10 < len(body.token) < 100 else None
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise field_error("token", "the reset link is invalid, used or expired; ask for a new one", 400)
    user = db.get(User, reset.user_id)
    used = db.execute(update(PasswordReset).where(PasswordReset.token_hash == reset.token_hash,
                                                  PasswordReset.used_at.is_(None)).values(used_at=utcnow())).rowcount
    if not used:  # another request used the same link a moment ago
        raise field_error("token", "the reset link is invalid, used or expired; ask for a new one", 400)
    user.password_hash = hash_password(body.password)
    # every other browser signed in with the old password is signed out, and every other reset
    # link still in a mailbox stops working
    db.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    invalidate_reset_links(db, user.id)
    start_session(db, response, state, user)
    db.commit()
    return {"user": user_json(user)}
