"""Activities: the list (by user, team, client, deal, period, status, overdue), one activity,
planning, editing with a version check, completing (with the next one), cancelling,
snoozing its reminder and moving it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actions import activities
from hub.auth import Principal
from hub.models import User
from hub.policy import NotFound
from hub.queries.activities import ActivityOut, utc, visible_activity
from hub.queries.activity_lists import ActivityFilter, ActivityPage, list_activities
from hub.queries.activity_today import TodayOut, today_panel
from hub.queries.crm_access import crm_view

from .activity_schemas import (
    ActivityIn,
    ActivityListQuery,
    ActivityPatchIn,
    CancelIn,
    CompleteIn,
    RescheduleIn,
    SnoozeIn,
)
from .registry import ApiCall, RouteTable

routes = RouteTable("activities")


async def zone_of(session: AsyncSession, user_id: int) -> str:
    found = await session.execute(select(User.time_zone).where(User.id == user_id))
    return found.scalar_one_or_none() or "Europe/Moscow"


async def _detail(call: ApiCall[Any, Any], activity_id: int) -> ActivityOut:
    """The activity if the caller may see it; otherwise no such activity (404)."""
    principal: Principal = call.principal
    async with call.hub.db.sessions() as session:
        view = await crm_view(session, principal)
        found = await visible_activity(
            session, view, principal.user_id, activity_id, call.hub.clock()
        )
    if found is None:
        raise NotFound("no-such-activity", "There is no such activity.", {"id": activity_id})
    return found


def _sent(body: Any) -> dict[str, Any]:
    """The fields the caller sent (an omitted one is not "set to its default")."""
    return dict(body.model_dump(exclude_unset=True, exclude={"version"}))


@routes.get(
    "/activities",
    summary="Activities by responsible user, team, client, deal, organisation, period, "
    "status or overdue; planned work by time, undated last",
    query=ActivityListQuery,
    response=ActivityPage,
)
async def get_activities(call: ApiCall[ActivityListQuery, None]) -> ActivityPage:
    query = call.query
    me = call.principal.user_id
    responsible = query.responsible
    # One session for the whole answer: each extra checkout costs a «Сегодня» panel time.
    async with call.hub.db.sessions() as session:
        tz = await zone_of(session, me)
        filters = ActivityFilter(
            responsible_id=me if responsible == "me" else int(responsible) if responsible else None,
            team_id=query.team_id,
            contact_id=query.contact_id,
            deal_id=query.deal_id,
            organisation_id=query.organisation_id,
            kind=query.kind.value if query.kind else None,
            status=query.status,
            overdue=query.overdue,
            start=_at(query.start, tz),
            end=_at(query.end, tz),
        )
        view = await crm_view(session, call.principal)
        return await list_activities(
            session,
            view,
            me,
            tz,
            filters,
            call.hub.clock(),
            limit=query.limit,
            offset=query.offset,
        )


@routes.get(
    "/activities/today",
    summary="Your «Сегодня» panel: overdue, today's and tomorrow's activities (yours and "
    "those you are invited to, in your time zone) and the badge count",
    response=TodayOut,
)
async def get_today(call: ApiCall[None, None]) -> TodayOut:
    me = call.principal.user_id
    async with call.hub.db.sessions() as session:
        return await today_panel(session, me, await zone_of(session, me), call.hub.clock())


def _at(value: datetime | None, tz: str) -> datetime | None:
    return None if value is None else utc(value, tz)


@routes.post(
    "/activities",
    summary="Plan an activity (from a conversation: its client comes along)",
    body=ActivityIn,
    response=ActivityOut,
    status=201,
)
async def create_activity(call: ApiCall[None, ActivityIn]) -> ActivityOut:
    values = call.body.model_dump(exclude_unset=True)
    activity_id = await activities.create_activity(call.hub, call.principal, values)
    return await _detail(call, activity_id)


@routes.get("/activities/{id}", summary="An activity", response=ActivityOut)
async def get_activity(call: ApiCall[None, None]) -> ActivityOut:
    return await _detail(call, call.path_id())


@routes.patch(
    "/activities/{id}",
    summary="Change an activity (409 stale-version when it changed since `version`)",
    body=ActivityPatchIn,
    response=ActivityOut,
    conflicts=True,
)
async def update_activity(call: ApiCall[None, ActivityPatchIn]) -> ActivityOut:
    await activities.update_activity(
        call.hub, call.principal, call.path_id(), call.body.version, _sent(call.body)
    )
    return await _detail(call, call.path_id())


@routes.post(
    "/activities/{id}/complete",
    summary="Done, with its result; optionally plan the next one (409 when already done)",
    body=CompleteIn,
    response=ActivityOut,
    conflicts=True,
)
async def complete_activity(call: ApiCall[None, CompleteIn]) -> ActivityOut:
    body = call.body
    await activities.complete_activity(
        call.hub,
        call.principal,
        call.path_id(),
        body.result,
        outcome=body.outcome,
        version=body.version,
        next_activity=None if body.next is None else body.next.model_dump(exclude_unset=True),
    )
    return await _detail(call, call.path_id())


@routes.post(
    "/activities/{id}/cancel",
    summary="Cancel a planned activity",
    body=CancelIn,
    response=ActivityOut,
    conflicts=True,
)
async def cancel_activity(call: ApiCall[None, CancelIn]) -> ActivityOut:
    await activities.cancel_activity(
        call.hub, call.principal, call.path_id(), call.body.reason, call.body.version
    )
    return await _detail(call, call.path_id())


@routes.post(
    "/activities/{id}/snooze",
    summary="Remind again in 10 minutes, in an hour, or tomorrow at 9:00 (your zone)",
    body=SnoozeIn,
    response=ActivityOut,
    conflicts=True,
)
async def snooze_activity(call: ApiCall[None, SnoozeIn]) -> ActivityOut:
    await activities.snooze_activity(
        call.hub, call.principal, call.path_id(), call.body.preset, call.body.version
    )
    return await _detail(call, call.path_id())


@routes.post(
    "/activities/{id}/reschedule",
    summary="Move a planned activity (a pending reminder moves with it)",
    body=RescheduleIn,
    response=ActivityOut,
    conflicts=True,
)
async def reschedule_activity(call: ApiCall[None, RescheduleIn]) -> ActivityOut:
    body = call.body
    await activities.reschedule_activity(
        call.hub,
        call.principal,
        call.path_id(),
        body.due_at,
        duration_min=body.duration_min,
        version=body.version,
    )
    return await _detail(call, call.path_id())
