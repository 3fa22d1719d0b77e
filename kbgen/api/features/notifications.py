"""Notification mails, in the recipient's language, through the durable outbox (Mailer.send).

Texts are the mail_<name>_subject / mail_<name>_body keys of kbgen/i18n/<lang>.toml (the portal's
strings files; English fills gaps), with {placeholders}. A site rewords any of them key by key the
way it rewords theme strings, in `themes/<theme>/i18n/<lang>.toml` next to its kbgen.toml
(site_strings: as its pages and the agent page read them), checked at start-up: an unknown
placeholder is refused with its file and line. Every mail has a plain-text
part and an HTML part made from it (Mailer.build). Staff get mail about new tickets, customer
replies and waiting chats unless they turned it off (users.notify_email)."""
from __future__ import annotations

import logging
import string
import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...ui_strings import site_theme_dirs, strings_for
from ..models import STAFF_ROLES, Ticket, User
from ..settings import Settings, SettingsError

log = logging.getLogger("kbgen.api.mail")

# the placeholders each mail is given; a site's text may use any of them, and no other
MAIL_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "received": frozenset({"number", "subject", "link"}),
    "reply": frozenset({"number", "subject", "body", "files", "link"}),
    "status": frozenset({"number", "subject", "status", "link"}),
    "reset": frozenset({"email", "minutes", "link"}),
    "forum_answer": frozenset({"name", "title", "body", "link"}),
    "idea_status": frozenset({"title", "status", "note", "link"}),
    "transcript": frozenset({"transcript"}),
    "staff_new_ticket": frozenset({"number", "subject", "customer", "department", "body", "link"}),
    "staff_customer_reply": frozenset({"number", "subject", "customer", "body", "link"}),
    "staff_chat_waiting": frozenset({"customer", "department", "link"}),
}
LINE_PLACEHOLDERS = {"mail_reply_files": frozenset({"files"})}   # mail_footer is used as written


def site_strings(settings, lang: str) -> dict[str, str]:
    """The strings in `lang` as the site's pages have them: bundled, then the site's theme
    overrides (themes/<name>/i18n/<lang>.toml beside kbgen.toml), English filling gaps."""
    return strings_for(lang if lang.isalpha() else "en", site_theme_folders(settings))


def site_theme_folders(settings: Settings) -> tuple[Path, ...]:
    # theme and themes_dir as validated at start-up (kbgen.schema), not re-read from the raw TOML
    return site_theme_dirs(Path(settings.source).resolve(), settings.file.theme, settings.file.themes_dir)


def site_text(settings: Settings, lang: str, key: str, /, **values) -> str:
    """One of the site's strings in `lang`, filled with `values`. A site's rewording whose
    placeholders do not fit falls back to the bundled words of that language, so a mistake in a
    theme file never fails the request that shows the text."""
    try:
        return site_strings(settings, lang)[key].format(**values)
    except (KeyError, IndexError, ValueError):
        return strings_for(lang if lang.isalpha() else "en")[key].format(**values)


def mail_strings(settings: Settings | None, lang: str) -> dict[str, str]:
    """The mail texts in `lang`: the site's strings (with its theme overrides), or the bundled ones."""
    return site_strings(settings, lang) if settings is not None else strings_for(lang if lang.isalpha() else "en")


def mail_text(lang: str, template: str, /, strings: dict[str, str] | None = None, **values) -> tuple[str, str]:
    strings = strings or strings_for(lang if lang.isalpha() else "en")
    subject = strings[f"mail_{template}_subject"].format(**values)
    body = strings[f"mail_{template}_body"].format(**values).rstrip("\n") + "\n"
    footer = strings.get("mail_footer", "")
    return subject, body + (f"\n-- \n{footer}\n" if footer else "")


def optional_line(state, lang: str, key: str, items: list[str]) -> str:
    """A line such as "Attached: a.pdf, b.png" followed by a blank line, or "" when `items` is empty
    (for placeholders like {files} that a mail has only sometimes)."""
    if not items:
        return ""
    return mail_strings(state.settings, lang)[key].format(files=", ".join(items)) + "\n\n"


def send(state, to: str, lang: str, template: str, /, db: Session | None = None, **values) -> None:
    subject, body = mail_text(lang, template, strings=site_strings(state.settings, lang), **values)
    state.mailer.send(to, subject, body, db=db)


def check_mail_texts(settings: Settings) -> None:
    """Refuses, at start-up, a site's mail text that would fail when sent: an unknown or malformed
    placeholder. Every problem at once, each with its file, line and key."""
    problems = []
    for folder in site_theme_folders(settings):
        i18n = folder / "i18n"
        if not i18n.is_dir():
            continue
        for path in sorted(i18n.glob("*.toml")):
            text = path.read_text(encoding="utf-8")
            try:
                table = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                problems.append(f"{path}: not valid TOML: {error}")
                continue
            for key, value in table.items():
                allowed = _allowed_placeholders(key)
                if allowed is None:
                    continue
                where = f"{path}:{_line_of(text, key)}: [{key}]"
                if not isinstance(value, str):
                    problems.append(f"{where} must be a string")
                    continue
                try:
                    used = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
                except ValueError as error:
                    problems.append(f"{where} {error}; write {{{{ and }}}} for a literal brace")
                    continue
                unknown = sorted(used - allowed)
                if unknown:
                    known = ", ".join("{" + name + "}" for name in sorted(allowed)) or "none"
                    problems.append(f"{where} unknown placeholder {', '.join('{' + u + '}' for u in unknown)}; "
                                    f"this text may use: {known}")
    if problems:
        raise SettingsError("mail texts:\n" + "\n".join(problems), "mail", problems[0], problems=tuple(problems))


def _allowed_placeholders(key: str) -> frozenset[str] | None:
    if key in LINE_PLACEHOLDERS:
        return LINE_PLACEHOLDERS[key]
    for suffix in ("_subject", "_body"):
        if key.startswith("mail_") and key.endswith(suffix):
            return MAIL_PLACEHOLDERS.get(key[len("mail_"):-len(suffix)])
    return None


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(key) and line.lstrip()[len(key):].lstrip().startswith("="):
            return number
    return 1


def staff_to_tell(db: Session, ticket: Ticket | None = None, exclude: str | None = None) -> list[User]:
    """Who hears about a ticket or chat: its assignee when there is one, else every active agent
    and admin; always only those who keep mail on."""
    if ticket is not None and ticket.assignee_id:
        people = [db.get(User, ticket.assignee_id)]
    else:
        people = list(db.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.disabled.is_(False)).order_by(User.email)))
    return [p for p in people if p is not None and p.is_staff and p.notify_email and p.id != exclude]


def agent_ticket_url(settings, ticket: Ticket) -> str:
    return f"{settings.public_url}/agent/#ticket/{ticket.id}"


def tell_staff(db: Session, state, template: str, /, ticket: Ticket | None = None, exclude: str | None = None, **values) -> None:
    """A value given as a table of languages ({"en": "Billing", "ja": "請求"}) is told to each
    person in their own language."""
    for person in staff_to_tell(db, ticket, exclude):
        lang = person.lang or "en"
        own = {key: (value.get(lang) or value.get("en") or next(iter(value.values()), "")) if isinstance(value, dict) else value
               for key, value in values.items()}
        send(state, person.email, lang, template, db=db, **own)
