"""Daily roll-ups of the metric facts (hub/models/metrics.py `MetricDay`), kept in step with
them: whoever replaces facts adds what it took away and what it wrote here, in the same
transaction, and a rebuild writes the roll-ups of the days it derived again.

Sums are whole microseconds: adding and taking away the same values in any order gives the
same integers, so a day kept live equals the day a rebuild sums (floats would drift).

The per-day value histograms (`MetricBin`) are kept the same way: per roll-up key, measure
(0: value_s, 1: work_s) and bin (`value_bin`), how many facts, added to and taken from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import ROLLUP_TZ, MetricBin, MetricDay, MetricFact
from hub.queries.metric_sources import Fact
from hub.queries.metrics_common import value_bin

ZONE = ZoneInfo(ROLLUP_TZ)
KEY = ("day", "kind", "team_id", "channel_id", "operator_id", "flags")
SUMS = ("facts", "value_facts", "value_us", "work_facts", "work_us")
BIN_KEY = (*KEY, "measure", "bin")
Key = tuple[date, str, int, int, int, int]
BinKey = tuple[date, str, int, int, int, int, int, int]
VALUE, WORK = 0, 1


def micro(seconds: float) -> int:
    return round(seconds * 1_000_000)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


class DaySums:
    """Per roll-up key, the five sums (facts, value_facts, value_us, work_facts, work_us),
    and per key, measure and bin how many facts, added to (+1) or taken from (-1)."""

    def __init__(self) -> None:
        self.sums: dict[Key, list[int]] = {}
        self.bins: dict[BinKey, int] = {}
        # Facts of one conversation share their cohort instant: its day is worked out once.
        self._last: tuple[datetime, date] | None = None

    def _day(self, moment: datetime) -> date:
        if self._last is None or self._last[0] != moment:
            self._last = (moment, local_day(moment))
        return self._last[1]

    def add(
        self,
        kind: str,
        cohort_at: datetime,
        team_id: int | None,
        channel_id: int,
        operator_id: int | None,
        flags: int,
        value_s: float | None,
        work_s: float | None,
        sign: int = 1,
    ) -> None:
        key = (self._day(cohort_at), kind, team_id or 0, channel_id, operator_id or 0, flags)
        found = self.sums.get(key)
        if found is None:
            found = self.sums[key] = [0, 0, 0, 0, 0]
        found[0] += sign
        bins = self.bins
        if value_s is not None:
            found[1] += sign
            found[2] += sign * micro(value_s)
            at = (*key, VALUE, value_bin(value_s))
            bins[at] = bins.get(at, 0) + sign
        if work_s is not None:
            found[3] += sign
            found[4] += sign * micro(work_s)
            at = (*key, WORK, value_bin(work_s))
            bins[at] = bins.get(at, 0) + sign

    def add_facts(self, facts: Iterable[Fact], sign: int = 1) -> None:
        for f in facts:
            self.add(
                f.kind, f.cohort_at, f.team_id, f.channel_id, f.operator_id, f.flags,
                f.value_s, f.work_s, sign,
            )  # fmt: skip

    def merge(self, other: DaySums) -> None:
        """Add `other`'s sums and bins to these."""
        for key, found in other.sums.items():
            mine = self.sums.setdefault(key, [0, 0, 0, 0, 0])
            for i, value in enumerate(found):
                mine[i] += value
        for at, count in other.bins.items():
            self.bins[at] = self.bins.get(at, 0) + count

    def rows(self) -> list[dict[str, Any]]:
        """The keys that moved, in key order (concurrent upserts lock rows in one order:
        no deadlock)."""
        return [
            dict(zip(KEY + SUMS, (*key, *found), strict=True))
            for key, found in sorted(self.sums.items())
            if any(found)
        ]

    def bin_rows(self) -> list[dict[str, Any]]:
        """The bins that moved, in key order (as `rows`)."""
        return [
            dict(zip((*BIN_KEY, "facts"), (*key, count), strict=True))
            for key, count in sorted(self.bins.items())
            if count
        ]


@cache
def _upserts(dialect: str) -> tuple[Insert, Insert]:
    """The roll-ups' and the histograms' upserts, built once: every unit of work that moves a
    figure runs them."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    days, bins = cast(Table, MetricDay.__table__), cast(Table, MetricBin.__table__)
    to_days = insert(days)
    to_days = to_days.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: days.c[name] + to_days.excluded[name] for name in SUMS},
    )
    to_bins = insert(bins)
    to_bins = to_bins.on_conflict_do_update(
        index_elements=list(BIN_KEY), set_={"facts": bins.c.facts + to_bins.excluded.facts}
    )
    return to_days, to_bins


async def apply(session: AsyncSession, sums: DaySums) -> None:
    """Add the differences to the stored roll-ups and histograms (one upsert each; always
    roll-ups first, so two transactions take their row locks in one order)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    to_days, to_bins = _upserts(dialect)
    connection = await session.connection()
    rows = sums.rows()
    if rows:
        await connection.execute(to_days, rows)
    bins = sums.bin_rows()
    if bins:
        await connection.execute(to_bins, bins)


async def facts_before(session: AsyncSession, start: datetime, end: datetime) -> DaySums:
    """The sums of the stored facts with a cohort instant in `[start, end)` (the part of a
    rebuild's first day before its `since`, which it does not derive again)."""
    sums = DaySums()
    stmt = select(
        MetricFact.kind, MetricFact.cohort_at, MetricFact.team_id, MetricFact.channel_id,
        MetricFact.operator_id, MetricFact.flags, MetricFact.value_s, MetricFact.work_s,
    ).where(MetricFact.cohort_at >= start, MetricFact.cohort_at < end)  # fmt: skip
    for row in (await session.execute(stmt)).all():
        sums.add(*row)
    return sums


async def forget_since(session: AsyncSession, first_day: date) -> None:
    await session.execute(delete(MetricDay).where(MetricDay.day >= first_day))
    await session.execute(delete(MetricBin).where(MetricBin.day >= first_day))
