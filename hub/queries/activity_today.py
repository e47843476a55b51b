"""The «Сегодня» panel of one person: what is overdue from earlier days, today's and
tomorrow's activities (his own and those he is invited to; today's past-due ones flagged
`overdue`), and the badge count, in one answer.

"Today" is the person's own date in his time zone. Overdue work comes from the partial index
of planned work (`ix_activities_user_planned_due`), the two days from the calendar's union of
index scans, so the panel costs the same for a manager with years of history.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Activity

from .activities import (
    ACTIVITY_COLUMNS,
    ActivityOut,
    concerning,
    is_overdue,
    items_of,
    overlaps,
    zone,
)
from .activity_lists import PLANNED
from .shapes import Shape

# Enough for any person's panel; a manager with more overdue work needs a supervisor.
OVERDUE_LIMIT = 200


class TodayOut(Shape):
    date: str
    time_zone: str
    overdue: list[ActivityOut]
    today: list[ActivityOut]
    tomorrow: list[ActivityOut]
    # The top bar's counter: overdue plus what is still planned today.
    badge: int


async def today_panel(
    session: AsyncSession, user_id: int, time_zone: str, now: datetime
) -> TodayOut:
    local = zone(time_zone)
    today = now.astimezone(local).date()
    start = datetime.combine(today, time(), tzinfo=local)
    middle, end = start + timedelta(days=1), start + timedelta(days=2)
    late_rows = (
        await session.execute(
            select(*ACTIVITY_COLUMNS)
            .where(Activity.user_id == user_id, PLANNED, Activity.due_at < middle)
            .order_by(Activity.due_at, Activity.id)
            .limit(OVERDUE_LIMIT)
        )
    ).all()
    # Left over from earlier days; today's past-due ones stay in today's list (flagged).
    overdue = [
        a
        for a in late_rows
        if is_overdue(a, now, time_zone) and not overlaps(a, start, middle, time_zone)
    ]
    days = (
        await session.execute(
            select(*ACTIVITY_COLUMNS)
            .where(concerning([user_id], start, end), Activity.status != "cancelled")
            .order_by(Activity.due_at, Activity.id)
        )
    ).all()
    late_ids = {a.id for a in overdue}
    first, second = [], []
    for activity in days:
        if activity.id in late_ids:
            continue
        if overlaps(activity, start, middle, time_zone):
            first.append(activity)
        elif overlaps(activity, middle, end, time_zone):
            second.append(activity)
    items = {i.id: i for i in await items_of(session, [*overdue, *first, *second], now)}
    return TodayOut(
        date=today.isoformat(),
        time_zone=time_zone,
        overdue=[items[a.id] for a in overdue],
        today=[items[a.id] for a in first],
        tomorrow=[items[a.id] for a in second],
        badge=len(overdue) + sum(1 for a in first if a.status == "planned"),
    )
