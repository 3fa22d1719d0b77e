"""Pure-ASGI middleware: request body limits and read timeout, security headers on every
response, header sanity, admission control under load, and a short cache of public lists."""
from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import time
from collections import OrderedDict

from fastapi import HTTPException

from .settings import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# the static KB (internal build) has no user content; themes may use inline styles
SITE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """Headers for a response at `path`; `kbgen serve` can reuse this for the static site."""
    if path.startswith("/api/"):
        csp = API_CSP
    elif path.startswith("/agent"):
        csp = PAGE_CSP
    else:
        csp = SITE_CSP
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if path.startswith("/api/") or path.startswith("/agent") or path.startswith("/internal"):
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app, hsts: bool = False):
        self.app = app
        self.hsts = [(b"strict-transport-security", b"max-age=31536000")] if hsts else []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = security_headers(scope.get("path", "")) + self.hsts

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in extra if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in (chunked uploads have no Content-Length to check first).
    An HTTPException, so FastAPI's and our form parsing pass it on as 413 instead of "bad body"."""

    def __init__(self, limit: int = 0):
        super().__init__(413, f"The request is larger than {limit // 1024} KB." if limit else "The request is too large.")


class BodyTimeout(HTTPException):
    def __init__(self):
        super().__init__(408, "The request body did not arrive in time; please send it again.")


BODY_CHUNK_SECONDS = 20.0   # longest pause between two pieces of a request body


class BodyLimitMiddleware:
    """Refuses bodies over the limit before they are read into memory: multipart uploads get the
    attachment budget, everything else the (small) JSON limit."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    def limit_for(self, scope) -> int:
        content_type = ""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                content_type = value.decode("latin-1").lower()
        if content_type.startswith("multipart/form-data"):
            return self.settings.max_upload_request_bytes
        return self.settings.max_json_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _too_large(send, limit)
                if declared > limit:
                    return await _too_large(send, limit)
        received = 0
        response_started = False

        async def counting_receive():
            nonlocal received
            try:
                # a client that announces a body and never sends it must not hold a connection
                # (and, for uploads, a thread) for ever
                message = await asyncio.wait_for(receive(), BODY_CHUNK_SECONDS)
            except asyncio.TimeoutError:
                raise BodyTimeout() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await _too_large(send, limit)
        except BodyTimeout:
            if not response_started:
                await _json_error(send, 408, "request_timeout", "The request body did not arrive in time.")


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"error": {"code": "too_large", "message": f"The request is larger than {limit // 1024} KB.",
                                 "fields": []}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _json_error(send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "fields": []}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")] + (headers or [])})
    await send({"type": "http.response.body", "body": body})


# Headers whose values the API compares or parses: only visible ASCII is a valid value.
CHECKED_HEADERS = {b"x-csrf-token", b"x-ticket-key", b"x-chat-token", b"idempotency-key", b"last-event-id", b"origin"}


def _printable_ascii(value: bytes) -> bool:
    return all(0x20 <= byte < 0x7f for byte in value)


class HeaderCheckMiddleware:
    """400 for a malformed value in a header the API reads (a non-ASCII CSRF token, ticket key…),
    and for a non-ASCII kb_* cookie, instead of an exception deep inside a comparison."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            bad = (name in CHECKED_HEADERS and not _printable_ascii(value)) or (
                name == b"cookie" and any(not _printable_ascii(part) for part in value.split(b";")
                                          if part.strip().startswith(b"kb_")))
            if bad:
                return await _json_error(send, 400, "bad_request",
                                         f"The {name.decode('latin-1')} header has a malformed value.")
        return await self.app(scope, receive, send)


