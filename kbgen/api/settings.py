"""The API's view of kbgen.toml: `Settings`, built at start-up from the file validated by the one
schema (kbgen.schema) and passed down; nothing re-reads the file per request.

Every error names the file, the key and (when read from a file) the line, so a site owner can fix
the config without reading code. All problems of the file are reported together; values have
strict types (`cookie_secure = "no"` is an error, not True); an unknown key is a warning, so a
misspelt `databse_url` is noticed instead of silently falling back to SQLite.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from .. import schema
from ..errors import Problem
from ..schema import DEFAULT_ALLOWED_TYPES, FIELD_TYPES, RESERVED_FIELD_NAMES, TICKET_PRIORITIES, ChatSettings, KbgenFile

__all__ = ["DEFAULT_ALLOWED_TYPES", "FIELD_TYPES", "RESERVED_FIELD_NAMES", "TICKET_PRIORITIES", "ChatSettings",
           "CommunitySettings", "Settings", "SettingsError", "load_settings", "parse_tickets", "settings_from_dict"]


class SettingsError(click.ClickException):
    """A bad value in kbgen.toml; the message names the file, line and key of each problem
    (`problems`: each of them, as kbgen.errors.Problem)."""

    def __init__(self, message: str, key: str | None = None, detail: str | None = None, problems: tuple = ()):
        super().__init__(message)
        self.key = key
        self.detail = detail if detail is not None else message
        self.problems = problems

    @classmethod
    def of(cls, problems: list[Problem]) -> "SettingsError":
        return cls("\n".join(_format(p) for p in problems), problems[0].field, problems[0].message, tuple(problems))

    @classmethod
    def raise_for(cls, problems: list[Problem]) -> None:
        """Raises one SettingsError naming every error among `problems` (warnings pass)."""
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise cls.of(errors)


def _format(problem: Problem) -> str:
    """`file:line: [key] message` (and the hint on the next line)."""
    where = f"{problem.file}{f':{problem.line}' if problem.line else ''}"
    text = f"{where}: [{problem.field}] {problem.message}" if problem.field else f"{where}: {problem.message}"
    return text + (f"\n    → {problem.hint}" if problem.hint else "")


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: int


@dataclass(frozen=True)
class Choice:
    value: str
    labels: dict[str, str]


@dataclass(frozen=True)
class TicketField:
    name: str
    type: str
    required: bool
    labels: dict[str, str]
    options: tuple[Choice, ...] = ()
    max_length: int = 2000
    departments: tuple[str, ...] = ()   # empty: shown for every department


@dataclass(frozen=True)
class Department:
    id: str
    labels: dict[str, str]


@dataclass(frozen=True)
class TicketSettings:
    departments: tuple[Department, ...]
    fields: tuple[TicketField, ...]
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 25 * 1024 * 1024
    max_files: int = 5
    allowed_types: tuple[str, ...] = DEFAULT_ALLOWED_TYPES
    subject_max: int = 200
    body_max: int = 20000
    # [tickets.sla]: hours to solve a ticket per priority, optionally per department
    # ({"": {"urgent": 4.0, …}, "billing": {"urgent": 2.0}}); a priority without a target has no due time
    sla: dict[str, dict[str, float]] = field(default_factory=dict, hash=False)

    def sla_hours(self, department: str, priority: str) -> float | None:
        own = self.sla.get(department, {})
        return own.get(priority, self.sla.get("", {}).get(priority))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    sender: str = "support@localhost"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str
    public_url: str = "http://127.0.0.1:8000"
    site_root: str = "/"                # where the static site lives, for links in emails
    portal_path: str = "_portal"        # [portal] path: where the portal pages live (kbgen.config.portal_url)
    allowed_origins: tuple[str, ...] = ()
    cookie_secure: bool = False
    session_days: int = 30
    reset_minutes: int = 60
    max_json_bytes: int = 256 * 1024
    rates: dict[str, Rate] = field(default_factory=dict)
    smtp: SmtpSettings | None = None
    tickets: TicketSettings = field(default_factory=lambda: default_ticket_settings())
    internal_site: Path | None = None
    languages: tuple[str, ...] = ("en", "ja")
    trust_proxy: bool = False           # honour X-Forwarded-For for per-IP limits
    overload_lag: float = 0.5           # seconds of event-loop delay before reads get 429 "busy"; 0: never
    source: str = "kbgen.toml"
    warnings: tuple[str, ...] = ()      # unknown keys, "file:line: [key] unknown option, ignored (…)"
    # the whole kbgen.toml as read at start-up, and as validated: [chat], [forum] … are read from
    # `file` (e.g. settings.file.forum.moderate_first_posts), never from the disk again
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    file: KbgenFile = field(default_factory=KbgenFile, compare=False, repr=False)

    @property
    def chat(self) -> ChatSettings:
        return self.file.chat

    @property
    def community(self) -> "CommunitySettings":
        return CommunitySettings.of(self.file)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def max_upload_request_bytes(self) -> int:
        # multipart framing and the text fields come on top of the files themselves
        return self.tickets.max_total_bytes + 256 * 1024

    def rate(self, name: str) -> Rate:
        return self.rates.get(name) or DEFAULT_RATES[name]

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


@dataclass(frozen=True)
class CommunitySettings:
    """[community] and [forum] together: what the forum and the feedback board check posts against."""
    new_account_days: int = 7
    new_account_max_links: int = 1
    moderate_first_posts: int = 1
    edit_window_minutes: int = 30

    @classmethod
    def of(cls, file: KbgenFile) -> "CommunitySettings":
        return cls(new_account_days=file.community.new_account_days,
                   new_account_max_links=file.community.new_account_max_links,
                   moderate_first_posts=file.forum.moderate_first_posts,
                   edit_window_minutes=file.forum.edit_window_minutes)


DEFAULT_RATES = {
    "signin": Rate(10, 60),          # per IP
    "register": Rate(5, 3600),
    "password_reset": Rate(5, 3600),
    "submission": Rate(30, 60),      # tickets, replies, uploads
    "rating": Rate(60, 60),
    "read": Rate(600, 60),           # GETs per IP and worker process, counted in memory
    "signin_account": Rate(100, 3600),   # failed sign-ins per account from all addresses together
    "password_reset_mail": Rate(3, 3600),   # reset mails per account (requests beyond: same answer, no mail)
}


def default_ticket_settings() -> TicketSettings:
    return TicketSettings(
        departments=(Department("general", {"en": "General question", "ja": "一般的な質問"}),),
        fields=(),
    )


def _ticket_settings(tickets: schema.Tickets, languages) -> TicketSettings:
    defaults = default_ticket_settings()
    departments = tuple(Department(d.id, d.label or {lang: d.id for lang in languages}) for d in tickets.departments)
    fields = tuple(TicketField(
        name=f.name, type=f.type, required=f.required, labels=f.label or {lang: f.name for lang in languages},
        options=tuple(Choice(value, labels) for value, labels in f.options or ()) if f.type == "select" else (),
        max_length=f.max_length, departments=tuple(f.departments)) for f in tickets.fields)
    sla = {"": {k: v for k, v in tickets.sla.items() if not isinstance(v, dict)}} if tickets.sla else {}
    sla.update({k: dict(v) for k, v in tickets.sla.items() if isinstance(v, dict)})
    return TicketSettings(
        sla=sla,
        departments=departments or defaults.departments,
        fields=fields,
        max_file_bytes=tickets.max_file_mb * 1024 * 1024,
        max_total_bytes=tickets.max_total_mb * 1024 * 1024,
        max_files=tickets.max_files,
        allowed_types=tuple(tickets.allowed_types),
    )


def parse_tickets(table, source: str, languages) -> TicketSettings:
    """[tickets] alone (for tests and tools): every problem of the section at once, or its settings."""
    if table is None:
        return default_ticket_settings()
    model, problems = schema.validate({"tickets": table}, file=source, context={"languages": tuple(languages)})
    SettingsError.raise_for(problems)
    return _ticket_settings(model.tickets, tuple(languages))


def _secret_key(configured: str | None, data_dir: Path) -> str:
    key = os.environ.get("KBGEN_SECRET_KEY") or configured
    if key:
        return str(key)
    # development: one random key kept next to the database so sessions survive restarts
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def settings_from_dict(raw: dict, source: str = "kbgen.toml", base_dir: Path | None = None, *,
                       text: str | None = None, check_only: bool = False) -> Settings:
    """`raw` validated by the one schema (every problem of the file at once); `text` (the file as
    read) lets messages name the line; `check_only` never writes the development secret key."""
    base_dir = base_dir or Path.cwd()
    model, problems = schema.validate(raw, file=source, text=text)
    api = model.api
    languages = tuple(model.languages) or schema.DEFAULT_LANGUAGES
    data_dir = Path(os.environ.get("KBGEN_DATA_DIR") or api.data_dir)
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir
    database_url = _database_url(api.database_url, data_dir, source, problems)
    public_url = api.public_url.rstrip("/")
    SettingsError.raise_for(problems)
    smtp = api.smtp and SmtpSettings(
        host=api.smtp.host, port=api.smtp.port, username=api.smtp.username,
        password=os.environ.get(api.smtp.password_env, "") if api.smtp.password_env else "",
        starttls=api.smtp.starttls, sender=api.smtp.sender)
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="" if check_only else _secret_key(api.secret_key, data_dir),
        public_url=public_url,
        site_root=api.site_root,
        portal_path=model.portal.path,
        allowed_origins=tuple(o.rstrip("/") for o in api.allowed_origins) + (origin_of(public_url),),
        cookie_secure=public_url.startswith("https://") if api.cookie_secure is None else api.cookie_secure,
        session_days=api.session_days,
        reset_minutes=api.reset_minutes,
        max_json_bytes=api.max_json_kb * 1024,
        rates={name: Rate(*rate) for name, rate in api.rate_limits.items()},
        smtp=smtp,
        tickets=_ticket_settings(model.tickets, languages),
        internal_site=(base_dir / api.internal_site) if api.internal_site else None,
        languages=languages,
        trust_proxy=api.trust_proxy,
        overload_lag=api.overload_lag_ms / 1000,
        source=source,
        raw=raw,
        file=model,
        warnings=tuple(_format(p).replace("\n    → ", " (", 1) + (")" if p.hint else "")
                       for p in problems if p.severity == "warning"),
    )


def _database_url(value: str, data_dir: Path, source: str, problems: list[Problem]) -> str:
    from_env = os.environ.get("KBGEN_DATABASE_URL")
    database_url = from_env or value
    if not database_url:
        return f"sqlite:///{data_dir / 'kbgen.sqlite3'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if from_env and not (database_url.startswith("sqlite") or database_url.startswith("postgresql+psycopg")):
        problems.append(Problem("environment", None, "KBGEN_DATABASE_URL", "must be a sqlite:/// or postgresql:// URL"))
    return database_url


def origin_of(url: str) -> str:
    match = re.match(r"^(https?://[^/]+)", url)
    return match.group(1) if match else url


def load_settings(config_path: str | Path = "kbgen.toml", development: bool = False) -> Settings:
    """Settings from kbgen.toml (`config_path` may also be the site folder holding it).
    `development` (kbgen serve) is accepted for the dev server; defaults already suit it."""
    path = Path(config_path)
    if path.is_dir():
        path = path / "kbgen.toml"
    if not path.exists():
        return settings_from_dict({}, source=str(path), base_dir=path.parent.resolve())
    text = path.read_text(encoding="utf-8")
    settings = settings_from_dict(_read_toml(path), source=str(path), base_dir=path.parent.resolve(), text=text)
    for warning in settings.warnings:
        click.secho(f"warning: {warning}", err=True, fg="yellow")
    return settings


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
