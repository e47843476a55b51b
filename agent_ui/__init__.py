"""The agent workspace, supervisor board, login and visitor pages, and the live websocket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from hub.appkeys import HUB, SETTINGS

from . import views_auth, views_forms, views_workspace
from .fanout import Fanout
from .i18n import load_translations
from .keys import FANOUT, PAGES, PRESENCE, PRESENCE_GRACE_S
from .pages import STATIC_DIR, STATIC_PREFIX, Pages
from .presence import PresenceKeeper
from .ws import websocket

DEFAULT_PRESENCE_GRACE_S = 3.0


def setup(app: web.Application) -> None:
    """Register the pages, static files and /ws, and run the node's fan-out with the app."""
    app[PAGES] = Pages(load_translations(), app[SETTINGS].cookie_secure)
    views_auth.setup(app)
    views_workspace.setup(app)
    views_forms.setup(app)
    app.router.add_get("/ws", websocket)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="static")
    app.cleanup_ctx.append(_fanout_ctx)
    # Sockets live until closed; they must go before aiohttp waits for handlers to finish.
    app.on_shutdown.append(_close_sockets)


async def _fanout_ctx(app: web.Application) -> AsyncIterator[None]:
    fanout = Fanout(app[HUB].bus)
    app[FANOUT] = fanout
    app[PRESENCE] = PresenceKeeper(
        app[HUB], fanout, app.get(PRESENCE_GRACE_S, DEFAULT_PRESENCE_GRACE_S)
    )
    task = asyncio.create_task(fanout.run(fanout.subscribe()), name="ws-fanout")
    yield
    await _close_sockets(app)
    await app[PRESENCE].flush()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_sockets(app: web.Application) -> None:
    if FANOUT in app:
        await app[FANOUT].close_where(WSCloseCode.GOING_AWAY, b"server shutting down")
