"""The node's live machinery over the app's life: the fan-out task, presence, socket closing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from hub.host.appkeys import HUB

from .fanout import Fanout
from .keys import FANOUT, PRESENCE, PRESENCE_GRACE_S, WIDGET_FANOUT
from .presence import PresenceKeeper
from .widget_fanout import WidgetFanout

DEFAULT_PRESENCE_GRACE_S = 3.0


async def fanout_ctx(app: web.Application) -> AsyncIterator[None]:
    """One bus subscription for the node, taken before the first request is served."""
    hub = app[HUB]
    fanout = Fanout(hub.bus)
    app[FANOUT] = fanout
    app[PRESENCE] = PresenceKeeper(hub, fanout, app.get(PRESENCE_GRACE_S, DEFAULT_PRESENCE_GRACE_S))
    task = asyncio.create_task(fanout.run(hub.bus.subscribe()), name="ws-fanout")
    yield
    await close_sockets(app)
    await app[PRESENCE].flush()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def widget_fanout_ctx(app: web.Application) -> AsyncIterator[None]:
    """The website visitors' fan-out: a bus subscription of its own, taken before serving."""
    hub = app[HUB]
    fanout = WidgetFanout(hub)
    app[WIDGET_FANOUT] = fanout
    task = asyncio.create_task(fanout.run(hub.bus.subscribe()), name="widget-fanout")
    yield
    await fanout.close_all()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def close_sockets(app: web.Application) -> None:
    """Tell every client the node is going away (1001); they reconnect to another one."""
    if FANOUT in app:
        await app[FANOUT].close_where(WSCloseCode.GOING_AWAY, b"server shutting down")
    if WIDGET_FANOUT in app:
        await app[WIDGET_FANOUT].close_all()
