"""Load test of the API, the way a support portal is hit during an outage: many anonymous readers
(forum topics, feedback ideas, a ticket's status page) plus signed-in writers (tickets resent
with the same Idempotency-Key, votes on one idea, chat "leave a message") against `uvicorn` on
127.0.0.1, on SQLite and/or PostgreSQL. Then the same load again while the server is killed with
SIGKILL half-way and restarted, to check that nothing acknowledged is lost and nothing resent is
stored twice.

Prints requests/s, p50/p99 per endpoint, 5xx and 429 counts, and submissions acknowledged vs
stored vs duplicated. Exit status 1 when a 5xx happened or a submission was lost or doubled.

    python benchmarks/api_load.py                      # 500 readers + 50 writers, 60 s, SQLite
    python benchmarks/api_load.py --readers 100 --writers 20 --seconds 20 --postgres URL --pg-workers 2

Everything stays on 127.0.0.1 and stops by itself (the clients stop at the deadline; the server
is terminated, and killed if it does not stop).

Needs the test extras (httpx): pip install -e '.[test]'.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from live_server import free_port  # noqa: E402

RESEND_EVERY = 3          # every 3rd submission is sent again with the same key, like an offline resend
READ_PATHS = ("forum", "feedback", "ticket")
CLIENT_TIMEOUT = 30.0
# Plain http on loopback: verify=False spares each client loading the CA bundle, which for a few
# hundred clients blocked this process's event loop for seconds at the start of every phase.


def _config(data_dir: Path, database_url: str, port: int) -> Path:
    path = data_dir / "kbgen.toml"
    path.write_text(
        "[api]\n"
        f'database_url = "{database_url}"\n'
        f'data_dir = "{data_dir / "data"}"\n'
        f'public_url = "http://127.0.0.1:{port}"\n'
        'secret_key = "benchmark"\n'
        "[api.rate_limits]\n"
        # every client comes from 127.0.0.1: per-IP limits would measure the limiter, not the server
        + "".join(f'{name} = "100000000/minute"\n' for name in ("signin", "register", "password_reset", "submission", "rating", "read"))
        ,
        encoding="utf-8")
    return path


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Results:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, int] = defaultdict(int)        # "5xx", "429", "other 4xx", "connection"
        self.acknowledged: dict[str, str] = {}                # idempotency key → id the server answered
        self.answers_differ = 0
        self.votes: dict[str, bool] = {}                      # writer → voted after its last acknowledged call
        # endpoint → part of the server's time (Server-Timing: total, queue, before, endpoint, after, lag) → seconds
        self.server: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.client_lag: list[float] = []                     # this process's own event-loop delays

    def record(self, endpoint: str, started: float, response, error: str = "connection") -> None:
        if response is None:
            self.status[error] += 1
            return
        self.latencies[endpoint].append(time.perf_counter() - started)
        code = response.status_code
        for part in response.headers.get("server-timing", "").split(","):
            name, _, duration = part.strip().partition(";dur=")
            if duration:
                self.server[endpoint][name].append(float(duration) / 1000)
        if code >= 500:
            self.status["5xx"] += 1
            self.status[f"{endpoint} {code}"] += 1
        elif code == 429:
            self.status["429"] += 1
        elif code >= 400 and code != 404:
            self.status["other 4xx"] += 1
            self.status[f"{endpoint} {code}"] += 1


async def _measured(results: Results, endpoint: str, request: Awaitable, timeouts: type[BaseException] | tuple,
                    failures: type[BaseException] | tuple, on_failure: Callable[[], None] | None = None):
    """Awaits `request` and records how it went: `timeouts` count as timeouts, `failures` as
    connection errors (then a short pause), a 429 pauses as long as the server asks (at most 2 s).
    Returns the response, or None when there is none; `on_failure` runs first when there is none."""
    started = time.perf_counter()
    try:
        response = await request
    except timeouts:
        if on_failure:
            on_failure()
        results.record(endpoint, started, None, "timeout")
        return None
    except failures:
        if on_failure:
            on_failure()
        results.record(endpoint, started, None)
        await asyncio.sleep(0.2)
        return None
    results.record(endpoint, started, response)
    if response.status_code == 429:
        await asyncio.sleep(min(2.0, float(response.headers.get("retry-after", "1") or 1)))
    return response


async def _call(http: httpx.AsyncClient, results: Results, endpoint: str, method: str, url: str, **kwargs):
    return await _measured(results, endpoint, http.request(method, url, **kwargs), httpx.TimeoutException, httpx.HTTPError)


class _RawResponse:
    def __init__(self, status_code: int, headers: dict[str, str], body: bytes):
        self.status_code, self.headers, self.content = status_code, headers, body


class _RawConnection:
    """One keep-alive HTTP/1.1 connection for a reader, over asyncio streams. The readers are
    most of the load; with httpx, this process's own event loop fell seconds behind (its delay
    p50 0.4-1.3 s, p99 3-7 s on the shared box), so the figures measured the client. This costs
    a small fraction of that per request. Writers keep httpx (forms, cookies, CSRF)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> _RawResponse:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return _RawResponse(int(status_line.split(" ", 2)[1]), fields, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _raw_call(connection: _RawConnection, results: Results, endpoint: str, path: str, headers: dict):
    return await _measured(results, endpoint, asyncio.wait_for(connection.get(path, headers), CLIENT_TIMEOUT), asyncio.TimeoutError,
                           (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError),
                           on_failure=connection.close)


async def _reader(base: str, results: Results, deadline: float, tickets: list[tuple[str, str]]) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = _RawConnection(host, int(port))
    try:
        while time.monotonic() < deadline:
            kind = random.choice(READ_PATHS)
            if kind == "forum":
                await _raw_call(connection, results, "GET forum/topics", "/api/forum/topics", {})
            elif kind == "feedback":
                await _raw_call(connection, results, "GET feedback/ideas", "/api/feedback/ideas", {})
            else:
                ticket_id, key = random.choice(tickets)
                await _raw_call(connection, results, "GET tickets/{id}", f"/api/tickets/{ticket_id}", {"X-Ticket-Key": key})
    finally:
        connection.close()


async def _submit(http, results: Results, endpoint: str, url: str, headers: dict, deadline: float, *,
                  data=None, json=None, id_field: str) -> None:
    """One submission: resent with the same key until the server answers it (or time is up),
    like the portal's offline queue; some are resent once more after success."""
    key = secrets.token_hex(12)
    extra = {"Idempotency-Key": key}
    answered = None
    sends = 2 if random.randrange(RESEND_EVERY) == 0 else 1
    while time.monotonic() < deadline + 15 and sends:
        response = await _call(http, results, endpoint, "POST", url, headers=headers | extra, data=data, json=json)
        if response is None or response.status_code in (429, 500, 502, 503, 504):
            if time.monotonic() > deadline and answered is None and response is None:
                await asyncio.sleep(0.5)   # the server is restarting: keep trying a while after the deadline
            continue
        if response.status_code == 201:
            got = response.json()[id_field]
            if answered is not None and got != answered:
                results.answers_differ += 1
            answered = got
        sends -= 1
        if response.status_code != 201:
            break
    if answered is not None:
        results.acknowledged[key] = answered


async def _writer(base: str, results: Results, deadline: float, number: int, idea_id: str, token: str) -> None:
    # signed in by a session seeded in the database: 50 argon2 sign-ins at once would measure
    # password hashing (deliberately slow), not the API
    async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT, cookies={"kb_session": token}, verify=False) as http:
        email = f"writer{number:04d}@example.com"
        headers = {}
        for _ in range(50):   # the server may still be starting
            session = await _call(http, results, "GET session", "GET", "/api/session")
            if session is not None and session.status_code == 200:
                headers = {"X-CSRF-Token": session.json()["csrf_token"], "Origin": base}
                break
        signed_in = bool(headers)
        step = 0
        while time.monotonic() < deadline:
            step += 1
            choice = step % 3
            if choice == 1:
                await _submit(http, results, "POST tickets", "/api/tickets", headers, deadline, id_field="id", data={
                    "subject": f"bench ticket {number}-{step}", "body": "Load test ticket", "department": "general",
                    "email": email})
            elif choice == 2 and signed_in:
                voting = not results.votes.get(email, False)
                response = await _call(http, results, "PUT/DELETE vote", "PUT" if voting else "DELETE",
                                       f"/api/feedback/ideas/{idea_id}/vote", headers=headers)
                if response is not None and response.status_code == 200:
                    results.votes[email] = voting
            else:
                await _submit(http, results, "POST chat/leave-message", "/api/chat/leave-message", headers, deadline,
                              id_field="ticket_id", json={"body": f"bench chat {number}-{step}", "email": email})


