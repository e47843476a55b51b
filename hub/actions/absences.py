"""Absences: recorded, changed and removed, by the person himself, his team's supervisor
or an admin.

Someone the actor may not see (another team, under a team-scoped CRM view) is answered as
nonexistent (404), like a colleague in the calendar; someone he sees but may not manage is
`not-your-absence` (403). Two absences of one person never overlap: the second is refused
per field, as are an end before the start and an unknown kind. Each change emits
`absence.changed` after commit, so open calendars redraw and planners re-check. A change
names the version it started from, as an activity's edit does: a stale one is a 409
`stale-version` carrying the absence as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any

from sqlalchemy import select

from hub.core import Hub
from hub.events import AbsenceChanged, Audience
from hub.models import Absence, AbsenceKind, User
from hub.policy import (
    Actor,
    InvalidInput,
    NotFound,
    ensure_can_manage_absence,
    may_plan_for,
    stale_version,
    user_id_of,
)
from hub.queries.absences import absence_out, absences_of, local_span, span_of
from hub.queries.crm_access import crm_audience, crm_view, mates_of, team_mates

from .uow import UnitOfWork, unit_of_work

# A year and a bit: longer is a mistake in the year, not a vacation.
MAX_DAYS = 366


@dataclass(frozen=True)
class AbsenceIn:
    user_id: int
    kind: str
    starts_on: date
    ends_on: date
    starts_at: time | None = None
    ends_at: time | None = None
    note: str = ""


def no_such_user(user_id: int) -> NotFound:
    return NotFound("no-such-user", "There is no such user.", {"user_id": user_id})


def no_such_absence(absence_id: int) -> NotFound:
    return NotFound("no-such-absence", "There is no such absence.", {"id": absence_id})


def _bad(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "type": error_type, "message": message}


async def _manageable(uow: UnitOfWork, actor: Actor, user_id: int, missing: NotFound) -> User:
    """The absent user, if the actor sees him (404 `missing`) and may manage his absences
    (403)."""
    session = uow.session
    user = await session.get(User, user_id)
    view = await crm_view(session, actor)
    mates = await mates_of(session, actor)
    if user is None or not may_plan_for(actor, user_id, mates, view.sees(user_id)):
        raise missing
    ensure_can_manage_absence(actor, user_id, mates)
    return user


def _checked(values: AbsenceIn) -> AbsenceKind:
    errors: list[dict[str, str]] = []
    known = values.kind in AbsenceKind.__members__
    if not known:
        errors.append(_bad("kind", "unknown-kind", "one of " + ", ".join(AbsenceKind)))
    if values.ends_on < values.starts_on:
        errors.append(_bad("ends_on", "ends-before-start", "must not be before `starts_on`"))
    elif (values.ends_on - values.starts_on).days >= MAX_DAYS:
        errors.append(_bad("ends_on", "range-too-long", f"at most {MAX_DAYS} days"))
    else:
        start, end = local_span(values.starts_on, values.ends_on, values.starts_at, values.ends_at)
        if end <= start:
            errors.append(_bad("ends_at", "ends-before-start", "must be after `starts_at`"))
    if errors:
        raise InvalidInput(errors)
    return AbsenceKind(values.kind)


async def _refuse_overlap(uow: UnitOfWork, values: AbsenceIn, itself: int | None = None) -> None:
    """A person is away for one reason at a time: an overlapping absence is refused with
    the one it collides with, so the form can say which (`itself`: the one being changed)."""
    start, end = local_span(values.starts_on, values.ends_on, values.starts_at, values.ends_at)
    for other in await absences_of(uow.session, [values.user_id], values.starts_on, values.ends_on):
        if other.id == itself:
            continue
        other_start, other_end = span_of(other)
        if other_start < end and start < other_end:
            last = other.ends_on.isoformat()
            raise InvalidInput(
                [
                    _bad(
                        "starts_on",
                        "absence-overlaps",
                        f"overlaps the {other.kind.value} {other.starts_on.isoformat()}–{last}",
                    )
                ]
            )


async def _announce(uow: UnitOfWork, absence: Absence, user: User, change: str) -> None:
    """To whoever may see the absent user's calendar: himself, his team mates, the CRM
    audience of his records, and whoever recorded it."""
    audience = await crm_audience(uow.session, absence.user_id)
    users = audience.users | await team_mates(uow.session, absence.user_id)
    users |= {u for u in (absence.created_by_id,) if u}
    uow.emit(
        AbsenceChanged(
            audience=Audience(users=frozenset(users), roles=audience.roles),
            absence=absence_out(absence, user.name).model_dump(mode="json"),
            change=change,
        )
    )


async def add_absence(hub: Hub, actor: Actor, values: AbsenceIn) -> int:
    async with unit_of_work(hub) as uow:
        # Who first: someone invisible is nonexistent, whatever else is wrong with the form.
        user = await _manageable(uow, actor, values.user_id, no_such_user(values.user_id))
        kind = _checked(values)
        if hub.db.dialect == "postgresql":
            # Two overlapping absences sent at once: the second waits here and then sees
            # the first (SQLite's writer lock already serialises them).
            await uow.session.execute(select(User.id).where(User.id == user.id).with_for_update())
        await _refuse_overlap(uow, values)
        absence = Absence(
            user_id=values.user_id,
            kind=kind,
            starts_on=values.starts_on,
            ends_on=values.ends_on,
            starts_at=values.starts_at,
            ends_at=values.ends_at,
            note=values.note.strip(),
            created_by_id=user_id_of(actor),
            created_at=uow.now(),
            version=1,
        )
        uow.session.add(absence)
        await uow.session.flush()
        await _announce(uow, absence, user, "created")
        return absence.id


async def _locked(uow: UnitOfWork, actor: Actor, absence_id: int) -> tuple[Absence, User]:
    """The absence, locked on PostgreSQL (two removals or edits at once: the second waits,
    then finds it gone, a 404, or changed, a 409, never a 500), if the actor may manage it."""
    stmt = select(Absence).where(Absence.id == absence_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    absence = (await uow.session.execute(stmt)).scalar_one_or_none()
    if absence is None:
        raise no_such_absence(absence_id)
    return absence, await _manageable(uow, actor, absence.user_id, no_such_absence(absence_id))


# What a change may touch: the form's fields, not whose absence it is.
CHANGEABLE = ("kind", "starts_on", "ends_on", "starts_at", "ends_at", "note")


async def change_absence(
    hub: Hub, actor: Actor, absence_id: int, version: int, changes: Mapping[str, Any]
) -> None:
    """Change the fields given (`CHANGEABLE`; a time set to None means the whole day), by
    the rules of recording one: the same people, kinds, order of days and no overlap with
    another absence of the person."""
    async with unit_of_work(hub) as uow:
        absence, user = await _locked(uow, actor, absence_id)
        if version != absence.version:
            current = absence_out(absence, user.name).model_dump(mode="json")
            raise stale_version("absence", absence.id, absence.version, current)
        was = AbsenceIn(
            user_id=absence.user_id, kind=absence.kind.value, starts_on=absence.starts_on,
            ends_on=absence.ends_on, starts_at=absence.starts_at, ends_at=absence.ends_at,
            note=absence.note,
        )  # fmt: skip
        values = replace(was, **{k: v for k, v in changes.items() if k in CHANGEABLE})
        values = replace(values, note=values.note.strip())
        kind = _checked(values)
        if values == was:
            return
        await _refuse_overlap(uow, values, itself=absence.id)
        absence.kind = kind
        absence.starts_on, absence.ends_on = values.starts_on, values.ends_on
        absence.starts_at, absence.ends_at = values.starts_at, values.ends_at
        absence.note = values.note
        absence.version += 1
        await uow.session.flush()
        await _announce(uow, absence, user, "updated")


async def remove_absence(hub: Hub, actor: Actor, absence_id: int) -> None:
    async with unit_of_work(hub) as uow:
        absence, user = await _locked(uow, actor, absence_id)
        await _announce(uow, absence, user, "removed")
        await uow.session.delete(absence)
