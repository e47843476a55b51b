"""GET /clients (contacts and organisations) and the cards under it.

Shells like the workspace: the script (clients.js for the registry, clients-card.js for a
card) fills them from the REST API, which checks visibility and edit rights on every call.
Any signed-in user may open them; who sees which record is the API's `crm_view`. The page
carries the list of active users (for the «Ответственный» filter and choice), since
operators may not read `/api/v1/users`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.auth import Principal, has_role
from hub.host.appkeys import HUB
from hub.models import Role
from hub.queries.staff import active_staff

from .context import page_locale, session_principal
from .keys import PAGES
from .views_tasks import planning_config

ENTITIES = {"contacts": "contact", "organisations": "organisation"}


def _principal_or_login(request: web.Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return principal


async def _render(request: web.Request, template: str, extra: dict[str, Any]) -> web.Response:
    principal = _principal_or_login(request)
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    async with request.app[HUB].db.sessions() as session:
        managers = await active_staff(session)
    # The card plans activities with the client («Запланировать дело»).
    planning = await planning_config(request, principal)
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
        "managers": managers,
        "wsPath": "/ws",
        "strings": pages.strings(choice.locale),
        **planning,
        **extra,
    }
    context = {
        "config": config,
        "user": config["user"],
        "csrf_token": principal.csrf_token,
        "is_supervisor": config["supervisor"],
        **extra,
    }
    return pages.render(template, choice, context)


async def registry(request: web.Request) -> web.Response:
    tab = "organisations" if request.query.get("tab") == "organisations" else "contacts"
    return await _render(request, "clients.html", {"tab": tab})


async def card(request: web.Request) -> web.Response:
    entity = ENTITIES[request.match_info["entity"]]
    raw_id = request.match_info["id"]
    record_id = None if raw_id == "new" else int(raw_id)
    return await _render(request, "client_card.html", {"entity": entity, "recordId": record_id})


def setup(app: web.Application) -> None:
    app.router.add_get("/clients", registry)
    app.router.add_get(r"/clients/{entity:contacts|organisations}/{id:new|\d{1,18}}", card)
