"""Web-form connector: website form posts (JSON or urlencoded) become client requests."""

from .connector import WebformConnector
from .options import WebformOptions

__all__ = ["WebformConnector", "WebformOptions"]
