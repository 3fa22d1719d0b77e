"""A customer's satisfaction rating of a solved ticket or an ended chat: good or bad, with an
optional comment; the agent and department are kept as they were, for the reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

ID = String(32)


class _Rating:
    """The columns both ratings have (one row per ticket or chat; rating again changes it)."""
    rating: Mapped[str] = mapped_column(String(8))          # good | bad
    comment: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    department: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketSatisfaction(_Rating, Base):
    __tablename__ = "ticket_satisfaction"
    ticket_id: Mapped[str] = mapped_column(ID, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)


class ChatSatisfaction(_Rating, Base):
    """The same rating for an ended chat."""
    __tablename__ = "chat_satisfaction"
    chat_id: Mapped[str] = mapped_column(ID, ForeignKey("chat_sessions.id", ondelete="CASCADE"), primary_key=True)
