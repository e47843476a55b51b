"""Working time on business hours and the production calendar (pure), and the calendar 0014
pre-fills."""

from __future__ import annotations

from datetime import date, timedelta

from hub.core import Hub
from hub.worktime import ProductionCalendar, cutoff, is_working, load_calendar, working_seconds
from tests.robots.world import OFFICE_HOURS, msk

# 4 Nov 2026 (Wed) off; Saturday 7 Nov made a working day (a made-up transfer, for the test).
CALENDAR = ProductionCalendar(
    holidays=frozenset({date(2026, 11, 4)}), workdays=frozenset({date(2026, 11, 7)})
)


def test_working_seconds_skip_nights_weekends_and_holidays() -> None:
    # Tue 17:00 -> Thu 10:00: one hour on Tuesday, Wednesday off, one hour on Thursday.
    assert (
        working_seconds(OFFICE_HOURS, CALENDAR, msk(2026, 11, 3, 17), msk(2026, 11, 5, 10)) == 7200
    )
    # Fri 6 Nov 17:00 -> Mon 9 Nov 10:00 with Saturday worked: 1 + 9 + 1 hours.
    assert (
        working_seconds(OFFICE_HOURS, CALENDAR, msk(2026, 11, 6, 17), msk(2026, 11, 9, 10))
        == 11 * 3600
    )
    assert working_seconds(None, CALENDAR, msk(2026, 11, 4, 0), msk(2026, 11, 4, 1)) == 3600


def test_cutoff_walks_back_over_working_time_only() -> None:
    now = msk(2026, 11, 5, 9, 10)
    assert cutoff(OFFICE_HOURS, CALENDAR, now, 15 * 60) == msk(2026, 11, 3, 17, 55)
    assert cutoff(OFFICE_HOURS, CALENDAR, now, 5 * 60) == msk(2026, 11, 5, 9, 5)
    # Outside hours, now counts from the last close.
    assert cutoff(OFFICE_HOURS, CALENDAR, msk(2026, 11, 5, 23, 0), 60) == msk(2026, 11, 5, 17, 59)
    assert cutoff(None, CALENDAR, now, 60) == now - timedelta(seconds=60)


def test_is_working() -> None:
    assert is_working(OFFICE_HOURS, CALENDAR, msk(2026, 11, 3, 10))
    assert not is_working(OFFICE_HOURS, CALENDAR, msk(2026, 11, 4, 10))
    assert is_working(OFFICE_HOURS, CALENDAR, msk(2026, 11, 7, 10))
    assert not is_working(OFFICE_HOURS, CALENDAR, msk(2026, 11, 8, 10))


async def test_migration_prefills_2026_and_2027(hub: Hub) -> None:
    from tests.robots.world import ru_calendar

    await ru_calendar(hub)  # PostgreSQL tests start emptied; SQLite keeps the migration's rows
    async with hub.db.sessions() as session:
        calendar = await load_calendar(session)
    for day in (date(2026, 1, 9), date(2026, 3, 9), date(2026, 5, 11), date(2026, 11, 4)):
        assert calendar.day_key(day) is None
    assert date(2027, 6, 14) in calendar.holidays
    assert calendar.day_key(date(2026, 3, 10)) == "tue"
