"""Outgoing email: SMTP when [api.smtp] is configured, else one .eml file per message in the
development outbox (data_dir/outbox) so password-reset links and notifications can be read."""
from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage
from pathlib import Path

from .db import new_id, utcnow
from .settings import Settings

log = logging.getLogger("kbgen.api.mail")


class Mailer:
    def __init__(self, settings: Settings):
        self.settings = settings

    def build(self, to: str, subject: str, text: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp.sender if self.settings.smtp else "support@localhost"
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        return message

    def send(self, to: str, subject: str, text: str) -> None:
        message = self.build(to, subject, text)
        if self.settings.smtp is None:
            self._write_outbox(message)
        else:
            # sending must not hold the request (or its database transaction) open
            threading.Thread(target=self._send_smtp, args=(message,), daemon=True).start()

    def _write_outbox(self, message: EmailMessage) -> Path:
        outbox = self.settings.outbox_dir
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{new_id()}.eml"
        path.write_bytes(bytes(message))
        return path

    def _send_smtp(self, message: EmailMessage) -> None:
        smtp = self.settings.smtp
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.username:
                    client.login(smtp.username, smtp.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            log.error("could not send mail to %s: %s", message["To"], error)


def read_outbox(settings: Settings) -> list[EmailMessage]:
    """Messages in the development outbox, oldest first (used by tests and `kbgen api` users)."""
    from email import policy
    from email.parser import BytesParser

    if not settings.outbox_dir.exists():
        return []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(settings.outbox_dir.glob("*.eml"))]
