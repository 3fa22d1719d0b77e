"""The one schema of kbgen.toml: every section and key, its type and its checks, declared once.

The site build (`kbgen.config`), `kbgen check` and the API's start-up (`kbgen.api.settings`) all
read the file through `validate()`, which reports every problem at once, each with the file, the
dotted key and its line. Types are strict: `cookie_secure = "no"` is an error, not True, and a
number in quotes is not a number. Unknown keys are warnings everywhere, with a did-you-mean for
a near miss (`databse_url` → `database_url`). Nothing here reads files or the environment.

Adding a key: add a field to its section's model below, with a default so that files without it
stay valid, e.g. `edit_window_minutes: Annotated[int, whole(0, 10080)] = 30` in `Forum`. Its type
says what is accepted (strict: no "5" for 5, no "yes" for true); a check the type cannot say goes
in a plain validator that raises `_bad("message", "hint")`. The key is then known (never warned),
checked by `kbgen check`, `kbgen build` and the API start, and read as `config.file.forum.…` in the
builder or `settings.file.forum.…` in the API. A new section: a `Section` subclass and a field of
`KbgenFile` (and its name in API_SECTIONS when only the API reads it).
"""
from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any, Union
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, PlainValidator, Tag,
                      ValidationError, ValidationInfo, field_validator, model_validator)
from pydantic_core import PydanticCustomError

from .config_problems import problems_of, unknown_key_problems, without_errors
from .errors import Problem

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_PORTAL_PATH = "_portal"
DEFAULT_LANGUAGES = ("en", "ja")        # the API's languages when the file names none
DEFAULT_DEPARTMENT = "general"          # the one department when [[tickets.departments]] names none


def _bad(message: str, hint: str | None = None) -> PydanticCustomError:
    return PydanticCustomError("kbgen", "{message}", {"message": message, "hint": hint or ""})


def _context(info: ValidationInfo, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple((info.context or {}).get(key, default))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def whole(minimum: int = 0, maximum: int | None = None) -> PlainValidator:
    """A whole number in a range; "5" or 5.0 or true are refused with the range in the message."""
    def check(value: Any) -> int:
        if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
            where = f"≥ {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise _bad(f"must be a whole number {where} (got {value!r})")
        return value
    return PlainValidator(check)


def _not_negative(value: int) -> int:
    if value < 0:
        raise _bad("must not be negative")
    return value


Count = Annotated[int, AfterValidator(_not_negative)]


def one_of(*choices: str) -> PlainValidator:
    def check(value: Any) -> str:
        if value not in choices:
            raise _bad(f"must be one of {', '.join(choices)} (got {value!r})")
        return value
    return PlainValidator(check)


def strings(message: str, hint: str | None = None) -> PlainValidator:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _bad(message, hint)
        return value
    return PlainValidator(check)


def _labels(value: Any, info: ValidationInfo) -> dict[str, str]:
    """A label: one string for every language, or a table of per-language strings."""
    if isinstance(value, str):
        return {lang: value for lang in _context(info, "languages", DEFAULT_LANGUAGES)}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise _bad('must be a string or a table of per-language strings, e.g. { en = "Order number", ja = "注文番号" }')


Labels = Annotated[dict[str, str], PlainValidator(_labels)]


class Section(BaseModel):
    # unknown keys are kept out of the way and warned about by `unknown_keys`, never errors
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, arbitrary_types_allowed=True)


# --- the site -------------------------------------------------------------------------------

def _language_code(code: Any) -> str:
    if not isinstance(code, str) or not LANGUAGE_CODE.match(code):
        raise _bad("is not a language code", "use codes such as en, ja, pt-BR")
    return code


def _configured_language(value: str, info: ValidationInfo) -> str:
    configured = _context(info, "site_languages")
    if configured and value not in configured:
        raise _bad(f"{value!r} is not a configured language ({', '.join(configured)})")
    return value


class Language(Section):
    name: str | None = None             # default: the code
    title: str | None = None            # default: the site's title
    description: str = ""


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if not (parts.scheme in ("http", "https") and parts.netloc):
        raise _bad(f"must be an absolute http(s) URL, got {value!r}", 'for example base_url = "https://example.com/help/"')
    return value


def _widget_name(name: Any) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise _bad("widget names may use letters, digits, - and _ only")
    return name


