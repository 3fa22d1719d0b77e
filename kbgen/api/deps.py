"""FastAPI dependencies every resource module uses: database session, current user, role checks,
CSRF, per-IP rate limits. See docs/API.md for how to use them."""
from __future__ import annotations

import functools
import inspect
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, AsyncIterator, Callable

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .db import utcnow
from .errors import ApiError, user_error
from .mailer import Mailer
from .middleware import TIMING
from .models import AuthSession, RateCounter, User
from .security import SESSION_COOKIE, client_ip, csrf_check, token_hash
from .settings import Settings
from .storage import FileStore


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    mailer: Mailer
    files: FileStore
    read_sessions: sessionmaker[Session] | None = None   # GET/HEAD: on SQLite, no write lock

    def session_for(self, method: str) -> Session:
        factory = self.read_sessions if method in SAFE_METHODS and self.read_sessions is not None else self.sessions
        return factory()


# Dependencies that do no I/O are `async def`: FastAPI runs a sync dependency in the thread pool,
# and every such hop is one more wait for a thread (and for the GIL) under load.
async def app_state(request: Request) -> AppState:
    return request.app.state.kb


async def get_settings(request: Request) -> Settings:
    return request.app.state.kb.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session: read-only for GET/HEAD. A sync endpoint's session is closed in the
    endpoint's own thread as it returns (see end_sessions_in_endpoints); this close on the event
    loop is the backstop for async endpoints and errors, and never waits for a thread."""
    session = request.app.state.kb.session_for(request.method)
    try:
        yield session
    finally:
        session.close()


DB = Annotated[Session, Depends(get_db)]
State = Annotated[AppState, Depends(app_state)]


def _lookup_user(request: Request, token: str) -> User | None:
    with request.app.state.kb.session_for("GET") as db:
        row = db.get(AuthSession, token_hash(token))
        if row is not None and row.expires_at > utcnow():
            candidate = db.get(User, row.user_id)
            if candidate is not None and not candidate.disabled:
                return candidate
    return None


async def current_user(request: Request) -> User | None:
    """The signed-in user, or None. Looked up in its own short read (so a request that then
    waits for its upload does not hold the database), and cached on the request. Anonymous
    requests (most of a burst) need no thread at all."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) < 100:
        user = await run_in_threadpool(_lookup_user, request, token)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(current_user)]


async def require_user(user: OptionalUser) -> User:
    if user is None:
        raise user_error(401, "not_signed_in", "sign_in_first")
    return user


async def require_staff(user: OptionalUser) -> User:
    if user is None:
        raise user_error(401, "not_signed_in", "sign_in_as_staff")
    if not user.is_staff:
        raise user_error(403, "forbidden", "staff_only")
    return user


async def require_admin(user: Annotated[User, Depends(require_staff)]) -> User:
    if user.role != "admin":
        raise user_error(403, "forbidden", "admin_only")
    return user


SignedIn = Annotated[User, Depends(require_user)]
Staff = Annotated[User, Depends(require_staff)]
Admin = Annotated[User, Depends(require_admin)]

async def csrf_protect(request: Request) -> None:
    """Applied to the whole /api router: every state-changing request needs Origin + token."""
    if request.method in SAFE_METHODS:
        return
    reason = csrf_check(request, request.app.state.kb.settings)
    if reason:
        raise ApiError(403, "csrf_failed", reason)


def hit_rate_limit(state: AppState, name: str, key: str) -> None:
    """Count one request against limit `name` for `key`; raise 429 once the limit is reached.

    Counted in its own transaction so a failed request (wrong password…) still counts."""
    rate, now, window, bucket = _window(state, name, key)
    with state.sessions() as db:
        _increment(db, bucket, window)
        previous, current = _counts(db, bucket, window)
        if now % 50 == 0:   # now and then, forget windows that are long over
            db.execute(RateCounter.__table__.delete().where(RateCounter.window < window - 2, RateCounter.bucket.like(f"{name}:%")))
            db.commit()
    if _estimate(rate, now, previous, current) > rate.limit:
        retry = _retry_after(rate, now, previous, current)
        raise user_error(429, "rate_limited", "too_many_requests", seconds=retry, headers={"Retry-After": str(retry)})


def _window(state: AppState, name: str, key: str):
    rate = state.settings.rate(name)
    now = int(utcnow().timestamp())
    return rate, now, now // rate.period_seconds, f"{name}:{key}"[:200]


def _counts(db, bucket: str, window: int) -> tuple[int, int]:
    """The counts of the window before `window` and of `window` itself."""
    rows = dict(db.execute(select(RateCounter.window, RateCounter.count)
                           .where(RateCounter.bucket == bucket, RateCounter.window.in_((window - 1, window)))).all())
    return rows.get(window - 1, 0), rows.get(window, 0)


def _estimate(rate, now: int, previous: int, current: int) -> int:
    """Events in the last period, as a sliding window: this window's count plus the share of the
    previous one that still lies within a period of now (rounded up). Fixed windows alone would
    let a client send twice the limit across a window's end, and forget a burst at that instant."""
    period = rate.period_seconds
    return current + math.ceil(previous * (period - now % period) / period)


