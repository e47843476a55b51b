"""Helpers for the web-form tests: a running app with a `demo` form channel, its fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from connectors.testing import Fixtures
from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import InboundEvent, InboundStatus
from tests.conftest import Backend

FORMS = Fixtures("webform")
SITE = "https://okna-mytishchi.example"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

Serve = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@dataclass
class FormSite:
    app: web.Application
    client: TestClient[web.Request, web.Application]

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    async def post(self, body: bytes, content_type: str, **headers: str) -> Any:
        return await self.client.post(
            "/forms/demo",
            data=body,
            headers={"Content-Type": content_type, **headers},
            allow_redirects=False,
        )

    async def post_fixture(self, name: str, **headers: str) -> Any:
        content_type = JSON_TYPE if name.endswith(".json") else FORM_TYPE
        return await self.post(FORMS.bytes(name), content_type, **headers)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until no stored event is still being processed.

        The answer comes once the event is stored; the hub's retry loop may have claimed
        it first and still be processing it, so domain rows can trail by a moment.
        """
        busy = select(func.count()).where(
            InboundEvent.status.in_([InboundStatus.pending, InboundStatus.processing])
        )
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.hub.db.sessions() as session:
                if not (await session.execute(busy)).scalar_one():
                    return
            assert asyncio.get_running_loop().time() < deadline, "inbound events not processed"
            await asyncio.sleep(0.05)

    async def count(self, model: type) -> int:
        await self.settled()
        async with self.hub.db.sessions() as session:
            stmt = select(func.count()).select_from(model)
            return int((await session.execute(stmt)).scalar_one())

    async def all(self, model: type) -> list[Any]:
        await self.settled()
        async with self.hub.db.sessions() as session:
            return list((await session.execute(select(model))).scalars())


async def open_form(backend: Backend, serve: Serve, **options: Any) -> FormSite:
    """The real app, with a `demo` web-form channel created by the action and started."""
    app = create_app(backend.settings())
    client = await serve(app)
    async with unit_of_work(app[HUB]) as uow:
        channel = await create_channel(
            uow, "webform", "demo", {"allowed_origins": [SITE], **options}
        )
        spec = spec_of(channel)
    await app[RUNNER].start_channel(spec)
    return FormSite(app, client)
