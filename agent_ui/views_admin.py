"""The administrator's settings pages: GET /admin/channels and /admin/operators, and the CRM
settings /admin/fields (custom fields), /admin/pipelines (pipelines and their stages) and
/admin/visibility (who sees which clients and deals), and /admin/robots (the robots: their
list, switches and rule editor with a dry run on real data).

Like the workspace they are shells filled by their scripts from the REST API. Channels are
shown read-only to supervisors (they may read the channel API, not change it); operators'
accounts and the CRM settings are for admins only (everyone may read the CRM settings
through the API, since cards and boards need them, but only admins change them, so a page
of disabled controls would serve nobody). Others get the "no access" page. The API checks
every write again on its own, so hiding a button is never the only guard.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.auth import Principal, has_role
from hub.host.appkeys import SETTINGS
from hub.models import Role

from .context import page_locale, session_principal
from .keys import PAGES


def _config(request: web.Request, principal: Principal, locale: str) -> dict[str, Any]:
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
        # Embed snippets are copied into other sites: they need this hub's public address.
        "publicUrl": request.app[SETTINGS].public_url.rstrip("/"),
        "wsPath": "/ws",
        "strings": request.app[PAGES].strings(locale),
    }


def _render(
    request: web.Request, principal: Principal, template: str, needed: Role
) -> web.Response:
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    config = _config(request, principal, choice.locale)
    allowed = has_role(principal.role, needed)
    context = {
        "config": config if allowed else None,
        "user": config["user"],
        "csrf_token": principal.csrf_token,
        "is_supervisor": config["supervisor"],
        "needed_role": needed.value,
    }
    if not allowed:
        return pages.render("forbidden.html", choice, context, status=403)
    return pages.render(template, choice, context)


def _principal_or_login(request: web.Request) -> Principal:
    principal = session_principal(request)
    if principal is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return principal


async def channels_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_channels.html", Role.supervisor)


async def operators_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_operators.html", Role.admin)


async def fields_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_fields.html", Role.admin)


async def pipelines_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_pipelines.html", Role.admin)


async def visibility_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_visibility.html", Role.admin)


async def robots_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_robots.html", Role.admin)


async def teams_page(request: web.Request) -> web.Response:
    return _render(request, _principal_or_login(request), "admin_teams.html", Role.admin)


async def sla_page(request: web.Request) -> web.Response:
    """SLA targets are the supervisors' yardstick: they and administrators keep them."""
    return _render(request, _principal_or_login(request), "admin_sla.html", Role.supervisor)


async def templates_page(request: web.Request) -> web.Response:
    """Everyone keeps his own templates here; supervisors and admins the team and company
    ones too (the page offers those scopes only to them, and the API checks again)."""
    return _render(request, _principal_or_login(request), "templates.html", Role.operator)


def setup(app: web.Application) -> None:
    app.router.add_get("/templates", templates_page)
    app.router.add_get("/admin/channels", channels_page)
    app.router.add_get("/admin/operators", operators_page)
    app.router.add_get("/admin/teams", teams_page)
    app.router.add_get("/admin/fields", fields_page)
    app.router.add_get("/admin/pipelines", pipelines_page)
    app.router.add_get("/admin/visibility", visibility_page)
    app.router.add_get("/admin/robots", robots_page)
    app.router.add_get("/admin/sla", sla_page)
