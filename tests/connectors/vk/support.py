"""Helpers for the VK tests: the real app with a `main` VK channel wired to the fake VK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from connectors.vk import VkConnector
from hub.actions import channel_state, unit_of_work
from hub.actions.channels import create_channel
from hub.actions.conversations import get_for_update
from hub.actions.messages import queue_reply
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import Message, OutboxItem, OutboxStatus, User
from tests.conftest import Backend, add_user

from .fake_vk import GROUP_ID, VK, FakeVk

SECRET = "okno_cb_7f3Kq9Zx2Lm"
CONFIRMATION = "a1b2c3d4"
TOKEN = "vk1.a.community-token-for-tests"

Client = TestClient[web.Request, web.Application]
Serve = Callable[[web.Application], Awaitable[Client]]


@dataclass
class VkSite:
    app: web.Application
    client: Client
    vk: FakeVk
    channel_id: int
    operator: User | None = None

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    @property
    def connector(self) -> VkConnector:
        connector = self.app[RUNNER].get("vk", "main")
        assert isinstance(connector, VkConnector)
        return connector

    async def post(self, body: bytes | dict[str, Any]) -> tuple[int, str]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        response = await self.client.post(
            "/hooks/vk/main", data=data, headers={"Content-Type": "application/json"}
        )
        return response.status, await response.text()

    async def post_fixture(self, name: str) -> tuple[int, str]:
        return await self.post(VK.bytes(name))

    async def count(self, model: type) -> int:
        async with self.hub.db.sessions() as session:
            stmt = select(func.count()).select_from(model)
            return int((await session.execute(stmt)).scalar_one())

    async def all(self, model: type) -> list[Any]:
        async with self.hub.db.sessions() as session:
            stmt: Any = select(model).order_by(model.id)  # type: ignore[attr-defined]
            return list((await session.execute(stmt)).scalars())

    async def message(self, ref: str) -> Message:
        async with self.hub.db.sessions() as session:
            stmt = select(Message).where(Message.external_id == ref)
            return (await session.execute(stmt)).scalar_one()

    async def checkpoint(self) -> str | None:
        return await channel_state.read(self.hub, self.channel_id, "longpoll_ts")

    async def reply(self, conversation_id: int, text: str) -> int:
        """Queue an operator's reply; the app's OutboxWorker delivers it."""
        if self.operator is None:
            self.operator = await add_user(self.hub, "vk-operator", online=True)
        async with unit_of_work(self.hub) as uow:
            conversation = await get_for_update(uow, conversation_id)
            assert conversation is not None
            _, item = await queue_reply(uow, conversation, self.operator, text)
        return item.id

    async def outbox_row(
        self, outbox_id: int, until: Callable[[OutboxItem], bool], timeout: float = 8.0
    ) -> OutboxItem:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            async with self.hub.db.sessions() as session:
                row = await session.get_one(OutboxItem, outbox_id)
            if until(row) or loop.time() > deadline:
                return row
            await asyncio.sleep(0.05)


def settled(row: OutboxItem) -> bool:
    return row.status is not OutboxStatus.queued


async def open_vk(
    backend: Backend,
    serve: Serve,
    mode: str = "callback",
    vk: FakeVk | None = None,
    before_start: Callable[[web.Application], None] | None = None,
    **options: Any,
) -> VkSite:
    """The real app with a `main` VK channel created by the action and started."""
    vk = vk or await FakeVk().start()
    app = create_app(backend.settings())
    # Runs after the app's own cleanup (the runner's pollers stop first).
    app.on_cleanup.append(lambda _: vk.close())
    client = await serve(app)
    values: dict[str, Any] = {
        "group_id": GROUP_ID,
        "access_token": TOKEN,
        "mode": mode,
        "api_base": vk.api_base,
        "wait": 1,
    }
    if mode == "callback":
        values |= {"callback_secret": SECRET, "confirmation_code": CONFIRMATION}
    values |= options
    async with unit_of_work(app[HUB]) as uow:
        channel = await create_channel(uow, "vk", "main", values)
        spec = spec_of(channel)
    if before_start is not None:
        before_start(app)
    await app[RUNNER].start_channel(spec)
    return VkSite(app, client, vk, spec.id)
