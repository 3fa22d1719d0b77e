"""What the forum and the feedback board share: the `[community]` / `[forum]` settings, the
record id in paths, how staff see an author, and the abuse checks every post and vote goes through (blocked accounts, per-user limits, the honeypot,
the link limit for new accounts, the moderation hold for first posts).

Settings live in kbgen.toml next to [api]:

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
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Path
from fastapi.responses import JSONResponse

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..db import escape_like, new_id, utcnow
from ..deps import AppState, hit_rate_limit
from ..errors import ApiError, field_error
from ..markup import render_markdown
from ..models import User
from ..settings import Settings, SettingsError, live_section
from .forum_models import CommunityBlock, ForumAnswer, ForumTopic

HONEYPOT_FIELD = "homepage"        # hidden in the forms; people leave it empty, form-filling bots do not
LINK_PATTERN = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>()\[\]\"']+|mailto:[^\s<>()\[\]\"']+", re.I)
HREF_PATTERN = re.compile(r'<a\s[^>]*href="([^"]*)"', re.I)

RecordId = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


@dataclass(frozen=True)
class CommunitySettings:
    new_account_days: int = 7
    new_account_max_links: int = 1
    moderate_first_posts: int = 1
    edit_window_minutes: int = 30


def _whole(table: dict, section: str, key: str, default: int, source: str, maximum: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise SettingsError(f"{source}: [{section}] {key}: must be a whole number from 0 to {maximum} (got {value!r})")
    return value


def parse_community_settings(raw: dict, source: str = "kbgen.toml") -> CommunitySettings:
    sections = {}
    for section, known in (("community", {"new_account_days", "new_account_max_links"}),
                           ("forum", {"moderate_first_posts", "edit_window_minutes"}), ("feedback", set())):
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise SettingsError(f"{source}: [{section}] must be a table")
        unknown = sorted(set(table) - known)
        if unknown:
            hint = f"known keys: {', '.join(sorted(known))}" if known else "it has no settings yet"
            raise SettingsError(f"{source}: [{section}] {unknown[0]}: unknown key ({hint})")
        sections[section] = table
    return CommunitySettings(
        new_account_days=_whole(sections["community"], "community", "new_account_days", 7, source, 3650),
        new_account_max_links=_whole(sections["community"], "community", "new_account_max_links", 1, source, 1000),
        moderate_first_posts=_whole(sections["forum"], "forum", "moderate_first_posts", 1, source, 1000),
        edit_window_minutes=_whole(sections["forum"], "forum", "edit_window_minutes", 30, source, 525600),
    )


def community_settings(settings: Settings) -> CommunitySettings:
    """The community settings of the kbgen.toml these API settings came from (parsed once per start)."""
    return live_section(settings, "community", parse_community_settings, CommunitySettings())


def settings_of(state: AppState) -> CommunitySettings:
    try:
        return community_settings(state.settings)
    except SettingsError as error:
        # a config mistake made while the API runs: say exactly what to fix instead of a bare 500
        raise ApiError(500, "internal_error", f"The community settings are not valid: {error.message}") from None


def is_blocked(db: Session, user: User) -> bool:
    return db.get(CommunityBlock, user.id) is not None


def check_may_take_part(db: Session, state: AppState, user: User, *, vote: bool = False) -> None:
    """Refuse blocked accounts, then count the action against the per-user limit (the per-IP
    limit is the route's dependency), so one account cannot flood from many addresses."""
    # the limit first: it commits in its own session, and on SQLite a second writer would wait
    # for this request's transaction once `db` has started one
    hit_rate_limit(state, "rating" if vote else "submission", f"user:{user.id}")
    if not user.is_staff and is_blocked(db, user):
        raise ApiError(403, "forbidden", "Your account may not post or vote in the community. Contact support if you think this is a mistake.")


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
