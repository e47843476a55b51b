"""Multi-row INSERTs whose text does not change with the number of rows.

SQLAlchemy's multi-row INSERT … RETURNING (insertmanyvalues) renders one VALUES tuple per row,
so on PostgreSQL every batch size is a statement of its own, prepared anew by asyncpg once the
connection's cache of prepared statements has turned over: a group commit's batches of 1 to
32 rows, times every table, do that. Here, on PostgreSQL, each column travels as one array and
the rows are `unnest`ed from them in order (WITH ORDINALITY … ORDER BY n), the way the event
log has been written since issue #13 (hub/actions/uow.py): one statement per table and set of
columns, prepared once, whatever the batch. The ids come from the table's sequence in the
order the rows are fed, so sorted they pair with the rows (as the event log relies on).

SQLite runs in process (nothing to prepare, no round trip): SQLAlchemy's statement, one per
batch, its ids taken in sorted order, as SQLite inserts a VALUES list row after row, each
taking the next rowid, while one writer at a time holds the database.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, TextClause, insert, text
from sqlalchemy.dialects import postgresql

from .uow import UnitOfWork

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def array_type(table: Table, name: str) -> str:
    compiled = table.c[name].type.compile(dialect=_PG)
    return compiled.split("(")[0]  # VARCHAR(300)[] is VARCHAR[]: the column checks the length


def unnested(table: Table, names: Sequence[str], prefix: str = "") -> str:
    """The rows fed as one array per column (bound as `:<prefix><name>`, typed as the
    column), unnested side by side as `u(<names>, n)`, n the row's place."""
    arrays = []
    for name in names:
        kind = array_type(table, name)
        if kind == "JSONB":
            # Each value encoded here, once, and cast by PostgreSQL.
            arrays.append(f"CAST(CAST(:{prefix}{name} AS TEXT[]) AS JSONB[])")
        else:
            arrays.append(f"CAST(:{prefix}{name} AS {kind}[])")
    return f"unnest({', '.join(arrays)}) WITH ORDINALITY AS u({', '.join(names)}, n)"


@cache
def _unnest_insert(table: Table, names: tuple[str, ...], suffix: str) -> TextClause:
    columns = ", ".join(names)
    # Every name is the table's own (its columns, ours), never a value: values are bound.
    return text(
        f"INSERT INTO {table.name} ({columns}) SELECT {columns}"  # noqa: S608
        f" FROM {unnested(table, names)} ORDER BY u.n {suffix}"
    )


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns the rows leave out (SQLAlchemy would apply
    them to its own INSERT; a text statement gets them here)."""
    found: dict[str, Any] = {}
    for column in table.c:
        if column.name in given or column.primary_key or column.default is None:
            continue
        default: Any = column.default
        found[column.name] = default.arg(None) if default.is_callable else default.arg
    return found


def column_arrays(
    table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[tuple[str, ...], dict[str, Any]]:
    defaults = _defaults(table, list(rows[0]))
    names = tuple([*rows[0], *defaults])
    params: dict[str, Any] = {}
    for name in names:
        values = (
            [row[name] for row in rows] if name not in defaults else [defaults[name]] * len(rows)
        )
        if array_type(table, name) == "JSONB":
            values = [None if v is None else json.dumps(v) for v in values]
        else:
            # An enum column keeps its members' names (SQLAlchemy's Enum, native_enum off).
            values = [v.name if isinstance(v, enum.Enum) else v for v in values]
        params[name] = values
    return names, params


@cache
def _sqlalchemy_insert(table: Table) -> Insert:
    return insert(table).returning(table.c.id)


async def insert_returning_ids(
    uow: UnitOfWork, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert the rows (all with the same keys) in one statement; their ids, in order."""
    if not rows:
        return []
    connection = await uow.session.connection()
    if uow.hub.db.dialect == "postgresql":
        names, params = column_arrays(table, rows)
        found = await connection.execute(_unnest_insert(table, names, "RETURNING id"), params)
    else:
        found = await connection.execute(_sqlalchemy_insert(table), list(rows))
    return sorted(found.scalars())


async def insert_once_returning(
    uow: UnitOfWork,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL: insert the rows whose `conflict` key is new (ON CONFLICT DO NOTHING, so
    the first of two with one key), returning `returning` of each row inserted."""
    names, params = column_arrays(table, rows)
    suffix = f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}"
    connection = await uow.session.connection()
    return [
        tuple(row) for row in await connection.execute(_unnest_insert(table, names, suffix), params)
    ]
