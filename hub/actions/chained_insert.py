"""Rows of several tables that point at each other, inserted in one statement on PostgreSQL.

A batch of first requests writes, for each request, a contact, its identities, a lead of the
contact, a conversation of both and the conversation's first message: each table's rows need
the ids the previous ones were given. Written table by table (hub/actions/bulk_insert.py),
that is five statements and five round trips, each waiting on the one before. On PostgreSQL
the tables are chained instead in one statement of data-modifying CTEs: each step inserts its
rows unnested in order (as bulk_insert does) and returns their ids; a later step's reference
to "row k of step s" is looked up among those ids numbered in order (the ids come from the
table's sequence in the order the rows are fed, as bulk_insert relies on). PostgreSQL checks
the foreign keys at the end of the statement, when every step's rows are there.

SQLite runs in process, with no round trip to save: the steps are inserted one after the
other, each reference replaced by the id its row was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, text

from .bulk_insert import column_arrays, insert_returning_ids, unnested
from .uow import UnitOfWork


@dataclass(frozen=True)
class Step:
    """One table's rows (all with the same keys). `refs`: columns whose value in each row is
    a row number (1-based) of an earlier step, to be replaced by that row's id."""

    table: Table
    rows: Sequence[dict[str, Any]]
    refs: Mapping[str, int] = field(default_factory=dict)


# A step's shape: its table, its columns, and which earlier step each referring column names.
_Shape = tuple[Table, tuple[str, ...], tuple[tuple[str, int], ...]]


@cache
def _chained(shapes: tuple[_Shape, ...]) -> TextClause:
    parts: list[str] = []
    for number, (table, names, refs) in enumerate(shapes):
        referred = dict(refs)
        # A referring column is fed row numbers (they fit its id type) and takes the id of
        # that row of the earlier step.
        values = [
            f"(SELECT id FROM n{referred[name]} WHERE n = u.{name})"  # noqa: S608
            if name in referred
            else f"u.{name}"
            for name in names
        ]
        # Every name is a table's own (its columns, ours), never a value: values are bound.
        parts.append(
            f"s{number} AS (INSERT INTO {table.name} ({', '.join(names)})"  # noqa: S608
            f" SELECT {', '.join(values)} FROM {unnested(table, names, f's{number}_')}"
            f" ORDER BY u.n RETURNING id)"
        )
        parts.append(
            f"n{number} AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM s{number})"  # noqa: S608
        )
    ids = " UNION ALL ".join(
        f"SELECT {number} AS step, id FROM s{number}"  # noqa: S608
        for number in range(len(shapes))
    )
    return text(f"WITH {', '.join(parts)} {ids}")


async def insert_chain(uow: UnitOfWork, steps: Sequence[Step]) -> list[list[int]]:
    """Insert every step's rows, references resolved; per step, its rows' ids in order. A
    step may have no rows when no later step refers to it."""
    present = [step for step in steps if step.rows]
    for number, step in enumerate(steps):
        for name, earlier in step.refs.items():
            if step.rows and (earlier >= number or not steps[earlier].rows):
                raise ValueError(f"{step.table.name}.{name} refers to no earlier rows")
    if uow.hub.db.dialect != "postgresql":
        return await _one_by_one(uow, steps)
    # Steps renumbered without the empty ones: their references follow.
    renumbered: dict[int, int] = {}
    for given, step in enumerate(steps):
        if step.rows:
            renumbered[given] = len(renumbered)
    shapes: list[_Shape] = []
    params: dict[str, Any] = {}
    for number, step in enumerate(present):
        names, arrays = column_arrays(step.table, step.rows)
        refs = tuple((name, renumbered[earlier]) for name, earlier in step.refs.items())
        shapes.append((step.table, names, refs))
        params.update({f"s{number}_{name}": values for name, values in arrays.items()})
    connection = await uow.session.connection()
    found: dict[int, list[int]] = {number: [] for number in range(len(present))}
    for number, row_id in await connection.execute(_chained(tuple(shapes)), params):
        found[number].append(row_id)
    return [sorted(found[renumbered[i]]) if step.rows else [] for i, step in enumerate(steps)]


async def _one_by_one(uow: UnitOfWork, steps: Sequence[Step]) -> list[list[int]]:
    written: list[list[int]] = []
    for step in steps:
        rows = [
            {
                **row,
                **{name: written[earlier][row[name] - 1] for name, earlier in step.refs.items()},
            }
            for row in step.rows
        ]
        written.append(await insert_returning_ids(uow, step.table, rows))
    return written
