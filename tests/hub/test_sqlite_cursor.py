"""SQLite statements through SQLAlchemy cost one trip to the connection's thread each
(`hub/sqlite_cursor.py`), and give what aiosqlite's own cursor gave: rows, rowcount,
lastrowid, errors of the right class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hub.db import Database, _RollbackOnClose


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okno.db'}")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT UNIQUE)"))
    yield database
    await database.dispose()


async def test_each_statement_is_one_trip(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    trips: list[str] = []
    real = _RollbackOnClose._execute

    async def counted(self: _RollbackOnClose, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "func", fn).__name__)
        return await real(self, fn, *args, **kwargs)

    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the connection is set up before counting
        await connection.commit()
        monkeypatch.setattr(_RollbackOnClose, "_execute", counted)
        await connection.execute(text("INSERT INTO t (x) VALUES ('a'), ('b')"))
        rows = (await connection.execute(text("SELECT x FROM t ORDER BY x"))).all()
        await connection.commit()
        # BEGIN, the two statements, COMMIT: no trips to open, fetch or close cursors.
        assert trips == ["_run", "_run", "_run", "commit"]
    assert [tuple(r) for r in rows] == [("a",), ("b",)]


async def test_results_counts_and_errors_are_the_drivers(db: Database) -> None:
    async with db.engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO t (x) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await connection.execute(text("INSERT INTO t (x) VALUES (:x)"), [{"x": "b"}, {"x": "c"}])
        changed = await connection.execute(
            text("UPDATE t SET x = x || '!' WHERE x != 'a' RETURNING id")
        )
        assert sorted(changed.scalars().all()) == [2, 3]
        assert (await connection.execute(text("UPDATE t SET x = 'z' WHERE id = 1"))).rowcount == 1
        assert (await connection.execute(text("SELECT x FROM t WHERE id = 9"))).first() is None
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (x) VALUES ('z')"))
    async with db.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, x FROM t ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, "z"), (2, "b!"), (3, "c!")]
