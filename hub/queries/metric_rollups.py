"""The daily roll-ups (`metric_days`) the counts and sums of whole days come from, and the
per-day histograms (`metric_bins`) their percentiles and threshold counts come from: a
report over whole local days of the roll-ups' zone reads these and no fact.

They give the figures the facts give (metric_reads): a roll-up is the count and sum of the
very facts of its day, and a histogram the count of each of their bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import ROLLUP_TZ, MetricBin, MetricDay

from .metric_reads import FactFilter, KindStats, Thresholds, chosen_filters, is_postgresql
from .metrics_common import (
    Period,
    Stat,
    bin_interpolation,
    bin_percentile,
    day_key,
)


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


def _day_group(group_by: str, model: Any = MetricDay) -> Any:
    """The roll-ups' (or histograms') column a grouping reads, None for no grouping."""
    return {
        "day": model.day,
        "week": model.day,
        "operator": model.operator_id,
        "team": model.team_id,
        "channel": model.channel_id,
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
    where = _day_where(MetricDay, days, kinds, chosen)
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


def _day_where(
    model: Any, days: tuple[date, date], kinds: Sequence[str], chosen: FactFilter
) -> list[ColumnElement[bool]]:
    """The roll-up (or histogram) rows of `days`, `kinds` and the filters."""
    return [
        model.day >= days[0],
        model.day < days[1],
        model.kind.in_(kinds),
        *chosen_filters(model, chosen),
    ]


Histogram = dict[int, int]


def _bin_stats(
    measures: dict[int, Histogram], with_work: bool, bounds: Thresholds | None
) -> KindStats:
    """One kind's percentiles and threshold counts from its histograms (measure 0: value,
    1: working time)."""

    def stat(histogram: Histogram) -> Stat:
        bins = sorted(histogram.items())
        return Stat(
            sum(histogram.values()), None, bin_percentile(bins, 0.5), bin_percentile(bins, 0.9)
        )

    value = measures.get(0, {})
    return KindStats(
        stat(value),
        stat(measures.get(1, {})) if with_work else None,
        sum(n for b, n in value.items() if b / 10 < bounds.below) if bounds else 0,
        sum(n for b, n in value.items() if b / 10 <= bounds.within) if bounds else 0,
        sum(n for b, n in value.items() if b / 10 <= bounds.within_long) if bounds else 0,
    )


async def bin_stats(
    session: AsyncSession,
    days: tuple[date, date],
    kinds: Sequence[str],
    chosen: FactFilter,
    group_by: str,
    with_work: bool,
    bounds: Thresholds | None = None,
) -> tuple[dict[str, dict[str, KindStats]], dict[str, KindStats]]:
    """What `fact_stats` answers for whole roll-up days, from the per-day histograms. A
    total's histogram is the sum of its groups' (every fact is in exactly one). PostgreSQL
    walks the cumulative counts itself (`_bin_stats_sql`: only the result travels); SQLite
    sends each group's bins and they are walked here. `bounds`: the thresholds to count
    the values under (None, as for conversations: no such counts, 0)."""
    where = _day_where(MetricBin, days, kinds, chosen)
    if not with_work:
        where.append(MetricBin.measure == 0)
    if is_postgresql(session):
        return await _bin_stats_sql(session, where, group_by, with_work, bounds)
    column = _day_group(group_by, MetricBin)
    key = column if column is not None else literal(0)
    total_facts = func.sum(MetricBin.facts)
    stmt = (
        select(key, MetricBin.kind, MetricBin.measure, MetricBin.bin, total_facts)
        .where(*where)
        .group_by(key, MetricBin.kind, MetricBin.measure, MetricBin.bin)
        # A bin whose facts all went (taken back to 0) holds no value.
        .having(total_facts > 0)
    )
    grouped_bins: dict[str, dict[str, dict[int, Histogram]]] = {}
    total_bins: dict[str, dict[int, Histogram]] = {}
    for value, kind, measure, bin_, count in (await session.execute(stmt)).all():
        group = _day_group_key(group_by, value)
        n = int(count)
        histogram = grouped_bins.setdefault(group, {}).setdefault(kind, {}).setdefault(measure, {})
        histogram[bin_] = histogram.get(bin_, 0) + n
        overall = total_bins.setdefault(kind, {}).setdefault(measure, {})
        overall[bin_] = overall.get(bin_, 0) + n
    grouped = {
        group: {kind: _bin_stats(m, with_work, bounds) for kind, m in found.items()}
        for group, found in grouped_bins.items()
    }
    return grouped, {kind: _bin_stats(m, with_work, bounds) for kind, m in total_bins.items()}


_RANKS = (0.5, 0.9)


async def _bin_stats_sql(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    group_by: str,
    with_work: bool,
    bounds: Thresholds | None,
) -> tuple[dict[str, dict[str, KindStats]], dict[str, KindStats]]:
    """`bin_stats` on PostgreSQL, one statement: the bins' counts summed per group (and, from
    those, in total), their running sums in bin order (a window), and per group,
    kind and measure the bins holding the values at ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉ (the
    first bin whose running sum passes the rank) and the counts on each side of the
    thresholds. What travels is a row per group, kind and measure; the interpolation
    between the two bins is `bin_interpolation`'s, here as in `bin_percentile`."""
    # Keys stay dates or ids (a week: its Monday), never text: the window's partitions
    # compare them row by row, and text compares by collation (slow). `kind` compares
    # bytewise for the same reason.
    key_type: Any = Date if group_by in ("day", "week") else Integer
    if group_by == "week":
        key: Any = cast(func.date_trunc("week", MetricBin.day), Date)
    else:
        key = _day_group(group_by, MetricBin)
    counted = func.sum(MetricBin.facts)
    bin_key = (MetricBin.kind.collate("C").label("kind"), MetricBin.measure, MetricBin.bin)
    if key is None:
        # No grouping: the total is the one row ("all").
        binned_rows = (
            select(literal(None, key_type).label("g"), literal(1).label("t"), *bin_key,
                   counted.label("n"))
            .where(*where)
            .group_by(*bin_key)
            .having(counted > 0)
            .cte("binned")
        )  # fmt: skip
    else:
        # Per group first (in the index's order: day, kind, …), then the total from those
        # fewer rows; GROUPING SETS would sort every histogram row by the bin instead.
        groups = (
            select(key.label("g"), *bin_key, counted.label("n"))
            .where(*where)
            .group_by(key, bin_key[0], MetricBin.measure, MetricBin.bin)
            # A bin whose facts all went (taken back to 0) holds no value.
            .having(counted > 0)
            .cte("groups")
        )
        c = groups.c
        binned_rows = union_all(
            select(c.g, literal(0).label("t"), c.kind, c.measure, c.bin, c.n),
            select(literal(None, key_type), literal(1), c.kind, c.measure, c.bin, func.sum(c.n))
            .group_by(c.kind, c.measure, c.bin),
        ).cte("binned")  # fmt: skip
    b = binned_rows.c
    part = (b.t, b.g, b.kind, b.measure)
    # Running sums in float8 (exact for counts under 2**53): a bigint's sum is a numeric,
    # several times slower to add.
    many = cast(b.n, Float)
    running = (
        select(
            b.t, b.g, b.kind, b.measure, b.bin, b.n,
            func.sum(many).over(partition_by=part, order_by=b.bin).label("upto"),
            func.sum(many).over(partition_by=part).label("total"),
        )
        .cte("running")
    )  # fmt: skip
    r = running.c
    ranks: list[Any] = []
    for p in _RANKS:
        rank = literal(p, Float) * (r.total - literal(1.0, Float))
        ranks += [func.min(r.bin).filter(r.upto > func.floor(rank)),
                  func.min(r.bin).filter(r.upto > func.ceil(rank))]  # fmt: skip
    seconds = cast(r.bin, Float) / literal(10.0, Float)
    if bounds is None:
        # No threshold asked (the conversation report): three sums fewer per bin.
        counts: list[Any] = [literal(0.0, Float)] * 3
    else:
        # Summed as float8 too (exact), not as numeric.
        tally = cast(r.n, Float)
        counts = [
            func.coalesce(func.sum(tally).filter(seconds < bounds.below), 0.0),
            func.coalesce(func.sum(tally).filter(seconds <= bounds.within), 0.0),
            func.coalesce(func.sum(tally).filter(seconds <= bounds.within_long), 0.0),
        ]
    stmt = select(r.t, r.g, r.kind, r.measure, func.max(r.total), *ranks, *counts).group_by(
        r.t, r.g, r.kind, r.measure
    )
    found: dict[tuple[bool, str, str], dict[int, tuple[Stat, tuple[int, int, int]]]] = {}
    for is_total, value, kind, measure, total, *rest in (await session.execute(stmt)).all():
        n = int(total)
        lo50, hi50, lo90, hi90, below, within, within_long = rest
        stat = Stat(
            n, None, bin_interpolation(lo50, hi50, n, 0.5), bin_interpolation(lo90, hi90, n, 0.9)
        )
        if is_total:
            group = "all"
        else:
            group = _day_group_key(group_by, value)
        found.setdefault((bool(is_total), group, kind), {})[measure] = (
            stat,
            (int(below), int(within), int(within_long)),
        )
    grouped: dict[str, dict[str, KindStats]] = {}
    total_stats: dict[str, KindStats] = {}
    for (is_total, group, kind), measures in found.items():
        value_stat, under = measures.get(0, (Stat(0), (0, 0, 0)))
        work = measures.get(1, (Stat(0), (0, 0, 0)))[0] if with_work else None
        stats = KindStats(value_stat, work, *under)
        if is_total:
            total_stats[kind] = stats
            if key is None:
                grouped.setdefault("all", {})[kind] = stats
        else:
            grouped.setdefault(group, {})[kind] = stats
    return grouped, total_stats


def merged(
    sums: dict[str, DaySum], ranks: dict[str, KindStats], with_work: bool
) -> dict[str, KindStats]:
    """A group's figures: counts and sums from the roll-ups, percentiles and threshold counts
    from the histograms of the kinds that have them."""
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
