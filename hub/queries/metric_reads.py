"""Reading the metric facts for a report: the facts of a period (worked out here: drill-down
and SQLite), or, on PostgreSQL, their counts, sums and percentiles per group and in total
worked out by the database in one statement, so a long period sends no rows but the result;
and the daily roll-ups (`metric_days`) the counts and sums of whole days come from.

All give the same figures: percentile_cont is the interpolation of metrics_common.percentile,
and a roll-up is the count and sum of the very facts of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, String, cast, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import ROLLUP_TZ, MetricDay, MetricFact

from .metrics_common import Period, Stat, day_key, percentile


@dataclass(frozen=True)
class FactFilter:
    team_id: int | None = None
    channel_id: int | None = None
    operator_id: int | None = None
    # Leave out facts with any flag (calls whose end is only known to lie in an interval).
    exact_only: bool = False


@dataclass(frozen=True)
class FactRow:
    kind: str
    subject_id: int
    cohort_at: datetime
    team_id: int | None
    channel_id: int
    operator_id: int | None
    value_s: float | None
    work_s: float | None


def _where(period: Period, kinds: Sequence[str], chosen: FactFilter) -> list[ColumnElement[bool]]:
    where = [
        MetricFact.kind.in_(kinds),
        MetricFact.cohort_at >= period.start,
        MetricFact.cohort_at < period.end,
    ]
    if chosen.team_id is not None:
        where.append(MetricFact.team_id == chosen.team_id)
    if chosen.channel_id is not None:
        where.append(MetricFact.channel_id == chosen.channel_id)
    if chosen.operator_id is not None:
        where.append(MetricFact.operator_id == chosen.operator_id)
    if chosen.exact_only:
        where.append(MetricFact.flags == 0)
    return where


async def fact_rows(
    session: AsyncSession, period: Period, kinds: Sequence[str], chosen: FactFilter
) -> list[FactRow]:
    stmt = select(
        MetricFact.kind,
        MetricFact.subject_id,
        MetricFact.cohort_at,
        MetricFact.team_id,
        MetricFact.channel_id,
        MetricFact.operator_id,
        MetricFact.value_s,
        MetricFact.work_s,
    ).where(*_where(period, kinds, chosen))
    return [FactRow(*row) for row in (await session.execute(stmt)).all()]


def is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _group_key(group_by: str, tz: str) -> ColumnElement[Any]:
    """The group key as metrics_common.time_key and the report's key functions spell it."""
    local_day = func.date(func.timezone(tz, MetricFact.cohort_at))
    if group_by == "day":
        return func.to_char(local_day, "YYYY-MM-DD")
    if group_by == "week":
        return func.to_char(local_day, 'IYYY-"W"IW')
    column = {
        "operator": MetricFact.operator_id,
        "team": MetricFact.team_id,
        "channel": MetricFact.channel_id,
    }.get(group_by)
    if column is None:
        return literal("all", String)
    return func.coalesce(cast(column, String), "none")


@dataclass(frozen=True)
class Thresholds:
    """Counts of values at or under (`within_*`) or under (`below`) a bound, per kind."""

    below: float = 0.0
    within: float = 0.0
    within_long: float = 0.0


@dataclass(frozen=True)
class KindStats:
    value: Stat
    work: Stat | None
    below: int
    within: int
    within_long: int


