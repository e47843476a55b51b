"""What every report shares: the formula version, the period, percentiles, grouping keys and
working time per team. The formulas themselves are written in docs/metrics.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import ROLLUP_TZ, Team
from hub.worktime import ProductionCalendar, intervals, load_calendar, working_seconds

# Raised whenever a formula in docs/metrics.md changes; every report answer carries it.
METRICS_VERSION = 2
# The roll-ups are days of this zone, so a report in the default zone can read them.
DEFAULT_TZ = ROLLUP_TZ

PeriodName = Literal["today", "yesterday", "7d", "30d", "custom"]
GroupBy = Literal["day", "week", "operator", "team", "channel", "none"]
GROUP_BYS: tuple[str, ...] = ("day", "week", "operator", "team", "channel", "none")


@dataclass(frozen=True)
class Period:
    """`[start, end)` as UTC instants, and the zone its days are counted in."""

    start: datetime
    end: datetime
    tz: str = DEFAULT_TZ


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def period_of(
    name: str,
    now: datetime,
    tz: str = DEFAULT_TZ,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Period:
    """Whole local days: today, yesterday, the last 7 or 30 days including today, or the
    custom days `first_day`..`last_day` (both included)."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    if name == "today":
        first, last = today, today
    elif name == "yesterday":
        first = last = today - timedelta(days=1)
    elif name in ("7d", "30d"):
        first, last = today - timedelta(days=int(name[:-1]) - 1), today
    elif name == "custom" and first_day is not None and last_day is not None:
        first, last = first_day, last_day
    else:
        raise ValueError(f"unknown period {name!r}")
    if last < first:
        raise ValueError("the period ends before it starts")
    return Period(_midnight(first, zone), _midnight(last + timedelta(days=1), zone), tz)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = p * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


# The significant digits a value keeps in its bin (docs/metrics.md, "Percentiles from
# per-day histograms"): tenths of a second under 100 s, then at most 0.5 % off.
BIN_DIGITS = 3


