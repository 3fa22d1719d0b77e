"""Database access: one engine per app, SQLite in WAL mode or PostgreSQL, same schema on both."""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite has no time zones), always handed to Python as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use kbgen.api.db.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with escape="\\": its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """Record ids: 128 random bits, so nobody can guess a neighbour's id."""
    return secrets.token_urlsafe(16)


# Threads one worker process runs endpoints in, and the connections its pool keeps for them: a
# thread never waits for a connection, and requests beyond what the threads can serve wait in
# the admission queue (middleware.LoadShedMiddleware) or get 429, never a pool timeout.
# Few on purpose: threads beyond a handful add no throughput on a small machine (SQLite has one
# writer; Python one GIL) but starve the event loop, which also serves cached lists and 304s.
WORKER_THREADS = max(2, int(os.environ.get("KBGEN_API_THREADS", "8")))
# Requests admitted at once (middleware.LoadShedMiddleware); the pool holds a connection for each,
# so no thread ever waits for one, even when every admitted request has started its transaction
# and some wait for a thread to finish; the overflow covers short nested sessions (rate counters).
# Twice the threads: enough to overlap a request's async parts (reading its body) with others'
# work; more only lengthened the thread pool's own queue, where a cache refresh also waits.
MAX_IN_FLIGHT = WORKER_THREADS * 2
POOL_SIZE, POOL_OVERFLOW = MAX_IN_FLIGHT, WORKER_THREADS
READ_ONLY = "kbgen_read_only"


def make_engine(url: str) -> Engine:
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": 15}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets readers and one writer work at once; the busy timeout queues writers
            # instead of failing with "database is locked".
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # pysqlite's own transaction handling defers BEGIN until the first write, which lets two
        # writers both read then deadlock on upgrade; BEGIN IMMEDIATE on write-capable sessions avoids it.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # A read-only session (GET requests) reads a WAL snapshot and takes no lock at all;
            # BEGIN IMMEDIATE there would make every reader queue for the single write lock.
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read (GET/HEAD): on SQLite they never take the write lock."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session
