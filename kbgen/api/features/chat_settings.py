"""The `[chat]` section of kbgen.toml: button look, welcome text, pre-chat fields, departments and
opening hours. Declared and validated in the one schema (`kbgen.schema.ChatSettings`), at start-up
with the rest of the file; the running API reads `settings.chat`. Every key is optional:

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

from ... import schema
from ...schema import DAYS, ChatSettings
from ..settings import Settings, SettingsError

__all__ = ["DAYS", "ChatSettings", "chat_settings", "check_chat_settings", "parse_chat_settings"]


def parse_chat_settings(table, settings: Settings, source: str | None = None) -> ChatSettings:
    """[chat] alone, checked against these settings' languages and departments (for tests and
    tools; the API gets its [chat] with the rest of the file at start-up)."""
    if table is None:
        return ChatSettings()
    context = {"languages": settings.languages, "departments": tuple(d.id for d in settings.tickets.departments)}
    model, problems = schema.validate({"chat": table}, file=source or settings.source, context=context)
    SettingsError.raise_for(problems)
    return model.chat


def chat_settings(settings: Settings) -> ChatSettings:
    """The [chat] settings, validated when these settings were read at start-up."""
    return settings.chat


def check_chat_settings(settings: Settings) -> None:
    """Nothing left to check: a bad [chat] section already stopped the start (kept for callers)."""