class LoadShedMiddleware:
    """Admission control for /api: at most `max_in_flight` requests are worked on at once; the
    next ones wait up to `queue_seconds` for a slot, and beyond that get 429 with Retry-After.
    A burst therefore costs latency or a polite retry, never a pool timeout, a 500 or a hang.
    Long-lived event streams are not counted. Also a per-IP limit on reads (in memory, per worker
    process: reads must never write to the database to be counted)."""

    def __init__(self, app, settings: Settings, max_in_flight: int | None = None, queue_seconds: float = 2.0,
                 read_queue_seconds: float = 0.5):
        from .db import MAX_IN_FLIGHT
        self.app = app
        self.settings = settings
        self.max_in_flight = max_in_flight or MAX_IN_FLIGHT
        self.queue_seconds = queue_seconds
        # A read that cannot start soon is refused at once (its client retries after Retry-After)
        # instead of queueing behind the crowd: a long queue is what made read p99 seconds long.
        # Writes wait longer: they carry a customer's submission, and are fewer.
        self.read_queue_seconds = read_queue_seconds
        self.slots: asyncio.Semaphore | None = None
        self.reads: dict[str, list] = {}
        self.threads_sized = False

    def _size_thread_pool(self) -> None:
        # the thread pool that runs sync endpoints gets as many threads as the pool has connections
        from anyio import to_thread

        from .db import WORKER_THREADS
        to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        self.threads_sized = True

    def _read_allowed(self, scope) -> int:
        """0 when the read may go ahead, else the seconds until it may."""
        from starlette.requests import Request

        from .security import client_ip
        rate = self.settings.rate("read")
        now = time.monotonic()
        ip = client_ip(Request(scope), self.settings)
        window = self.reads.get(ip)
        if window is None or now - window[0] >= rate.period_seconds:
            if len(self.reads) > 50000:
                self.reads.clear()
            self.reads[ip] = window = [now, 0]
        window[1] += 1
        if window[1] > rate.limit:
            return max(1, int(rate.period_seconds - (now - window[0])) + 1)
        return 0

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/") or path.endswith("/events") or path == "/api/health":
            return await self.app(scope, receive, send)
        if not self.threads_sized:
            self._size_thread_pool()
        if scope.get("kbgen.refresh"):   # ReadCacheMiddleware refreshing a copy for many readers
            return await self.app(scope, receive, send)
        if scope["method"] in ("GET", "HEAD"):
            retry = self._read_allowed(scope)
            if retry:
                return await _json_error(send, 429, "rate_limited", f"Too many requests; try again in {retry} seconds.",
                                         [(b"retry-after", str(retry).encode())])
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.max_in_flight)
        timing, queued = TIMING.get(), time.perf_counter()
        try:
            await asyncio.wait_for(self.slots.acquire(), self.read_queue_seconds
                                   if scope["method"] in ("GET", "HEAD") else self.queue_seconds)
        except asyncio.TimeoutError:
            return await _json_error(send, 429, "busy", "The server is busy; please try again in a moment.",
                                     [(b"retry-after", b"1")])
        if timing is not None:
            timing["queue"] = time.perf_counter() - queued
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()


class OverloadMiddleware:
    """Refuses reads at once (429 + Retry-After) while this process's event loop is behind.

    Reads served from memory (ReadCacheMiddleware) need no thread and no connection, so the
    admission queue never sees them; under a crowd the one thing they wait for is the event loop
    itself (parsing, middleware, sending), and when it falls behind every request waits longer,
    the writers' threads get less of the interpreter too. The loop's delay is sampled every 50 ms;
    while the worst delay of the last half second is over `max_lag`, GET/HEAD requests are answered
    429 with Retry-After, which polite clients (our portal, the load benchmark) honour: the
    crowd spreads out and the loop catches up, instead of every reader queueing for seconds.
    Writes are not refused here (they have the admission queue and carry a customer's input)."""

    def __init__(self, app, max_lag: float = 0.5):
        self.app = app
        self.max_lag = max_lag
        self.samples: list[float] = [0.0] * 10
        self.monitor: asyncio.Task | None = None

    async def _watch(self) -> None:
        index = 0
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            self.samples[index % len(self.samples)] = time.perf_counter() - before - 0.05
            index += 1

    def behind(self) -> bool:
        loop = asyncio.get_running_loop()
        if self.monitor is None or self.monitor.done() or self.monitor.get_loop() is not loop:
            self.samples = [0.0] * len(self.samples)   # a new loop (tests run one per request)
            self.monitor = loop.create_task(self._watch())
            return False
        return max(self.samples) > self.max_lag

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if not path.startswith("/api/") or path.endswith("/events") or path == "/api/health":
            return await self.app(scope, receive, send)
        if self.behind():
            return await _json_error(send, 429, "busy", "The server is busy; please try again in a moment.",
                                     [(b"retry-after", b"1")])
        return await self.app(scope, receive, send)


