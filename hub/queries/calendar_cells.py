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

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Date,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Grouping

from hub.models import Activity, ActivityParticipant, Contact, Deal
from hub.models.base import UtcDateTime

from .activities import MAX_DURATION, visible_to, zone
from .crm_access import CrmView

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


def _today_of(user_id: Any) -> ColumnElement[Any]:
    """The responsible user's date now, by his zone: looked up in the parameters
    `zone_users` / `zone_days` (worked out in Python, so PostgreSQL need not know every zone
    name Python does); those not on the calendar get `default_day`, the default zone's, as
    `is_overdue` reads them."""
    users = bindparam("zone_users", type_=ARRAY(BigInteger))
    # In parentheses: `$1::DATE[][i]` is not SQL.
    days = Grouping(bindparam("zone_days", type_=ARRAY(Date)))
    found = days[func.array_position(users, user_id)]
    return func.coalesce(found, bindparam("default_day", type_=Date))


# Which visibility check a statement carries: every activity visible (`all`), those of
# `owners` only (robots and the system), or a person's (`owners`, his own and his invitations).
Visibility = Literal["all", "owners", "person"]


def visibility_of(view: CrmView, viewer_id: int | None) -> tuple[Visibility, dict[str, Any]]:
    """The shape of `visible_where(view, viewer_id)` and the parameters it takes."""
    if view.owner_ids is None:
        return "all", {}
    owners = {"owners": sorted(view.owner_ids)}
    if viewer_id is None:
        return "owners", owners
    return "person", {**owners, "viewer": viewer_id}


def _visible(shape: Visibility) -> ColumnElement[bool]:
    if shape == "all":
        return true()
    owners: ColumnElement[list[int]] = bindparam("owners", expanding=True)
    return visible_to(owners, None if shape == "owners" else bindparam("viewer"))


async def cells_json(
    session: AsyncSession,
    view: CrmView,
    viewer_id: int | None,
    user_ids: Sequence[int],
    viewer_zone: str,
    zones: dict[int, str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> str:
    """The JSON array of `CalendarItem`s of these users over [start, end), by time then id,
    of those the viewer may see (`visible_where(view, viewer_id)`)."""
    shape, params = visibility_of(view, viewer_id)
    # The viewer sees every one of these users' records (a supervisor and his team, the
    # usual case): their own activities need no check, and PostgreSQL then answers them
    # from the covering index alone, without the heap page of each one that the check's
    # `created_by_id` would need.
    own_checked = not all(view.sees(u) for u in user_ids)
    local = zone(viewer_zone)
    by_user = {user: now.astimezone(zone(name)).date() for user, name in zones.items()}
    params.update(
        users=list(user_ids),
        widened=start - MAX_DURATION,
        start=start,
        end=end,
        first_day=start.astimezone(local).date(),
        last_day=(end - timedelta(microseconds=1)).astimezone(local).date(),
        now=now,
        zone_users=list(by_user),
        zone_days=list(by_user.values()),
        default_day=now.astimezone(zone(None)).date(),
    )
    return str((await session.execute(_statement(shape, own_checked), params)).scalar_one())


@functools.cache
def _statement(shape: Visibility, own_checked: bool) -> Select[Any]:
    """The calendar's statement, made once per shape with parameters for every value:
    building this expression anew took some 5 ms of Python per request, more than running
    it. The range rule is `in_period`'s (the start widened by `MAX_DURATION`), the overlaps
    `overlaps`'."""
    users = bindparam("users", type_=ARRAY(BigInteger))
    start, end, now = (bindparam(name, type_=UtcDateTime()) for name in ("start", "end", "now"))
    widened = bindparam("widened", type_=UtcDateTime())
    visible = _visible(shape)
    period = (
        Activity.status != "cancelled",
        Activity.due_at >= widened,
        Activity.due_at < end,
    )
    columns = (
        Activity.id, Activity.kind, Activity.subject, Activity.status, Activity.due_at,
        Activity.duration_min, Activity.all_day, Activity.user_id, Activity.contact_id,
        Activity.deal_id, Activity.place, Activity.version,
    )  # fmt: skip
    own = select(*columns).where(
        Activity.user_id == any_(users), visible if own_checked else true(), *period
    )
    # Invitations of someone else's activities only (their own ones `own` finds), each once
    # however many of the users are invited: the two parts never share a row, so they are
    # appended, not merged (UNION's hashing of wide rows cost more than the scans).
    p = ActivityParticipant
    invitations = select(p.activity_id).where(
        p.user_id == any_(users), p.due_at >= widened, p.due_at < end
    )
    invited = select(*columns).where(
        Activity.id.in_(invitations),
        or_(Activity.user_id.is_(None), ~(Activity.user_id == any_(users))),
        visible,
        *period,
    )
    found = union_all(own, invited).subquery("found")
    f = found.c
    day = cast(func.timezone("UTC", f.due_at), Date)
    span_end = f.due_at + func.coalesce(f.duration_min, 0) * MINUTE
    inside = case(
        (
            f.all_day,
            and_(
                day >= bindparam("first_day", type_=Date), day <= bindparam("last_day", type_=Date)
            ),
        ),
        else_=and_(or_(span_end > start, f.due_at >= start), f.due_at < end),
    )
    overdue = and_(
        f.status == "planned",
        case((f.all_day, day < _today_of(f.user_id)), else_=f.due_at < now),
    )
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
    return (
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
