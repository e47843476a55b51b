"""The activity list (by user, team, client, deal, period, status, overdue) and the calendar
of several users over a range.

Both filter in SQL on the (user_id, due_at) and (due_at) indexes with the caller's
visibility (`visible_where`) and keep exact range overlaps in Python, where all-day dates
are read in the viewer's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import PrivateAttr
from sqlalchemy import and_, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Activity, ActivityParticipant, Contact, Deal, User
from hub.serialize import iso

from .activities import (
    ActivityOut,
    among,
    dialect_of,
    ends_at,
    in_period,
    invited_in,
    is_overdue,
    items_of,
    names_of,
    overlaps,
    team_members,
    visible_where,
)
from .calendar_cells import cells_json
from .card import NamedRef
from .crm_access import CrmView
from .shapes import Shape, Timestamp, built

# Written out, not bound: a parameter would hide from PostgreSQL's generic plans that the
# partial index ix_activities_user_planned_due applies.
PLANNED = Activity.status == literal_column("'planned'")


@dataclass(frozen=True)
class ActivityFilter:
    responsible_id: int | None = None
    team_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    organisation_id: int | None = None
    kind: str | None = None
    status: str | None = None
    overdue: bool = False
    start: datetime | None = None
    end: datetime | None = None


class ActivityPage(Shape):
    items: list[ActivityOut]
    next_offset: int | None


async def list_activities(
    session: AsyncSession,
    view: CrmView,
    viewer_id: int | None,
    viewer_zone: str,
    filters: ActivityFilter,
    now: datetime,
    *,
    limit: int,
    offset: int = 0,
) -> ActivityPage:
    """Planned work first by time (undated last), newest id breaking ties."""
    clauses = [visible_where(view, viewer_id)]
    if filters.responsible_id is not None:
        clauses.append(Activity.user_id == filters.responsible_id)
    if filters.team_id is not None:
        clauses.append(Activity.user_id.in_(team_members(filters.team_id)))
    if filters.contact_id is not None:
        clauses.append(Activity.contact_id == filters.contact_id)
    if filters.deal_id is not None:
        clauses.append(Activity.deal_id == filters.deal_id)
    if filters.organisation_id is not None:
        clauses.append(Activity.organisation_id == filters.organisation_id)
    if filters.kind is not None:
        clauses.append(Activity.kind == filters.kind)
    if filters.overdue:
        # All-day ones due yesterday (UTC date) or earlier; `is_overdue` refines by zone.
        clauses += [PLANNED, Activity.due_at < now]
    elif filters.status == "planned":
        clauses.append(PLANNED)
    elif filters.status is not None:
        clauses.append(Activity.status == filters.status)
    ranged = filters.start is not None or filters.end is not None
    if ranged:
        clauses.append(in_period(filters.start, filters.end))
    stmt = (
        select(Activity)
        .where(and_(*clauses))
        .order_by(Activity.due_at.is_(None), Activity.due_at, Activity.id)
    )
    if not ranged and not filters.overdue:
        rows = list((await session.execute(stmt.offset(offset).limit(limit + 1))).scalars())
        more = len(rows) > limit
        items = await items_of(session, rows[:limit], now)
        return ActivityPage(items=items, next_offset=offset + limit if more else None)
    # The widened range and the zone rules are exact only in Python: filter, then page.
    found = [
        a
        for a in (await session.execute(stmt)).scalars()
        if (not ranged or overlaps(a, filters.start, filters.end, viewer_zone))
    ]
    items = [i for i in await items_of(session, found, now) if not filters.overdue or i.overdue]
    page = items[offset : offset + limit]
    more = len(items) > offset + limit
    return ActivityPage(items=page, next_offset=offset + limit if more else None)


class CalendarUser(Shape):
    id: int
    name: str
    time_zone: str


class CalendarItem(Shape):
    """An activity as a calendar cell: what a day, week or month view draws; the rest is
    one GET /activities/{id} away. Lighter than `ActivityOut`, as a team's week holds
    hundreds."""

    id: int
    kind: str
    subject: str
    status: str
    due_at: Timestamp | None
    ends_at: Timestamp | None
    duration_min: int | None
    all_day: bool
    due_on: str | None
    overdue: bool
    responsible_id: int | None
    participant_ids: list[int]
    contact: NamedRef | None
    deal: NamedRef | None
    place: str
    version: int


class CalendarOut(Shape):
    start: Timestamp
    end: Timestamp
    users: list[CalendarUser]
    items: list[CalendarItem]
    # On PostgreSQL the items come as the JSON text the database made of them
    # (`calendar_cells`), spliced into the dump as they are; `items` is then empty.
    _items_json: str | None = PrivateAttr(default=None)

    def model_dump_json(self, **kwargs: Any) -> str:
        if self._items_json is None or kwargs:
            return super().model_dump_json(**kwargs)
        head = super().model_dump_json(exclude={"items"})
        return f'{head[:-1]},"items":{self._items_json}}}'


async def calendar_users(session: AsyncSession, user_ids: Sequence[int]) -> list[CalendarUser]:
    rows = await session.execute(
        select(User.id, User.name, User.time_zone)
        .where(User.id.in_(user_ids), User.is_active)
        .order_by(User.id)
    )
    return [CalendarUser(id=i, name=n, time_zone=tz) for i, n, tz in rows]


async def calendar(
    session: AsyncSession,
    view: CrmView,
    viewer_id: int | None,
    viewer_zone: str,
    users: list[CalendarUser],
    start: datetime,
    end: datetime,
    now: datetime,
) -> CalendarOut:
    """Everything the users are responsible for or take part in over [start, end), planned
    and done (cancelled ones are gone from a calendar), that the viewer may see. Columns,
    not entities: no identity map to fill for a few hundred rows."""
    ids = [u.id for u in users]
    zones = {u.id: u.time_zone for u in users}
    if dialect_of(session) == "postgresql":
        found_json = await cells_json(
            session, view, viewer_id, ids, viewer_zone, zones, start, end, now
        )
        out = CalendarOut(start=start.isoformat(), end=end.isoformat(), users=users, items=[])
        out._items_json = found_json
        return out
    period = in_period(start, end)
    common = (visible_where(view, viewer_id), Activity.status != "cancelled", period)
    # Two reads, each visiting a row's page once: the users' own activities by the
    # (user_id, due_at) index, and those they are invited to by the participants' index.
    own = select(*CELL_COLUMNS).where(Activity.user_id.in_(ids), *common)
    invited = (
        select(*CELL_COLUMNS)
        .join(ActivityParticipant, ActivityParticipant.activity_id == Activity.id)
        .where(invited_in(ids, start, end), *common)
    )
    found: dict[int, Any] = {}
    for stmt in (own, invited):
        for row in await session.execute(stmt):
            # Only rows begun before the range (the widened day) or all-day ones may fall
            # outside it; the rest are inside by the query itself.
            inside = not row.all_day and row.due_at is not None and row.due_at >= start
            if inside or overlaps(row, start, end, viewer_zone):
                found.setdefault(row.id, row)
    rows = sorted(found.values(), key=lambda r: (r.due_at, r.id))
    items = await cells(session, rows, zones, now)
    return CalendarOut(start=start.isoformat(), end=end.isoformat(), users=users, items=items)


# What a calendar cell (and a reminder's toast) is made of.
CELL_COLUMNS = (
    Activity.id, Activity.kind, Activity.subject, Activity.status, Activity.due_at,
    Activity.duration_min, Activity.all_day, Activity.user_id, Activity.contact_id,
    Activity.deal_id, Activity.place, Activity.version,
)  # fmt: skip


class CellRow(NamedTuple):
    """`CELL_COLUMNS` of a row as a plain tuple: a SQLAlchemy `Row` looks each attribute up
    by name, which over a team's week of cells costs more than the query."""

    id: int
    kind: str
    subject: str
    status: str
    due_at: datetime | None
    duration_min: int | None
    all_day: bool
    user_id: int | None
    contact_id: int | None
    deal_id: int | None
    place: str
    version: int