class Widget(Section):
    language: Annotated[str, AfterValidator(_configured_language)]
    categories: Annotated[list[str], strings("expected a list of category paths (strings)")]
    title: str | None = None
    max_results: Count = 5


class Search(Section):
    precache_limit_kb: Count = 5000


def _portal_path(value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(f"expected a str, got {type(value).__name__} {value!r}")
    path = value.strip("/")
    if path and (not re.fullmatch(r"[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*", path)
                 or any(part in (".", "..") for part in path.split("/"))):
        raise _bad(f"{path!r} is not a URL folder",
                   'use letters, digits, "-", "_" and "/", e.g. path = "_portal" or path = "support"')
    return path


class Portal(Section):
    """The URL folder (under each language) of the portal's own pages; "" puts them straight
    under the language (see kbgen.config.portal_url)."""
    path: Annotated[str, PlainValidator(_portal_path)] = DEFAULT_PORTAL_PATH


def _options(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("expected a table of options")
    return value


class MarkdownSection(Section):
    """Python-Markdown extensions loaded after kbgen's own (checked for import by kbgen.config)."""
    extensions: Annotated[list[str], strings("expected a list of extension names (strings)",
                                             'for example extensions = ["abbr", "pymdownx.tilde"]')] = Field(default_factory=list)
    extension_configs: dict[str, Annotated[dict[str, Any], PlainValidator(_options)]] = Field(default_factory=dict)


# --- the API: [api], [api.smtp], [api.rate_limits] ----------------------------------------------

RATE_NAMES = ("signin", "register", "password_reset", "submission", "rating", "read", "signin_account",
              "password_reset_mail")
RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _rate_name(name: Any) -> str:
    if name not in RATE_NAMES:
        raise _bad(f"unknown limit; known: {', '.join(RATE_NAMES)}")
    return name


def _rate(value: Any) -> tuple[int, int]:
    match = RATE_PATTERN.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) < 1:
        raise _bad('must look like "10/minute" (second, minute, hour or day)')
    return int(match.group(1)), PERIOD_SECONDS[match.group(2)]


def _database_url(value: Any) -> str:
    if not isinstance(value, str):
        raise _bad("must be a string such as postgresql+psycopg://user@host/db")
    if value and not value.startswith(("sqlite", "postgresql://", "postgres://", "postgresql+psycopg")):
        raise _bad("must be a sqlite:/// or postgresql:// URL")
    return value


def _required_text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _bad("is required when [api.smtp] is present")
    return value


class Smtp(Section):
    host: Annotated[str, PlainValidator(_required_text)]
    port: Annotated[int, whole(1)] = 587
    username: str = ""
    password_env: str | None = None                     # the name of the variable holding the password
    starttls: bool = True
    sender: str = "support@localhost"

    @model_validator(mode="before")
    @classmethod
    def _host_first(cls, data: Any) -> Any:
        # "host is required" rather than a bare "missing" for an [api.smtp] without it
        return {"host": None, **data} if isinstance(data, dict) and "host" not in data else data


class Api(Section):
    url: str = "/api"                   # where the site's pages find the API
    database_url: Annotated[str, PlainValidator(_database_url)] = ""    # "": SQLite in data_dir
    data_dir: str = "var/api"
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    site_root: str = "/"
    allowed_origins: Annotated[list[str], strings('must be a list of origins such as ["https://help.example.com"]')] = \
        Field(default_factory=list)
    cookie_secure: bool | None = None   # default: whether public_url is https
    session_days: Annotated[int, whole(1)] = 30
    reset_minutes: Annotated[int, whole(5)] = 60
    max_json_kb: Annotated[int, whole(4)] = 256
    rate_limits: dict[Annotated[str, PlainValidator(_rate_name)], Annotated[tuple[int, int], PlainValidator(_rate)]] = \
        Field(default_factory=dict)
    smtp: Smtp | None = None
    internal_site: str | None = None
    trust_proxy: bool = False           # honour X-Forwarded-For for per-IP limits
    # reads get 429 "busy" while the event loop is this far behind (0: never)
    overload_lag_ms: Annotated[int, whole(0)] = 500


# --- [tickets] --------------------------------------------------------------------------------

FIELD_TYPES = ("text", "textarea", "select", "checkbox", "email", "number")
RESERVED_FIELD_NAMES = frozenset({"subject", "body", "department", "email", "name", "lang", "client_id"})
DEFAULT_ALLOWED_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv", ".zip")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


def _department_id(value: Any) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise _bad("needs an id of lowercase letters, digits and _ (e.g. billing)")
    return value


def _field_name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value) or value in RESERVED_FIELD_NAMES:
        raise _bad(f"must be lowercase letters, digits and _, and not one of {', '.join(sorted(RESERVED_FIELD_NAMES))}")
    return value


