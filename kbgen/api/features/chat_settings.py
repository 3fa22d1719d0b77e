"""The `[chat]` section of kbgen.toml: button look, welcome text, pre-chat fields, departments and
opening hours. Parsed once from the kbgen.toml the API settings were read from at start-up
(`Settings.raw`); every error names the file and the key. Every key is optional:

    [chat]
    enabled = true
    position = "bottom-right"               # or "bottom-left"
    accent = "#0b6bcb"                      # button and header colour (text colour is chosen for contrast)
    welcome = { en = "Hi! How can we help?", ja = "こんにちは。どのようなご用件でしょうか？" }
    prechat_fields = ["name", "email"]      # asked of guests only
    departments = ["support", "billing"]    # ids from [[tickets.departments]]; default: all of them
    timezone = "Asia/Tokyo"
    hours = { mon = "09:00-18:00", sat = "10:00-12:00, 13:00-17:00" }   # days left out are closed;
                                            # without `hours` the chat is always open
    unanswered_after_seconds = 120          # nobody accepts within this: offer to leave a message
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..settings import Settings, SettingsError, live_section

log = logging.getLogger("kbgen.api.chat")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POSITIONS = ("bottom-right", "bottom-left")
PRECHAT_FIELDS = ("name", "email")
KNOWN_KEYS = {"enabled", "position", "accent", "welcome", "prechat_fields", "departments", "timezone", "hours",
              "unanswered_after_seconds"}
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
SPAN = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*$")
DEFAULT_WELCOME = {"en": "Hi! How can we help?", "ja": "こんにちは。どのようなご用件でしょうか？"}


@dataclass(frozen=True)
class ChatSettings:
    enabled: bool = True
    position: str = "bottom-right"
    accent: str = "#0b6bcb"
    welcome: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_WELCOME))
    prechat_fields: tuple[str, ...] = ("name", "email")
    departments: tuple[str, ...] = ()          # empty: every ticket department
    timezone: str = "UTC"
    hours: dict[str, tuple[tuple[time, time], ...]] | None = None   # None: always open
    unanswered_after_seconds: int = 120

    def welcome_for(self, lang: str) -> str:
        return self.welcome.get(lang) or self.welcome.get("en") or next(iter(self.welcome.values()), "")

    def hours_json(self) -> dict | None:
        """Opening hours for the visitor (shown before "leave a message"): the time zone and each
        day's spans, Monday first; None when the chat is always open."""
        if self.hours is None:
            return None
        return {"timezone": self.timezone,
                "days": [{"day": day, "spans": [f"{a:%H:%M}-{b:%H:%M}" for a, b in self.hours.get(day, ())]}
                         for day in DAYS]}

    def is_open(self, now: datetime) -> bool:
        if self.hours is None:
            return True
        local = now.astimezone(ZoneInfo(self.timezone))
        spans = self.hours.get(DAYS[local.weekday()], ())
        moment = local.time().replace(tzinfo=None)
        return any(start <= moment < end for start, end in spans)


def _fail(source: str, key: str, message: str) -> SettingsError:
    return SettingsError(f"{source}: [chat] {key}: {message}")


def _parse_spans(value, source: str, key: str) -> tuple[tuple[time, time], ...]:
    items = value if isinstance(value, list) else [value]
    spans = []
    for item in items:
        if not isinstance(item, str):
            raise _fail(source, key, 'must be "09:00-18:00", a list of such spans, or "closed"')
        for part in item.split(","):
            if part.strip().lower() == "closed":
                continue
            match = SPAN.match(part)
            if not match:
                raise _fail(source, key, f'"{part.strip()}" is not a span like "09:00-18:00"')
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start = time(h1, m1)
            end = time.max if (h2, m2) >= (24, 0) else time(h2, m2)
            if h2 == 24 and m2 != 0:
                raise _fail(source, key, "24:00 is the latest closing time")
            if end <= start:
                raise _fail(source, key, f'"{part.strip()}" closes before it opens')
            spans.append((start, end))
    return tuple(spans)


