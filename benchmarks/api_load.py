"""Load test of the API: N concurrent clients submit tickets and ratings against uvicorn on
loopback for a fixed time, on SQLite and/or PostgreSQL. Reports requests/s and latency
percentiles, and checks that every accepted submission is stored exactly once (resends with the
same Idempotency-Key included).

    python benchmarks/api_load.py --clients 16 --seconds 15 [--postgres postgresql://user@host/db]

Needs the test extras (httpx): pip install -e '.[test]'.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from live_server import drop_postgres_schema, free_port, fresh_postgres_schema  # noqa: E402

RESEND_EVERY = 5          # every 5th ticket is sent twice with the same key, like an offline resend


def _config(data_dir: Path, database_url: str, port: int) -> Path:
    path = data_dir / "kbgen.toml"
    path.write_text(
        "[api]\n"
        f'database_url = "{database_url}"\n'
        f'data_dir = "{data_dir / "data"}"\n'
        f'public_url = "http://127.0.0.1:{port}"\n'
        'secret_key = "benchmark"\n'
        "[api.rate_limits]\n"
        + "".join(f'{name} = "100000000/minute"\n' for name in ("signin", "register", "password_reset", "submission", "rating")),
        encoding="utf-8")
    return path


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Results:
    def __init__(self):
        self.latencies: dict[str, list[float]] = {"ticket": [], "rating": []}
        self.errors: dict[str, int] = {}
        self.tickets: dict[str, str] = {}     # idempotency key → ticket id the server answered
        self.votes: dict[tuple[str, str], str] = {}
        self.replays_mismatched = 0


async def _client(base: str, results: Results, deadline: float, number: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        token = (await http.get("/api/session")).json()["csrf_token"]
        headers = {"X-CSRF-Token": token, "Origin": base}
        voter = f"bench-{number:04d}-{secrets.token_hex(8)}"
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            if sent % 2:
                key = secrets.token_hex(12)
                repeats = 2 if sent % (2 * RESEND_EVERY) == 1 else 1
                for _ in range(repeats):
                    started = time.perf_counter()
                    response = await http.post("/api/tickets", headers=headers | {"Idempotency-Key": key}, data={
                        "subject": f"bench {key}", "body": "Load test ticket", "department": "general",
                        "email": f"{voter}@example.com"})
                    results.latencies["ticket"].append(time.perf_counter() - started)
                    if response.status_code == 201:
                        ticket_id = response.json()["id"]
                        if results.tickets.setdefault(key, ticket_id) != ticket_id:
                            results.replays_mismatched += 1
                    else:
                        results.errors[f"ticket {response.status_code}"] = results.errors.get(f"ticket {response.status_code}", 0) + 1
            else:
                ref = f"article{random.randrange(40)}"
                value = random.choice(("up", "down"))
                started = time.perf_counter()
                response = await http.put(f"/api/ratings/{ref}", headers=headers, json={"value": value, "voter": voter})
                results.latencies["rating"].append(time.perf_counter() - started)
                if response.status_code == 200:
                    results.votes[(ref, voter)] = value
                else:
                    results.errors[f"rating {response.status_code}"] = results.errors.get(f"rating {response.status_code}", 0) + 1


def _verify(database_url: str, results: Results) -> list[str]:
    problems = []
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = {row[0].removeprefix("bench "): row[1] for row in connection.execute(text("select subject, id from tickets"))}
        count = connection.execute(text("select count(*) from tickets")).scalar()
        votes = {(r[0], r[1]): r[2] for r in connection.execute(text("select article_ref, voter, value from ratings"))}
    engine.dispose()
    if count != len(stored):
        problems.append(f"{count - len(stored)} duplicate tickets")
    if set(stored) != set(results.tickets):
        problems.append(f"accepted {len(results.tickets)} tickets but {len(stored)} are stored")
    if any(stored.get(key) != ticket_id for key, ticket_id in results.tickets.items()):
        problems.append("a resend was answered with a different ticket")
    if results.replays_mismatched:
        problems.append(f"{results.replays_mismatched} resends got another ticket id")
    if len(votes) != len(results.votes):
        problems.append(f"{len(results.votes)} (article, voter) pairs voted but {len(votes)} stored")
    wrong = sum(1 for pair, value in results.votes.items() if votes.get(pair) != (1 if value == "up" else -1))
    if wrong:
        problems.append(f"{wrong} stored votes differ from the last accepted vote")
    return problems


def run(database_url: str, label: str, clients: int, seconds: float, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="kbgen-bench-") as tmp:
        port = free_port()
        config = _config(Path(tmp), database_url, port)
        env = dict(os.environ, KBGEN_CONFIG=str(config))
        env.pop("KBGEN_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "kbgen.api.cli_main", "migrate", "--config", str(config)],
                       env=env, check=True, capture_output=True)
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "kbgen.api.app:app_from_environment", "--factory",
                                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                   "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            results = Results()

            async def main():
                deadline = time.monotonic() + seconds
                await asyncio.gather(*(_client(base, results, deadline, n) for n in range(clients)))

            started = time.monotonic()
            asyncio.run(main())
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(20)
        problems = _verify(database_url, results)
    total = sum(len(v) for v in results.latencies.values())
    summary = {"database": label, "clients": clients, "seconds": round(elapsed, 1), "requests": total,
               "requests_per_second": round(total / elapsed, 1), "errors": results.errors,
               "tickets_stored": len(results.tickets), "votes_stored": len(results.votes), "problems": problems}
    for kind, values in results.latencies.items():
        summary[f"{kind}_p50_ms"] = round(_percentile(values, 0.50) * 1000, 1)
        summary[f"{kind}_p99_ms"] = round(_percentile(values, 0.99) * 1000, 1)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("KBGEN_TEST_POSTGRES_URL"),
                        help="PostgreSQL server to benchmark too (a throw-away schema is used)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    failed = False
    runs = []
    if not args.no_sqlite:
        tmp = tempfile.mkdtemp(prefix="kbgen-bench-db-")
        runs.append(("sqlite", f"sqlite:///{tmp}/bench.sqlite3", None))
    if args.postgres:
        url, schema = fresh_postgres_schema(args.postgres)
        runs.append(("postgresql", url, schema))
    for label, url, schema in runs:
        try:
            summary = run(url, label, args.clients, args.seconds, args.workers)
        finally:
            if schema:
                drop_postgres_schema(args.postgres, schema)
        failed = failed or bool(summary["problems"])
        print(f"{label:10} {summary['clients']} clients, {summary['seconds']} s: {summary['requests_per_second']} req/s "
              f"({summary['requests']} requests); tickets p50 {summary['ticket_p50_ms']} ms p99 {summary['ticket_p99_ms']} ms; "
              f"ratings p50 {summary['rating_p50_ms']} ms p99 {summary['rating_p99_ms']} ms; stored {summary['tickets_stored']} "
              f"tickets, {summary['votes_stored']} votes; errors {summary['errors'] or 'none'}; "
              f"exactly once: {'yes' if not summary['problems'] else '; '.join(summary['problems'])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
