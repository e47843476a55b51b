"""Activities as the «Сегодня» panel, the lists, the calendar and the events show them.

Items are built set-based: one query for the rows and one each for the names they refer to
(users, contacts, organisations, deals, participants), whatever the number of items, so a
team's week costs the same handful of queries as one activity.

Who sees an activity: whoever's CRM view covers its responsible user (`CrmView`), plus its
creator and its participating users, who see it even across scopes (they were invited).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    exists,
    false,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from hub.models import (
    Activity,
    ActivityParticipant,
    Contact,
    Deal,
    Organisation,
    TeamMember,
    User,
)
from hub.serialize import iso

from .card import NamedRef
from .crm_access import CrmView
from .shapes import Shape, Timestamp, built

DEFAULT_ZONE = "Europe/Moscow"
# Longest span an activity may have; a calendar range query widens by it, so a meeting that
# started before the range and runs into it is found through the (user, due_at) index.
MAX_DURATION = timedelta(days=1)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


class Timed(Protocol):
    """What time rules read: an `Activity` or a row of its columns."""

    @property
    def status(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def duration_min(self) -> int | None: ...
    @property
    def all_day(self) -> bool: ...


class ActivityOut(Shape):
    id: int
    kind: str
    subject: str
    description: str
    status: str
    result: str
    due_at: Timestamp | None
    ends_at: Timestamp | None
    duration_min: int | None
    all_day: bool
    # An all-day activity's date ("2026-06-15"): it stays on it in every zone.
    due_on: str | None
    overdue: bool
    responsible: NamedRef | None
    created_by: NamedRef | None
    participants: list[NamedRef]
    contact_participants: list[NamedRef]
    contact: NamedRef | None
    organisation: NamedRef | None
    deal: NamedRef | None
    conversation_id: int | None
    agenda: str
    place: str
    outcome: str
    remind_at: Timestamp | None
    reminder_delivered_at: Timestamp | None
    reminder_late: bool
    done_at: Timestamp | None
    done_by: NamedRef | None
    version: int
    created_at: Timestamp
    updated_at: Timestamp | None


def ends_at(activity: Timed) -> datetime | None:
    if activity.due_at is None:
        return None
    if activity.all_day:
        return activity.due_at + timedelta(days=1)
    return activity.due_at + timedelta(minutes=activity.duration_min or 0)


def is_overdue(activity: Timed, now: datetime, time_zone: str | None) -> bool:
    """Planned and past its time; an all-day one only once its date is over in the
    responsible user's zone."""
    if activity.status != "planned" or activity.due_at is None:
        return False
    if activity.all_day:
        return activity.due_at.date() < now.astimezone(zone(time_zone)).date()
    return activity.due_at < now


# An alias: a query that itself joins the participants (the calendar's invitations) would
# otherwise correlate `visible_to`'s subquery to its own join and leave it no FROM. Made
# once: making an alias of a mapped class costs more than the rest of a list's statement.
_GUEST = aliased(ActivityParticipant, name="activity_guest")


def visible_where(view: CrmView, user_id: int | None) -> ColumnElement[bool]:
    """`Activity` rows a person (`user_id`, None for robots and the system) may see."""
    if view.owner_ids is None:
        return true()
    return visible_to(sorted(view.owner_ids), user_id)


def visible_to(owners: Any, user_id: Any) -> ColumnElement[bool]:
    """`visible_where` of a view limited to `owners` (a list, or an expanding bind
    parameter of one) for `user_id` (None, or a bind parameter of it): the calendar builds
    its statement once with parameters in place of the values."""
    mine = or_(Activity.user_id.is_(None), Activity.user_id.in_(owners))
    if user_id is None:
        return mine
    invited = exists().where(_GUEST.activity_id == Activity.id, _GUEST.user_id == user_id)
    return or_(mine, Activity.created_by_id == user_id, invited)


def concerning(user_ids: Sequence[int], start: datetime, end: datetime) -> ColumnElement[bool]:
    """Activities in these users' calendars around [start, end): they are responsible or take
    part. A union of two index range scans, (user_id, due_at) on activities and on the
    participants, rather than an OR that would scan the whole range."""
    if not user_ids:
        return false()
    own = select(Activity.id).where(Activity.user_id.in_(user_ids), in_period(start, end))
    invited = select(ActivityParticipant.activity_id).where(invited_in(user_ids, start, end))
    return Activity.id.in_(union(own, invited))


