"""One JSON error shape for every 4xx/5xx:

    {"error": {"code": "validation_failed", "message": "…", "fields": [{"field": "email", "reason": "…"}]}}
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("kbgen.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}
        self.words: tuple[str, dict] | None = None   # (key, values) when user_error made it


def user_error(status: int, code: str, key: str, *, headers: dict[str, str] | None = None, **values) -> ApiError:
    """An error a customer reads on a page: its words are api_error_<key> of the i18n strings
    (kbgen/i18n/<lang>.toml, reworded by the site like any string), answered in the language the
    page asks for with Accept-Language. `message` holds the bundled English, for logs and tests."""
    from ..ui_strings import strings_for

    error = ApiError(status, code, strings_for("en")[f"api_error_{key}"].format(**values), headers=headers)
    error.words = (key, values)
    return error


def request_language(request: Request, languages: tuple[str, ...]) -> str:
    """The first of the site's languages the request's Accept-Language names (q-values in order),
    else the site's first language."""
    wanted = []
    for position, part in enumerate(request.headers.get("accept-language", "")[:200].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        wanted.append((-quality, position, tag.strip().split("-")[0].lower()))
    for _quality, _position, lang in sorted(wanted):
        if lang in languages:
            return lang
    return languages[0] if languages else "en"


def _in_language(request: Request, error: ApiError) -> str:
    if error.words is None:
        return error.message
    from .features.notifications import site_text

    key, values = error.words
    settings = request.app.state.kb.settings
    return site_text(settings, request_language(request, settings.languages), f"api_error_{key}", **values)


def field_error(field: str, reason: str, status: int = 422) -> ApiError:
    return ApiError(status, "validation_failed", f"{field}: {reason}", [{"field": field, "reason": reason}])


def not_found(what: str = "record") -> ApiError:
    # the same answer whether the record does not exist or belongs to someone else
    return user_error(404, "not_found", "not_found", what=what)


def error_body(code: str, message: str, fields: list[dict] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or []}}


def _location_to_field(location) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(location[-1] if location else "request")


HTTP_CODES = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              408: "request_timeout", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              429: "rate_limited"}


def _busy() -> JSONResponse:
    return JSONResponse(error_body("busy", "The server is busy; please try again in a moment."), status_code=429,
                        headers={"Retry-After": "2"})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError):
        return JSONResponse(error_body(error.code, _in_language(request, error), error.fields), status_code=error.status,
                            headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError):
        fields = []
        for problem in error.errors():
            reason = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
            fields.append({"field": _location_to_field(problem.get("loc", ())), "reason": reason})
        message = "; ".join(f"{f['field']}: {f['reason']}" for f in fields) or "The request is not valid."
        return JSONResponse(error_body("validation_failed", message, fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException):
        code = HTTP_CODES.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else code
        return JSONResponse(error_body(code, message), status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @app.exception_handler(SQLAlchemyTimeout)
    async def _pool_exhausted(_request: Request, error: Exception):
        # should not happen (the pool is sized to the threads), but if it does it is load, not a bug
        log.warning("database pool exhausted: %s", error)
        return _busy()

    @app.exception_handler(OperationalError)
    async def _database_busy(_request: Request, error: OperationalError):
        if "database is locked" in str(error) or "could not obtain lock" in str(error):
            log.warning("database busy: %s", error)
            return _busy()
        log.exception("database error", exc_info=error)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side; please try again."),
                            status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception):
        log.exception("unexpected error", exc_info=error)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side; please try again."),
                            status_code=500)
