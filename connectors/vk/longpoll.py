"""Bots Long Poll: read the community's events by polling, for servers VK cannot reach.

Run under `ctx.spawn`, which restarts it with backoff after any error. The `ts` is saved as
the channel's checkpoint only after every update of a batch is stored, so a crash between
the two re-reads the batch and the inbound table drops the repeats.

Each `check()` holds its thread for up to `wait` seconds, so it runs on a thread of its own
rather than asyncio's shared default pool: a few polling channels would otherwise fill that
small pool (cores + 4) and stall every other blocking call, aiohttp's DNS look-ups included.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.base import ConnectorContext

from .client import VkClient
from .intake import Intake

CHECKPOINT_KEY = "longpoll_ts"


class LongPoller:
    def __init__(
        self, ctx: ConnectorContext, client: VkClient, intake: Intake, log: logging.Logger
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.intake = intake
        self.log = log

    async def run(self) -> None:
        thread = ThreadPoolExecutor(1, thread_name_prefix=f"vk-longpoll-{self.ctx.channel_name}")
        try:
            await self._poll(thread)
        finally:
            thread.shutdown(wait=False, cancel_futures=True)

    async def _poll(self, thread: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        poller = await asyncio.to_thread(self.client.longpoll)
        saved = await self.ctx.checkpoint_get(CHECKPOINT_KEY)
        if saved:
            poller.ts = saved  # resume where the last stored batch ended
        self.log.info(
            "vk %s: long poll started at ts %s (%s)",
            self.ctx.channel_name,
            poller.ts,
            "the saved checkpoint" if saved else "the server's",
        )
        self.ctx.link_changed(True)
        while True:
            updates = await loop.run_in_executor(thread, poller.check)
            if poller.last_failed is not None:
                self.log.info(
                    "vk %s: long poll failed %s; going on from ts %s",
                    self.ctx.channel_name,
                    poller.last_failed,
                    poller.ts,
                )
            for update in updates:
                await self._take(update)
            ts = str(poller.ts)
            if ts != saved:
                await self.ctx.checkpoint_set(CHECKPOINT_KEY, ts)
                saved = ts

    async def _take(self, update: Any) -> None:
        if not isinstance(update, dict):
            self.log.warning(
                "vk %s: skipped a long-poll update that is not an object: %.200r",
                self.ctx.channel_name,
                update,
            )
            return
        # An unreadable update is stored raw by the intake, so it never stalls later ones.
        await self.intake.take(update)
