"""The `[api]` and `[tickets]` sections of kbgen.toml, validated into `Settings`.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

import click

T = TypeVar("T")
FIELD_TYPES = ("text", "textarea", "select", "checkbox", "email", "number")
RESERVED_FIELD_NAMES = {"subject", "body", "department", "email", "name", "lang", "client_id"}
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_ALLOWED_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv", ".zip")
RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class SettingsError(click.ClickException):
    """A bad value in kbgen.toml; the message names the file and key (`problems`: each of them)."""

    def __init__(self, message: str, key: str | None = None, detail: str | None = None, problems: tuple = ()):
        super().__init__(message)
        self.key = key
        self.detail = detail if detail is not None else message
        self.problems = problems


# Every key each table may hold; anything else is warned about (see `_warn_unknown`).
API_KEYS = frozenset({"url", "database_url", "data_dir", "secret_key", "public_url", "site_root", "allowed_origins",
                      "cookie_secure", "session_days", "reset_minutes", "max_json_kb", "rate_limits", "smtp",
                      "internal_site", "trust_proxy"})
SMTP_KEYS = frozenset({"host", "port", "username", "password_env", "starttls", "sender"})
TICKET_KEYS = frozenset({"departments", "fields", "max_file_mb", "max_total_mb", "max_files", "allowed_types", "sla"})
TICKET_FIELD_KEYS = frozenset({"name", "type", "required", "label", "options", "max_length", "departments"})
DEPARTMENT_KEYS = frozenset({"id", "label"})


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
    source: str = "kbgen.toml"
    warnings: tuple[str, ...] = ()      # unknown keys, "file: [key] unknown option, ignored"
    # the whole kbgen.toml as read at start-up; [chat], [forum]… are parsed from it once (`section`)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

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

    def section(self, name: str, parse: Callable[[], T]) -> T:
        """`parse()` of one section, once for these settings: read once per start, never per request.
        (A new Settings, e.g. from with_overrides, parses again; a failed parse is not kept.)"""
        parsed = self.__dict__.setdefault("_sections", {})
        if name not in parsed:
            parsed[name] = parse()
        return parsed[name]


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


def _fail(source: str, key: str, message: str) -> SettingsError:
    return SettingsError(f"{source}: [{key}] {message}", key, message)


def _bool(table: dict, key: str, default: bool, source: str, section: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _fail(source, f"{section}.{key}", f"must be true or false (got {value!r})")
    return value


def _unknown_keys(table, known: frozenset[str], prefix: str) -> list[str]:
    """Dotted names of the keys of `table` that are not in `known`."""
    return [f"{prefix}.{key}" for key in sorted(set(table) - known)] if isinstance(table, dict) else []


def unknown_key_warnings(raw: dict) -> list[str]:
    """Every key of [api], [api.smtp], [tickets] and its departments and fields that nothing reads."""
    api = raw.get("api") if isinstance(raw.get("api"), dict) else {}
    tickets = raw.get("tickets") if isinstance(raw.get("tickets"), dict) else {}
    keys = _unknown_keys(api, API_KEYS, "api") + _unknown_keys(api.get("smtp"), SMTP_KEYS, "api.smtp")
    keys += _unknown_keys(tickets, TICKET_KEYS, "tickets")
    for name, known in (("departments", DEPARTMENT_KEYS), ("fields", TICKET_FIELD_KEYS)):
        items = tickets.get(name)
        for index, item in enumerate(items if isinstance(items, list) else []):
            keys += _unknown_keys(item, known, f"tickets.{name}[{index}]")
    return keys


def _labels(value, source: str, key: str, languages) -> dict[str, str]:
    if isinstance(value, str):
        return {lang: value for lang in languages}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise _fail(source, key, 'must be a string or a table of per-language strings, e.g. { en = "Order number", ja = "注文番号" }')


def _int(table: dict, key: str, default: int, source: str, section: str, minimum: int = 0) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(source, f"{section}.{key}" if section else key, f"must be a whole number ≥ {minimum} (got {value!r})")
    return value


def _parse_rates(table, source: str) -> dict[str, Rate]:
    if not isinstance(table, dict):
        raise _fail(source, "api.rate_limits", "must be a table")
    rates = {}
    for name, value in table.items():
        if name not in DEFAULT_RATES:
            raise _fail(source, f"api.rate_limits.{name}", f"unknown limit; known: {', '.join(DEFAULT_RATES)}")
        match = RATE_PATTERN.match(value) if isinstance(value, str) else None
        if not match or int(match.group(1)) < 1:
            raise _fail(source, f"api.rate_limits.{name}", 'must look like "10/minute" (second, minute, hour or day)')
        rates[name] = Rate(int(match.group(1)), PERIOD_SECONDS[match.group(2)])
    return rates


def _parse_smtp(table, source: str) -> SmtpSettings | None:
    if table is None:
        return None
    if not isinstance(table, dict) or not isinstance(table.get("host"), str) or not table["host"]:
        raise _fail(source, "api.smtp.host", "is required when [api.smtp] is present")
    password = ""
    if "password_env" in table:
        password = os.environ.get(str(table["password_env"]), "")
    return SmtpSettings(
        host=table["host"],
        port=_int(table, "port", 587, source, "api.smtp", 1),
        username=str(table.get("username", "")),
        password=password,
        starttls=_bool(table, "starttls", True, source, "api.smtp"),
        sender=str(table.get("sender", "support@localhost")),
    )


TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


def _parse_sla(table, source: str, department_ids: set[str]) -> dict[str, dict[str, float]]:
    """[tickets.sla] urgent = 4 … (hours to solve, per priority) and [tickets.sla.<department>]
    with the same keys for a department's own targets."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise _fail(source, "tickets.sla", "must be a table such as { urgent = 4, high = 8, normal = 24, low = 72 } (hours)")

    def targets(values: dict, key: str) -> dict[str, float]:
        found = {}
        for priority, hours in values.items():
            if priority not in TICKET_PRIORITIES:
                raise _fail(source, f"{key}.{priority}", f"unknown priority; use {', '.join(TICKET_PRIORITIES)} or a department id")
            if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
                raise _fail(source, f"{key}.{priority}", "must be a positive number of hours (e.g. 24 or 0.5)")
            found[priority] = float(hours)
        return found

    sla = {"": targets({k: v for k, v in table.items() if not isinstance(v, dict)}, "tickets.sla")}
    for department, values in table.items():
        if isinstance(values, dict):
            if department not in department_ids:
                raise _fail(source, f"tickets.sla.{department}", "must be a department id declared in [[tickets.departments]]")
            sla[department] = targets(values, f"tickets.sla.{department}")
    return sla


