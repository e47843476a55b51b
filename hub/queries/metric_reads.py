"""Reading the metric facts for a report: the facts of a period (worked out here: drill-down
and SQLite), or, on PostgreSQL, their counts, sums and percentiles per group and in total
worked out by the database in one statement, so a long period sends no rows but the result.
Whole days of the roll-ups' zone are read from the roll-ups and histograms instead
(metric_rollups).

All give the same figures: every path ranks and holds against a threshold the values as
their bins have them (metrics_common.value_bin), percentile_cont is the interpolation of
metrics_common.percentile, a roll-up is the count and sum of the very facts of its day, and
a histogram the count of each of their bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    String,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import MetricFact

from .metrics_common import (
    BIN_DIGITS,
    Period,
    Stat,
    binned,
    binned_percentile,
)


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
    return [
        MetricFact.kind.in_(kinds),
        MetricFact.cohort_at >= period.start,
        MetricFact.cohort_at < period.end,
        *chosen_filters(MetricFact, chosen),
    ]


def chosen_filters(model: Any, chosen: FactFilter) -> list[ColumnElement[bool]]:
    """The filters of `chosen` on a table keyed like the facts (facts, roll-ups, histograms)."""
    where: list[ColumnElement[bool]] = []
    if chosen.team_id is not None:
        where.append(model.team_id == chosen.team_id)
    if chosen.channel_id is not None:
        where.append(model.channel_id == chosen.channel_id)
    if chosen.operator_id is not None:
        where.append(model.operator_id == chosen.operator_id)
    if chosen.exact_only:
        where.append(model.flags == 0)
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


def binned_sql(column: Any) -> ColumnElement[Any]:
    """metrics_common.binned in SQL (PostgreSQL): round() of a float8 rounds half to even as
    Python's round does, the rest is integer arithmetic; migration 0032 bins the same way."""
    tenths = cast(func.round(column * 10), BigInteger)
    size = func.abs(tenths)
    step = case(
        *[(size < 10 ** (BIN_DIGITS + k), literal(10**k, BigInteger)) for k in range(16)],
        else_=literal(10**16, BigInteger),
    )
    kept = (size + step // 2) // step * step
    return cast(case((tenths < 0, -kept), else_=kept), Float) / literal(10.0, Float)


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
        return func.percentile_cont(ranks).within_group(binned_sql(column)).cast(ARRAY(Float))

    value = binned_sql(MetricFact.value_s)
    columns: list[Any] = [
        key,
        MetricFact.kind,
        func.grouping(key).label("is_total"),
        func.count(),
        func.sum(MetricFact.value_s),
        ranked(MetricFact.value_s),
        func.count().filter(value < bounds.below),
        func.count().filter(value <= bounds.within),
        func.count().filter(value <= bounds.within_long),
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
        kept = [binned(v) for v in values]
        return KindStats(
            Stat(len(rows), sum(values) if values else None,
                 binned_percentile(values, 0.5), binned_percentile(values, 0.9)),
            Stat(len(works), sum(works) if works else None,
                 binned_percentile(works, 0.5), binned_percentile(works, 0.9))
            if with_work else None,
            sum(1 for v in kept if v < bounds.below),
            sum(1 for v in kept if v <= bounds.within),
            sum(1 for v in kept if v <= bounds.within_long),
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
