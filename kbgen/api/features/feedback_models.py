"""Tables of the feedback board: ideas, their votes and comments, and the public history of status
changes. Migration: migrations/versions/0004_feedback.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_id, utcnow

ID = String(32)
IDEA_STATUSES = ("open", "planned", "in_progress", "done", "declined")
ROADMAP_STATUSES = ("planned", "in_progress", "done")


class FeedbackIdea(Base):
    __tablename__ = "feedback_ideas"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)                           # raw Markdown; rendered on the way out
    lang: Mapped[str] = mapped_column(String(16), default="en")
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    status_note: Mapped[str] = mapped_column(Text, default="")        # staff's public note on the status (Markdown)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)        # number of rows in feedback_votes
    comment_count: Mapped[int] = mapped_column(Integer, default=0)     # visible comments
    # a duplicate points at the idea it was merged into; its votes moved there
    merged_into_id: Mapped[str | None] = mapped_column(ID, ForeignKey("feedback_ideas.id", ondelete="SET NULL"),
                                                       nullable=True, index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FeedbackVote(Base):
    """One vote per user per idea: the primary key makes a second vote impossible."""
    __tablename__ = "feedback_votes"
    idea_id: Mapped[str] = mapped_column(ID, ForeignKey("feedback_ideas.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)   # for "trending"


class FeedbackComment(Base):
    __tablename__ = "feedback_comments"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    idea_id: Mapped[str] = mapped_column(ID, ForeignKey("feedback_ideas.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    body: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FeedbackStatusChange(Base):
    __tablename__ = "feedback_status_changes"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    idea_id: Mapped[str] = mapped_column(ID, ForeignKey("feedback_ideas.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
