"""The pool's check of a PostgreSQL connection before lending it (hub.db._one_trip_ping): one
empty statement, no BEGIN and ROLLBACK around it, and a connection whose server process died
is still found out there and replaced. SQLite has no pool check (its connections are files)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text

from hub.db import Database
from tests.conftest import PG_ADMIN_DSN, Backend


def _postgres(backend: Backend) -> Database:
    if backend.name != "postgres":
        pytest.skip("the pool checks PostgreSQL connections only")
    # One connection, so the second checkout lends the very one the first returned.
    return Database(backend.database_url, pool_size=1, max_overflow=0)


async def test_a_checkout_checks_the_connection_with_one_empty_statement(
    backend: Backend,
) -> None:
    db = _postgres(backend)
    sent: list[str] = []

    def logged(record: Any) -> None:
        sent.append(record.query)

    try:
        async with db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            raw.add_query_logger(logged)
        async with db.engine.connect():
            # asyncpg calls the loggers with call_soon: a callback queued after them runs
            # after them.
            logged_all = asyncio.Event()
            asyncio.get_running_loop().call_soon(logged_all.set)
            await logged_all.wait()
            checked = list(sent)
        raw.remove_query_logger(logged)
    finally:
        await db.dispose()
    # Three before (BEGIN, the statement, ROLLBACK), each a round trip.
    assert checked == [";"]


async def test_a_connection_whose_server_process_died_is_replaced_at_checkout(
    backend: Backend,
) -> None:
    db = _postgres(backend)
    try:
        async with db.sessions() as session:
            first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first) is True
        finally:
            await admin.close()
        # Without the check this statement would meet the closed connection and fail.
        async with db.sessions() as session:
            second = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    finally:
        await db.dispose()
    assert second != first