# Anonymous reads everyone sees the same way, served from memory (see ReadCacheMiddleware).
PUBLIC_LISTS = ("/api/forum/topics", "/api/forum/categories", "/api/feedback/ideas", "/api/feedback/roadmap",
                "/api/config/tickets")
PUBLIC_PREFIXES = ("/api/forum/topics/", "/api/feedback/ideas/")
TICKET_PREFIX = "/api/tickets/"
# A copy is served while no write could have changed it, and never older than MAX_AGE (changes
# made outside any API process: the CLI, a database restore); while one request refreshes a
# stale copy, the others get the previous one, if it is at most STALE_GRACE past its age.
MAX_AGE = 5.0
STALE_GRACE = 2.0
# Writes (non-GET, answered < 400) that cannot change a domain's copies: path prefixes, and
# exact paths that only create something new (a new ticket changes no existing ticket's page).
# Any other write, including one under a prefix added later, makes every copy of the domain stale.
KEEPS = {
    "public": ("/api/tickets", "/api/chat", "/api/auth/login", "/api/auth/logout", "/api/session"),
    "tickets": ("/api/forum", "/api/feedback", "/api/auth/login", "/api/auth/logout", "/api/session"),
}
KEEPS_EXACT = {"public": frozenset(), "tickets": frozenset({"/api/tickets", "/api/chat/leave-message"})}
# Writes that only move a counter (votes): copies become stale, but while one request refreshes
# them the others may still get the previous count. Every other write makes readers wait for
# the refresh, so a hidden post or a new topic is never served from before the change.
SOFT_SUFFIXES = ("/vote",)
PUBLIC_TTL = MAX_AGE   # the name older tests and docs use


class _Versions:
    """Per-domain change counters, hard (content) and soft (counts): this process's own, plus a
    stamp file in the data directory that every worker process replaces after a write, so a copy
    made in one worker is dropped when another worker changes the data. Checking is a stat() per
    file, no database, no thread. A version is ((hard counter, hard stamp), (soft counter, soft stamp))."""

    def __init__(self, directory=None):
        self.local = {(domain, kind): 0 for domain in KEEPS for kind in ("hard", "soft")}
        self.directory = directory

    def _file(self, domain: str, kind: str):
        return None if self.directory is None else self.directory / f".cache-version-{domain}-{kind}"

    def _stamp(self, domain: str, kind: str):
        path = self._file(domain, kind)
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns) if stat else None

    def current(self, domain: str) -> tuple:
        return tuple((self.local[domain, kind], self._stamp(domain, kind)) for kind in ("hard", "soft"))

    def bump(self, path_written: str) -> None:
        import os
        import secrets
        kind = "soft" if path_written.endswith(SOFT_SUFFIXES) else "hard"
        for domain, keeps in KEEPS.items():
            if path_written.startswith(keeps) or path_written in KEEPS_EXACT[domain]:
                continue
            self.local[domain, kind] += 1
            file = self._file(domain, kind)
            if file is not None:
                try:   # a new file (new inode) per change: two changes within one clock tick still differ
                    temporary = file.with_name(f"{file.name}.{secrets.token_hex(4)}")
                    temporary.write_bytes(b"")
                    os.replace(temporary, file)
                except OSError:
                    pass   # the MAX_AGE bound still holds