def parse_tickets(table, source: str, languages) -> TicketSettings:
    if table is None:
        return default_ticket_settings()
    if not isinstance(table, dict):
        raise _fail(source, "tickets", "must be a table")
    departments = []
    for index, item in enumerate(table.get("departments", [])):
        key = f"tickets.departments[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not NAME_PATTERN.match(item["id"]):
            raise _fail(source, f"{key}.id", "needs an id of lowercase letters, digits and _ (e.g. billing)")
        departments.append(Department(item["id"], _labels(item.get("label", item["id"]), source, f"{key}.label", languages)))
    if len({d.id for d in departments}) != len(departments):
        raise _fail(source, "tickets.departments", "department ids must be unique")
    fields = []
    for index, item in enumerate(table.get("fields", [])):
        key = f"tickets.fields[{index}]"
        if not isinstance(item, dict):
            raise _fail(source, key, "must be a table")
        name = item.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in RESERVED_FIELD_NAMES:
            raise _fail(source, f"{key}.name", f"must be lowercase letters, digits and _, and not one of {', '.join(sorted(RESERVED_FIELD_NAMES))}")
        kind = item.get("type", "text")
        if kind not in FIELD_TYPES:
            raise _fail(source, f"{key}.type", f"must be one of {', '.join(FIELD_TYPES)} (got {kind!r})")
        options = ()
        if kind == "select":
            raw = item.get("options")
            if not isinstance(raw, list) or not raw:
                raise _fail(source, f"{key}.options", "a select field needs a list of options")
            parsed = []
            for option_index, option in enumerate(raw):
                if isinstance(option, str):
                    parsed.append(Choice(option, {lang: option for lang in languages}))
                elif isinstance(option, dict) and isinstance(option.get("value"), str):
                    parsed.append(Choice(option["value"], _labels(option.get("label", option["value"]), source, f"{key}.options[{option_index}].label", languages)))
                else:
                    raise _fail(source, f"{key}.options[{option_index}]", 'must be a string or { value = "…", label = { en = "…" } }')
            options = tuple(parsed)
        only = item.get("departments", [])
        if not isinstance(only, list) or any(d not in {dep.id for dep in departments} for d in only):
            raise _fail(source, f"{key}.departments", "must list ids declared in [[tickets.departments]]")
        fields.append(TicketField(
            name=name, type=kind, required=_bool(item, "required", False, source, key),
            labels=_labels(item.get("label", name), source, f"{key}.label", languages),
            options=options, max_length=_int(item, "max_length", 2000, source, key, 1), departments=tuple(only),
        ))
    if len({f.name for f in fields}) != len(fields):
        raise _fail(source, "tickets.fields", "field names must be unique")
    allowed = table.get("allowed_types", list(DEFAULT_ALLOWED_TYPES))
    if not isinstance(allowed, list) or not all(isinstance(t, str) and t.startswith(".") for t in allowed):
        raise _fail(source, "tickets.allowed_types", 'must be a list of file extensions such as [".png", ".pdf"]')
    defaults = default_ticket_settings()
    return TicketSettings(
        sla=_parse_sla(table.get("sla"), source, {d.id for d in (departments or defaults.departments)}),
        departments=tuple(departments) or defaults.departments,
        fields=tuple(fields),
        max_file_bytes=_int(table, "max_file_mb", 10, source, "tickets", 1) * 1024 * 1024,
        max_total_bytes=_int(table, "max_total_mb", 25, source, "tickets", 1) * 1024 * 1024,
        max_files=_int(table, "max_files", 5, source, "tickets", 0),
        allowed_types=tuple(t.lower() for t in allowed),
    )


