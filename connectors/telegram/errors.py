"""Errors shared by the parts of the connector (kept free of aiogram, which is slow to import)."""


class NotAnUpdate(ValueError):
    """The body is not a Telegram Update at all (garbage, wrong shape)."""