async def fact_stats(
    session: AsyncSession,
    period: Period,
    kinds: Sequence[str],
    chosen: FactFilter,
    group_by: str,
    with_work: bool,
    bounds: Thresholds = Thresholds(),
) -> tuple[dict[str, dict[str, KindStats]], dict[str, KindStats]]:
    """Per group key and in total, per kind: count, sum and p50/p90 of value_s (and of
    work_s), and the threshold counts. PostgreSQL only (percentile_cont)."""
    key = _group_key(group_by, period.tz).label("key")
    # Both ranks in one percentile_cont: one sort of the values per group, not two.
    ranks = cast(array([0.5, 0.9]), ARRAY(Float))

    def ranked(column: Any) -> Any:
        return func.percentile_cont(ranks).within_group(column).cast(ARRAY(Float))

    columns: list[Any] = [
        key,
        MetricFact.kind,
        func.grouping(key).label("is_total"),
        func.count(),
        func.sum(MetricFact.value_s),
        ranked(MetricFact.value_s),
        func.count().filter(MetricFact.value_s < bounds.below),
        func.count().filter(MetricFact.value_s <= bounds.within),
        func.count().filter(MetricFact.value_s <= bounds.within_long),
    ]
    if with_work:
        columns += [func.count(MetricFact.work_s), func.sum(MetricFact.work_s),
                    ranked(MetricFact.work_s)]  # fmt: skip
    stmt = (
        select(*columns)
        .where(*_where(period, kinds, chosen))
        .group_by(func.grouping_sets(tuple_(key, MetricFact.kind), tuple_(MetricFact.kind)))
    )
    grouped: dict[str, dict[str, KindStats]] = {}
    total: dict[str, KindStats] = {}
    for row in (await session.execute(stmt)).all():
        group, kind, is_total, count, value_sum, value_ranks = row[:6]
        below, within, within_long = row[6:9]
        work = None
        if with_work:
            work_count, work_sum, work_ranks = row[9:12]
            work = Stat(work_count, work_sum, *(work_ranks or (None, None)))
        found = KindStats(
            Stat(count, value_sum, *(value_ranks or (None, None))),
            work, below, within, within_long,
        )  # fmt: skip
        if is_total:
            total[kind] = found
        else:
            grouped.setdefault(group, {})[kind] = found
    return grouped, total


def stats_of_rows(
    facts: Sequence[FactRow], key_of: Any, with_work: bool, bounds: Thresholds = Thresholds()
) -> tuple[dict[str, dict[str, KindStats]], dict[str, KindStats]]:
    """What `fact_stats` answers, worked out here from the facts (SQLite)."""

    def stats(rows: list[FactRow]) -> KindStats:
        values = [row.value_s for row in rows if row.value_s is not None]
        works = [row.work_s for row in rows if row.work_s is not None]
        return KindStats(
            Stat(len(rows), sum(values) if values else None,
                 percentile(values, 0.5), percentile(values, 0.9)),
            Stat(len(works), sum(works) if works else None,
                 percentile(works, 0.5), percentile(works, 0.9)) if with_work else None,
            sum(1 for v in values if v < bounds.below),
            sum(1 for v in values if v <= bounds.within),
            sum(1 for v in values if v <= bounds.within_long),
        )  # fmt: skip

    by_group: dict[str, dict[str, list[FactRow]]] = {}
    by_kind: dict[str, list[FactRow]] = {}
    for fact in facts:
        by_group.setdefault(key_of(fact), {}).setdefault(fact.kind, []).append(fact)
        by_kind.setdefault(fact.kind, []).append(fact)
    grouped = {
        group: {kind: stats(rows) for kind, rows in kinds.items()}
        for group, kinds in by_group.items()
    }
    return grouped, {kind: stats(rows) for kind, rows in by_kind.items()}


def rollup_days(period: Period) -> tuple[date, date] | None:
    """The roll-up days `[first, last)` a period is made of, or None when it is not whole
    local days of the roll-ups' zone (a report asked in another zone reads the facts)."""
    if period.tz != ROLLUP_TZ:
        return None
    zone = ZoneInfo(ROLLUP_TZ)
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    if any((t.hour, t.minute, t.second, t.microsecond) != (0, 0, 0, 0) for t in (start, end)):
        return None
    return start.date(), end.date()


