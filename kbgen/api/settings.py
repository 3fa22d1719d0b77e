"""The `[api]` and `[tickets]` sections of kbgen.toml, validated into `Settings`.

Every error names the file and the key so a site owner can fix the config without reading code.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, TypeVar

import click

T = TypeVar("T")
FIELD_TYPES = ("text", "textarea", "select", "checkbox", "email", "number")
RESERVED_FIELD_NAMES = {"subject", "body", "department", "email", "name", "lang", "client_id"}
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_ALLOWED_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv", ".zip")
RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class SettingsError(click.ClickException):
    """A bad value in kbgen.toml; the message names the file and key."""


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
    return SettingsError(f"{source}: [{key}] {message}")


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
        starttls=bool(table.get("starttls", True)),
        sender=str(table.get("sender", "support@localhost")),
    )


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
            name=name, type=kind, required=bool(item.get("required", False)),
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


def settings_from_dict(raw: dict, source: str = "kbgen.toml", base_dir: Path | None = None) -> Settings:
    base_dir = base_dir or Path.cwd()
    api = raw.get("api", {}) or {}
    if not isinstance(api, dict):
        raise _fail(source, "api", "must be a table")
    languages = tuple(raw.get("languages", {}).keys()) if isinstance(raw.get("languages"), dict) else ("en", "ja")
    languages = languages or ("en", "ja")
    data_dir = Path(os.environ.get("KBGEN_DATA_DIR") or api.get("data_dir", "var/api"))
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir
    database_url = os.environ.get("KBGEN_DATABASE_URL") or api.get("database_url") or ""
    if not isinstance(database_url, str):
        raise _fail(source, "api.database_url", "must be a string such as postgresql+psycopg://user@host/db")
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'kbgen.sqlite3'}"
    elif database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if not (database_url.startswith("sqlite") or database_url.startswith("postgresql+psycopg")):
        raise _fail(source, "api.database_url", "must be a sqlite:/// or postgresql:// URL")
    public_url = str(api.get("public_url", "http://127.0.0.1:8000")).rstrip("/")
    origins = api.get("allowed_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise _fail(source, "api.allowed_origins", 'must be a list of origins such as ["https://help.example.com"]')
    internal = api.get("internal_site")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=_secret_key(api, data_dir),
        public_url=public_url,
        site_root=str(api.get("site_root", "/")),
        portal_path=_portal_path(raw),
        allowed_origins=tuple(o.rstrip("/") for o in origins) + (origin_of(public_url),),
        cookie_secure=bool(api.get("cookie_secure", public_url.startswith("https://"))),
        session_days=_int(api, "session_days", 30, source, "api", 1),
        reset_minutes=_int(api, "reset_minutes", 60, source, "api", 5),
        max_json_bytes=_int(api, "max_json_kb", 256, source, "api", 4) * 1024,
        rates=_parse_rates(api.get("rate_limits", {}), source),
        smtp=_parse_smtp(api.get("smtp"), source),
        tickets=parse_tickets(raw.get("tickets"), source, languages),
        internal_site=(base_dir / internal) if internal else None,
        languages=languages,
        trust_proxy=bool(api.get("trust_proxy", False)),
        source=source,
    )


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
    return settings_from_dict(_read_toml(path), source=str(path), base_dir=path.parent.resolve())


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None


_section_cache: dict[tuple[str, str, int], tuple[int, object]] = {}


def live_section(settings: Settings, name: str, parse: Callable[[dict, str], T], default: T) -> T:
    """`parse(toml, source)` of the kbgen.toml these settings came from, as it is now: sections such as
    [chat] or [forum] apply without a restart, yet the file is re-read and re-parsed only when its
    modification time changes. `default` when the file is missing."""
    path = Path(settings.source)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return default
    # keyed by the settings object too: a parser may read other settings (e.g. languages)
    key = (str(path.resolve()), name, id(settings))
    cached = _section_cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    parsed = parse(_read_toml(path), str(path))
    _section_cache[key] = (stamp, parsed)
    return parsed
