"""Connections: SQLite (WAL, BEGIN IMMEDIATE for writers, busy timeout) or PostgreSQL.

SQLite with several writer processes silently loses read-modify-write updates under its default
deferred transactions, so every write transaction here starts with ``BEGIN IMMEDIATE`` (the
pysqlite recipe from SQLAlchemy's documentation). Reads use a second engine whose statements run
without an explicit transaction, so readers never queue behind a writer under WAL.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger("openchirp.db")
BUSY_TIMEOUT_MS = 5000
ENQUEUED = "openchirp.enqueued"
"""Key of the list in a write connection's ``info`` that db/queue.enqueue appends to."""
Enqueued = tuple[str, str, "str | None", int]
"""(job id, kind, engine, priority) of a job enqueued in a write transaction."""
SQLITE_READERS = 40
"""Pooled reader connections: one per thread of the request thread pool (anyio's default 40),
so concurrent reads reuse connections instead of opening (and PRAGMA-ing) one per request."""


class Database:
    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self._threads = threading.local()
        self._sqlite_readers: list[sqlite3.Connection] = []  # every thread's, closed on dispose
        self.after_commit: list[Callable[[list[Enqueued]], None]] = []
        """Called with the jobs a write transaction enqueued, once it committed (the distributed
        queue publishes them); not called when none was enqueued."""
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            self._writer = _sqlite_engine(url, immediate=True)
            self._reader = _sqlite_engine(url, immediate=False, pool_size=SQLITE_READERS)
        else:
            self._writer = create_engine(
                _psycopg(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self._reader = self._writer

    @property
    def engine(self) -> Engine:
        return self._writer

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: serialised against other writers on SQLite, committed on exit."""
        enqueued: list[Enqueued] = []
        with self._writer.begin() as conn:
            conn.info[ENQUEUED] = enqueued
            try:
                yield conn
            finally:
                conn.info.pop(ENQUEUED, None)
        if enqueued:
            for hook in self.after_commit:
                hook(enqueued)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn:
            yield conn

    def sqlite_reader(self) -> sqlite3.Connection | None:
        """This thread's own plain sqlite3 connection for the hottest reads; None on PostgreSQL.

        A clip poll's version check is a ~15 us query, but ~170 us through SQLAlchemy Core (pool
        checkout, expanding-IN compilation, result rows), which made it most of a request. The
        connection is per thread (sqlite3 objects must not be shared) and lives with the thread.
        """
        if not self.is_sqlite:
            return None
        conn = getattr(self._threads, "sqlite", None)
        if conn is None:
            conn = sqlite3.connect(
                make_url(self.url).database or ":memory:",
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: each SELECT is its own WAL snapshot
                check_same_thread=False,
            )
            _configure_sqlite(conn)
            self._threads.sqlite = conn
            self._sqlite_readers.append(conn)  # list.append is atomic under the GIL
        return conn

    def dispose(self) -> None:
        while self._sqlite_readers:
            self._sqlite_readers.pop().close()
        self._threads = threading.local()
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL = 13
PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the disk is full: an OSError, SQLite's
    SQLITE_FULL, or PostgreSQL's disk_full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.Error) and (
            getattr(current, "sqlite_errorcode", None) == SQLITE_FULL
            or "database or disk is full" in str(current)
        ):
            return True
        if getattr(current, "sqlstate", None) == PG_DISK_FULL:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def _psycopg(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _decode_text(raw: bytes) -> str:
    """SQLite hands back whatever bytes a text column holds; bytes that are not UTF-8 (written
    by another tool) are repaired on the way out rather than failing the whole read."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("repaired undecodable text read from the database")
        return raw.decode("utf-8", "replace")


def _configure_sqlite(conn: sqlite3.Connection) -> None:
    conn.text_factory = _decode_text
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int = 5) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        pool_size=pool_size,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so our BEGIN is the one that runs.
        dbapi_connection.isolation_level = None
        _configure_sqlite(dbapi_connection)

    if immediate:

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    # Readers run without BEGIN: each SELECT is its own consistent snapshot under WAL, which is
    # all the read paths need, and skipping BEGIN/ROLLBACK takes a quarter off a short read.

    return engine
