"""A customer's satisfaction rating of a solved ticket or an ended chat: good or bad, with an
optional comment; the agent and department are kept as they were, for the reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

ID = String(32)


class TicketSatisfaction(Base):
    __tablename__ = "ticket_satisfaction"
    ticket_id: Mapped[str] = mapped_column(ID, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(8))          # good | bad
    comment: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    department: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatSatisfaction(Base):
    """The same rating for an ended chat (one per chat; rating again changes it)."""
    __tablename__ = "chat_satisfaction"
    chat_id: Mapped[str] = mapped_column(ID, ForeignKey("chat_sessions.id", ondelete="CASCADE"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(8))          # good | bad
    comment: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    department: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