def _declared_departments(value: Any, info: ValidationInfo) -> list[str]:
    known = _context(info, "departments", (DEFAULT_DEPARTMENT,))
    if not isinstance(value, list) or any(d not in known for d in value):
        raise _bad(f"must list ids declared in [[tickets.departments]] ({', '.join(known)})")
    return value


class Department(Section):
    id: Annotated[str, PlainValidator(_department_id)]
    label: Labels | None = None         # default: the id

    @model_validator(mode="before")
    @classmethod
    def _id_first(cls, data: Any) -> Any:
        return {"id": None, **data} if isinstance(data, dict) and "id" not in data else data


def _option(value: Any, info: ValidationInfo) -> tuple[str, dict[str, str]]:
    if isinstance(value, str):
        return value, _labels(value, info)
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return value["value"], _labels(value.get("label", value["value"]), info)
    raise _bad('must be a string or { value = "…", label = { en = "…" } }')


class TicketField(Section):
    name: Annotated[str, PlainValidator(_field_name)]
    type: Annotated[str, one_of(*FIELD_TYPES)] = "text"
    required: bool = False
    label: Labels | None = None                         # default: the name
    # checked even when absent (a select needs them), after `type`, which is declared before it
    options: list[Annotated[tuple[str, dict[str, str]], PlainValidator(_option)]] | None = Field(None, validate_default=True)
    max_length: Annotated[int, whole(1)] = 2000
    departments: Annotated[list[str], PlainValidator(_declared_departments)] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _name_first(cls, data: Any) -> Any:
        return {"name": None, **data} if isinstance(data, dict) and "name" not in data else data

    @field_validator("options")
    @classmethod
    def _select_has_options(cls, value: list | None, info: ValidationInfo) -> list | None:
        if info.data.get("type") == "select" and not value:
            raise _bad("a select field needs a list of options")
        return value


def _sla_key(key: Any, info: ValidationInfo) -> str:
    if key not in TICKET_PRIORITIES and key not in _context(info, "departments", (DEFAULT_DEPARTMENT,)):
        raise _bad(f"unknown priority or department; use {', '.join(TICKET_PRIORITIES)} "
                   "or a department id declared in [[tickets.departments]]")
    return key


def _priority(key: Any) -> str:
    if key not in TICKET_PRIORITIES:
        raise _bad(f"unknown priority; use {', '.join(TICKET_PRIORITIES)}")
    return key


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise _bad("must be a positive number of hours (e.g. 24 or 0.5)")
    return float(value)


Hours = Annotated[float, PlainValidator(_hours)]
# [tickets.sla] urgent = 4 … (hours to solve, per priority) and [tickets.sla.<department>] with the
# same keys for a department's own targets; the table's type decides which of the two a key is
SlaEntry = Annotated[Union[Annotated[Hours, Tag("~hours")],
                           Annotated[dict[Annotated[str, PlainValidator(_priority)], Hours], Tag("~table")]],
                     Discriminator(lambda v: "~table" if isinstance(v, dict) else "~hours")]


def _allowed_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.startswith(".") for t in value):
        raise _bad('must be a list of file extensions such as [".png", ".pdf"]')
    return [t.lower() for t in value]


