"""Two transactions waiting for each other on PostgreSQL: the one rolled back is a conflict the
caller does again (the sweep's next pass, an inbound event alone after its batch), logged as
one warning line, not as a bug's traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hub.core import Hub
from hub.outages import dependency_of, is_lock_conflict, log_failure


async def a_real_deadlock(hub: Hub) -> DBAPIError:
    """Two transactions lock two rows in opposite orders; PostgreSQL rolls one back."""
    async with hub.db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE pair (id int PRIMARY KEY)"))
        await connection.execute(text("INSERT INTO pair VALUES (1), (2)"))
    both_hold_one = asyncio.Barrier(2)

    async def lock(first: int, second: int) -> None:
        async with hub.db.engine.begin() as connection:
            await connection.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
            await connection.execute(text(f"SELECT id FROM pair WHERE id = {first} FOR UPDATE"))
            await both_hold_one.wait()
            await connection.execute(text(f"SELECT id FROM pair WHERE id = {second} FOR UPDATE"))

    try:
        outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
    finally:
        # The worker's database is shared with the tests that follow (test_migrations
        # compares its tables with the models).
        async with hub.db.engine.begin() as connection:
            await connection.execute(text("DROP TABLE pair"))
    [conflict] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(conflict, DBAPIError)
    return conflict


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_deadlock_is_one_warning_line_without_a_traceback(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    conflict = await a_real_deadlock(hub)
    assert is_lock_conflict(conflict)
    assert dependency_of(conflict) is None  # the database is there: no outage
    caplog.set_level(logging.INFO, "tests.locks")
    logger = logging.getLogger("tests.locks")
    log_failure(logger, conflict, "routing sweep failed; again %s", "soon")
    [record] = [r for r in caplog.records if r.name == "tests.locks"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert message.startswith("routing sweep failed; again soon (lock conflict, rolled back: ")
    assert "deadlock detected" in message


def test_other_failures_are_not_lock_conflicts() -> None:
    assert not is_lock_conflict(ValueError("a bug of ours"))
    assert not is_lock_conflict(ConnectionRefusedError(111, "Connect call failed"))
