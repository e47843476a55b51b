"""A refresh's new metric facts and the roll-ups they move, written in one statement on
PostgreSQL.

Every unit of work that moves a figure (a batch of new requests, a reply, a close, a call)
ends with three writes: the facts it derived, the daily roll-ups' differences and the
histograms' (hub/actions/metric_days.py). Apart, they are three round trips while the
transaction holds its locks; on PostgreSQL they are one statement of data-modifying CTEs,
each part fed from arrays (prepared once, whatever the number of rows). The roll-ups are
upserted in key order, as `metric_days.apply` does, so concurrent transactions take their row
locks in one order. SQLite runs in process, with no round trip to save: there the three
statements run as before (hub/actions/metric_facts.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import MetricBin, MetricDay, MetricFact
from hub.queries.metric_sources import COLUMNS, Fact

from .bulk_insert import unnested
from .metric_days import BIN_KEY, KEY, SUMS, DaySums

_FACTS, _DAYS, _BINS = (cast(Table, m.__table__) for m in (MetricFact, MetricDay, MetricBin))


def _upsert(table: Table, key: Sequence[str], sums: Sequence[str], prefix: str) -> str:
    columns = ", ".join((*key, *sums))
    added = ", ".join(f"{name} = {table.name}.{name} + EXCLUDED.{name}" for name in sums)
    # Names are the tables' own columns, never values: values are bound.
    return (
        f"INSERT INTO {table.name} ({columns}) SELECT {columns}"  # noqa: S608
        f" FROM {unnested(table, (*key, *sums), f'{prefix}_')} ORDER BY u.n"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
    )


@cache
def together_parts() -> tuple[str, str, str]:
    """The three writes as data-modifying CTEs `facts`, `days` and `bins` (their values bound
    as :f_*, :d_* and :b_* arrays): alone here, or ahead of the event log's insert
    (hub/actions/uow.py)."""
    columns = ", ".join(COLUMNS)
    facts = (
        f"INSERT INTO {_FACTS.name} ({columns}) SELECT {columns}"  # noqa: S608
        f" FROM {unnested(_FACTS, COLUMNS, 'f_')} ORDER BY u.n"
    )
    days = _upsert(_DAYS, KEY, SUMS, "d")
    bins = _upsert(_BINS, BIN_KEY, ("facts",), "b")
    return f"facts AS ({facts})", f"days AS ({days})", f"bins AS ({bins})"


@cache
def _written_together() -> TextClause:
    return text(f"WITH {', '.join(together_parts())} SELECT 1")


def _arrays(prefix: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {f"{prefix}_{name}": [row[i] for row in rows] for i, name in enumerate(names)}


def together_params(facts: Sequence[Fact], sums: DaySums) -> dict[str, Any] | None:
    """The values of `together_parts`; None when there is nothing to write."""
    days, bins = sums.rows(), sums.bin_rows()
    if not (facts or days or bins):
        return None
    return {
        **_arrays("f", COLUMNS, [fact.record() for fact in facts]),
        **_arrays("d", (*KEY, *SUMS), [list(row.values()) for row in days]),
        **_arrays("b", (*BIN_KEY, "facts"), [list(row.values()) for row in bins]),
    }


async def write_together(session: AsyncSession, facts: Sequence[Fact], sums: DaySums) -> None:
    """PostgreSQL: insert the facts and add `sums` (what was taken away and what is
    written) to the roll-ups and histograms, in one statement."""
    params = together_params(facts, sums)
    if params is None:
        return
    connection = await session.connection()
    await connection.execute(_written_together(), params)


class PendingFigures:
    """PostgreSQL: a unit of work's figures, held back to ride in its event log's insert at
    commit (one round trip fewer for every unit of work that moves a figure). Nothing in the
    transaction reads the figures' tables after the refresh that derives them."""

    def __init__(self) -> None:
        self._facts: list[Fact] = []
        self._sums = DaySums()

    def add(self, facts: Sequence[Fact], sums: DaySums) -> None:
        self._facts.extend(facts)
        self._sums.merge(sums)

    def params(self) -> dict[str, Any] | None:
        """What to bind for `together_parts`; None when nothing moved."""
        return together_params(self._facts, self._sums)

    async def write(self, session: AsyncSession) -> None:
        """Alone, when the unit of work logs no event to ride with."""
        await write_together(session, self._facts, self._sums)