class Tickets(Section):
    departments: list[Department] = Field(default_factory=list)
    fields: list[TicketField] = Field(default_factory=list)
    max_file_mb: Annotated[int, whole(1)] = 10
    max_total_mb: Annotated[int, whole(1)] = 25
    max_files: Annotated[int, whole(0)] = 5
    allowed_types: Annotated[list[str], PlainValidator(_allowed_types)] = Field(default_factory=lambda: list(DEFAULT_ALLOWED_TYPES))
    sla: dict[Annotated[str, PlainValidator(_sla_key)], SlaEntry] = Field(default_factory=dict)

    @field_validator("departments")
    @classmethod
    def _unique_departments(cls, value: list[Department]) -> list[Department]:
        if len({d.id for d in value}) != len(value):
            raise _bad("department ids must be unique")
        return value

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, value: list[TicketField]) -> list[TicketField]:
        if len({f.name for f in value}) != len(value):
            raise _bad("field names must be unique")
        return value

    @field_validator("sla")
    @classmethod
    def _sla_shapes(cls, value: dict, info: ValidationInfo) -> dict:
        for key, entry in value.items():
            if isinstance(entry, dict) and key in TICKET_PRIORITIES:
                raise _bad(f"{key} is a priority: give it a number of hours, not a table")
            if not isinstance(entry, dict) and key not in TICKET_PRIORITIES:
                raise _bad(f"unknown priority {key!r}; use {', '.join(TICKET_PRIORITIES)} (a department's targets are a table)")
        return value


# --- [chat] -----------------------------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRECHAT_FIELDS = ("name", "email")
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
SPAN = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*$")
DEFAULT_WELCOME = {"en": "Hi! How can we help?", "ja": "こんにちは。どのようなご用件でしょうか？"}
Spans = tuple[tuple[time, time], ...]


def _colour(value: Any) -> str:
    if not isinstance(value, str) or not COLOUR.match(value):
        raise _bad(f'must be a colour such as "#0b6bcb" (got {value!r})')
    return value


def _welcome(value: Any, info: ValidationInfo) -> dict[str, str]:
    if isinstance(value, str):
        value = {lang: value for lang in _context(info, "languages", DEFAULT_LANGUAGES)}
    if not isinstance(value, dict) or not value or not all(isinstance(v, str) and len(v) <= 1000 for v in value.values()):
        raise _bad('must be a string or { en = "…", ja = "…" } (each at most 1000 characters)')
    return dict(value)


