"""The periodic retry of names VK could not give when a client wrote (names.py): every
RETRY_INTERVAL_S the names still missing are asked for again, and each one found goes to the
hub as a `SenderNamed`, which replaces the «VK id …» stand-in on the contact. So a client who
wrote once while VK's API was down is named without having to write again.

The ids waiting are this node's own (the node that received the message), so the loop runs on
every node, as a plain task of the connector, not under the channel's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from connectors.base import ConnectorContext, IdentityClaim, Sender, SenderNamed

from .names import NameBook
from .parsing import KIND, stand_in_name

RETRY_INTERVAL_S = 60.0


class NameRetry:
    def __init__(
        self,
        ctx: ConnectorContext,
        names: NameBook,
        log: logging.Logger,
        interval: float = RETRY_INTERVAL_S,
    ) -> None:
        self.ctx = ctx
        self.names = names
        self.log = log
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"vk:{self.ctx.channel_name}:names")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:
                # Storage down, say: the names stay pending for the next round.
                self.log.exception("vk %s: retrying sender names failed", self.ctx.channel_name)

    async def run_once(self) -> int:
        """Fetch what is pending and hand each name found to the hub; returns how many."""
        found = await self.names.fetch_pending()
        for user_id, name in found.items():
            digest = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:16]
            await self.ctx.submit(
                SenderNamed(
                    channel_kind=KIND,
                    channel_name=self.ctx.channel_name,
                    external_id=f"named:{user_id}:{digest}",
                    sender=Sender(name, (IdentityClaim("vk", str(user_id)),)),
                    stand_in=stand_in_name(user_id),
                )
            )
        if found:
            self.log.info("vk %s: %d sender names filled in", self.ctx.channel_name, len(found))
        return len(found)