async def cells(
    session: AsyncSession, rows: Sequence[Any], zones: dict[int, str], now: datetime
) -> list[CalendarItem]:
    """Cells of rows of `CELL_COLUMNS`; `zones` by user id, for all-day overdue rules."""
    found = [r.id for r in rows]
    guests: dict[int, list[int]] = {}
    invited = await session.execute(
        select(ActivityParticipant.activity_id, ActivityParticipant.user_id)
        .where(
            among(ActivityParticipant.activity_id, found, dialect_of(session)),
            ActivityParticipant.user_id.is_not(None),
        )
        .order_by(ActivityParticipant.id)
    )
    for activity_id, user_id in invited:
        if user_id is not None:
            guests.setdefault(activity_id, []).append(user_id)
    contacts = await names_of(session, Contact.id, Contact.name, {r.contact_id for r in rows})
    deals = await names_of(session, Deal.id, Deal.title, {r.deal_id for r in rows})
    # Built without validation: the values come straight from typed columns, and validating
    # (or even `model_construct`) a team's week of cells costs more than reading it.
    width = len(CELL_COLUMNS)
    return [
        _cell(CellRow._make(tuple(r)[:width]), guests, contacts, deals, zones, now) for r in rows
    ]


def _ref(ref_id: int | None, names: dict[int, str]) -> NamedRef | None:
    if ref_id is None:
        return None
    return built(NamedRef, {"id": ref_id, "name": names.get(ref_id, "")})


def _cell(
    r: CellRow,
    guests: dict[int, list[int]],
    contacts: dict[int, str],
    deals: dict[int, str],
    zones: dict[int, str],
    now: datetime,
) -> CalendarItem:
    return built(
        CalendarItem,
        {
            "id": r.id,
            "kind": r.kind,
            "subject": r.subject,
            "status": r.status,
            "due_at": iso(r.due_at),
            "ends_at": iso(ends_at(r)),
            "duration_min": r.duration_min,
            "all_day": r.all_day,
            "due_on": r.due_at.date().isoformat() if r.all_day and r.due_at else None,
            "overdue": is_overdue(r, now, None if r.user_id is None else zones.get(r.user_id)),
            "responsible_id": r.user_id,
            "participant_ids": guests.get(r.id, []),
            "contact": _ref(r.contact_id, contacts),
            "deal": _ref(r.deal_id, deals),
            "place": r.place,
            "version": r.version,
        },
    )