def _prechat(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(f not in PRECHAT_FIELDS for f in value):
        raise _bad(f"must be a list drawn from {', '.join(PRECHAT_FIELDS)}")
    return tuple(value)


def _chat_departments(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    known = _context(info, "departments", (DEFAULT_DEPARTMENT,))
    if not isinstance(value, list) or any(d not in known for d in value):
        raise _bad(f"must list ids from [[tickets.departments]] ({', '.join(known)})")
    return tuple(value)


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(f'unknown time zone {value!r}; use a name such as "Asia/Tokyo"') from None
    return str(value)


def _day(value: Any) -> str:
    if value not in DAYS:
        raise _bad(f"unknown day; use {', '.join(DAYS)}")
    return value


def _spans(value: Any) -> Spans:
    items = value if isinstance(value, list) else [value]
    spans = []
    for item in items:
        if not isinstance(item, str):
            raise _bad('must be "09:00-18:00", a list of such spans, or "closed"')
        for part in item.split(","):
            if part.strip().lower() == "closed":
                continue
            match = SPAN.match(part)
            if not match:
                raise _bad(f'"{part.strip()}" is not a span like "09:00-18:00"')
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h2 == 24 and m2 != 0:
                raise _bad("24:00 is the latest closing time")
            start, end = time(h1, m1), time.max if (h2, m2) >= (24, 0) else time(h2, m2)
            if end <= start:
                raise _bad(f'"{part.strip()}" closes before it opens')
            spans.append((start, end))
    return tuple(spans)


class ChatSettings(Section):
    """[chat]: button look, welcome text, pre-chat fields, departments and opening hours."""
    enabled: bool = True
    position: Annotated[str, one_of("bottom-right", "bottom-left")] = "bottom-right"
    accent: Annotated[str, PlainValidator(_colour)] = "#0b6bcb"           # text colour is chosen for contrast
    welcome: Annotated[dict[str, str], PlainValidator(_welcome)] = Field(default_factory=lambda: dict(DEFAULT_WELCOME))
    prechat_fields: Annotated[tuple[str, ...], PlainValidator(_prechat)] = PRECHAT_FIELDS   # asked of guests only
    departments: Annotated[tuple[str, ...], PlainValidator(_chat_departments)] = ()        # empty: all of them
    timezone: Annotated[str, PlainValidator(_timezone)] = "UTC"
    # days left out are closed; None (no `hours`): always open
    hours: dict[Annotated[str, PlainValidator(_day)], Annotated[Spans, PlainValidator(_spans)]] | None = None
    unanswered_after_seconds: Annotated[int, whole(10, 86400)] = 120

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


# --- [community], [forum], [feedback] -----------------------------------------------------------

class Community(Section):
    new_account_days: Annotated[int, whole(0, 3650)] = 7   # younger: a "new" account
    new_account_max_links: Annotated[int, whole(0, 1000)] = 1   # links per post of a new account


class Forum(Section):
    moderate_first_posts: Annotated[int, whole(0, 1000)] = 1   # held for approval (0: never)
    edit_window_minutes: Annotated[int, whole(0, 525600)] = 30   # authors may edit/delete own posts this long (0: never)


class Empty(Section):
    """A section with no settings yet: it may be present, and any key in it is warned about."""


# --- the whole file -----------------------------------------------------------------------------

class KbgenFile(Section):
    title: str = "Help Center"
    base_url: Annotated[str, AfterValidator(_absolute_url)] = "http://localhost:8000/"
    theme: str = "classic"
    default_language: Annotated[str, AfterValidator(_configured_language)] | None = None   # default: the first
    languages: dict[Annotated[str, PlainValidator(_language_code)], Language] = Field(default_factory=dict)
    content_dir: str = "content"
    output_dir: str = "output"
    internal_output_dir: str = "output-internal"
    themes_dir: str = "themes"
    cache_dir: str = ".kbgen-cache"
    recent_count: Count = 8
    related_count: Count = 5
    summary_length: Count = 200
    search: Search = Field(default_factory=Search)
    widgets: dict[Annotated[str, PlainValidator(_widget_name)], Widget] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)     # free-form, for themes
    portal: Portal = Field(default_factory=Portal)
    markdown: MarkdownSection = Field(default_factory=MarkdownSection)
    api: Api = Field(default_factory=Api)
    tickets: Tickets = Field(default_factory=Tickets)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    community: Community = Field(default_factory=Community)
    forum: Forum = Field(default_factory=Forum)
    feedback: Empty = Field(default_factory=Empty)
    documents: Empty = Field(default_factory=Empty)
    ratings: Empty = Field(default_factory=Empty)


# Sections only the API reads: the site build leaves them to it.
API_SECTIONS = ("api", "tickets", "chat", "community", "forum", "feedback", "documents", "ratings")


def _context_of(raw: dict) -> dict[str, tuple[str, ...]]:
    """What other sections' checks need to know, read leniently from the raw file: the configured
    languages and ticket departments (a wrong entry there is reported by its own section)."""
    languages = raw.get("languages")
    codes = tuple(k for k in languages if isinstance(k, str)) if isinstance(languages, dict) else ()
    tickets = raw.get("tickets")
    tickets = tickets if isinstance(tickets, dict) else {}
    items = tickets.get("departments")
    items = items if isinstance(items, list) else []
    departments = tuple(d["id"] for d in items if isinstance(d, dict) and isinstance(d.get("id"), str))
    return {"site_languages": codes, "languages": codes or DEFAULT_LANGUAGES,
            "departments": departments or (DEFAULT_DEPARTMENT,)}


# --- checking ---------------------------------------------------------------------------------------

def validate(raw: dict, *, file: str = "kbgen.toml", text: str | None = None,
             context: dict | None = None) -> tuple[KbgenFile, list[Problem]]:
    """The validated file and every problem in it (errors and warnings), each with its line when
    `text` (the file as read) is given. When there are errors, the model returned holds the
    defaults in place of the wrong values, so that later checks can still run. `context`
    replaces what is read from `raw` for the cross-section checks ("languages", "departments")."""
    problems = unknown_key_problems(raw, file, text, KbgenFile, API_SECTIONS)
    context = {**_context_of(raw), **(context or {})}
    current = raw
    for _ in range(5):
        try:
            model = KbgenFile.model_validate(current, context=context)
            return model, problems
        except ValidationError as error:
            if current is raw:
                problems += problems_of(error, file, text)
            current = without_errors(current, error)
    return KbgenFile.model_validate({}, context=context), problems
