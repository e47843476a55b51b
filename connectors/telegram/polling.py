"""Long polling: getUpdates, store every update in order, and only then move the offset.

Telegram forgets updates once getUpdates is called with a higher offset, so asking for
`last update_id + 1` is the acknowledgement (ARCHITECTURE rule 2): it happens only after
`submit` returned for each of them. The offset is also kept as a channel checkpoint, so a
restarted node resumes where the last one stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from connectors.base import ConnectorContext
from connectors.runner import backoff_delay

from .api import RawGetUpdates
from .errors import NotAnUpdate
from .updates import WANTED_UPDATES

OFFSET_KEY = "offset"
# The HTTP request may take this much longer than the long poll itself.
REQUEST_SLACK_S = 15

ProcessUpdate = Callable[[Any], Awaitable[object]]


class Poller:
    def __init__(
        self, bot: Bot, ctx: ConnectorContext, process: ProcessUpdate, timeout: int
    ) -> None:
        self.bot = bot
        self.ctx = ctx
        self.process = process
        self.timeout = timeout
        self.log: logging.Logger = ctx.log

    async def run(self) -> None:
        # getUpdates is refused while a webhook is set.
        await self.bot.delete_webhook(drop_pending_updates=False)
        saved = await self.ctx.checkpoint_get(OFFSET_KEY)
        offset = int(saved) if saved else None
        failures, first = 0, True
        while True:
            call = RawGetUpdates(
                offset=offset, timeout=self.timeout, allowed_updates=list(WANTED_UPDATES)
            )
            try:
                batch = await self.bot(call, request_timeout=self.timeout + REQUEST_SLACK_S)
            except TelegramRetryAfter as exc:
                delay: float = exc.retry_after
                self.log.warning("telegram getUpdates rate limited; waiting %s s", delay)
            except TelegramConflictError as exc:
                delay = backoff_delay(failures)
                self.log.warning(
                    "telegram getUpdates conflict (another poller or a webhook): %s; "
                    "retrying in %.1f s with offset %s",
                    exc.message,
                    delay,
                    offset,
                )
            except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as exc:
                delay = backoff_delay(failures)
                self.log.warning("telegram getUpdates failed: %s; retrying in %.1f s", exc, delay)
            else:
                if failures or first:
                    self.ctx.link_changed(True)
                failures, first = 0, False
                offset = await self._store(batch, offset)
                continue
            if not failures:
                self.ctx.link_changed(False)
            failures += 1
            await asyncio.sleep(delay)

    async def _store(self, batch: list[Any], offset: int | None) -> int | None:
        """Submit each update in order; returns the offset that acknowledges those stored.

        If storing fails half-way, the offset of the ones already stored is still saved
        and the error propagates (the runner restarts the poller after a pause).
        """
        start = offset
        try:
            for raw in batch:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                try:
                    await self.process(raw)
                except NotAnUpdate as exc:
                    # Unreadable now means unreadable forever: skip it rather than stall.
                    self.log.error("telegram: skipped an unreadable update %r: %s", update_id, exc)
                if type(update_id) is int:
                    offset = max(offset or 0, update_id + 1)
        finally:
            if offset != start:
                await self.ctx.checkpoint_set(OFFSET_KEY, str(offset))
        return offset