def value_bin(seconds: float) -> int:
    """The bin of a value: its tenths of a second (rounded half to even, as PostgreSQL's
    round of a float8 is), kept to BIN_DIGITS significant digits (rounded half up), as an
    integer: 12.34 s → 123, 1234.5 s → 12300, 42402 s → 424000. Integer arithmetic after
    the first rounding, so migration 0032's SQL gives the same bins."""
    tenths = round(seconds * 10)
    size = abs(tenths)
    step = 1
    while size >= 10**BIN_DIGITS * step:
        step *= 10
    kept = (size + step // 2) // step * step
    return kept if tenths >= 0 else -kept


def binned(seconds: float) -> float:
    """The value a bin ranks as, in seconds."""
    return value_bin(seconds) / 10


def binned_percentile(values: Sequence[float], p: float) -> float | None:
    """A report's percentile: `percentile` of the values as their bins rank them."""
    return percentile([binned(v) for v in values], p)


def bin_percentile(bins: Sequence[tuple[int, int]], p: float) -> float | None:
    """`percentile` of the values a histogram holds: `bins` are (bin, how many) in bin
    order, counts > 0. The same interpolation between the closest ranks, found by walking
    the cumulative counts instead of a sorted list."""
    n = sum(count for _, count in bins)
    if n == 0:
        return None
    rank = p * (n - 1)
    low, high = math.floor(rank), math.ceil(rank)
    found: dict[int, int] = {}
    seen = 0
    for value, count in bins:
        for index in (low, high):
            if index not in found and seen <= index < seen + count:
                found[index] = value
        seen += count
        if high in found:
            break
    return bin_interpolation(found[low], found[high], n, p)


def bin_interpolation(low_bin: int | None, high_bin: int | None, n: int, p: float) -> float | None:
    """The p-th percentile of n values whose ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉ fall in these
    bins: `percentile`'s interpolation, in the same floating-point steps (so every path
    gives the same figure to the last bit)."""
    if n == 0 or low_bin is None or high_bin is None:
        return None
    rank = p * (n - 1)
    low, high = low_bin / 10, high_bin / 10
    return low + (rank - math.floor(rank)) * (high - low)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def duration_figures(name: str, values: Sequence[float]) -> dict[str, float | None]:
    """`{name}_p50`, `{name}_p90`, `{name}_avg` of a list of seconds (empty: None)."""
    return {
        f"{name}_p50": _rounded(binned_percentile(values, 0.5)),
        f"{name}_p90": _rounded(binned_percentile(values, 0.9)),
        f"{name}_avg": _rounded(sum(values) / len(values)) if values else None,
    }


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def time_key(moment: datetime, group_by: str, tz: str) -> str:
    """The local day (YYYY-MM-DD) or ISO week (YYYY-Www) of an instant."""
    return day_key(moment.astimezone(ZoneInfo(tz)).date(), group_by)


def day_key(local: date, group_by: str) -> str:
    """A local day's key: the day itself (YYYY-MM-DD) or its ISO week (YYYY-Www)."""
    if group_by == "day":
        return local.isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WorkingTime:
    """Business hours of every team and the production calendar, loaded once per report.

    The same as `hub.worktime.working_seconds`, with each team's working intervals of a day
    worked out once per report rather than once per duration (thousands share a day), and
    each duration once however many groupings ask for it."""

    hours_by_team: dict[int, dict[str, Any] | None]
    calendar: ProductionCalendar
    _days: dict[tuple[int, date], list[tuple[datetime, datetime]]] = field(default_factory=dict)
    _known: dict[tuple[int | None, datetime, datetime], float] = field(default_factory=dict)

    def seconds(self, team_id: int | None, start: datetime, end: datetime) -> float:
        key = (team_id, start, end)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = self._seconds(team_id, start, end)
        return found

    def forget_durations(self) -> None:
        """Drop the durations worked out so far (a rebuild, batch after batch, would hold
        millions); the days' intervals stay."""
        self._known.clear()

    def _seconds(self, team_id: int | None, start: datetime, end: datetime) -> float:
        hours = self.hours_by_team.get(team_id) if team_id is not None else None
        if not hours or team_id is None or end <= start:
            return working_seconds(hours, self.calendar, start, end)
        zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        total = 0.0
        while day <= last:
            found = self._days.get((team_id, day))
            if found is None:
                found = self._days[(team_id, day)] = intervals(hours, self.calendar, day)
            for opens, closes in found:
                low, high = max(opens, start), min(closes, end)
                if high > low:
                    total += (high - low).total_seconds()
            day += timedelta(days=1)
        return total


async def load_working_time(session: AsyncSession) -> WorkingTime:
    rows = (await session.execute(select(Team.id, Team.business_hours))).all()
    return WorkingTime({team_id: hours for team_id, hours in rows}, await load_calendar(session))


@dataclass(frozen=True)
class Stat:
    """A figure worked out by the database: how many, the sum of their seconds, p50, p90."""

    count: int
    total: float | None = None
    p50: float | None = None
    p90: float | None = None


@dataclass
class Bucket:
    """One row of a report: its key and, per figure, either the ids and values behind it
    (worked out here, and what a drill-down lists) or the database's `stats` of them."""

    key: str
    values: dict[str, list[float]]
    members: dict[str, set[int]]
    stats: dict[str, Stat] = field(default_factory=dict)

    def add(self, figure: str, item_id: int, value: float | None = None) -> None:
        self.members.setdefault(figure, set()).add(item_id)
        if value is not None:
            self.values.setdefault(figure, []).append(value)

    def count(self, figure: str) -> int:
        found = self.stats.get(figure)
        return found.count if found is not None else len(self.members.get(figure, ()))

    def total(self, figure: str) -> float:
        found = self.stats.get(figure)
        if found is not None:
            return found.total or 0.0
        return sum(self.values.get(figure, []))

    def durations(self, figure: str) -> dict[str, float | None]:
        """`{figure}_p50`, `{figure}_p90`, `{figure}_avg` (empty: None)."""
        found = self.stats.get(figure)
        if found is None:
            return duration_figures(figure, self.values.get(figure, []))
        empty = found.count == 0 or found.total is None
        return {
            f"{figure}_p50": _rounded(found.p50),
            f"{figure}_p90": _rounded(found.p90),
            f"{figure}_avg": None if empty else _rounded((found.total or 0.0) / found.count),
        }


class Buckets:
    """Report rows by group key, in key order."""

    def __init__(self) -> None:
        self._rows: dict[str, Bucket] = {}

    def __call__(self, key: str) -> Bucket:
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = Bucket(key, {}, {})
        return found

    def rows(self) -> list[Bucket]:
        return sorted(self._rows.values(), key=lambda b: b.key)
