"""Outgoing email through a durable outbox: a request only adds a row to `mail_outbox` (in its own
transaction, or right after it); a background worker in each API process sends due rows, with
retries and back-off, by SMTP when [api.smtp] is configured, else as one .eml file per message in
the development outbox (data_dir/outbox) so reset links and notifications can be read.

So a bad address, a header the mail library refuses or an SMTP outage never fails the request
that stored something, and a restart (even kill -9) never loses a mail: the next worker sends it.
Two workers never send the same row: a worker takes a row by moving its due time ahead (a lease)
with a conditional UPDATE that only one of them can win."""
from __future__ import annotations

import html
import logging
import re
import smtplib
import threading
import time
import unicodedata
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import event, inspect, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .db import new_id, utcnow
from .models import OutboxMail
from .settings import Settings

log = logging.getLogger("kbgen.api.mail")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)          # a worker killed while sending leaves the row to another after this
IDLE_POLL_SECONDS = 30.0


def header_text(value: str, limit: int = 250) -> str:
    """One line for a mail header: line breaks of every kind (CR, LF, U+2028/2029, NEL…) and other
    control characters become spaces, so no stored text can make a header invalid."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf") and c != "\u200d" else c
                      for c in value)
    return " ".join(cleaned.split())[:limit]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


URL = re.compile(r"https?://[^\s<>\"'）」]+")
TRAILING = ".,;:!?)]"


def _paragraph(text: str) -> str:
    """One paragraph of plain text as HTML: everything escaped, http(s) links clickable, line breaks kept."""
    out, at = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        out.append(html.escape(text[at:match.start()]))
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        at = end
    out.append(html.escape(text[at:]))
    return "<br>\n".join("".join(out).split("\n"))


def html_body(subject: str, text: str, lang: str | None = None, site: tuple[str, str] | None = None) -> str:
    """The HTML part of a mail, made from its plain text: paragraphs at blank lines, the footer
    after the "-- " signature line set apart. Nothing of the text is ever markup. `site`, the help
    center's (title, home link) in the mail's language, heads it: who wrote, and the way back."""
    main, _sep, footer = text.partition("\n-- \n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", main.strip("\n")) if p.strip()]
    body = "\n".join(f'<p style="margin:0 0 1em">{_paragraph(p)}</p>' for p in paragraphs)
    if footer.strip():
        body += ('\n<hr style="border:0;border-top:1px solid #d5d9e0;margin:1.5em 0 1em">'
                 f'\n<p style="margin:0;color:#5b6372;font-size:.875em">{_paragraph(footer.strip())}</p>')
    lang_attribute = f' lang="{html.escape(lang)}"' if lang else ""
    return (f'<!doctype html>\n<html{lang_attribute}>\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{html.escape(subject)}</title>\n</head>\n'
            f'<body style="margin:0;padding:1em;font:16px/1.5 system-ui,sans-serif;color:#1d2330">\n'
            f'<div style="max-width:40em">\n{_site_header(site)}{body}\n</div>\n</body>\n</html>\n')


def _site_header(site: tuple[str, str] | None) -> str:
    if not site or not site[0]:
        return ""
    title, link = (html.escape(part) for part in site)
    name = f'<a href="{link}" style="color:inherit;text-decoration:none">{title}</a>' if link else title
    return ('<p style="margin:0 0 1.25em;padding-bottom:.75em;border-bottom:1px solid #d5d9e0;'
            f'font-weight:600;font-size:1.125em">{name}</p>\n')


class Mailer:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None = None):
        self.settings = settings
        self.sessions = sessions
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._persistent = False

    def build(self, to: str, subject: str, text: str) -> EmailMessage:
        """multipart/alternative: the plain text, then the same text as HTML (every character of it
        escaped, links made clickable), which mail apps show when they can."""
        message = EmailMessage()
        message["From"] = self.settings.smtp.sender if self.settings.smtp else "support@localhost"
        message["To"] = header_text(to, 254)
        message["Subject"] = header_text(subject)
        lang = self.language_of(text)
        message.set_content(text)
        message.add_alternative(html_body(header_text(subject), text, lang, self.site_of(lang)), subtype="html")
        if lang:   # after the content: set_content drops Content-* headers
            message["Content-Language"] = lang
        return message

    def site_of(self, lang: str | None) -> tuple[str, str]:
        """The help center's title and home page in `lang` (the site's own language without one),
        from the kbgen.toml the API started with."""
        site = self.settings.file
        lang = lang or site.default_language or self.settings.languages[0]
        language = site.languages.get(lang)
        title = (language.title if language and language.title else site.title) or ""
        # the same way as every link in the mails (auth.py, ticket_core.py…)
        folder = f"{lang}/" if lang in self.settings.languages else ""
        return title, f"{self.settings.public_url}{self.settings.site_root.rstrip('/')}/{folder}"

    def language_of(self, text: str) -> str | None:
        """The language a notification was written in, known by its footer (the mail_footer string
        of that language); None for a mail without one, or one that several languages share."""
        from .features.notifications import mail_strings

        ending = text.rstrip()
        matches = [lang for lang in self.settings.languages
                   if (footer := mail_strings(self.settings, lang).get("mail_footer", "").strip()) and ending.endswith(footer)]
        return matches[0] if len(matches) == 1 else None    # a language borrowing English's footer: not known

    def send(self, to: str, subject: str, text: str, db: Session | None = None) -> None:
        """Queue a mail. With `db`, in that session's transaction (the caller commits, and the mail
        exists exactly when what it announces does); without, in a short transaction of its own:
        call it then only when no transaction of the request is open (on SQLite a second writer
        would wait for the first)."""
        row = OutboxMail(id=new_id(), recipient=to[:254], subject=header_text(subject, 300), body=text,
                         next_attempt_at=utcnow(), attempts=0, last_error="")
        if db is not None:
            db.add(row)
            # Woken now, the worker would look before the caller commits, find nothing, and sleep
            # until its idle poll: a reset link half a minute late.
            event.listen(db, "after_commit", lambda _session: self._wake_worker(), once=True)
            return
        if self.sessions is None:   # no database (a bare Mailer in a script): deliver now
            self._deliver(self.build(to, subject, text))
            return
        with self.sessions() as own:
            own.add(row)
            own.commit()
        self._wake_worker()

    def _wake_worker(self) -> None:
        self.start_worker()
        self._wake.set()

    # ---- the worker ---------------------------------------------------------------------------

    def start_worker(self, persistent: bool = False) -> None:
        """Start the worker thread if it is not running. A persistent one (the server's, from the
        app's lifespan) runs until stop_worker(); one started by send() ends once the outbox has
        been empty for a while, so short-lived apps (tests, scripts) leave no thread behind."""
        if self.sessions is None:
            return
        with self._lock:
            self._persistent = self._persistent or persistent
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kbgen-mail-outbox", daemon=True)
            self._thread.start()

    def stop_worker(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        failures = idle_rounds = 0
        while not self._stop.is_set():
            try:
                _sent, next_due = self.drain()
                failures = 0
            except Exception as error:   # the database is away for a moment: try again later
                failures += 1
                if not self._persistent and failures >= 3:
                    return   # its app is gone (a test's database was dropped); the next send() restarts it
                log.warning("mail outbox: %s", error)
                next_due = 5.0
            if next_due is None:
                idle_rounds += 1
                if not self._persistent and idle_rounds > 1:
                    return
                # nothing waiting: sleep until woken by send() or the idle poll (a mail queued by
                # another process, or by this one before a crash)
                next_due = IDLE_POLL_SECONDS
            else:
                idle_rounds = 0
            woken = self._wake.wait(max(0.05, min(next_due, IDLE_POLL_SECONDS)))
            self._wake.clear()
            if woken:
                idle_rounds = 0

    def drain(self, limit: int = 50) -> tuple[int, float | None]:
        """Send every due mail; returns (sent, seconds until the next one is due, or None)."""
        sent = 0
        for _ in range(limit):
            row = self._take_one()
            if row is None:
                break
            sent += self._attempt(row)
        with self.sessions() as db:
            due = db.scalar(select(OutboxMail.next_attempt_at).where(OutboxMail.sent_at.is_(None),
                                                                     OutboxMail.failed_at.is_(None))
                            .order_by(OutboxMail.next_attempt_at).limit(1))
        if due is None:
            return sent, None
        return sent, max(0.0, (due - utcnow()).total_seconds())

    def _take_one(self) -> OutboxMail | None:
        with self.sessions() as db:
            now = utcnow()
            candidate = db.scalar(select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
                                                           OutboxMail.next_attempt_at <= now)
                                  .order_by(OutboxMail.next_attempt_at).limit(1))
            if candidate is None:
                db.commit()
                return None
            won = db.execute(update(OutboxMail).where(OutboxMail.id == candidate.id,
                                                      OutboxMail.next_attempt_at == candidate.next_attempt_at,
                                                      OutboxMail.sent_at.is_(None))
                             .values(next_attempt_at=now + LEASE, attempts=OutboxMail.attempts + 1)
                             .execution_options(synchronize_session=False)).rowcount
            db.commit()
            if not won:
                return self._take_one()
            candidate.attempts += 1
            return candidate

    def _attempt(self, row: OutboxMail) -> int:
        error, permanent = None, False
        try:
            message = self.build(row.recipient, row.subject, row.body)
        except (ValueError, TypeError) as problem:
            error, permanent = f"cannot build the message: {problem}", True
        if error is None:
            try:
                self._deliver(message, queued_at=row.created_at)
            except (OSError, smtplib.SMTPException) as problem:
                error = str(problem) or problem.__class__.__name__
                permanent = isinstance(problem, smtplib.SMTPRecipientsRefused)
        with self.sessions() as db:
            if error is None:
                db.execute(update(OutboxMail).where(OutboxMail.id == row.id).values(sent_at=utcnow(), last_error=""))
            elif permanent or row.attempts >= MAX_ATTEMPTS:
                log.error("giving up on mail %s to %s: %s", row.id, row.recipient, error)
                db.execute(update(OutboxMail).where(OutboxMail.id == row.id).values(failed_at=utcnow(), last_error=error[:2000]))
            else:
                log.warning("mail %s to %s failed (try %d), retrying: %s", row.id, row.recipient, row.attempts, error)
                db.execute(update(OutboxMail).where(OutboxMail.id == row.id)
                           .values(next_attempt_at=utcnow() + backoff(row.attempts), last_error=error[:2000]))
            db.commit()
        return 1 if error is None else 0

    def _deliver(self, message: EmailMessage, queued_at: datetime | None = None) -> None:
        if self.settings.smtp is None:
            self._write_outbox(message, queued_at)
            return
        smtp = self.settings.smtp
        with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)

    def _write_outbox(self, message: EmailMessage, queued_at: datetime | None = None) -> Path:
        outbox = self.settings.outbox_dir
        outbox.mkdir(parents=True, exist_ok=True)
        # named by the time the mail was queued, not sent: two workers (the server's and a
        # script's deliver_pending) may send in any order, and the folder should read in order
        path = outbox / f"{(queued_at or utcnow()).strftime('%Y%m%dT%H%M%S%f')}-{new_id()}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(path)   # a reader never sees half a file
        return path


def deliver_pending(settings: Settings, wait_seconds: float = 30.0) -> None:
    """Send what the outbox holds now, waiting for mails another worker has taken (tests, scripts).
    Mails still unsent when the wait ends are logged with their last error."""
    from .db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    connecting_until = time.monotonic() + min(wait_seconds, 10.0)
    try:
        while True:
            try:
                if not inspect(engine).has_table(OutboxMail.__tablename__):
                    return   # no database yet: nothing was queued
                break
            except OperationalError as error:
                if engine.dialect.name == "sqlite":
                    return   # no database file: nothing was queued
                # A server refusing connections for a moment (too many clients while it is busy)
                # is waited for: what was queued must not read as "nothing" to the caller. Any
                # other failure (a wrong password, no such database) is the caller's to see.
                if not _refused_for_now(error) or time.monotonic() > connecting_until:
                    raise
                time.sleep(0.1)
        mailer = Mailer(settings, make_session_factory(engine))
        deadline = time.monotonic() + wait_seconds
        while True:
            mailer.drain()
            with mailer.sessions() as db:
                waiting = db.scalar(select(OutboxMail.id).where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
                                                                OutboxMail.attempts == 0).limit(1)) \
                    or db.scalar(select(OutboxMail.id).where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
                                                             OutboxMail.next_attempt_at > utcnow(),
                                                             OutboxMail.next_attempt_at <= utcnow() + LEASE,
                                                             OutboxMail.last_error == "").limit(1))
                late = time.monotonic() > deadline
                if waiting is not None and late:
                    for row in db.scalars(select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))):
                        log.warning("mail %s to %s not sent yet (%d tries, next at %s): %s", row.id, row.recipient,
                                    row.attempts, row.next_attempt_at, row.last_error or "taken by another worker")
            if waiting is None or late:
                return
            time.sleep(0.02)
    finally:
        engine.dispose()


def _refused_for_now(error: OperationalError) -> bool:
    cause = error.orig
    return getattr(cause, "sqlstate", None) in ("53300", "57P03") or any(
        words in str(cause) for words in ("Connection refused", "too many clients", "the database system is starting up"))


def read_outbox(settings: Settings) -> list[EmailMessage]:
    """Messages in the development outbox, oldest first (used by tests and `kbgen api` users).
    Mails still queued in the database are delivered first, so what a request queued is there."""
    from email import policy
    from email.parser import BytesParser

    try:
        deliver_pending(settings)
    except Exception as error:   # the files are still worth reading, and the failure worth a word
        log.warning("outbox not drained: %s", error)
    if not settings.outbox_dir.exists():
        return []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(settings.outbox_dir.glob("*.eml"))]
