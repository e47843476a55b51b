"""GET / (the operator's workspace) and GET /supervisor (the live board).

Both pages are shells: the data comes from the REST API and the websocket, rendered by the
page's script. What the script needs (CSRF token, user, translated strings) travels in a
JSON block, since the Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.auth import Principal, has_role
from hub.models import Role

from .context import page_locale, session_principal
from .keys import PAGES


def _login_redirect(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")


def _page_config(principal: Principal, locale: str, strings: dict[str, str]) -> dict[str, Any]:
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
        "wsPath": "/ws",
        "strings": strings,
    }


def _page(
    request: web.Request, template: str, principal: Principal, status: int = 200
) -> web.Response:
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    config = _page_config(principal, choice.locale, pages.strings(choice.locale))
    context = {
        "config": config,
        "user": config["user"],
        "csrf_token": principal.csrf_token,
        "is_supervisor": config["supervisor"],
    }
    return pages.render(template, choice, context, status=status)


async def workspace(request: web.Request) -> web.Response:
    principal = session_principal(request)
    if principal is None:
        raise _login_redirect(request)
    return _page(request, "workspace.html", principal)


async def supervisor_board(request: web.Request) -> web.Response:
    principal = session_principal(request)
    if principal is None:
        raise _login_redirect(request)
    if not has_role(principal.role, Role.supervisor):
        return _page(request, "forbidden.html", principal, status=403)
    return _page(request, "supervisor.html", principal)


def setup(app: web.Application) -> None:
    app.router.add_get("/", workspace)
    app.router.add_get("/supervisor", supervisor_board)
