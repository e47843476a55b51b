"""The aiogram Bot for a channel, and the one Bot API call aiogram does not offer as we need it."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import TelegramMethod

from .options import TelegramOptions


def make_bot(options: TelegramOptions) -> Bot:
    """A Bot talking to Telegram, or to the API server named in `api_base`.

    No default parse mode: replies are plain text, so an operator's "<" or "*" is sent as
    typed and can never be read as markup.
    """
    if options.api_base:
        api = TelegramAPIServer.from_base(options.api_base)
        return Bot(options.token, session=AiohttpSession(api=api))
    return Bot(options.token)


class RawGetUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates returning the updates as JSON objects.

    aiogram's own GetUpdates validates the whole batch at once, so one update it cannot read
    would fail every poll forever; raw objects are parsed one by one instead.
    """

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None
