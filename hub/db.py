"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

from hub.outages import DATABASE, OUTAGES
from hub.sqlite_cursor import OneTripCursor

# aiosqlite logs every call into its thread at DEBUG with the statement's parameters: a
# channel's bot token and webhook secret, messages' texts, clients' phones. With
# OKNO_LOG_LEVEL=DEBUG they would all land in the log, so its records stop at INFO here,
# whatever the root logger's level (tests/hub/api/test_secrets_in_logs.py).
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# Execution option a unit of work sets: on SQLite its transaction starts with BEGIN IMMEDIATE,
# taking the write lock before its first read, so a read-then-write decision (is this
# operator still under capacity?) cannot be overtaken by another writer.
WRITE_INTENT = "okno_write_intent"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN (issued only before DML) would leave reads outside
    # the transaction; SQLAlchemy's "begin" hook below issues BEGIN itself instead.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the single writer; busy_timeout makes concurrent
    # writers wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class _RollbackOnClose(aiosqlite.Connection):
    """An aiosqlite connection whose statements cost one trip to its thread each, and that
    rolls back before it closes.

    When a task is cancelled in the middle of a statement (every background loop at
    shutdown), SQLAlchemy cannot await a rollback and closes the connection instead.
    `sqlite3_close_v2` with a statement still referenced by a live cursor leaves a "zombie"
    connection that keeps its open transaction, and its write lock, until that cursor is
    garbage collected: every other writer then waits out the whole busy timeout (30 s).
    A rollback first ends the transaction, so the lock goes with the close.
    """

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # SQLAlchemy's adapter opens a cursor per statement: one trip instead of four.
        return OneTripCursor(self)

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                await self._execute(self._conn.rollback)  # type: ignore[no-untyped-call]
        await super().close()


def _sqlite_connector(url: str) -> Any:
    database = make_url(url).database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        connection = _RollbackOnClose(
            lambda: sqlite3.connect(database, check_same_thread=False), iter_chunk_size=64
        )
        # As SQLAlchemy does for its own aiosqlite connections: a thread left behind by a
        # connection nobody closed must not keep the process alive.
        connection._thread.daemon = True
        return await connection

    return connect


def _connected(_dbapi_connection: Any, _record: Any) -> None:
    # A new connection is the first sign a database outage is over (the pool drops the
    # broken ones): the outage's end is logged here, once.
    OUTAGES.recovered(DATABASE)


def _one_trip_ping(dbapi_connection: Any) -> bool:
    """The pool's check of a PostgreSQL connection before lending it: one empty statement.

    SQLAlchemy's asyncpg ping wraps it in BEGIN and ROLLBACK (for pgbouncer's transaction
    mode, which Okno does not use): three round trips at every checkout, before each unit of
    work and each read, and on a loaded machine each round trip is a wait for a core. A dead
    connection still fails here and the pool replaces it (`tests/hub/test_db_ping.py`)."""
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:
        # Translated into the DBAPI's errors, so the pool sees a disconnect as one.
        dbapi_connection._handle_exception(error)
    return True


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        _prepare_sqlite_path(url)
        kwargs.setdefault("async_creator", _sqlite_connector(url))
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_async_engine(url, **kwargs)
        engine.sync_engine.dialect.do_ping = _one_trip_ping  # type: ignore[method-assign]
    event.listen(engine.sync_engine, "connect", _connected)
    return engine


# Set while this task (and what it awaits) holds the embedded database's writer turn.
_WRITING: ContextVar[bool] = ContextVar("okno_writing", default=False)


class Database:
    """One engine and its session factory; owned by the app's cleanup context."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        self._writer = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """A turn as the embedded database's one writer (no-op on PostgreSQL).

        SQLite lets one transaction write at a time; writers that meet its lock wait in its
        busy handler, which sleeps in growing steps and wakes in no order: under load some
        waited seconds. Queued here instead, each unit of work starts as soon as the one
        before it commits, in arrival order. A unit of work inside another (same task) keeps
        the turn it has."""
        if self.dialect != "sqlite" or _WRITING.get():
            yield
            return
        async with self._writer:
            token = _WRITING.set(True)
            try:
                yield
            finally:
                _WRITING.reset(token)

    def in_write_turn(self) -> bool:
        """This task holds the embedded database's writer turn (inside a unit of work)."""
        return _WRITING.get()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()
