"""Absences as read: the list a calendar draws, whose absences a person may see, and an
absence as the span of time it blocks in the absent user's own zone (free/busy).

Whose absences one sees follows whose calendar one may see (`hub.policy.may_plan_for`):
oneself, one's team mates, the people one's CRM view covers; admins, robots and the system
everyone. Anybody else is answered as if he did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal, has_role
from hub.models import Absence, AbsenceKind, Role, TeamMember, User
from hub.serialize import iso

from .activities import zone
from .crm_access import crm_view, mates_of
from .shapes import Shape, Timestamp

# Local wall-clock interval: [start, end) of naive datetimes in the absent user's zone.
LocalSpan = tuple[datetime, datetime]


class AbsenceOut(Shape):
    id: int
    user_id: int
    user_name: str
    kind: AbsenceKind
    starts_on: date
    ends_on: date
    # "HH:MM" on the first / last day; null: from the start / to the end of that day.
    starts_at: str | None
    ends_at: str | None
    note: str
    created_by_id: int | None
    created_at: Timestamp
    # What an edit names as the state it started from (PATCH, 409 `stale-version`).
    version: int


class AbsenceList(Shape):
    items: list[AbsenceOut]


def local_span(
    starts_on: date, ends_on: date, starts_at: time | None, ends_at: time | None
) -> LocalSpan:
    """The wall-clock interval an absence covers: whole days unless a time narrows an edge."""
    start = datetime.combine(starts_on, starts_at or time())
    if ends_at is None:
        return start, datetime.combine(ends_on + timedelta(days=1), time())
    return start, datetime.combine(ends_on, ends_at)


def span_of(absence: Absence) -> LocalSpan:
    return local_span(absence.starts_on, absence.ends_on, absence.starts_at, absence.ends_at)


def instants(absence: Absence, time_zone: str) -> tuple[datetime, datetime]:
    """The absence as aware instants, placed in the absent user's zone."""
    tz = zone(time_zone)
    start, end = span_of(absence)
    return start.replace(tzinfo=tz), end.replace(tzinfo=tz)


def _clock(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def absence_out(absence: Absence, user_name: str) -> AbsenceOut:
    return AbsenceOut(
        id=absence.id,
        user_id=absence.user_id,
        user_name=user_name,
        kind=absence.kind,
        starts_on=absence.starts_on,
        ends_on=absence.ends_on,
        starts_at=_clock(absence.starts_at),
        ends_at=_clock(absence.ends_at),
        note=absence.note,
        created_by_id=absence.created_by_id,
        created_at=iso(absence.created_at) or "",
        version=absence.version,
    )


async def seen_users(session: AsyncSession, actor: Principal) -> frozenset[int] | None:
    """The users whose absences `actor` may see; None: everyone."""
    view = await crm_view(session, actor)
    if has_role(actor.role, Role.admin) or view.owner_ids is None:
        return None
    return view.owner_ids | await mates_of(session, actor)


def may_see(seen: frozenset[int] | None, user_id: int) -> bool:
    return seen is None or user_id in seen


async def team_member_ids(session: AsyncSession, team_id: int) -> list[int]:
    rows = await session.execute(select(TeamMember.user_id).where(TeamMember.team_id == team_id))
    return list(rows.scalars())


async def absences_of(
    session: AsyncSession, user_ids: Iterable[int] | None, first: date, last: date
) -> list[Absence]:
    """Absences touching the days [first, last] of these users (None: of everyone)."""
    stmt = select(Absence).where(Absence.ends_on >= first, Absence.starts_on <= last)
    if user_ids is not None:
        stmt = stmt.where(Absence.user_id.in_(sorted(set(user_ids))))
    found = await session.execute(stmt.order_by(Absence.starts_on, Absence.user_id, Absence.id))
    return list(found.scalars())


async def list_absences(
    session: AsyncSession, seen: frozenset[int] | None, user_ids: Sequence[int] | None,
    first: date, last: date,
) -> AbsenceList:  # fmt: skip
    """Absences of `user_ids` (None: of everyone `seen`) over [first, last]."""
    wanted: Iterable[int] | None = user_ids
    if wanted is None and seen is not None:
        wanted = seen
    elif wanted is not None:
        wanted = [u for u in wanted if may_see(seen, u)]
    rows = await absences_of(session, wanted, first, last)
    rows_of_names = await session.execute(
        select(User.id, User.name).where(User.id.in_({a.user_id for a in rows}))
    )
    names = {user_id: name for user_id, name in rows_of_names}
    return AbsenceList(items=[absence_out(a, names.get(a.user_id, "")) for a in rows])
