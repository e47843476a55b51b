"""The calendar of people over a range, who is free when, and the caller's calendar settings
(time zone, the private iCalendar feed URL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actions import calendar_settings
from hub.auth import Principal
from hub.policy import InvalidInput, may_plan_for
from hub.queries.activities import utc
from hub.queries.activity_lists import CalendarOut, CalendarUser, calendar, calendar_users
from hub.queries.crm_access import CrmView, crm_view, mates_of
from hub.queries.free_busy import FreeBusyOut, free_busy

from .activities import zone_of
from .activity_schemas import CalendarQuery, CalendarSettingsIn, FreeQuery
from .registry import ApiCall, RouteTable

routes = RouteTable("calendar")

# A month view with its neighbouring days fits; more is a report, not a calendar.
MAX_RANGE = timedelta(days=62)


def _bad(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "query", "type": error_type, "message": message}


def _range(query: CalendarQuery, tz: str) -> tuple[datetime, datetime]:
    start, end = utc(query.start, tz), utc(query.end, tz)
    if end <= start:
        raise InvalidInput([_bad("to", "ends-before-start", "must be after `from`")])
    if end - start > MAX_RANGE:
        raise InvalidInput([_bad("to", "range-too-long", "at most 62 days")])
    return start, end


async def _people(
    session: AsyncSession, principal: Principal, view: CrmView, user_ids: list[int]
) -> list[CalendarUser]:
    """The users asked for, if the caller may see each (a colleague of another team the
    caller may not see is refused, whether or not that user exists)."""
    mates = await mates_of(session, principal)
    users = {u.id: u for u in await calendar_users(session, user_ids)}
    errors = [
        _bad(f"users.{index}", "no-such-user", "no such user among those you may see")
        for index, user_id in enumerate(user_ids)
        if user_id not in users or not may_plan_for(principal, user_id, mates, view.sees(user_id))
    ]
    if errors:
        raise InvalidInput(errors)
    return [users[u] for u in user_ids]


@routes.get(
    "/calendar",
    summary="Meetings, calls and tasks of these users over [from, to)",
    query=CalendarQuery,
    response=CalendarOut,
)
async def get_calendar(call: ApiCall[CalendarQuery, None]) -> CalendarOut:
    principal = call.principal
    async with call.hub.db.sessions() as session:
        tz = await zone_of(session, principal.user_id)
        start, end = _range(call.query, tz)
        view = await crm_view(session, principal)
        users = await _people(session, principal, view, call.query.users)
        return await calendar(
            session, view, principal.user_id, tz, users, start, end, call.hub.clock()
        )


@routes.get(
    "/calendar/free",
    summary="When all these users are free for `duration` minutes: working hours of their "
    "teams minus planned meetings, calls and absences (each user's `away` says why)",
    query=FreeQuery,
    response=FreeBusyOut,
)
async def get_free(call: ApiCall[FreeQuery, None]) -> FreeBusyOut:
    principal = call.principal
    async with call.hub.db.sessions() as session:
        start, end = _range(call.query, await zone_of(session, principal.user_id))
        view = await crm_view(session, principal)
        users = await _people(session, principal, view, call.query.users)
        return await free_busy(
            session, users, start, end, timedelta(minutes=max(call.query.duration, 1))
        )


class CalendarSettingsOut(BaseModel):
    time_zone: str


@routes.put(
    "/calendar/settings",
    summary="Your time zone (times are shown, and «tomorrow 9:00» meant, in it)",
    body=CalendarSettingsIn,
    response=CalendarSettingsOut,
)
async def put_settings(call: ApiCall[None, CalendarSettingsIn]) -> CalendarSettingsOut:
    await calendar_settings.set_time_zone(call.hub, call.principal, call.body.time_zone)
    return CalendarSettingsOut(time_zone=call.body.time_zone)


class FeedOut(BaseModel):
    url: str
    token: str


@routes.post(
    "/calendar/feed",
    summary="A new private iCalendar feed URL for your own calendar (the old one stops "
    "working); shown only now",
    response=FeedOut,
    status=201,
)
async def new_feed(call: ApiCall[None, None]) -> FeedOut:
    token = await calendar_settings.issue_feed_token(call.hub, call.principal)
    base = call.hub.settings.public_url.rstrip("/")
    return FeedOut(url=f"{base}/ical/{token}.ics", token=token)
