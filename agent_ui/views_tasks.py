"""GET /tasks («Задачи») and GET /calendar (day, week, month of me, a colleague, a team).

«Задачи»: the caller's activities — overdue, today, tomorrow, or any list by
filters — with planning, completing (result and the next one), cancelling and snoozing.

A shell like the deals page: tasks-page.js fills it from /api/v1/activities and keeps it
current by `activity.changed` events. The page carries the people the caller may plan for
(operators may not read `/api/v1/users`) and his time zone, in which every time is shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.api.activities import zone_of
from hub.auth import Principal, has_role
from hub.host.appkeys import HUB
from hub.models import Role
from hub.queries.staff import absence_managed_ids, plannable_staff

from .context import page_locale, session_principal
from .keys import PAGES


def signed_in(request: web.Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return principal


async def planning_config(request: web.Request, principal: Principal) -> dict[str, Any]:
    """What the planning pages share: who may be planned for, whose absences the caller
    records («Отсутствие»), and the caller's zone."""
    async with request.app[HUB].db.sessions() as session:
        people = await plannable_staff(session, principal)
        managed = await absence_managed_ids(session, principal, people)
        time_zone = await zone_of(session, principal.user_id)
    return {"people": people, "absenceFor": managed, "timeZone": time_zone}


async def render_planning(request: web.Request, template: str, page: str) -> web.Response:
    principal = signed_in(request)
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    config = {
        "csrf": principal.csrf_token,
        "locale": choice.locale,
        "user": {
            "id": principal.user_id,
            "login": principal.login,
            "name": principal.name,
            "role": principal.role.value,
        },
        "supervisor": has_role(principal.role, Role.supervisor),
        "admin": has_role(principal.role, Role.admin),
        "wsPath": "/ws",
        "page": page,
        "strings": pages.strings(choice.locale),
        **await planning_config(request, principal),
    }
    context = {
        "config": config,
        "user": config["user"],
        "csrf_token": principal.csrf_token,
        "is_supervisor": config["supervisor"],
    }
    return pages.render(template, choice, context)


async def tasks_page(request: web.Request) -> web.Response:
    return await render_planning(request, "tasks.html", "tasks")


async def calendar_page(request: web.Request) -> web.Response:
    return await render_planning(request, "calendar.html", "calendar")


def setup(app: web.Application) -> None:
    app.router.add_get("/tasks", tasks_page)
    app.router.add_get("/calendar", calendar_page)
