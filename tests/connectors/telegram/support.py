"""The real app with a Telegram channel pointed at the fake Bot API, plus small DB helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from connectors.testing import FakeContext
from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.actions.messages import queue_reply
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.host.workers import OutboxWorker
from hub.models import Conversation, InboundEvent, OutboxItem, OutboxStatus
from tests.conftest import Backend, add_user

from .fake_api import TELEGRAM, TOKEN, FakeBotApi

SECRET = "okno-hook_Secret-42"
Serve = Callable[[web.Application], Awaitable[TestClient]]


@dataclass
class Bot:
    """One Telegram channel running in the app."""

    app: web.Application
    client: TestClient
    api: FakeBotApi
    name: str

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    async def post(self, body: bytes | Any, secret: str | None = SECRET) -> ClientResponse:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return await self.client.post(f"/hooks/telegram/{self.name}", data=data, headers=headers)

    async def post_fixture(self, name: str, secret: str | None = SECRET) -> ClientResponse:
        response = await self.post(TELEGRAM.bytes(name), secret)
        return response

    async def count(self, model: type) -> int:
        async with self.hub.db.sessions() as session:
            return int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )

    async def all(self, model: type, *where: Any) -> list[Any]:
        async with self.hub.db.sessions() as session:
            stmt = select(model).where(*where).order_by(model.id)  # type: ignore[attr-defined]
            return list((await session.execute(stmt)).scalars())

    async def external_ids(self) -> list[str]:
        return [e.external_id for e in await self.all(InboundEvent)]

    async def reply(self, conversation_id: int, text: str) -> int:
        """An operator's reply queued through the real action; returns the outbox id."""
        user = await add_user(self.hub, f"op{conversation_id}-{len(text)}")
        async with unit_of_work(self.hub) as uow:
            conversation = await uow.session.get_one(Conversation, conversation_id)
            _, item = await queue_reply(uow, conversation, user, text)
        return item.id

    async def deliver(self) -> None:
        await OutboxWorker(self.hub, self.app[RUNNER]).deliver_due()

    async def outbox(self, outbox_id: int) -> OutboxItem:
        [item] = await self.all(OutboxItem, OutboxItem.id == outbox_id)
        return item

    async def settled(self, outbox_id: int, timeout: float = 10) -> OutboxItem:
        """The row once a delivery attempt has been recorded (the app's worker may race us)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.deliver()
            item = await self.outbox(outbox_id)
            if item.status is not OutboxStatus.queued or (item.attempts and item.error):
                return item
            if loop.time() > deadline:
                raise AssertionError(f"outbox {outbox_id} still queued: {item.error}")
            await asyncio.sleep(0.05)


async def open_bot(
    backend: Backend,
    serve: Serve,
    api: FakeBotApi,
    name: str = "main",
    clock: Callable[[], datetime] | None = None,
    into: Bot | None = None,
    **options: Any,
) -> Bot:
    """A started channel `name`: in a new app, or as one more bot of `into`'s app."""
    if into is not None:
        app, client = into.app, into.client
    else:
        settings = backend.settings()
        app = create_app(settings, clock) if clock else create_app(settings)
        client = await serve(app)
    config = {
        "token": TOKEN,
        "mode": "webhook",
        "webhook_secret": SECRET,
        "api_base": api.base_url,
        **options,
    }
    async with unit_of_work(app[HUB]) as uow:
        channel = await create_channel(uow, "telegram", name, config)
        spec = spec_of(channel)
    await app[RUNNER].start_channel(spec)
    return Bot(app, client, api, name)


def offline_context() -> FakeContext:
    """For connector parts tested on their own, without a hub: nothing may be spawned."""
    return FakeContext("telegram", "main", allow_background=False)
