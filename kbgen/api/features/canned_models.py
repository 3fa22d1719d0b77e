"""Canned replies: texts staff keep for answers they give often, inserted into a reply with
placeholders such as {customer_name} filled in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_id, utcnow

ID = String(32)


class CannedReply(Base):
    __tablename__ = "canned_replies"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