def parse_chat_settings(table, settings: Settings, source: str | None = None) -> ChatSettings:
    source = source or settings.source
    if table is None:
        return ChatSettings()
    if not isinstance(table, dict):
        raise SettingsError(f"{source}: [chat] must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise _fail(source, unknown[0], f"unknown key; known keys: {', '.join(sorted(KNOWN_KEYS))}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(source, "enabled", "must be true or false")
    position = table.get("position", "bottom-right")
    if position not in POSITIONS:
        raise _fail(source, "position", f"must be one of {', '.join(POSITIONS)} (got {position!r})")
    accent = table.get("accent", "#0b6bcb")
    if not isinstance(accent, str) or not COLOUR.match(accent):
        raise _fail(source, "accent", f'must be a colour such as "#0b6bcb" (got {accent!r})')
    welcome = table.get("welcome", DEFAULT_WELCOME)
    if isinstance(welcome, str):
        welcome = {lang: welcome for lang in settings.languages}
    if not isinstance(welcome, dict) or not welcome or not all(isinstance(v, str) and len(v) <= 1000 for v in welcome.values()):
        raise _fail(source, "welcome", 'must be a string or { en = "…", ja = "…" } (each at most 1000 characters)')
    fields = table.get("prechat_fields", list(PRECHAT_FIELDS))
    if not isinstance(fields, list) or any(f not in PRECHAT_FIELDS for f in fields):
        raise _fail(source, "prechat_fields", f"must be a list drawn from {', '.join(PRECHAT_FIELDS)}")
    known_departments = [d.id for d in settings.tickets.departments]
    departments = table.get("departments", [])
    if not isinstance(departments, list) or any(d not in known_departments for d in departments):
        raise _fail(source, "departments", f"must list ids from [[tickets.departments]] ({', '.join(known_departments)})")
    zone = table.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(source, "timezone", f'unknown time zone {zone!r}; use a name such as "Asia/Tokyo"') from None
    hours = None
    if "hours" in table:
        raw_hours = table["hours"]
        if not isinstance(raw_hours, dict):
            raise _fail(source, "hours", 'must be a table such as { mon = "09:00-18:00" }')
        bad = sorted(set(raw_hours) - set(DAYS))
        if bad:
            raise _fail(source, f"hours.{bad[0]}", f"unknown day; use {', '.join(DAYS)}")
        hours = {day: _parse_spans(value, source, f"hours.{day}") for day, value in raw_hours.items()}
    after = table.get("unanswered_after_seconds", 120)
    if isinstance(after, bool) or not isinstance(after, int) or not 10 <= after <= 86400:
        raise _fail(source, "unanswered_after_seconds", f"must be a whole number of seconds from 10 to 86400 (got {after!r})")
    return ChatSettings(enabled=enabled, position=position, accent=accent, welcome=dict(welcome),
                        prechat_fields=tuple(fields), departments=tuple(departments), timezone=str(zone),
                        hours=hours, unanswered_after_seconds=after)


def chat_settings(settings: Settings) -> ChatSettings:
    """The [chat] settings for these API settings (parsed once per start). A mistake in
    the section answers 503 with the file and key, instead of a bare internal error."""
    try:
        return _load(settings)
    except SettingsError as error:
        from ..errors import ApiError
        log.error("%s", error.message)
        raise ApiError(503, "chat_misconfigured", f"Live chat is not configured correctly: {error.message}") from None


def check_chat_settings(settings: Settings) -> None:
    """Raises SettingsError (file + key) for a bad [chat] section; for start-up checks."""
    _load(settings)


def _load(settings: Settings) -> ChatSettings:
    return live_section(settings, "chat", lambda raw, source: parse_chat_settings(raw.get("chat"), settings, source),
                        ChatSettings())
