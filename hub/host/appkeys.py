"""Typed keys for what the web application holds."""

from __future__ import annotations

from aiohttp import web

from connectors.runner import ConnectorRunner
from hub.core import Hub
from hub.host.pbx_control import PbxControl
from hub.settings import Settings
from routing.ingest import Ingestor

SETTINGS = web.AppKey("settings", Settings)
HUB = web.AppKey("hub", Hub)
INGESTOR = web.AppKey("ingestor", Ingestor)
RUNNER = web.AppKey("runner", ConnectorRunner)
PBX = web.AppKey("pbx", PbxControl)
