"""GET / (the operator's workspace), GET /supervisor (the live board) and GET /reports.

The pages are shells: the data comes from the REST API and the websocket, rendered by the
page's script. What the script needs (CSRF token, user, translated strings) travels in a
JSON block, since the Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import cache
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import func, select

from hub.auth import Principal, has_role
from hub.host.appkeys import HUB
from hub.models import EventLog, Role

from .context import page_locale, session_principal
from .keys import PAGES
from .views_tasks import planning_config


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
    request: web.Request,
    template: str,
    principal: Principal,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    pages = request.app[PAGES]
    choice = page_locale(request, principal)
    config = _page_config(principal, choice.locale, pages.strings(choice.locale))
    config.update(extra or {})
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
    # The «Сегодня» panel and «Перезвонить» plan activities: whom for, in which zone.
    extra = await planning_config(request, principal)
    # The event log's newest id as the page is made: the page asks for its list at once,
    # before its socket is up, and the socket's first hello resumes from here, so what
    # happened between this moment and the socket's start is replayed, not lost.
    async with request.app[HUB].db.sessions() as session:
        extra["cursor"] = int((await session.scalar(select(func.max(EventLog.id)))) or 0)
    return _page(request, "workspace.html", principal, extra=extra)


async def _supervisor_page(request: web.Request, template: str) -> web.Response:
    principal = session_principal(request)
    if principal is None:
        raise _login_redirect(request)
    if not has_role(principal.role, Role.supervisor):
        return _page(request, "forbidden.html", principal, status=403)
    return _page(request, template, principal)


async def supervisor_board(request: web.Request) -> web.Response:
    return await _supervisor_page(request, "supervisor.html")


async def reports(request: web.Request) -> web.Response:
    """The reports page: figures over a period, charts, drill-down and exports."""
    return await _supervisor_page(request, "reports.html")


@cache
def new_work_sound() -> bytes:
    """A short two-tone chime (16-bit mono WAV, about 0.3 s, ~13 KB), made here so the
    workspace needs no audio file from elsewhere; computed once per process."""
    rate, parts = 22050, ((880.0, 0.12), (1320.0, 0.18))
    samples = bytearray()
    for frequency, seconds in parts:
        count = int(rate * seconds)
        for i in range(count):
            # A quick fade in and out, so the tones do not click.
            envelope = min(1.0, i / 200, (count - i) / 800)
            value = 0.35 * envelope * math.sin(2 * math.pi * frequency * i / rate)
            samples += struct.pack("<h", int(value * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


async def sound(request: web.Request) -> web.Response:
    return web.Response(
        body=new_work_sound(),
        content_type="audio/wav",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/", workspace)
    app.router.add_get("/sounds/new-work.wav", sound)
    app.router.add_get("/supervisor", supervisor_board)
    app.router.add_get("/reports", reports)
