"""GET /deals (the pipeline board and the list of deals) and GET /deals/{id} (one deal).

Both are one shell filled by deals-page.js from the REST API (/api/v1/pipelines, /deals) and
kept current by `deal.changed` events on the workspace socket. Every signed-in user may open
them: what each one sees is cut by the API (hub/queries/crm_access), never by the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.auth import Principal, has_role
from hub.models import Role

from .context import page_locale, session_principal
from .keys import PAGES
from .views_tasks import planning_config


def _config(request: web.Request, principal: Principal, locale: str) -> dict[str, Any]:
    deal_id = request.match_info.get("deal_id")
    return {
        "csrf": principal.csrf_token,
        "locale": locale,
        "user": {
            "id": principal.user_id,
            "login": principal.login,
            "name": principal.name,
            "role": principal.role.value,
        },
        "supervisor": has_role(principal.role, Role.supervisor),
        "admin": has_role(principal.role, Role.admin),
        "wsPath": "/ws",
        # The deal to open at once (/deals/{id}); the board stays behind its panel.
        "dealId": int(deal_id) if deal_id else None,
        "strings": request.app[PAGES].strings(locale),
    }


async def deals_page(request: web.Request) -> web.Response:
    principal = session_principal(request)
    if principal is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    config = _config(request, principal, choice.locale)
    # A deal's panel plans activities on it («Запланировать дело»).
    config.update(await planning_config(request, principal))
    context = {
        "config": config,
        "user": config["user"],
        "csrf_token": principal.csrf_token,
        "is_supervisor": config["supervisor"],
    }
    return pages.render("deals.html", choice, context)


def setup(app: web.Application) -> None:
    app.router.add_get("/deals", deals_page)
    app.router.add_get(r"/deals/{deal_id:\d{1,18}}", deals_page)
