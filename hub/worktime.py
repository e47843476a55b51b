"""Working time: a team's business hours on the production calendar, in the team's zone.

Business hours are `{"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]], ...}}`
(routing.hours reads the same shape); no hours at all means always open, calendar time.
The production calendar (`calendar_days`) says which weekdays are holidays and which
Saturdays or Sundays are worked instead (a transferred working day keeps Monday's hours:
the decree moves a whole working day, and Monday is the plain working day of the week).

`cutoff(hours, calendar, now, seconds)` answers "since when has it been N seconds of
working time": an object that entered a state at or before the cutoff has spent at least N
working seconds in it. A scan compares one cutoff per team in SQL, so working time never
needs a loop over the objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import CalendarDay, CalendarDayKind

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TZ = "Europe/Moscow"
# Whose hours count for work outside any team (deals, leads, calls, unrouted chats): the
# company's working week, Monday to Friday 9 to 18 in Moscow, on the production calendar.
# A team that set no hours is always open (as routing has it): calendar time.
COMPANY_HOURS: dict[str, Any] = {
    "tz": DEFAULT_TZ,
    "days": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}
# How far back a cutoff may look for enough working time (a year of holidays is plenty).
MAX_DAYS_BACK = 400


@dataclass(frozen=True)
class ProductionCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def day_key(self, day: date) -> str | None:
        """Whose hours the day keeps: its weekday's, Monday's when worked by transfer, or
        none on a holiday."""
        if day in self.holidays:
            return None
        if day in self.workdays:
            return "mon"
        return DAY_KEYS[day.weekday()]


async def load_calendar(session: AsyncSession) -> ProductionCalendar:
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.kind))).all()
    return ProductionCalendar(
        holidays=frozenset(d for d, kind in rows if kind == CalendarDayKind.holiday),
        workdays=frozenset(d for d, kind in rows if kind == CalendarDayKind.workday),
    )


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def intervals(
    hours: dict[str, Any], calendar: ProductionCalendar, day: date
) -> list[tuple[datetime, datetime]]:
    """The working intervals of one local day, as UTC instants, in order."""
    zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
    key = calendar.day_key(day)
    if key is None:
        return []
    found = []
    for start, end in hours.get("days", {}).get(key, []):
        opens = datetime.combine(day, _clock(start), zone)
        # "24:00" / "00:00" as an end mean the end of the day.
        closes = (
            datetime.combine(day + timedelta(days=1), time(), zone)
            if end in ("24:00", "00:00")
            else datetime.combine(day, _clock(end), zone)
        )
        if closes > opens:
            found.append((opens.astimezone(UTC), closes.astimezone(UTC)))
    return sorted(found)


def is_working(
    hours: dict[str, Any] | None, calendar: ProductionCalendar, moment: datetime
) -> bool:
    if not hours:
        return True
    local_day = moment.astimezone(ZoneInfo(hours.get("tz") or DEFAULT_TZ)).date()
    return any(a <= moment < b for a, b in intervals(hours, calendar, local_day))


def working_seconds(
    hours: dict[str, Any] | None, calendar: ProductionCalendar, start: datetime, end: datetime
) -> float:
    """Working seconds between two instants."""
    if end <= start:
        return 0.0
    if not hours:
        return (end - start).total_seconds()
    zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        for a, b in intervals(hours, calendar, day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def cutoff(
    hours: dict[str, Any] | None, calendar: ProductionCalendar, now: datetime, seconds: float
) -> datetime:
    """The latest instant X with `working_seconds(X, now) >= seconds`: walk back through the
    working intervals from now until that much working time is gathered."""
    if not hours:
        return now - timedelta(seconds=seconds)
    zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
    day = now.astimezone(zone).date()
    left = seconds
    for _ in range(MAX_DAYS_BACK):
        for a, b in reversed(intervals(hours, calendar, day)):
            if a >= now:
                continue
            b = min(b, now)
            span = (b - a).total_seconds()
            if span >= left:
                return b - timedelta(seconds=left)
            left -= span
        day -= timedelta(days=1)
    # No working time in reach (no hours at all on any day): nothing is ever due.
    return datetime.min.replace(tzinfo=UTC)


def deadline(
    hours: dict[str, Any] | None, calendar: ProductionCalendar, start: datetime, seconds: float
) -> datetime | None:
    """The earliest instant D with `working_seconds(start, D) >= seconds` (cutoff's mirror:
    walk forward through the working intervals); None when no working time is in reach."""
    if not hours:
        return start + timedelta(seconds=seconds)
    zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
    day = start.astimezone(zone).date()
    left = seconds
    for _ in range(MAX_DAYS_BACK):
        for a, b in intervals(hours, calendar, day):
            if b <= start:
                continue
            a = max(a, start)
            span = (b - a).total_seconds()
            if span >= left:
                return a + timedelta(seconds=left)
            left -= span
        day += timedelta(days=1)
    return None


def team_cutoffs(
    teams: Iterable[tuple[int, dict[str, Any] | None]],
    calendar: ProductionCalendar,
    now: datetime,
    seconds: float,
) -> dict[int, datetime]:
    """One cutoff per team, for a scan's per-team condition."""
    return {team_id: cutoff(hours, calendar, now, seconds) for team_id, hours in teams}


def next_opening(
    hours: dict[str, Any] | None, calendar: ProductionCalendar, now: datetime
) -> datetime | None:
    """`now` while at work (or with no hours set: always open), else the start of the next
    working interval; None when none comes within `MAX_DAYS_BACK` days."""
    if is_working(hours, calendar, now) or not hours:
        return now
    zone = ZoneInfo(hours.get("tz") or DEFAULT_TZ)
    day = now.astimezone(zone).date()
    for _ in range(MAX_DAYS_BACK):
        for opens, _closes in intervals(hours, calendar, day):
            if opens > now:
                return opens
        day += timedelta(days=1)
    return None
