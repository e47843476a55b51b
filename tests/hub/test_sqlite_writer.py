"""The embedded database's writers take turns in the process (`Database.writing`), in
arrival order, instead of meeting SQLite's lock and sleeping in its busy handler.

The busy timeout is set to zero here, so a writer that met the lock would fail at once
("database is locked"): every unit of work below succeeding shows none of them met it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from hub.actions.uow import unit_of_work
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.settings import Settings


@pytest.fixture
async def hub(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'okno.db'}"
    db = Database(url)

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    # Registered after the engine's own pragmas (30 s): this one wins.
    event.listen(db.engine.sync_engine, "connect", no_busy_wait)
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE turns (writer INTEGER, step INTEGER)"))
    yield Hub(settings=Settings(database_url=url), db=db, bus=MemoryBus())
    await db.dispose()


async def turns(hub: Hub) -> list[tuple[int, int]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(text("SELECT writer, step FROM turns ORDER BY rowid"))
        return [(int(w), int(s)) for w, s in rows]


async def test_writers_in_many_tasks_take_turns_in_arrival_order(hub: Hub) -> None:
    async def writer(number: int) -> None:
        async with unit_of_work(hub) as uow:
            for step in range(3):
                await uow.session.execute(
                    text("INSERT INTO turns VALUES (:w, :s)"), {"w": number, "s": step}
                )
                await asyncio.sleep(0)  # let the others try to write meanwhile

    await asyncio.gather(*(writer(n) for n in range(8)))
    # Each writer's three rows together (one turn each), the turns in the order asked.
    assert await turns(hub) == [(n, s) for n in range(8) for s in range(3)]


async def test_a_unit_of_work_inside_another_keeps_the_turn_rather_than_wait_for_it(
    hub: Hub,
) -> None:
    """SQLite cannot hold two write transactions: the inner one fails at once, as it would
    without the turn, instead of waiting for ever for a turn its own task holds."""
    with pytest.raises(OperationalError, match="database is locked"):
        async with unit_of_work(hub) as outer:
            await outer.session.execute(text("INSERT INTO turns VALUES (1, 0)"))
            async with asyncio.timeout(10), unit_of_work(hub):
                pass
    assert await turns(hub) == []
    async with unit_of_work(hub) as uow:  # the turn was given back
        await uow.session.execute(text("INSERT INTO turns VALUES (2, 0)"))
    assert await turns(hub) == [(2, 0)]


async def test_on_postgresql_there_are_no_turns() -> None:
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with db.writing(), db.writing():  # nested, no lock taken: nothing to wait for
            assert db._writer.locked() is False
    finally:
        await db.dispose()
