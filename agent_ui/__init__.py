"""The agent workspace, supervisor board, login and visitor pages, and the live websocket."""

from __future__ import annotations

from aiohttp import web

from hub.host.appkeys import SETTINGS

from . import (
    views_admin,
    views_auth,
    views_clients,
    views_deals,
    views_forms,
    views_imports,
    views_protocol,
    views_tasks,
    views_workspace,
    widget_views,
)
from .i18n import load_translations
from .keys import PAGES
from .lifecycle import close_sockets, fanout_ctx, widget_fanout_ctx
from .pages import STATIC_DIR, STATIC_PREFIX, Pages
from .ws import websocket

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    """Register the pages, static files and /ws, and run the node's fan-out with the app."""
    app[PAGES] = Pages(load_translations(), app[SETTINGS].cookie_secure)
    views_auth.setup(app)
    views_workspace.setup(app)
    views_admin.setup(app)
    views_deals.setup(app)
    views_clients.setup(app)
    views_imports.setup(app)
    views_tasks.setup(app)
    views_protocol.setup(app)
    views_forms.setup(app)
    widget_views.setup(app)
    app.router.add_get("/ws", websocket)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="static")
    app.cleanup_ctx.append(fanout_ctx)
    app.cleanup_ctx.append(widget_fanout_ctx)
    # Open sockets would hold up aiohttp's wait for running handlers: close them first.
    app.on_shutdown.append(close_sockets)