def in_period(
    start: datetime | None,
    end: datetime | None,
    due_at: InstrumentedAttribute[datetime | None] = Activity.due_at,
) -> ColumnElement[bool]:
    """Rows that may overlap [start, end): the start moved back by the longest span (a
    meeting begun before it; an all-day date, kept at its midnight UTC, that begins up to
    12 h before a zone's day); callers keep only what `overlaps`. The end needs no slack:
    a date inside the range has its UTC midnight before the range's end in every zone.
    `due_at` may be the participants' copy of it."""
    clauses: list[ColumnElement[bool]] = []
    if start is not None:
        clauses.append(due_at >= start - MAX_DURATION)
    if end is not None:
        clauses.append(due_at < end)
    return and_(true(), *clauses)


def invited_in(user_ids: Sequence[int], start: datetime, end: datetime) -> ColumnElement[bool]:
    """`ActivityParticipant` rows of these users over the range, by their index."""
    return and_(
        ActivityParticipant.user_id.in_(user_ids),
        in_period(start, end, ActivityParticipant.due_at),
    )


def overlaps(activity: Timed, start: datetime | None, end: datetime | None, tz: str) -> bool:
    """Whether the activity falls in [start, end) as seen in zone `tz`: an all-day one by its
    date, a timed one by its span (a zero-length one by its moment)."""
    if activity.due_at is None:
        return start is None and end is None
    if activity.all_day:
        day = activity.due_at.date()
        local = zone(tz)
        after = start is None or day >= start.astimezone(local).date()
        before = end is None or day <= (end - timedelta(microseconds=1)).astimezone(local).date()
        return after and before
    finish = ends_at(activity) or activity.due_at
    after = start is None or finish > start or activity.due_at >= start
    return after and (end is None or activity.due_at < end)


# What an item is built from: a mapped `Activity`, or a row of the activities table's columns
# (whose names are the attributes'), which the «Сегодня» panel reads without the ORM's
# identity map and instrumentation for its hundred-odd rows.
ActivityRecord = Activity | Row[Any]
ACTIVITY_COLUMNS = tuple(Activity.__table__.columns)


@dataclass(frozen=True)
class _Names:
    users: dict[int, tuple[str, str]]
    contacts: dict[int, str]
    organisations: dict[int, str]
    deals: dict[int, str]
    people: dict[int, list[int]]
    contact_people: dict[int, list[int]]


async def _names(session: AsyncSession, rows: Sequence[ActivityRecord]) -> _Names:
    ids = [a.id for a in rows]
    people: dict[int, list[int]] = {}
    contact_people: dict[int, list[int]] = {}
    found = await session.execute(
        select(
            ActivityParticipant.activity_id,
            ActivityParticipant.user_id,
            ActivityParticipant.contact_id,
        )
        .where(among(ActivityParticipant.activity_id, ids, dialect_of(session)))
        .order_by(ActivityParticipant.id)
    )
    for activity_id, user_id, contact_id in found:
        if user_id is not None:
            people.setdefault(activity_id, []).append(user_id)
        if contact_id is not None:
            contact_people.setdefault(activity_id, []).append(contact_id)
    user_ids = {u for a in rows for u in (a.user_id, a.created_by_id, a.done_by_id) if u}
    user_ids.update(u for found_ids in people.values() for u in found_ids)
    contact_ids = {a.contact_id for a in rows if a.contact_id}
    contact_ids.update(c for found_ids in contact_people.values() for c in found_ids)

    users: dict[int, tuple[str, str]] = {}
    if user_ids:
        stmt = select(User.id, User.name, User.time_zone).where(User.id.in_(sorted(user_ids)))
        users = {row[0]: (row[1], row[2]) for row in await session.execute(stmt)}
    return _Names(
        users=users,
        contacts=await names_of(session, Contact.id, Contact.name, contact_ids),
        organisations=await names_of(
            session,
            Organisation.id,
            Organisation.name,
            {a.organisation_id for a in rows if a.organisation_id},
        ),
        deals=await names_of(session, Deal.id, Deal.title, {a.deal_id for a in rows if a.deal_id}),
        people=people,
        contact_people=contact_people,
    )


