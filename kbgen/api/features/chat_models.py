"""Tables of live chat. The database is the only place chat state lives, so any number of API
worker processes serve the same conversations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_id, utcnow

ID = String(32)
CHAT_STATUSES = ("waiting", "active", "closed", "missed")


class ChatSession(Base):
    """One conversation. `last_seq` numbers its messages: the next message takes last_seq + 1 under
    the row's write lock, so sequence numbers are gap-free and commit in order."""
    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    customer_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    lang: Mapped[str] = mapped_column(String(16), default="en")
    department: Mapped[str] = mapped_column(String(40), default="")
    page: Mapped[str] = mapped_column(String(300), default="")
    token_hash: Mapped[str] = mapped_column(String(64))          # SHA-256 of the browser's secret token
    owner_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    ticket_id: Mapped[str | None] = mapped_column(ID, ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)
    customer_typing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    staff_typing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("chat_id", "seq", name="uq_chat_messages_chat_seq"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    chat_id: Mapped[str] = mapped_column(ID, ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    author_kind: Mapped[str] = mapped_column(String(16))        # customer | agent | system
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatPresence(Base):
    """The last heartbeat of each staff member's agent page; online = a recent heartbeat."""
    __tablename__ = "chat_presence"
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="online")   # online | away
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


Index("ix_chat_sessions_status_waiting", ChatSession.status, ChatSession.waiting_since)
