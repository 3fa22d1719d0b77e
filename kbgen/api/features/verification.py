"""Proof that a customer reads their email address, by one-time expiring link (mailed through the
outbox in the customer's language, pointing at the account page's #verify=TOKEN):

- at sign-up, for the account's address (and again on request from the account page);
- on an email change, for the new address: the change takes effect only when that link is
  followed, and the old address is told about the request at once.

Guest tickets and chats filed under an address join the account only when that address is
verified, never at sign-up: anyone can register someone else's address, nobody else can follow
a link mailed to it."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...config import portal_url
from ..db import utcnow
from ..deps import DB, SignedIn, State, count_event, rate_exceeded, rate_limit
from ..errors import field_error, user_error
from ..models import EmailVerification, Ticket, User
from ..schemas import Email, Strict, user_json
from ..security import new_token, token_hash, verify_password
from . import notifications
from .chat_models import ChatSession

router = APIRouter(tags=["account"])

LINK_HOURS = 48        # a verification link works this long (and once)
MAIL_LIMIT = "password_reset_mail"   # the per-account mail limit shared with reset links (3 an hour by default)


class VerifyBody(Strict):
    token: str = Field(max_length=200)


class EmailChange(Strict):
    email: Email
    current_password: str = Field(max_length=256)


def mail_lang(state, user: User) -> str:
    return user.lang if user.lang in state.settings.languages else state.settings.languages[0]


def account_link(state, lang: str, fragment: str) -> str:
    page = portal_url(lang, "account", state.settings.portal_path)
    return f"{state.settings.public_url}{state.settings.site_root.rstrip('/')}/{page}" + (f"#{fragment}" if fragment else "")


def send_verification(db: Session, state, user: User, email: str) -> None:
    """Mails a new link for `email` (the account's own address, or the address it is changing to),
    in the request's transaction. Older unused links of the account stop working: only the newest
    address asked for can be confirmed."""
    db.execute(update(EmailVerification).where(EmailVerification.user_id == user.id, EmailVerification.used_at.is_(None))
               .values(used_at=utcnow()))
    token = new_token()
    db.add(EmailVerification(token_hash=token_hash(token), user_id=user.id, email=email,
                             expires_at=utcnow() + timedelta(hours=LINK_HOURS)))
    lang = mail_lang(state, user)
    template = "verify" if email == user.email else "email_change"
    notifications.send(state, email, lang, template, db=db, email=email, hours=LINK_HOURS,
                       link=account_link(state, lang, f"verify={token}"))


def attach_guest_records(db: Session, user: User, email: str) -> int:
    """Tickets and chats a guest filed under `email` join the account; returns how many tickets."""
    tickets = db.execute(update(Ticket).where(Ticket.email == email, Ticket.customer_id.is_(None))
                         .values(customer_id=user.id)).rowcount
    db.execute(update(ChatSession).where(ChatSession.email == email, ChatSession.customer_id.is_(None))
               .values(customer_id=user.id))
    return tickets or 0


def _limited(state, user_id: str) -> None:
    retry = rate_exceeded(state, MAIL_LIMIT, f"verify:{user_id}")
    if retry:
        raise user_error(429, "rate_limited", "too_many_verification_mails", seconds=retry,
                         headers={"Retry-After": str(retry)})
    count_event(state, MAIL_LIMIT, f"verify:{user_id}")


@router.post("/auth/verify-email", dependencies=[Depends(rate_limit("signin"))],
             summary="Follow a verification link (signed in or not): confirms the address, attaches guest tickets")
def verify_email(body: VerifyBody, db: DB) -> dict:
    invalid = field_error("token", "the link is invalid, used or expired; send a new one from your account page", 400)
    row = db.get(EmailVerification, token_hash(body.token)) if 10 < len(body.token) < 100 else None
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise invalid
    used = db.execute(update(EmailVerification).where(EmailVerification.token_hash == row.token_hash,
                                                      EmailVerification.used_at.is_(None)).values(used_at=utcnow())).rowcount
    if not used:   # the same link followed twice at once: one wins
        raise invalid
    user = db.get(User, row.user_id)
    if user is None or user.disabled:
        raise invalid
    changed = row.email != user.email
    if changed:
        if db.scalar(select(User.id).where(User.email == row.email, User.id != user.id)) is not None:
            raise field_error("email", "already belongs to another account", 409)
        user.email = row.email
    user.email_verified_at = utcnow()
    attached = attach_guest_records(db, user, row.email)
    db.commit()
    return {"user": user_json(user), "email_changed": changed, "attached_tickets": attached}


@router.post("/account/verification", status_code=202, dependencies=[Depends(rate_limit("password_reset"))],
             summary="Send a new verification link to your address")
def resend_verification(db: DB, state: State, user: SignedIn) -> dict:
    me = db.get(User, user.id)
    if me.email_verified_at is not None:
        return {"status": "already_verified"}
    db.rollback()   # before the counters' own transactions (on SQLite one writer at a time)
    _limited(state, user.id)
    me = db.get(User, user.id)
    send_verification(db, state, me, me.email)
    db.commit()
    return {"status": "sent", "email": me.email}


@router.post("/account/email", status_code=202, dependencies=[Depends(rate_limit("password_reset"))],
             summary="Change your email: a link goes to the new address; the change happens when it is followed")
def change_email(body: EmailChange, db: DB, state: State, user: SignedIn) -> dict:
    me = db.get(User, user.id)
    if not verify_password(me.password_hash, body.current_password):
        raise field_error("current_password", "is not your current password")
    if body.email == me.email:
        raise field_error("email", "is already your address")
    if db.scalar(select(User.id).where(User.email == body.email)) is not None:
        raise field_error("email", "already belongs to another account", 409)
    db.rollback()
    _limited(state, user.id)
    me = db.get(User, user.id)
    send_verification(db, state, me, body.email)
    # the old address hears of it now, while the owner can still act (change the password)
    notifications.send(state, me.email, mail_lang(state, me), "email_change_notice", db=db, email=me.email,
                       new_email=body.email, link=account_link(state, mail_lang(state, me), ""))
    db.commit()
    return {"status": "sent", "pending_email": body.email}
