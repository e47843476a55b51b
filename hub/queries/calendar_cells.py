"""A calendar's cells as JSON made by PostgreSQL, in the statement that finds them.

A team's week is some 800 cells. Read as rows and shaped in Python (a `CalendarItem` each,
two ISO timestamps each, then pydantic's dump), they cost several times the indexed read
itself, and the thousands of short-lived objects per request are what the garbage
collector's pauses then stretch into the slow percentile. Here PostgreSQL finds the rows
(the covering `ix_activities_user_due_cells` index answers from its own pages), keeps the
exact overlaps, decides `overdue`, joins the names and participants, and hands back one
JSON text that goes out as it is. The rules are those of `hub.queries.activities`
(`overlaps`, `is_overdue`, `ends_at`) and the strings those of `hub.serialize.iso`; the
calendar tests run both this and the Python cells (SQLite) against the same expectations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Activity, ActivityParticipant, Contact, Deal

from .activities import among, in_period, invited_in, zone

MINUTE: ColumnElement[Any] = literal_column("interval '1 minute'")
# Absolute, as Python's timedelta: `interval '1 day'` would follow the session's DST.
DAY: ColumnElement[Any] = literal_column("interval '24 hours'")
NO_GUESTS: ColumnElement[Any] = literal_column("'[]'::json")


def _iso(value: Any) -> ColumnElement[str]:
    """`datetime.isoformat()` of a UTC instant: seconds, six digits of microseconds only
    when there are some, then `+00:00`. JSON's rendering of a whole second is exactly that
    whatever the server's DateStyle, and cheaper than `to_char`; a fraction it would trim
    (`.5`), so those few go through `to_char`."""
    utc = func.timezone("UTC", value)
    whole = func.btrim(cast(func.to_json(utc), Text), '"')
    exact = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US')
    return func.concat(case((func.date_trunc("second", utc) == utc, whole), else_=exact), "+00:00")


def _ref(ref_id: Any, name: Any) -> ColumnElement[Any]:
    return case(
        (ref_id.is_(None), null()),
        else_=func.json_build_object(
            literal_column("'id'"), ref_id, literal_column("'name'"), func.coalesce(name, "")
        ),
    )


def _today_of(user_id: Any, zones: dict[int, str], now: datetime) -> ColumnElement[Any]:
    """The responsible user's date now, by his zone (those not on the calendar: the default
    zone, as `is_overdue` reads them). Dates worked out here, so PostgreSQL need not know
    every zone name Python does; users sharing a date share one branch."""
    by_day: dict[date, list[int]] = {}
    for user, name in zones.items():
        by_day.setdefault(now.astimezone(zone(name)).date(), []).append(user)
    default = now.astimezone(zone(None)).date()
    if not by_day:
        return literal(default, Date)
    return case(
        *(
            (among(user_id, users, "postgresql"), literal(day, Date))
            for day, users in by_day.items()
        ),
        else_=literal(default, Date),
    )


async def cells_json(
    session: AsyncSession,
    visible: ColumnElement[bool],
    own_visible: ColumnElement[bool],
    user_ids: Sequence[int],
    viewer_zone: str,
    zones: dict[int, str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> str:
    """The JSON array of `CalendarItem`s of these users over [start, end), by time then id.
    `visible` filters the activities the viewer may see; `own_visible` those of which one
    of the users is responsible (`true()` when the viewer sees all of theirs)."""
    period = (Activity.status != "cancelled", in_period(start, end))
    common = (visible, *period)
    columns = (
        Activity.id, Activity.kind, Activity.subject, Activity.status, Activity.due_at,
        Activity.duration_min, Activity.all_day, Activity.user_id, Activity.contact_id,
        Activity.deal_id, Activity.place, Activity.version,
    )  # fmt: skip
    own = select(*columns).where(
        among(Activity.user_id, user_ids, "postgresql"), own_visible, *period
    )
    # Invitations of someone else's activities only (their own ones `own` finds), each once
    # however many of the users are invited: the two parts never share a row, so they are
    # appended, not merged (UNION's hashing of wide rows cost more than the scans).
    invitations = select(ActivityParticipant.activity_id).where(invited_in(user_ids, start, end))
    invited = select(*columns).where(
        Activity.id.in_(invitations),
        or_(Activity.user_id.is_(None), ~among(Activity.user_id, user_ids, "postgresql")),
        *common,
    )
    found = union_all(own, invited).subquery("found")
    f = found.c
    local = zone(viewer_zone)
    day = cast(func.timezone("UTC", f.due_at), Date)
    first_day = start.astimezone(local).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(local).date()
    span_end = f.due_at + func.coalesce(f.duration_min, 0) * MINUTE
    inside = case(
        (f.all_day, and_(day >= first_day, day <= last_day)),
        else_=and_(or_(span_end > start, f.due_at >= start), f.due_at < end),
    )
    overdue = and_(
        f.status == "planned",
        case((f.all_day, day < _today_of(f.user_id, zones, now)), else_=f.due_at < now),
    )
    p = ActivityParticipant
    guests = (
        select(func.coalesce(func.json_agg(aggregate_order_by(p.user_id, p.id)), NO_GUESTS))
        .where(p.activity_id == f.id, p.user_id.is_not(None))
        .scalar_subquery()
    )
    fields: dict[str, Any] = {
        "id": f.id,
        "kind": f.kind,
        "subject": f.subject,
        "status": f.status,
        "due_at": _iso(f.due_at),
        "ends_at": _iso(case((f.all_day, f.due_at + DAY), else_=span_end)),
        "duration_min": f.duration_min,
        "all_day": f.all_day,
        "due_on": case((f.all_day, func.to_char(func.timezone("UTC", f.due_at), "YYYY-MM-DD"))),
        "overdue": overdue,
        "responsible_id": f.user_id,
        "participant_ids": guests,
        "contact": _ref(f.contact_id, Contact.name),
        "deal": _ref(f.deal_id, Deal.title),
        "place": f.place,
        "version": f.version,
    }
    pairs: list[Any] = []
    for key, value in fields.items():
        pairs += [literal_column(f"'{key}'"), value]
    cell = func.json_build_object(*pairs)
    stmt = (
        select(
            cast(
                func.coalesce(func.json_agg(aggregate_order_by(cell, f.due_at, f.id)), NO_GUESTS),
                Text,
            )
        )
        .select_from(
            found.outerjoin(Contact, Contact.id == f.contact_id).outerjoin(
                Deal, Deal.id == f.deal_id
            )
        )
        .where(inside)
    )
    return str((await session.execute(stmt)).scalar_one())
