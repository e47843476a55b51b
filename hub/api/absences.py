"""Absences («Отсутствие»): the list over a period (by user or team), recording one,
changing one (with the version it started from) and removing one. Someone whose calendar
the caller may not see is answered as nonexistent."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select

from hub.actions import absences
from hub.models import Absence, AbsenceKind, User
from hub.policy import InvalidInput
from hub.queries.absences import (
    AbsenceList,
    AbsenceOut,
    absence_out,
    list_absences,
    may_see,
    seen_users,
    team_member_ids,
)
from hub.queries.activities import zone
from hub.queries.shapes import Shape

from .activities import zone_of
from .inputs import Body, Query, RowId
from .registry import ApiCall, RouteTable

routes = RouteTable("absences")

# What the list covers when no period is given, and the most it covers: a year's planning.
DEFAULT_DAYS = 62
MAX_DAYS = 400


class AbsenceQuery(Query):
    user_id: RowId | None = None
    team_id: RowId | None = Field(default=None, description="Its members you may see.")
    start: date | None = Field(default=None, alias="from", description="Default: today.")
    end: date | None = Field(
        default=None, alias="to", description=f"Inclusive. Default: {DEFAULT_DAYS} days on."
    )


class AbsenceIn(Body):
    user_id: RowId | None = Field(default=None, description="Default: you.")
    kind: AbsenceKind
    starts_on: date
    ends_on: date = Field(description="Inclusive: the last day away.")
    starts_at: time | None = Field(default=None, description="On the first day; default: all day.")
    ends_at: time | None = Field(default=None, description="On the last day; default: all day.")
    note: Annotated[str, Field(max_length=1000)] = ""


class AbsencePatchIn(Body):
    """Only the fields given change; `version` is the one the edit started from."""

    version: int = Field(ge=1)
    kind: AbsenceKind | None = None
    starts_on: date | None = None
    ends_on: date | None = Field(default=None, description="Inclusive: the last day away.")
    starts_at: time | None = Field(default=None, description="null: from the start of the day.")
    ends_at: time | None = Field(default=None, description="null: to the end of the day.")
    note: Annotated[str, Field(max_length=1000)] | None = None


# A time sent as null means the whole day; the other fields sent as null stay as they are.
NULLABLE = frozenset({"starts_at", "ends_at"})


class Removed(Shape):
    id: int


def _bad(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "query", "type": error_type, "message": message}


@routes.get(
    "/absences",
    summary="Absences (vacation, sick leave, business trips, days off) touching [from, to] "
    "of a user, of a team's members, or of everyone whose calendar you may see",
    query=AbsenceQuery,
    response=AbsenceList,
    missing=True,
)
async def get_absences(call: ApiCall[AbsenceQuery, None]) -> AbsenceList:
    query = call.query
    async with call.hub.db.sessions() as session:
        # "Today" on the caller's own wall clock, as the calendar shows it.
        tz = zone(await zone_of(session, call.principal.user_id))
        first = query.start or call.hub.clock().astimezone(tz).date()
        last = query.end or first + timedelta(days=DEFAULT_DAYS)
        if last < first:
            raise InvalidInput([_bad("to", "ends-before-start", "must not be before `from`")])
        if (last - first).days > MAX_DAYS:
            raise InvalidInput([_bad("to", "range-too-long", f"at most {MAX_DAYS} days")])
        seen = await seen_users(session, call.principal)
        user_ids: list[int] | None = None
        if query.user_id is not None:
            if not may_see(seen, query.user_id) or await session.get(User, query.user_id) is None:
                raise absences.no_such_user(query.user_id)
            user_ids = [query.user_id]
        if query.team_id is not None:
            members = await team_member_ids(session, query.team_id)
            user_ids = [u for u in members if user_ids is None or u in user_ids]
        return await list_absences(session, seen, user_ids, first, last)


@routes.post(
    "/absences",
    summary="Record an absence: yours, or (supervisors) a team member's, or (admins) "
    "anyone's; an overlapping one of the same person is refused",
    body=AbsenceIn,
    response=AbsenceOut,
    status=201,
    missing=True,
)
async def create_absence(call: ApiCall[None, AbsenceIn]) -> AbsenceOut:
    body = call.body
    user_id = body.user_id or call.principal.user_id
    absence_id = await absences.add_absence(
        call.hub,
        call.principal,
        absences.AbsenceIn(
            user_id=user_id,
            kind=body.kind.value,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            note=body.note,
        ),
    )
    async with call.hub.db.sessions() as session:
        # Read back as the list shows it (the creator may always see what he just recorded).
        found = await list_absences(session, None, [user_id], body.starts_on, body.ends_on)
    return next(a for a in found.items if a.id == absence_id)


async def _read_back(call: ApiCall[None, Any], absence_id: int) -> AbsenceOut:
    async with call.hub.db.sessions() as session:
        found = (
            await session.execute(select(Absence).where(Absence.id == absence_id))
        ).scalar_one()
        user = await session.get_one(User, found.user_id)
        return absence_out(found, user.name)


@routes.patch(
    "/absences/{id}",
    summary="Change an absence (the same people and rules as recording one; 409 "
    "stale-version when it changed since `version`)",
    body=AbsencePatchIn,
    response=AbsenceOut,
    conflicts=True,
)
async def update_absence(call: ApiCall[None, AbsencePatchIn]) -> AbsenceOut:
    sent = call.body.model_dump(exclude_unset=True, exclude={"version"})
    changes = {k: (v.value if isinstance(v, AbsenceKind) else v) for k, v in sent.items()
               if v is not None or k in NULLABLE}  # fmt: skip
    await absences.change_absence(
        call.hub, call.principal, call.path_id(), call.body.version, changes
    )
    return await _read_back(call, call.path_id())


@routes.delete(
    "/absences/{id}",
    summary="Remove an absence (the same people who may record it)",
    response=Removed,
)
async def delete_absence(call: ApiCall[None, None]) -> Removed:
    await absences.remove_absence(call.hub, call.principal, call.path_id())
    return Removed(id=call.path_id())
