"""Website chat widget: a one-line embed, a visitor websocket, replies and read state live."""

from .connector import PageFacts, WidgetConnector
from .options import WidgetOptions

__all__ = ["PageFacts", "WidgetConnector", "WidgetOptions"]
