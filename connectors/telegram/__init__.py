"""Telegram connector: any number of bots, by webhook or long polling, via aiogram 3."""

from .connector import TelegramConnector
from .options import TelegramOptions

__all__ = ["TelegramConnector", "TelegramOptions"]