class Server:
    def __init__(self, config: Path, port: int, workers: int):
        self.log = open(config.parent / "server.log", "ab")   # tracebacks go here, not over the table
        self.env = dict(os.environ, KBGEN_CONFIG=str(config), KBGEN_API_TIMING="1")
        self.env.pop("KBGEN_DATABASE_URL", None)
        self.port = port
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # its own process group, so SIGKILL reaches every worker like a crash of the whole host process
        self.process = subprocess.Popen([sys.executable, "-m", "uvicorn", "kbgen.api.app:app_from_environment",
                                         "--factory", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--workers", str(self.workers), "--log-level", "warning"],
                                        env=self.env, start_new_session=True, stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the API server did not start")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.log.close()
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(20)
        self.log.close()


def _seed(database_url: str, writers: int) -> tuple[str, list[str]]:
    """One public idea to vote on, forum topics to read, and a signed-in session per writer
    (inserted directly: the load is the test)."""
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from kbgen.api import all_models
    from kbgen.api.db import utcnow
    from kbgen.api.features.feedback_models import FeedbackIdea
    from kbgen.api.features.forum_models import ForumTopic
    from kbgen.api.models import AuthSession, User
    from kbgen.api.security import hash_password, new_token, token_hash

    all_models.metadata()   # every table, for the foreign keys
    engine = create_engine(database_url)
    tokens = []
    with Session(engine) as db:
        idea = FeedbackIdea(title="Dark mode", body="Please add a dark mode.", status="open")
        db.add(idea)
        for n in range(20):
            db.add(ForumTopic(category="general", title=f"Question {n}", body="How do I…?"))
        hashed = hash_password("benchmark password")
        for n in range(writers):
            user = User(email=f"writer{n:04d}@example.com", name=f"Writer {n}", password_hash=hashed, role="customer")
            db.add(user)
            db.flush()
            token = new_token()
            db.add(AuthSession(token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(days=1)))
            tokens.append(token)
        db.commit()
        idea_id = idea.id
    engine.dispose()
    return idea_id, tokens


def _stored(database_url: str, idea_id: str) -> dict:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        keys = [row[0] for row in connection.execute(text("select key from idempotency_records"))]
        tickets = {row[0]: row[1] for row in connection.execute(text(
            "select t.id, m.body from tickets t join ticket_messages m on m.ticket_id = t.id"))}
        vote_rows = connection.execute(text("select count(*) from feedback_votes where idea_id = :i"), {"i": idea_id}).scalar()
        vote_count = connection.execute(text("select vote_count from feedback_ideas where id = :i"), {"i": idea_id}).scalar()
    engine.dispose()
    return {"keys": keys, "tickets": tickets, "vote_rows": vote_rows, "vote_count": vote_count}


async def _sample_lag(results: Results, deadline: float) -> None:
    """How late this client's own event loop runs: a latency it measures includes this much of
    its own waiting (550 clients in one process share one core with the server)."""
    while time.monotonic() < deadline:
        before = time.perf_counter()
        await asyncio.sleep(0.05)
        results.client_lag.append(time.perf_counter() - before - 0.05)


def _cpu(pid: int) -> tuple[float, float]:
    """Seconds the process and its worker processes ran on a CPU, seconds they were ready to run
    but waited for one (Linux schedstat, summed over every thread), and of those the main threads'
    (the event loops): on a shared machine, waiting time no code of ours could have saved."""
    running = waiting = loop_waiting = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    for process in pids:
        for task in Path(f"/proc/{process}/task").glob("*"):
            try:
                on_cpu, queued, _ = (task / "schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            running += int(on_cpu) / 1e9
            waiting += int(queued) / 1e9
            if task.name == str(process):   # the main thread: uvicorn's event loop
                loop_waiting += int(queued) / 1e9
    return running, waiting, loop_waiting


def _load(base: str, results: Results, seconds: float, readers: int, writers: list[str], idea_id: str,
          tickets: list[tuple[str, str]], during=None) -> float:
    async def main():
        deadline = time.monotonic() + seconds
        jobs = [_reader(base, results, deadline, tickets) for _ in range(readers)]
        jobs += [_writer(base, results, deadline, n, idea_id, token) for n, token in enumerate(writers)]
        if during is not None:
            jobs.append(during(deadline))
        jobs.append(_sample_lag(results, deadline))
        await asyncio.gather(*jobs)

    started = time.monotonic()
    asyncio.run(main())
    return time.monotonic() - started


def _guest_tickets(base: str, count: int = 10) -> list[tuple[str, str]]:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.get("/api/session").json()["csrf_token"]
        made = []
        for n in range(count):
            response = http.post("/api/tickets", headers={"X-CSRF-Token": token, "Origin": base}, data={
                "subject": f"status page {n}", "body": "Seed ticket", "department": "general",
                "email": f"reader{n}@example.com"})
            response.raise_for_status()
            made.append((response.json()["id"], response.json()["guest_key"]))
    return made


def _summary(label: str, phase: str, results: Results, elapsed: float, stored: dict, writers_votes: dict) -> dict:
    total = sum(len(v) for v in results.latencies.values())
    ack = results.acknowledged
    stored_ids = set(stored["tickets"])
    bodies = list(stored["tickets"].values())
    bench_bodies = [b for b in bodies if b.startswith(("Load test ticket", "bench chat"))]
    lost = sum(1 for ticket_id in ack.values() if ticket_id not in stored_ids)
    idempotent = [k for k in stored["keys"] if k.startswith(("tickets.create:", "chat.leave_message:"))]
    # every stored submission has exactly one key record: more rows than keys means a duplicate
    duplicated = max(0, len(bench_bodies) - len(idempotent))
    expected_votes = sum(1 for voted in writers_votes.values() if voted)
    return {
        "database": label, "phase": phase, "seconds": round(elapsed, 1), "requests": total,
        "rps": round(total / elapsed, 1) if elapsed else 0.0, "status": dict(results.status),
        "endpoints": {name: (len(v), round(_percentile(v, 0.5) * 1000), round(_percentile(v, 0.99) * 1000))
                      for name, v in sorted(results.latencies.items())},
        "acknowledged": len(ack), "stored": len(bench_bodies), "lost": lost, "duplicated": duplicated,
        "answers_differ": results.answers_differ,
        "server": {name: {part: (round(_percentile(v, 0.5) * 1000), round(_percentile(v, 0.99) * 1000))
                          for part, v in parts.items()} for name, parts in sorted(results.server.items())},
        "client_lag": (round(_percentile(results.client_lag, 0.5) * 1000), round(_percentile(results.client_lag, 0.99) * 1000)),
        "load_average": os.getloadavg(),
        "votes": (expected_votes, stored["vote_rows"], stored["vote_count"]),
    }


def run(database_url: str, label: str, readers: int, writers: int, seconds: float, workers: int,
        crash_seconds: float) -> list[dict]:
    summaries = []
    with tempfile.TemporaryDirectory(prefix="kbgen-bench-") as tmp:
        port = free_port()
        config = _config(Path(tmp), database_url, port)
        env = dict(os.environ, KBGEN_CONFIG=str(config))
        env.pop("KBGEN_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "kbgen.api.cli_main", "migrate", "--config", str(config)],
                       env=env, check=True, capture_output=True)
        idea_id, tokens = _seed(database_url, writers)
        server = Server(config, port, workers)
        base = f"http://127.0.0.1:{port}"
        server.start()
        try:
            tickets = _guest_tickets(base)
            results = Results()
            server_before, client_before = _cpu(server.process.pid), _cpu(os.getpid())
            elapsed = _load(base, results, seconds, readers, tokens, idea_id, tickets)
            server_after, client_after = _cpu(server.process.pid), _cpu(os.getpid())
            summary = _summary(label, "load", results, elapsed, _stored(database_url, idea_id), results.votes)
            summary["cpu"] = {"server": tuple(round(b - a, 1) for a, b in zip(server_before, server_after)),
                              "client": tuple(round(b - a, 1) for a, b in zip(client_before, client_after))}
            summaries.append(summary)
            if crash_seconds:
                crash = Results()
                crash.votes = dict(results.votes)

                async def kill_half_way(deadline):
                    # its own thread: asyncio's default executor is busy resolving the clients'
                    # connections, and a kill queued behind them came after the load had ended
                    loop = asyncio.get_running_loop()
                    with ThreadPoolExecutor(1) as own:
                        await asyncio.sleep(crash_seconds / 2)
                        print(f"kill at {time.monotonic() - deadline:+.1f} s from the deadline", file=sys.stderr)
                        await loop.run_in_executor(own, server.kill)
                        await loop.run_in_executor(own, server.start)
                        print(f"restarted at {time.monotonic() - deadline:+.1f} s", file=sys.stderr)

                elapsed = _load(base, crash, crash_seconds, readers, tokens, idea_id, tickets, during=kill_half_way)
                crash.acknowledged |= results.acknowledged
                summaries.append(_summary(label, "kill -9", crash, elapsed, _stored(database_url, idea_id), crash.votes))
        finally:
            server.stop()
    return summaries


def _print(summary: dict) -> None:
    status = summary["status"]
    expected, rows, count = summary["votes"]
    print(f"\n{summary['database']} · {summary['phase']} · {summary['seconds']} s · {summary['rps']} req/s "
          f"({summary['requests']} answered) · 5xx {status.get('5xx', 0)} · 429 {status.get('429', 0)} · "
          f"other 4xx {status.get('other 4xx', 0)} · client timeouts ({CLIENT_TIMEOUT:g} s) {status.get('timeout', 0)} · "
          f"connection errors {status.get('connection', 0)}")
    print(f"  {'endpoint':28} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (n, p50, p99) in summary["endpoints"].items():
        print(f"  {name:28} {n:9} {p50:8} {p99:8}")
    if summary["server"]:
        print("  where the server spent it, p50/p99 ms (Server-Timing; lag = its event loop's delay):")
        for name, parts in summary["server"].items():
            print(f"    {name:26} " + "  ".join(f"{part} {p50}/{p99}" for part, (p50, p99) in parts.items()))
    print(f"  this client's own event-loop delay p50/p99: {summary['client_lag'][0]}/{summary['client_lag'][1]} ms · "
          f"load average at the end {' '.join(f'{x:.1f}' for x in summary['load_average'])}")
    if "cpu" in summary:
        (server_run, server_wait, loop_wait), (client_run, client_wait, _) = summary["cpu"]["server"], summary["cpu"]["client"]
        print(f"  CPU over {summary['seconds']} s: server ran {server_run} s and waited {server_wait} s for a CPU "
              f"(all threads; its event loop{'s' if summary['database'].find('workers') >= 0 else ''} alone waited {loop_wait} s); "
              f"this client ran {client_run} s, waited {client_wait} s")
    print(f"  submissions acknowledged {summary['acknowledged']} · stored {summary['stored']} · lost {summary['lost']} · "
          f"duplicated {summary['duplicated']} · resends answered differently {summary['answers_differ']}")
    print(f"  votes: expected {expected}, rows {rows}, idea counter {count}")
    details = {k: v for k, v in status.items() if k not in ("5xx", "429", "other 4xx", "connection", "timeout")}
    if details:
        print(f"  errors by endpoint: {details}")


def failed(summary: dict) -> bool:
    expected, rows, count = summary["votes"]
    return bool(summary["status"].get("5xx") or summary["lost"] or (summary["phase"] == "load" and summary["status"].get("timeout")) or summary["duplicated"] or summary["answers_differ"]
                or rows != count or (summary["phase"] == "load" and rows != expected))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=500, help="concurrent anonymous readers")
    parser.add_argument("--writers", type=int, default=50, help="concurrent signed-in writers")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--crash-seconds", type=float, default=20,
                        help="length of the second run, killed with SIGKILL half-way (0: skip)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers on SQLite")
    parser.add_argument("--pg-workers", type=int, default=2, help="uvicorn workers on PostgreSQL")
    parser.add_argument("--postgres", default=os.environ.get("KBGEN_TEST_POSTGRES_URL"),
                        help="PostgreSQL server to benchmark too (a throw-away schema is used)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    from live_server import drop_postgres_schema, fresh_postgres_schema

    runs = []
    if not args.no_sqlite:
        tmp = tempfile.mkdtemp(prefix="kbgen-bench-db-")
        runs.append(("sqlite", f"sqlite:///{tmp}/bench.sqlite3", None, args.workers))
    if args.postgres:
        url, schema = fresh_postgres_schema(args.postgres)
        runs.append(("postgresql", url, schema, args.pg_workers))
    bad = False
    print(f"{args.readers} readers + {args.writers} writers, {args.seconds} s load"
          + (f", then {args.crash_seconds} s with kill -9 half-way" if args.crash_seconds else ""))
    for label, url, schema, workers in runs:
        try:
            summaries = run(url, f"{label} ({workers} worker{'s' if workers > 1 else ''})", args.readers, args.writers,
                            args.seconds, workers, args.crash_seconds)
        finally:
            if schema:
                drop_postgres_schema(args.postgres, schema)
        for summary in summaries:
            _print(summary)
            bad = bad or failed(summary)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
