"""Notification mails, in the recipient's language, through the durable outbox (Mailer.send).

Texts are the mail_<name>_subject / mail_<name>_body keys of kbgen/i18n/<lang>.toml (the portal's
strings files, with the site's theme overrides; English fills gaps), with {placeholders}. Every mail is plain text. Staff get mail
about new tickets, customer replies and waiting chats unless they turned it off (users.notify_email)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...ui_strings import site_theme_dirs, strings_for
from ..models import STAFF_ROLES, Ticket, User


def site_strings(settings, lang: str) -> dict[str, str]:
    """The strings in `lang` as the site's pages have them: bundled, then the site's theme
    overrides (themes/<name>/i18n/<lang>.toml beside kbgen.toml), English filling gaps."""
    themes = site_theme_dirs(Path(settings.source).resolve(), settings.raw)
    return strings_for(lang if lang.isalpha() else "en", themes)


def mail_text(lang: str, template: str, /, strings: dict[str, str] | None = None, **values) -> tuple[str, str]:
    strings = strings or strings_for(lang if lang.isalpha() else "en")
    subject = strings[f"mail_{template}_subject"].format(**values)
    body = strings[f"mail_{template}_body"].format(**values).rstrip("\n") + "\n"
    footer = strings.get("mail_footer", "")
    return subject, body + (f"\n-- \n{footer}\n" if footer else "")


def send(state, to: str, lang: str, template: str, /, db: Session | None = None, **values) -> None:
    subject, body = mail_text(lang, template, strings=site_strings(state.settings, lang), **values)
    state.mailer.send(to, subject, body, db=db)


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
    for person in staff_to_tell(db, ticket, exclude):
        send(state, person.email, person.lang or "en", template, db=db, **values)
