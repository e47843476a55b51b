"""Activities as iCalendar: `GET /api/v1/activities/{id}.ics` (one activity, for the caller)
and `GET /ical/{token}.ics` (a person's read-only feed, for his own calendar app, with his
absences as busy days).

Plain handlers beside the JSON routes (the answer is text/calendar). The feed is reached by
its secret alone, so a wrong, revoked or malformed token and a deactivated user all get the
same bare 404 as any unknown URL: nothing tells a guesser he was close.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import select

from hub.api.web_auth import require
from hub.auth import digest
from hub.core import Hub
from hub.host.appkeys import HUB
from hub.models import Absence, Activity, User
from hub.policy import DomainError, NotFound
from hub.queries.activities import concerning, items_of, visible_activity
from hub.queries.crm_access import crm_view

from .ical_format import absence_vevent, calendar_text
from .registry import API_PREFIX

# What a feed holds: recent history and the months ahead, newest plans included.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
FEED_LIMIT = 2000
ICS = "text/calendar"


def _host(hub: Hub) -> str:
    return urlsplit(hub.settings.public_url).hostname or "okno"


def _reply(text: str, filename: str) -> web.Response:
    return web.Response(
        text=text,
        content_type=ICS,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )


async def activity_ics(request: web.Request) -> web.Response:
    principal = require(request)
    hub = request.app[HUB]
    activity_id = int(request.match_info["id"])
    async with hub.db.sessions() as session:
        view = await crm_view(session, principal)
        item = await visible_activity(session, view, principal.user_id, activity_id, hub.clock())
    if item is None:
        raise NotFound("no-such-activity", "There is no such activity.", {"id": activity_id})
    if item.due_at is None:
        raise DomainError(
            "activity-undated", 409, "This activity has no date to put in a calendar."
        )
    return _reply(calendar_text([item], _host(hub)), f"activity-{activity_id}.ics")


async def feed_ics(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    token = request.match_info["token"]
    now = hub.clock()
    async with hub.db.sessions() as session:
        user = (
            await session.execute(select(User).where(User.ical_token_hash == digest(token)))
        ).scalar_one_or_none()
        if user is None or not user.is_active:
            raise web.HTTPNotFound()
        rows = (
            await session.execute(
                select(Activity)
                .where(concerning([user.id], now - FEED_PAST, now + FEED_AHEAD))
                .order_by(Activity.due_at, Activity.id)
                .limit(FEED_LIMIT)
            )
        ).scalars()
        items = await items_of(session, list(rows), now)
        absences = (
            await session.execute(
                select(Absence)
                .where(
                    Absence.user_id == user.id,
                    Absence.ends_on >= (now - FEED_PAST).date(),
                    Absence.starts_on <= (now + FEED_AHEAD).date(),
                )
                .order_by(Absence.starts_on, Absence.id)
            )
        ).scalars()
        away = [absence_vevent(a, user.time_zone, _host(hub)) for a in absences]
    text = calendar_text(items, _host(hub), name=f"Okno — {user.name}", more_events=away)
    return _reply(text, "okno.ics")


def setup(app: web.Application) -> None:
    app.router.add_get(
        f"{API_PREFIX}/activities/{{id:[0-9]{{1,18}}}}.ics", activity_ics, name="activity_ics"
    )
    app.router.add_get("/ical/{token:[A-Za-z0-9_-]{20,100}}.ics", feed_ics, name="ical_feed")


_ERRORS: dict[str, Any] = {
    "401": {"description": "Not logged in.", "content": {"application/json": {}}},
    "404": {"description": "No such activity.", "content": {"application/json": {}}},
    "409": {"description": "The activity has no date.", "content": {"application/json": {}}},
}
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"{API_PREFIX}/activities/{{id}}.ics": {
        "get": {
            "tags": ["activities"],
            "summary": "One activity as an iCalendar file, for the caller's own calendar",
            "x-okno-role": "operator",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": {"description": "text/calendar", "content": {ICS: {}}},
                **_ERRORS,
            },
        }
    }
}
