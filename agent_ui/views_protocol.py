"""GET /activities/{id}/protocol: a meeting's protocol — date, place, participants (ours and
the client's), agenda, decisions, result and next steps — as one printable A4 page (print
CSS; the browser's «Save as PDF» makes the PDF). Whoever may see the activity may open it;
anyone else gets the page's 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.api.activities import zone_of
from hub.host.appkeys import HUB
from hub.queries.activities import ActivityOut, utc, visible_activity, zone
from hub.queries.activity_lists import ActivityFilter, list_activities
from hub.queries.crm_access import crm_view

from .context import page_locale
from .keys import PAGES
from .views_tasks import signed_in

# Enough to fill the rest of one A4 page.
NEXT_STEPS = 8


def _local(value: str | None, time_zone: str) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(zone(time_zone)).strftime("%d.%m.%Y %H:%M")


async def _next_steps(
    session: Any, view: Any, me: int, tz: str, meeting: ActivityOut, now: datetime
) -> list[ActivityOut]:
    """What is planned after the meeting with the same deal (else the same client)."""
    if meeting.deal is None and meeting.contact is None:
        return []
    after = utc(datetime.fromisoformat(meeting.due_at), tz) if meeting.due_at else None
    filters = ActivityFilter(
        deal_id=meeting.deal.id if meeting.deal else None,
        contact_id=None if meeting.deal else meeting.contact.id if meeting.contact else None,
        status="planned",
        start=after,
    )
    page = await list_activities(session, view, me, tz, filters, now, limit=NEXT_STEPS, offset=0)
    return [a for a in page.items if a.id != meeting.id]


async def protocol_page(request: web.Request) -> web.Response:
    principal = signed_in(request)
    hub = request.app[HUB]
    activity_id = int(request.match_info["activity_id"])
    now = hub.clock()
    async with hub.db.sessions() as session:
        tz = await zone_of(session, principal.user_id)
        view = await crm_view(session, principal)
        meeting = await visible_activity(session, view, principal.user_id, activity_id, now)
        steps = (
            []
            if meeting is None
            else await _next_steps(session, view, principal.user_id, tz, meeting, now)
        )
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    if meeting is None:
        raise web.HTTPNotFound(text=pages.gettext(choice.locale, "There is no such activity."))
    context = {
        "meeting": meeting,
        "starts": _local(meeting.due_at, tz),
        "ends": _local(meeting.ends_at, tz)[-5:],
        "steps": [(step, _local(step.due_at, tz)) for step in steps],
        "time_zone": tz,
        "csrf_token": principal.csrf_token,
    }
    return pages.render("protocol.html", choice, context)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/activities/{activity_id:\d{1,18}}/protocol", protocol_page)
