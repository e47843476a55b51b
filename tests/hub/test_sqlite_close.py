"""A connection closed in the middle of a transaction must not keep SQLite's write lock.

Cancelled background tasks at shutdown leave exactly this: a transaction open and a cursor
still referenced. Before the fix every writer behind it waited the whole 30 s busy timeout.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.db import _sqlite_connector


def write_lock_is_free(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


async def test_closing_mid_transaction_with_a_live_cursor_frees_the_write_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "okno.db"
    connection = await _sqlite_connector(f"sqlite+aiosqlite:///{path}")()
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("CREATE TABLE t (x INTEGER)")
    await connection.commit()
    await connection.execute("BEGIN IMMEDIATE")
    await connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
    cursor = await connection.execute("SELECT x FROM t")
    assert await cursor.fetchone() == (0,)  # the statement is still running
    assert not write_lock_is_free(path)

    await connection.close()

    assert write_lock_is_free(path)
    assert cursor is not None  # kept alive on purpose, as a cancelled task's frame would
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM t").fetchone() == (0,)  # rolled back
    check.close()
