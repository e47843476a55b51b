"""Who is free when: working hours minus planned meetings and calls, intersected over users.

Working hours are those of the user's teams (`Team.business_hours`, in the team's zone);
a user whose teams set none works Monday to Friday 09:00–18:00 in his own zone (an office
default: a colleague must not look free at 3 a.m.). Busy is every planned, timed activity
with a duration that the user is responsible for or takes part in; tasks without a duration
and all-day items block nothing. An absence (vacation, sick leave...) makes the user busy
for all of it, placed in his own zone, and is named in `away` with its kind and last day, so
the planner can say «Ольга Иванова в отпуске до 11.12.».
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import AbsenceKind, Activity, ActivityParticipant, Team, TeamMember

from .absences import absences_of, instants
from .activities import concerning, ends_at, zone
from .activity_lists import CalendarUser
from .shapes import Shape, Timestamp

Interval = tuple[datetime, datetime]
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFICE_HOURS: dict[str, Any] = {"days": {day: [["09:00", "18:00"]] for day in DAY_KEYS[:5]}}


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(base: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """`base` minus `taken`; both merged and sorted."""
    left: list[Interval] = []
    for start, end in base:
        cursor = start
        for t_start, t_end in taken:
            if t_end <= cursor or t_start >= end:
                continue
            if t_start > cursor:
                left.append((cursor, t_start))
            cursor = max(cursor, t_end)
        if cursor < end:
            left.append((cursor, end))
    return left


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    both: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            both.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return both


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def working(
    hours_list: Sequence[dict[str, Any]], own_zone: str, start: datetime, end: datetime
) -> list[Interval]:
    """The union of the given weekly hours over [start, end); none given: office hours."""
    found: list[Interval] = []
    for hours in hours_list or [{**OFFICE_HOURS, "tz": own_zone}]:
        tz = zone(hours.get("tz") or own_zone)
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date()
        while day <= last:
            for opens, closes in hours.get("days", {}).get(DAY_KEYS[day.weekday()], []):
                begin = datetime.combine(day, _clock(opens), tzinfo=tz)
                if closes in ("24:00", "00:00"):
                    finish = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
                else:
                    finish = datetime.combine(day, _clock(closes), tzinfo=tz)
                found.append((max(begin, start), min(finish, end)))
            day += timedelta(days=1)
    return merge(found)


class Span(Shape):
    start: Timestamp
    end: Timestamp


class Away(Shape):
    """Why a user is busy over a span: an absence, with its last day («до 11.12.»)."""

    absence_id: int
    kind: AbsenceKind
    until: date
    start: Timestamp
    end: Timestamp


class UserAvailability(Shape):
    id: int
    name: str
    time_zone: str
    working: list[Span]
    busy: list[Span]
    free: list[Span]
    away: list[Away]


class FreeBusyOut(Shape):
    start: Timestamp
    end: Timestamp
    duration_min: int
    # Windows where everyone asked for is free, each at least `duration_min` long.
    slots: list[Span]
    users: list[UserAvailability]


def _spans(intervals: Iterable[Interval]) -> list[Span]:
    return [
        Span(start=s.astimezone(UTC).isoformat(), end=e.astimezone(UTC).isoformat())
        for s, e in intervals
    ]


async def free_busy(
    session: AsyncSession,
    users: list[CalendarUser],
    start: datetime,
    end: datetime,
    duration: timedelta,
) -> FreeBusyOut:
    ids = [u.id for u in users]
    hours: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    rows = await session.execute(
        select(TeamMember.user_id, Team.business_hours)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(ids), Team.business_hours.is_not(None))
    )
    for user_id, business_hours in rows:
        # A JSON column stores Python None as JSON null, which IS NOT NULL lets through.
        if business_hours:
            hours[user_id].append(business_hours)
    meetings = list(
        (
            await session.execute(
                select(Activity).where(
                    concerning(ids, start, end),
                    Activity.status == "planned",
                    Activity.all_day.is_(False),
                    Activity.duration_min > 0,
                )
            )
        ).scalars()
    )
    busy: dict[int, list[Interval]] = {i: [] for i in ids}
    invited = await session.execute(
        select(ActivityParticipant.activity_id, ActivityParticipant.user_id).where(
            ActivityParticipant.activity_id.in_([m.id for m in meetings]),
            ActivityParticipant.user_id.in_(ids),
        )
    )
    guests: dict[int, set[int]] = {}
    for activity_id, user_id in invited:
        if user_id is not None:
            guests.setdefault(activity_id, set()).add(user_id)
    for meeting in meetings:
        finish = ends_at(meeting)
        assert meeting.due_at is not None and finish is not None
        for user_id in {meeting.user_id, *guests.get(meeting.id, ())}:
            if user_id in busy:
                busy[user_id].append((max(meeting.due_at, start), min(finish, end)))
    zones = {u.id: u.time_zone for u in users}
    away: dict[int, list[Away]] = {i: [] for i in ids}
    # A day either side: an absence's days are the user's, whose zone may differ from UTC.
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    for absence in await absences_of(session, ids, first, last):
        begins, finishes = instants(absence, zones[absence.user_id])
        clipped = (max(begins, start), min(finishes, end))
        if clipped[0] >= clipped[1]:
            continue
        busy[absence.user_id].append(clipped)
        away[absence.user_id].append(
            Away(
                absence_id=absence.id,
                kind=absence.kind,
                until=absence.ends_on,
                start=begins.astimezone(UTC).isoformat(),
                end=finishes.astimezone(UTC).isoformat(),
            )
        )
    common: list[Interval] | None = None
    out: list[UserAvailability] = []
    for user in users:
        works = working(hours[user.id], user.time_zone, start, end)
        taken = merge(busy[user.id])
        free = subtract(works, taken)
        common = free if common is None else intersect(common, free)
        out.append(
            UserAvailability(
                id=user.id,
                name=user.name,
                time_zone=user.time_zone,
                working=_spans(works),
                busy=_spans(taken),
                free=_spans(free),
                away=away[user.id],
            )
        )
    slots = [(s, e) for s, e in common or [] if e - s >= duration]
    return FreeBusyOut(
        start=start.isoformat(),
        end=end.isoformat(),
        duration_min=int(duration.total_seconds() // 60),
        slots=_spans(slots),
        users=out,
    )