def _retry_after(rate, now: int, previous: int, current: int) -> int:
    """Seconds until one more event keeps the estimate within the limit."""
    period = rate.period_seconds
    step = max(1, period // 120)
    for wait in range(step, 2 * period + step, step):
        later = now + wait
        ahead = later // period - now // period
        counts = (previous, current) if ahead == 0 else (current, 0) if ahead == 1 else (0, 0)
        if _estimate(rate, later, *counts) < rate.limit:
            return wait
    return 2 * period


def rate_exceeded(state: AppState, name: str, key: str) -> int:
    """Seconds until `key` may try again when limit `name` is reached, else 0.
    Counts nothing (see count_event): for limits on failures only."""
    rate, now, window, bucket = _window(state, name, key)
    with state.session_for("GET") as db:
        previous, current = _counts(db, bucket, window)
    return _retry_after(rate, now, previous, current) if _estimate(rate, now, previous, current) >= rate.limit else 0


def count_event(state: AppState, name: str, key: str) -> None:
    """Count one event (a failed password…) against limit `name` for `key`, in its own transaction."""
    _rate, _now, window, bucket = _window(state, name, key)
    with state.sessions() as db:
        _increment(db, bucket, window)


def _increment(db, bucket: str, window: int) -> None:
    """Adds one to a counter row in its own committed transaction; two requests creating the
    same row at once both count (the loser of the insert race updates instead)."""
    for _attempt in range(3):
        changed = db.execute(update(RateCounter).where(RateCounter.bucket == bucket, RateCounter.window == window)
                             .values(count=RateCounter.count + 1)).rowcount
        if not changed:
            db.add(RateCounter(bucket=bucket, window=window, count=1))
        try:
            db.commit()
            return
        except IntegrityError:
            db.rollback()


def rate_limit(name: str) -> Callable:
    """Dependency: `dependencies=[Depends(rate_limit("submission"))]` limits per client IP."""
    def dependency(request: Request) -> None:
        state = request.app.state.kb
        hit_rate_limit(state, name, client_ip(request, state.settings))
    dependency.__name__ = f"rate_limit_{name}"
    return dependency


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(days=settings.session_days)


def _api_routes(routes):
    """Every APIRoute, also inside included routers (FastAPI ≥ 0.16x keeps included routers as
    references and builds their effective routes lazily, from `route.endpoint`)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def end_sessions_in_endpoints(routes) -> None:
    """Make every sync endpoint close its database session(s) in its own thread, as it returns.

    FastAPI validates a sync endpoint's return value in a second thread-pool call and closes
    yield-dependencies after that. Under a burst every thread can be busy, so the request would sit
    holding its pooled connection (and, on SQLite, its transaction) while waiting for a thread that
    waits for that connection: the stall the load test showed. Closing here ends the transaction and
    returns the connection before the request ever waits again. Call before the first request."""
    for route in _api_routes(routes):
        endpoint = route.endpoint
        if getattr(endpoint, "_ends_sessions", False) or inspect.iscoroutinefunction(endpoint) \
                or inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
            continue

        serialize = _serializer_in_thread(route)

        def wrapper(*args, _endpoint=endpoint, _serialize=serialize, **kwargs):
            timing = TIMING.get()
            if timing is not None:
                timing["endpoint_start"] = time.perf_counter()
            try:
                result = _endpoint(*args, **kwargs)
                return _serialize(result) if _serialize is not None else result
            finally:
                for value in kwargs.values():
                    if isinstance(value, Session):
                        value.close()
                if timing is not None:
                    timing["endpoint_end"] = time.perf_counter()

        functools.update_wrapper(wrapper, endpoint)
        wrapper._ends_sessions = True
        route.endpoint = wrapper
        route.dependant.call = wrapper


def _uses_response_param(dependant) -> bool:
    return bool(dependant.response_param_name) or any(_uses_response_param(d) for d in dependant.dependencies)


def _serializer_in_thread(route: APIRoute):
    """For a sync GET endpoint: validate and encode its answer in the endpoint's own thread.

    FastAPI would otherwise validate the returned value in a second thread-pool call; under load
    that second wait for a thread was as long as the first (the benchmark's "after" time). Only
    where the result is the same: a response model and no include/exclude options, the default
    response class, and no `Response` parameter whose headers FastAPI would add afterwards."""
    from fastapi.datastructures import DefaultPlaceholder
    from fastapi.exceptions import ResponseValidationError
    from starlette.responses import Response

    field = route.response_field
    if (field is None or not route.methods or not route.methods <= {"GET", "HEAD"}
            or not isinstance(route.response_class, DefaultPlaceholder) or _uses_response_param(route.dependant)
            or route.response_model_include is not None or route.response_model_exclude is not None
            or route.response_model_exclude_unset or route.response_model_exclude_defaults
            or route.response_model_exclude_none or not route.response_model_by_alias):
        return None
    status = route.status_code or 200

    def serialize(result):
        if isinstance(result, Response):
            return result
        value, errors = field.validate(result, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=result)
        return Response(field.serialize_json(value, by_alias=True), status_code=status, media_type="application/json")

    return serialize