def _secret_key(api: dict, data_dir: Path) -> str:
    key = os.environ.get("KBGEN_SECRET_KEY") or api.get("secret_key")
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


def _portal_path(raw: dict) -> str:
    """[portal] path, validated with the rest of the site's configuration by kbgen.config."""
    from ..config import DEFAULT_PORTAL_PATH
    portal = raw.get("portal") if isinstance(raw.get("portal"), dict) else {}
    path = portal.get("path", DEFAULT_PORTAL_PATH)
    return path.strip("/") if isinstance(path, str) else DEFAULT_PORTAL_PATH


def settings_from_dict(raw: dict, source: str = "kbgen.toml", base_dir: Path | None = None, *,
                       text: str | None = None, check_only: bool = False) -> Settings:
    """`text` (the file as read) lets messages name the line; `check_only` (kbgen check) never
    writes the development secret key."""
    base_dir = base_dir or Path.cwd()
    errors: list[SettingsError] = []

    def attempt(parse: Callable[[], T], default: T) -> T:
        # each value on its own, so one mistake does not hide the next
        try:
            return parse()
        except SettingsError as error:
            errors.append(error)
            return default

    api = raw.get("api", {}) or {}
    if not isinstance(api, dict):
        errors.append(_fail(source, "api", "must be a table"))
        api = {}
    languages = tuple(raw.get("languages", {}).keys()) if isinstance(raw.get("languages"), dict) else ("en", "ja")
    languages = languages or ("en", "ja")
    data_dir = Path(os.environ.get("KBGEN_DATA_DIR") or api.get("data_dir", "var/api"))
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir
    database_url = attempt(lambda: _database_url(api, data_dir, source), f"sqlite:///{data_dir / 'kbgen.sqlite3'}")
    public_url = str(api.get("public_url", "http://127.0.0.1:8000")).rstrip("/")
    origins = api.get("allowed_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        errors.append(_fail(source, "api.allowed_origins", 'must be a list of origins such as ["https://help.example.com"]'))
        origins = []
    internal = api.get("internal_site")
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="" if check_only else _secret_key(api, data_dir),
        public_url=public_url,
        site_root=str(api.get("site_root", "/")),
        portal_path=_portal_path(raw),
        allowed_origins=tuple(o.rstrip("/") for o in origins) + (origin_of(public_url),),
        cookie_secure=attempt(lambda: _bool(api, "cookie_secure", public_url.startswith("https://"), source, "api"), True),
        session_days=attempt(lambda: _int(api, "session_days", 30, source, "api", 1), 30),
        reset_minutes=attempt(lambda: _int(api, "reset_minutes", 60, source, "api", 5), 60),
        max_json_bytes=attempt(lambda: _int(api, "max_json_kb", 256, source, "api", 4), 256) * 1024,
        rates=attempt(lambda: _parse_rates(api.get("rate_limits", {}), source), {}),
        smtp=attempt(lambda: _parse_smtp(api.get("smtp"), source), None),
        tickets=attempt(lambda: parse_tickets(raw.get("tickets"), source, languages), default_ticket_settings()),
        internal_site=(base_dir / internal) if internal else None,
        languages=languages,
        trust_proxy=attempt(lambda: _bool(api, "trust_proxy", False, source, "api"), False),
        source=source,
        raw=raw,
        warnings=tuple(_located(source, key, "unknown option, ignored (check its spelling in docs/API.md)", text)
                       for key in unknown_key_warnings(raw)),
    )
    if errors:
        lines = tuple(_located(source, e.key, e.detail, text) if e.key else e.message for e in errors)
        raise SettingsError("\n".join(lines), errors[0].key, errors[0].detail, problems=tuple(errors))
    return settings


def _located(source: str, key: str, message: str, text: str | None) -> str:
    """`file:line: [key] message`: the line where `key` is set, when the file's text is known."""
    from ..config import key_line

    line = key_line(text, key) if text else None
    return f"{source}{f':{line}' if line else ''}: [{key}] {message}"


def _database_url(api: dict, data_dir: Path, source: str) -> str:
    database_url = os.environ.get("KBGEN_DATABASE_URL") or api.get("database_url") or ""
    if not isinstance(database_url, str):
        raise _fail(source, "api.database_url", "must be a string such as postgresql+psycopg://user@host/db")
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'kbgen.sqlite3'}"
    elif database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if not (database_url.startswith("sqlite") or database_url.startswith("postgresql+psycopg")):
        raise _fail(source, "api.database_url", "must be a sqlite:/// or postgresql:// URL")
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


def live_section(settings: Settings, name: str, parse: Callable[[dict, str], T], default: T) -> T:
    """`parse(toml, source)` of the kbgen.toml these settings were read from at start-up, parsed
    once per Settings object (no re-reading per request; a restart applies an edit). `default`
    when there was no file."""
    if not settings.raw:
        return default
    return settings.section(name, lambda: parse(dict(settings.raw), settings.source))
