"""The running app with a `site` chat widget, and a visitor's socket to it (its real door)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from tests.conftest import Backend

SITE = "https://shop.example"
Frame = dict[str, Any]
Serve = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@dataclass
class WidgetSite:
    app: web.Application
    client: TestClient[web.Request, web.Application]

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    async def visitor(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.client.ws_connect("/widget/site/ws", headers={"Origin": SITE})
        await ws.send_json({"type": "hello", "page_url": f"{SITE}/catalog", "name": "Ольга"})
        welcome = await ws.receive_json(timeout=5)
        assert welcome["type"] == "welcome", welcome
        return ws

    async def count(self, model: type) -> int:
        async with self.hub.db.sessions() as session:
            stmt = select(func.count()).select_from(model)
            return int((await session.execute(stmt)).scalar_one())

    async def all(self, model: type) -> list[Any]:
        async with self.hub.db.sessions() as session:
            stmt: Any = select(model).order_by(model.id)  # type: ignore[attr-defined]
            return list((await session.execute(stmt)).scalars())


async def open_widget(backend: Backend, serve: Serve, **options: Any) -> WidgetSite:
    app = create_app(backend.settings())
    client = await serve(app)
    values: dict[str, Any] = {"allowed_origins": [SITE], **options}
    async with unit_of_work(app[HUB]) as uow:
        channel = await create_channel(uow, "widget", "site", values, title="Окна Мытищи")
    await app[RUNNER].start_channel(spec_of(channel))
    return WidgetSite(app, client)


async def answers_to(ws: aiohttp.ClientWebSocketResponse, frame: str) -> list[Frame]:
    """Send a raw frame, then a ping; the frames that came back before the pong."""
    await ws.send_str(frame)
    await ws.send_json({"type": "ping"})
    frames: list[Frame] = []
    while True:
        got = await ws.receive_json(timeout=10)
        if got.get("type") == "pong":
            return frames
        frames.append(got)


def message(text: str) -> Frame:
    return {"type": "message", "client_id": str(uuid.uuid4()), "text": text}
