"""Tables of the core API. Every change here needs an Alembic migration in kbgen/api/migrations/versions/."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, select
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, new_id, utcnow

ID = String(32)
ROLES = ("customer", "agent", "admin")
STAFF_ROLES = ("agent", "admin")
TICKET_STATUSES = ("new", "open", "waiting", "solved", "closed")


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lang: Mapped[str] = mapped_column(String(16), default="", server_default="")   # for mails; "" = English
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())  # staff: mail on new tickets…
    # set when the owner followed a verification link sent to `email`; None: not proven yet
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES and not self.disabled


def users_by_id(db: Session, ids) -> dict[str, User]:
    """The users behind `ids` (None and repeats ignored), in one query: authors of a page of posts."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))}


class AuthSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""
    __tablename__ = "auth_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordReset(Base):
    __tablename__ = "password_resets"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EmailVerification(Base):
    """A one-time expiring link proving that someone reads `email`: sent at sign-up (email is the
    account's) and on an email change (email is the new address, which takes effect only when the
    link is followed). Only the token's SHA-256 is stored."""
    __tablename__ = "email_verifications"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RateCounter(Base):
    """Fixed-window counters shared by every worker process (in-memory limits would multiply by N)."""
    __tablename__ = "rate_counters"
    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(Base):
    """The response already given for a client-generated submission id, replayed on resend."""
    __tablename__ = "idempotency_records"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    customer_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    lang: Mapped[str] = mapped_column(String(16), default="en")
    fields_json: Mapped[str] = mapped_column(Text, default="{}")
    guest_key_hash: Mapped[str] = mapped_column(String(64))
    assignee_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal", index=True)


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ID, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    author_kind: Mapped[str] = mapped_column(String(16))      # customer | agent
    body: Mapped[str] = mapped_column(Text)                     # raw Markdown, rendered with nh3 on the way out
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEvent(Base):
    """Status history shown to the customer (new → open → waiting → solved → closed)."""
    __tablename__ = "ticket_events"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ID, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredFile(Base):
    """An uploaded file: ticket attachments and customer documents. Bytes live in data_dir/uploads."""
    __tablename__ = "stored_files"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))              # attachment | document
    ticket_id: Mapped[str | None] = mapped_column(ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, index=True)
    message_id: Mapped[str | None] = mapped_column(ID, ForeignKey("ticket_messages.id", ondelete="CASCADE"), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    uploaded_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    """One vote per browser per article; a browser changing its mind updates the same row."""
    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("article_ref", "voter", name="uq_ratings_article_voter"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    article_ref: Mapped[str] = mapped_column(String(64), index=True)
    voter: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(SmallInteger)            # 1 helpful, -1 not helpful
    lang: Mapped[str] = mapped_column(String(16), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_tickets_customer_updated", Ticket.customer_id, Ticket.updated_at)


class OutboxMail(Base):
    """A mail waiting to be sent. Written in the request's transaction (or right after it), sent
    by the outbox worker with retries, so a mail problem never fails a request and a restart never
    loses a mail."""
    __tablename__ = "mail_outbox"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # due time of the next try; a worker that takes a mail moves it ahead by a lease, so two
    # worker processes never send the same mail twice
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