# Built without validation (`built`): every value comes from a typed column or `iso`, and
# validating the seventy items of a «Сегодня» panel was most of its Python time.
def _ref(table: dict[int, str], key: int | None) -> NamedRef | None:
    return built(NamedRef, {"id": key, "name": table.get(key, "")}) if key is not None else None


def _user(names: _Names, key: int | None) -> NamedRef | None:
    if key is None:
        return None
    return built(NamedRef, {"id": key, "name": names.users.get(key, ("", ""))[0]})


def _item(a: ActivityRecord, names: _Names, now: datetime) -> ActivityOut:
    tz = names.users.get(a.user_id or 0, ("", DEFAULT_ZONE))[1]
    return built(
        ActivityOut,
        dict(
            id=a.id,
            kind=a.kind,
            subject=a.subject,
            description=a.body,
            status=a.status,
            result=a.result,
            due_at=iso(a.due_at),
            ends_at=iso(ends_at(a)),
            duration_min=a.duration_min,
            all_day=a.all_day,
            due_on=a.due_at.date().isoformat() if a.all_day and a.due_at else None,
            overdue=is_overdue(a, now, tz),
            responsible=_user(names, a.user_id),
            created_by=_user(names, a.created_by_id),
            participants=[r for u in names.people.get(a.id, []) if (r := _user(names, u))],
            contact_participants=[
                r for c in names.contact_people.get(a.id, []) if (r := _ref(names.contacts, c))
            ],
            contact=_ref(names.contacts, a.contact_id),
            organisation=_ref(names.organisations, a.organisation_id),
            deal=_ref(names.deals, a.deal_id),
            conversation_id=a.conversation_id,
            agenda=a.agenda,
            place=a.place,
            outcome=a.outcome,
            remind_at=iso(a.remind_at),
            reminder_delivered_at=iso(a.remind_delivered_at),
            reminder_late=a.remind_late,
            done_at=iso(a.done_at),
            done_by=_user(names, a.done_by_id),
            version=a.version,
            created_at=iso(a.created_at) or "",
            updated_at=iso(a.updated_at),
        ),
    )


async def items_of(
    session: AsyncSession, rows: Sequence[ActivityRecord], now: datetime
) -> list[ActivityOut]:
    if not rows:
        return []
    names = await _names(session, rows)
    return [_item(a, names, now) for a in rows]


async def activity_items(
    session: AsyncSession, ids: Iterable[int], now: datetime
) -> list[ActivityOut]:
    """The items of these activities, in the order asked (missing ones left out)."""
    wanted = list(ids)
    stmt = select(Activity).where(among(Activity.id, wanted, dialect_of(session)))
    rows = (await session.execute(stmt)).scalars()
    by_id = {a.id: a for a in rows}
    return await items_of(session, [by_id[i] for i in wanted if i in by_id], now)


async def visible_activity(
    session: AsyncSession, view: CrmView, user_id: int | None, activity_id: int, now: datetime
) -> ActivityOut | None:
    stmt = select(Activity).where(Activity.id == activity_id, visible_where(view, user_id))
    row = (await session.execute(stmt)).scalar_one_or_none()
    return None if row is None else (await items_of(session, [row], now))[0]


def among(column: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """`column IN ids` for hundreds of ids: on PostgreSQL one array parameter (`= ANY`), so
    the statement is neither re-rendered nor re-planned for every length of the list."""
    if dialect == "postgresql":
        return column == any_(literal(list(ids), ARRAY(BigInteger)))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]


def among_bound(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`among` for a statement built once: the ids are bound at execution as `name`."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def team_members(team_id: int) -> Select[int]:
    return select(TeamMember.user_id).where(TeamMember.team_id == team_id)


def utc(value: datetime, time_zone: str | None) -> datetime:
    """An instant from the API: naive means the user's own wall clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(time_zone))
    return value.astimezone(UTC)


async def names_of(
    session: AsyncSession,
    key: InstrumentedAttribute[int],
    name: InstrumentedAttribute[str],
    wanted: Iterable[int | None],
) -> dict[int, str]:
    """id → name of the rows wanted, in one query (contacts, organisations, deals)."""
    keys = sorted({k for k in wanted if k is not None})
    if not keys:
        return {}
    stmt = select(key, name).where(among(key, keys, dialect_of(session)))
    return {row[0]: row[1] for row in await session.execute(stmt)}
