"""Tables of the community forum (topics, answers, answer votes) and the community block list,
which the feedback board shares. Migration: migrations/versions/0003_forum.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_id, utcnow

ID = String(32)
# visible: everyone sees it; pending: held for moderation (author and staff see it);
# hidden: removed from view by staff (staff only)
POST_STATUSES = ("visible", "pending", "hidden")


class ForumTopic(Base):
    __tablename__ = "forum_topics"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    category: Mapped[str] = mapped_column(String(200))     # a KB category path, e.g. "billing/invoices"
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)                             # raw Markdown; rendered on the way out
    lang: Mapped[str] = mapped_column(String(16), default="en")
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="visible", index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # an answer id; no foreign key so topics and answers need no circular constraint
    accepted_answer_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)       # visible answers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ForumAnswer(Base):
    __tablename__ = "forum_answers"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    topic_id: Mapped[str] = mapped_column(ID, ForeignKey("forum_topics.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="visible", index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    score: Mapped[int] = mapped_column(Integer, default=0)              # number of rows in forum_answer_votes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ForumAnswerVote(Base):
    """One upvote per user per answer: the primary key makes a second vote impossible."""
    __tablename__ = "forum_answer_votes"
    answer_id: Mapped[str] = mapped_column(ID, ForeignKey("forum_answers.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityBlock(Base):
    """An account staff blocked from the community: it can still read, sign in and use tickets,
    but cannot post or vote in the forum or on the feedback board."""
    __tablename__ = "community_blocks"
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    blocked_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_forum_topics_category_activity", ForumTopic.category, ForumTopic.last_activity_at)
