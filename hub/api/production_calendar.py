"""The production calendar robots and free/busy count working time on: the holidays and the
transferred working days that break the Monday-to-Friday week (2026 and 2027 come filled
in). Everyone reads it; administrators mark a day (holiday, workday) or make it ordinary
again (kind null), e.g. when the Government's decree on next year's transfers comes out."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from hub.actions import robots as robot_actions
from hub.models import CalendarDay, Role
from hub.queries.shapes import Shape

from .inputs import Body, Query
from .registry import ApiCall, RouteTable

routes = RouteTable("production-calendar")


class CalendarYearQuery(Query):
    year: int = Field(ge=2000, le=2100)


class CalendarDayOut(Shape):
    day: date
    kind: Literal["holiday", "workday"]
    note: str


class CalendarDayList(Shape):
    items: list[CalendarDayOut]


class CalendarDayIn(Body):
    day: date
    # null: an ordinary day of the week again.
    kind: Literal["holiday", "workday"] | None
    note: str = Field(default="", max_length=200)


async def _year(call: ApiCall[Any, Any], year: int) -> CalendarDayList:
    async with call.hub.db.sessions() as session:
        rows = await session.execute(
            select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
        found = [
            CalendarDayOut.model_validate({"day": d.day, "kind": d.kind, "note": d.note})
            for d in rows.scalars()
        ]
    return CalendarDayList(items=found)


@routes.get(
    "/production-calendar",
    summary="A year's holidays and transferred working days (the rest follow the week)",
    query=CalendarYearQuery,
    response=CalendarDayList,
)
async def get_year(call: ApiCall[CalendarYearQuery, None]) -> CalendarDayList:
    return await _year(call, call.query.year)


@routes.put(
    "/production-calendar",
    summary="Mark a day a holiday or a transferred working day, or (kind null) an ordinary "
    "day again; answers that day's year",
    body=CalendarDayIn,
    response=CalendarDayList,
    role=Role.admin,
)
async def set_day(call: ApiCall[None, CalendarDayIn]) -> CalendarDayList:
    body = call.body
    await robot_actions.set_calendar_day(
        call.hub, call.principal, body.day, body.kind, body.note.strip()
    )
    return await _year(call, body.day.year)
