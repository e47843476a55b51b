"""The agent workspace, supervisor board and visitor pages."""

from aiohttp import web


def setup(app: web.Application) -> None:
    """Registers nothing yet."""
