"""Reading the metric facts for a report: the facts of a period (worked out here: drill-down
and SQLite), or, on PostgreSQL, their counts, sums and percentiles per group and in total
worked out by the database in one statement, so a long period sends no rows but the result.

Both give the same figures: percentile_cont is the interpolation of metrics_common.percentile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, String, cast, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import MetricFact

from .metrics_common import Period, Stat


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
