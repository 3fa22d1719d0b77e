"""What the forum and the feedback board share: the `[community]` / `[forum]` settings, the
record id in paths, how staff see an author, and the abuse checks every post and vote goes through (blocked accounts, per-user limits, the honeypot,
the link limit for new accounts, the moderation hold for first posts).

Settings live in kbgen.toml next to [api] (declared in kbgen.schema, read at start-up):

    [community]
    new_account_days = 7          # an account younger than this is "new"
    new_account_max_links = 1     # links a new account may put in one post (forum and feedback)

    [forum]
    moderate_first_posts = 1      # hold this many first posts of each account for approval (0: never)
    edit_window_minutes = 30      # authors may edit or delete their own posts this long (0: never)
"""
from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Annotated

from fastapi import Path
from fastapi.responses import JSONResponse

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..db import escape_like, new_id, utcnow
from ..deps import AppState, hit_rate_limit
from ..errors import field_error, user_error
from ..markup import render_markdown
from ..models import User
from ... import schema
from ..settings import CommunitySettings, Settings, SettingsError
from .forum_models import CommunityBlock, ForumAnswer, ForumTopic

HONEYPOT_FIELD = "homepage"        # hidden in the forms; people leave it empty, form-filling bots do not
LINK_PATTERN = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>()\[\]\"']+|mailto:[^\s<>()\[\]\"']+", re.I)
HREF_PATTERN = re.compile(r'<a\s[^>]*href="([^"]*)"', re.I)

RecordId = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def parse_community_settings(raw: dict, source: str = "kbgen.toml") -> CommunitySettings:
    """[community] and [forum] of `raw` alone (for tests and tools; the API reads them at start-up)."""
    model, problems = schema.validate({k: raw[k] for k in ("community", "forum", "feedback") if k in raw}, file=source)
    SettingsError.raise_for(problems)
    return CommunitySettings.of(model)


def community_settings(settings: Settings) -> CommunitySettings:
    """The community settings of these API settings (validated at start-up with the whole file)."""
    return settings.community


def settings_of(state: AppState) -> CommunitySettings:
    return state.settings.community


def is_blocked(db: Session, user: User) -> bool:
    return db.get(CommunityBlock, user.id) is not None


def check_may_take_part(db: Session, state: AppState, user: User, *, vote: bool = False) -> None:
    """Refuse blocked accounts, then count the action against the per-user limit (the per-IP
    limit is the route's dependency), so one account cannot flood from many addresses."""
    # the limit first: it commits in its own session, and on SQLite a second writer would wait
    # for this request's transaction once `db` has started one
    hit_rate_limit(state, "rating" if vote else "submission", f"user:{user.id}")
    if not user.is_staff and is_blocked(db, user):
        raise user_error(403, "forbidden", "community_blocked")


def check_honeypot(value: str) -> bool:
    """True when a bot filled the hidden field: the caller then answers as if all went well."""
    return bool(value and value.strip())


def count_links(text: str) -> int:
    """Distinct link targets in a post: Markdown links and bare addresses alike."""
    targets = {m.group(0).lower().rstrip(".,;:!?") for m in LINK_PATTERN.finditer(text)}
    targets |= {href.lower() for href in HREF_PATTERN.findall(render_markdown(text))}
    return len(targets)


def is_new_account(user: User, config: CommunitySettings) -> bool:
    return not user.is_staff and user.created_at > utcnow() - timedelta(days=config.new_account_days)


def check_links(user: User, config: CommunitySettings, **texts: str) -> None:
    if not is_new_account(user, config):
        return
    for field, text in texts.items():
        if count_links(text) > config.new_account_max_links:
            allowed = config.new_account_max_links
            raise field_error(field, f"new accounts may include at most {allowed} link{'s' if allowed != 1 else ''} "
                                     f"per post; please remove some links or try again in a few days")


def approved_post_count(db: Session, user: User) -> int:
    topics = db.scalar(select(func.count()).select_from(ForumTopic).where(
        ForumTopic.author_id == user.id, ForumTopic.approved_at.is_not(None))) or 0
    answers = db.scalar(select(func.count()).select_from(ForumAnswer).where(
        ForumAnswer.author_id == user.id, ForumAnswer.approved_at.is_not(None))) or 0
    return topics + answers


def needs_approval(db: Session, user: User, config: CommunitySettings) -> bool:
    return not user.is_staff and config.moderate_first_posts > 0 and approved_post_count(db, user) < config.moderate_first_posts


def clean_body(text: str, field: str = "body") -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise field_error(field, "is required")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise field_error(field, "contains control characters")
    return text


def clean_line(text: str, field: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise field_error(field, "is required")
    if any(ord(c) < 32 for c in text):
        raise field_error(field, "contains control characters")
    return text


def iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def author_json(user: User | None) -> dict:
    # never the email: community pages are public
    if user is None:
        return {"id": None, "name": "", "staff": False}
    return {"id": user.id, "name": user.name or user.email.split("@")[0], "staff": user.is_staff}


def like_pattern(word: str) -> str:
    return "%" + escape_like(word) + "%"


def where_words_match(query, q: str | None, *columns):
    """Narrows `query` to rows where each of the first 8 words of `q` appears literally (any case) in
    one of `columns`: the one search rule of the public and staff lists."""
    for word in (q or "").split()[:8]:
        pattern = like_pattern(word)
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return query


def plain_excerpt(markdown_text: str, length: int = 200) -> str:
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_markdown(markdown_text))).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def trap_response(status: str = "pending") -> JSONResponse:
    # looks like success to the bot that filled the hidden field; nothing is stored
    return JSONResponse({"id": new_id(), "status": status}, status_code=201)


def staff_author(user: User | None, blocked: set[str]) -> dict:
    if user is None:
        return {"id": None, "name": "(deleted account)", "email": "", "created_at": None, "staff": False, "blocked": False}
    return {"id": user.id, "name": user.name, "email": user.email, "created_at": iso(user.created_at),
            "staff": user.is_staff, "blocked": user.id in blocked}


def blocked_ids(db, ids) -> set[str]:
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return set()
    return set(db.scalars(select(CommunityBlock.user_id).where(CommunityBlock.user_id.in_(wanted))))
