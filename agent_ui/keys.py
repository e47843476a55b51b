"""Typed application keys of the workspace package."""

from __future__ import annotations

from aiohttp import web

from .fanout import Fanout
from .pages import Pages
from .presence import PresenceKeeper
from .widget_fanout import WidgetFanout

PAGES = web.AppKey("okno.ui.pages", Pages)
FANOUT = web.AppKey("okno.ui.fanout", Fanout)
PRESENCE = web.AppKey("okno.ui.presence", PresenceKeeper)
WIDGET_FANOUT = web.AppKey("okno.ui.widget_fanout", WidgetFanout)
# Seconds a user stays online after their last socket closes (a page reload reconnects
# within it, so supervisors do not see online/offline flapping). Tests set 0 before start.
PRESENCE_GRACE_S = web.AppKey("okno.ui.presence_grace_s", float)