class ReadCacheMiddleware:
    """Reads a crowd repeats are answered from memory, on the event loop, without a thread or a
    database connection:

    - anonymous GETs of the public forum and feedback lists and pages (and the ticket form);
    - a ticket's status page opened with its private-link key (X-Ticket-Key) and no session: the
      key is checked here (an HMAC, `key_ok`) before a copy is served; copies are per ticket.

    A copy stays valid until a write that can change it (see KEEPS; checked by a version counter
    per process and a stamp file shared by the worker processes) and at most MAX_AGE. A stale copy
    is refreshed by one request at a time per URL (single flight) that bypasses the admission
    queue; the others wait for it, or, when the copy only aged past MAX_AGE or a vote moved a count,
    get the previous one. Responses carry an ETag; a matching
    If-None-Match gets an empty 304. Signed-in visitors (kb_session cookie) always get a fresh,
    uncached answer: they see their own votes and private data."""

    def __init__(self, app, directory=None, key_ok=None, max_entries: int = 2000):
        self.app = app
        self.max_entries = max_entries
        self.versions = _Versions(directory)
        self.key_ok = key_ok   # (ticket_id, key) -> bool
        # key → (filled at, version, status, headers, body, etag)
        self.entries: OrderedDict[str, tuple] = OrderedDict()
        self.filling: dict[str, asyncio.Future] = {}

    @staticmethod
    def _signed_in(scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"cookie" and b"kb_session=" in value:
                return True
        return False

    def _domain(self, scope) -> str | None:
        path = scope.get("path", "")
        if path in PUBLIC_LISTS or path.startswith(PUBLIC_PREFIXES):
            return "public"
        if path.startswith(TICKET_PREFIX) and self.key_ok is not None:
            ticket_id = path[len(TICKET_PREFIX):]
            if ticket_id and "/" not in ticket_id:
                key = next((v for n, v in scope.get("headers", []) if n == b"x-ticket-key"), None)
                if key is not None and self.key_ok(ticket_id, key.decode("latin-1")):
                    return "tickets"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope["method"]
        if method not in ("GET", "HEAD"):
            if path.startswith("/api/"):
                return await self.app(scope, receive, self._bumping(path, send))
            return await self.app(scope, receive, send)
        domain = None if self._signed_in(scope) else self._domain(scope)
        if domain is None:
            return await self.app(scope, receive, send)
        key = path + "?" + scope.get("query_string", b"").decode("latin-1")
        version = self.versions.current(domain)
        entry = self.entries.get(key)
        age = time.monotonic() - entry[0] if entry is not None else None
        fresh = entry is not None and entry[1] == version and age <= MAX_AGE
        timing = TIMING.get()
        if timing is not None:
            timing["cache"] = "hit" if fresh else "stale" if entry is not None else "miss"
        if not fresh:
            pending, loop = self.filling.get(key), asyncio.get_running_loop()
            if pending is not None and (pending.done() or pending.get_loop() is not loop):
                pending = None   # a refresh of another event loop (tests run one loop per request)
            refreshing = pending is None
            if refreshing:
                pending = self.filling[key] = loop.create_task(self._fill(key, scope, version))
                pending.add_done_callback(lambda task, key=key: self.filling.pop(key, None)
                                          if self.filling.get(key) is task else None)
            # The previous copy is served meanwhile only when it merely grew old or a count
            # moved: after any other write (a new topic, a hidden post) every reader waits for
            # the refresh, one query for the whole crowd, and sees the change.
            # The request that started the refresh waits for it (so it always completes, and this
            # reader gets the new copy); shielded: its client leaving does not cancel the others' answer.
            if refreshing or entry is None or entry[2] != 200 or entry[1][0] != version[0] \
                    or age > MAX_AGE + STALE_GRACE:
                entry = await asyncio.shield(pending)
        await self._answer(scope, send, entry)

    async def _answer(self, scope, send, entry) -> None:
        _at, _version, status, headers, body, etag = entry
        if status != 200:   # not cached (a 404, a 429…): passed on as it came
            await send({"type": "http.response.start", "status": status, "headers": headers})
            return await send({"type": "http.response.body", "body": body})
        if_none_match = next((v for n, v in scope.get("headers", []) if n == b"if-none-match"), None)
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(b",")]:
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag), (b"cache-control", self._cache_control(scope)), (b"vary", b"Cookie")]})
            return await send({"type": "http.response.body", "body": b""})
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    @staticmethod
    def _cache_control(scope) -> bytes:
        # a ticket's page is private: no shared cache may keep it, the browser revalidates
        return b"private, no-cache" if scope.get("path", "").startswith(TICKET_PREFIX) else b"no-cache"

    async def _fill(self, key: str, scope, version):
        """Runs the request once for the crowd, as its own task: a client that disconnects does
        not cancel the answer the others wait for. The version is read before the query, so a
        write that lands meanwhile leaves the copy stale, never a stale copy marked fresh."""
        TIMING.set(None)
        started, chunks = {}, []

        async def capture(message):
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        async def no_body():
            return {"type": "http.request", "body": b"", "more_body": False}

        # a refresh skips the admission queue: there is at most one per URL, and it answers many
        refresh = dict(scope, method="GET", state=dict(scope.get("state", {})), **{"kbgen.refresh": True})
        await self.app(refresh, no_body, capture)
        body = b"".join(chunks)
        if started.get("status") != 200:
            return (time.monotonic(), version, started.get("status", 500), started.get("headers", []), body, b"")
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers = [(n, v) for n, v in started.get("headers", [])
                   if n.lower() not in (b"cache-control", b"etag", b"vary", b"content-length")]
        headers += [(b"etag", etag), (b"cache-control", self._cache_control(scope)), (b"vary", b"Cookie"),
                    (b"content-length", str(len(body)).encode())]
        entry = (time.monotonic(), version, 200, headers, body, etag)
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return entry

    def _bumping(self, path: str, send):
        async def wrapped(message):
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.versions.bump(path)
            await send(message)
        return wrapped


