"""A cursor for SQLAlchemy's aiosqlite adapter that costs one trip to the database thread.

aiosqlite runs each SQLite call on the connection's own thread and waits for it on the event
loop: a queue put, a thread wake-up and a loop wake-up per call. SQLAlchemy's adapter makes up
to four calls per statement (open a cursor, execute, fetch the rows, close), so a web-form
request of two dozen statements paid about ninety of those trips, the largest single cost of
the embedded default's ingest in a profile (issue #16). This cursor opens, executes, fetches
every row and closes in one function run on that thread, then serves the rows it keeps.

It buffers the whole result, as SQLAlchemy's own non-streaming cursor does right after
`execute`; Okno streams no result on SQLite.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Outcome:
    """On the database thread: the whole life of one statement's cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        # rowcount of an UPDATE … RETURNING is final only once its rows are read.
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The cursor interface SQLAlchemy's adapter uses, over results fetched in one trip."""

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _trip(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        database = self._connection._conn  # aiosqlite's sqlite3 connection (its thread's)
        run = partial(_run, database, sql, parameters, many)
        outcome: Outcome = await self._connection._execute(run)  # type: ignore[no-untyped-call]
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        return await self._trip(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return await self._trip(sql, list(parameters), many=True)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()