@dataclass
class DaySum:
    """The counts and sums of some roll-up rows."""

    facts: int = 0
    value_facts: int = 0
    value_us: int = 0
    work_facts: int = 0
    work_us: int = 0

    def add(self, other: DaySum) -> None:
        self.facts += other.facts
        self.value_facts += other.value_facts
        self.value_us += other.value_us
        self.work_facts += other.work_facts
        self.work_us += other.work_us

    def value(self, p50: float | None = None, p90: float | None = None) -> Stat:
        total = self.value_us / 1_000_000 if self.value_facts else None
        return Stat(self.facts, total, p50, p90)

    def work(self, p50: float | None = None, p90: float | None = None) -> Stat:
        total = self.work_us / 1_000_000 if self.work_facts else None
        return Stat(self.work_facts, total, p50, p90)


@dataclass
class DaySums:
    """Per group key and in total, per kind, what the roll-ups of a period add up to."""

    grouped: dict[str, dict[str, DaySum]] = field(default_factory=dict)
    total: dict[str, DaySum] = field(default_factory=dict)


def _day_group(group_by: str) -> Any:
    return {
        "day": MetricDay.day,
        "week": MetricDay.day,
        "operator": MetricDay.operator_id,
        "team": MetricDay.team_id,
        "channel": MetricDay.channel_id,
    }.get(group_by)


def _day_group_key(group_by: str, value: Any) -> str:
    if group_by in ("day", "week"):
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        return day_key(day, group_by)
    if group_by in ("operator", "team"):
        return "none" if value == 0 else str(value)
    if group_by == "channel":
        return str(value)
    return "all"


async def day_sums(
    session: AsyncSession,
    days: tuple[date, date],
    kinds: Sequence[str],
    chosen: FactFilter,
    group_by: str,
) -> DaySums:
    """The counts and sums of `kinds` over the roll-ups of `days`, per group and in total
    (a total is the sum of its groups: every fact is in exactly one). One grouped statement
    over at most (days × kinds × teams × channels × operators) narrow rows."""
    column = _day_group(group_by)
    key = column if column is not None else literal(0)
    where: list[ColumnElement[bool]] = [
        MetricDay.day >= days[0],
        MetricDay.day < days[1],
        MetricDay.kind.in_(kinds),
    ]
    if chosen.team_id is not None:
        where.append(MetricDay.team_id == chosen.team_id)
    if chosen.channel_id is not None:
        where.append(MetricDay.channel_id == chosen.channel_id)
    if chosen.operator_id is not None:
        where.append(MetricDay.operator_id == chosen.operator_id)
    if chosen.exact_only:
        where.append(MetricDay.flags == 0)
    stmt = (
        select(
            key,
            MetricDay.kind,
            func.sum(MetricDay.facts),
            func.sum(MetricDay.value_facts),
            func.sum(MetricDay.value_us),
            func.sum(MetricDay.work_facts),
            func.sum(MetricDay.work_us),
        )
        .where(*where)
        .group_by(key, MetricDay.kind)
        # A key whose facts all went (its sums taken back to 0) is no row of the report.
        .having(func.sum(MetricDay.facts) > 0)
    )
    found = DaySums()
    for value, kind, *sums in (await session.execute(stmt)).all():
        rolled = DaySum(*(int(n) for n in sums))
        group = _day_group_key(group_by, value)
        found.grouped.setdefault(group, {}).setdefault(kind, DaySum()).add(rolled)
        found.total.setdefault(kind, DaySum()).add(rolled)
    return found


def merged(
    sums: dict[str, DaySum], ranks: dict[str, KindStats], with_work: bool
) -> dict[str, KindStats]:
    """A group's figures: counts and sums from the roll-ups, percentiles and threshold counts
    from the facts' pass over the kinds that have them."""
    found: dict[str, KindStats] = {}
    for kind, rolled in sums.items():
        ranked = ranks.get(kind)
        value = ranked.value if ranked is not None else None
        work = ranked.work if ranked is not None else None
        found[kind] = KindStats(
            rolled.value(value.p50 if value else None, value.p90 if value else None),
            rolled.work(work.p50 if work else None, work.p90 if work else None)
            if with_work
            else None,
            ranked.below if ranked is not None else 0,
            ranked.within if ranked is not None else 0,
            ranked.within_long if ranked is not None else 0,
        )
    return found
