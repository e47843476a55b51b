"""JSON REST API."""

from aiohttp import web


def setup(app: web.Application) -> None:
    """Registers nothing yet."""
