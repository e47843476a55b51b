"""A ConnectorContext without a database, for tests of wire behaviour only.

`submit` keeps items in memory (once per external_id, like inbound_events); `spawn` runs
the task and restarts it after a crash, as the runner does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.base import Inbound, Receipt
from connectors.vk import VkConnector, VkOptions

from .fake_vk import GROUP_ID, FakeVk
from .support import CONFIRMATION, SECRET, TOKEN


class StubContext:
    channel_id = 1
    channel_kind = "vk"
    channel_name = "main"

    def __init__(self) -> None:
        self.log = logging.getLogger("okno.channel.vk.main")
        self.items: dict[str, Inbound] = {}
        self.checkpoints: dict[str, str] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.crashes: list[BaseException] = []
        self.fail_submit: Callable[[Inbound], bool] = lambda item: False

    async def submit(self, item: Inbound) -> Receipt:
        if self.fail_submit(item):
            raise RuntimeError("storage is down")
        duplicate = item.external_id in self.items
        self.items.setdefault(item.external_id, item)
        return Receipt(len(self.items), duplicate)

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        async def supervise() -> None:
            while True:
                try:
                    await run()
                    return
                except Exception as exc:
                    self.crashes.append(exc)
                    await asyncio.sleep(0.05)

        self.tasks.append(asyncio.create_task(supervise(), name=name))

    async def checkpoint_get(self, key: str) -> str | None:
        return self.checkpoints.get(key)

    async def checkpoint_set(self, key: str, value: str) -> None:
        self.checkpoints[key] = value

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def make_connector(
    vk: FakeVk | None, mode: str = "callback", **options: Any
) -> tuple[VkConnector, StubContext]:
    ctx = StubContext()
    values: dict[str, Any] = {
        "group_id": GROUP_ID,
        "access_token": TOKEN,
        "mode": mode,
        "wait": 1,
        "callback_secret": SECRET,
        "confirmation_code": CONFIRMATION,
    }
    if vk is not None:
        values["api_base"] = vk.api_base
    else:
        values["fetch_sender_names"] = False
    values |= options
    return VkConnector(ctx, VkOptions.model_validate(values)), ctx