PublicCacheMiddleware = ReadCacheMiddleware   # the name main's tests and docs use


# Where a request's time goes, for the load benchmark (KBGEN_API_TIMING=1, off by default: it
# tells clients how busy the server is). Filled by this middleware, LoadShedMiddleware (queue),
# PublicCacheMiddleware (hit) and deps.end_sessions_in_endpoints (the endpoint's own run).
TIMING: "contextvars.ContextVar[dict | None]" = contextvars.ContextVar("kbgen_timing", default=None)


class TimingMiddleware:
    """Adds `Server-Timing`: total (first byte of the request seen by the app → response start),
    queue (admission wait), before (dependencies + waiting for a thread), endpoint (the endpoint
    in its thread: SQL and Python), after (validation, serialisation, the thread hop back),
    lag (the event loop's worst delay over the last second: time no coroutine could run)."""

    def __init__(self, app):
        self.app = app
        self.lag = 0.0
        self.sampler: asyncio.Task | None = None

    async def _sample(self) -> None:
        worst, since = 0.0, time.perf_counter()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)
            if before - since >= 1.0:
                self.lag, worst, since = worst, 0.0, before

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            return await self.app(scope, receive, send)
        if self.sampler is None:
            self.sampler = asyncio.get_running_loop().create_task(self._sample())
        timing = {"start": time.perf_counter()}
        TIMING.set(timing)

        async def timed_send(message):
            if message["type"] == "http.response.start":
                now = time.perf_counter()
                parts = [("total", now - timing["start"]), ("queue", timing.get("queue", 0.0))]
                if "endpoint_start" in timing:
                    parts += [("before", timing["endpoint_start"] - timing["start"] - timing.get("queue", 0.0)),
                              ("endpoint", timing["endpoint_end"] - timing["endpoint_start"]),
                              ("after", now - timing["endpoint_end"])]
                parts.append(("lag", self.lag))
                value = ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts)
                if timing.get("cache"):
                    value += f', cache;desc="{timing["cache"]}"'
                message = dict(message, headers=list(message.get("headers", [])) + [(b"server-timing", value.encode())])
            await send(message)

        await self.app(scope, receive, timed_send)
