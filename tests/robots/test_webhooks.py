"""Outbound webhooks: signed with the rule's secret, retried with backoff after a 500 or a
timeout, the failure kept where the firing shows it; a hanging target delays nobody else."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.actions import deals
from hub.core import Hub
from hub.policy import SystemActor
from hub.queries.robots import firings
from robots import manage, scheduler, webhooks
from tests.conftest import Clock
from tests.robots import world

SECRET = "webhook-secret-1"


class Target:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str]] = []
        self.answers = [500]
        self.never = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((json.loads(body), request.headers["X-Okno-Signature"]))
        status = self.answers.pop(0) if self.answers else 200
        return web.Response(status=status)

    async def hang(self, request: web.Request) -> web.Response:
        await self.never.wait()
        return web.Response()


@pytest.fixture
async def target() -> AsyncIterator[tuple[Target, str]]:
    found = Target()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    app.router.add_post("/hang", found.hang)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield found, f"http://127.0.0.1:{server.port}"
    found.never.set()
    await server.close()


def hook_rule(url: str) -> dict[str, Any]:
    return {
        "trigger": {
            "type": "time",
            "state": "deal.in_stage",
            "after": {"amount": 1, "unit": "hours"},
        },
        "actions": [{"type": "webhook", "url": url, "secret": SECRET}],
    }


async def test_signed_retried_and_failures_visible(
    hub: Hub, target: tuple[Target, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "TIMEOUT_S", 0.5)
    received, base = target
    clock = Clock()
    hub.clock = clock
    stages = await world.pipeline(hub)
    hanging = await manage.create(
        hub,
        SystemActor(),
        name="Висит",
        description="",
        rule=hook_rule(base + "/hang"),
        enabled=True,
    )
    good = await manage.create(
        hub,
        SystemActor(),
        name="Отвечает",
        description="",
        rule=hook_rule(base + "/hook"),
        enabled=True,
    )
    deal_id = await deals.create_deal(hub, SystemActor(), title="Поставка", stage_id=stages["КП"])
    clock.advance(3600)

    await scheduler.tick(hub)
    [(payload, signature)] = received.received
    body = json.dumps(payload | {}, ensure_ascii=False, sort_keys=True).encode()
    assert signature == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (payload["rule_id"], payload["object_id"]) == (good, deal_id)
    async with hub.db.sessions() as session:
        [shown] = (await firings(session, rule_id=good)).items
        [stuck] = (await firings(session, rule_id=hanging)).items
    assert [(w["status"], w["attempts"], w["last_error"]) for w in shown.webhooks] == [
        ("queued", 1, "HTTP 500")
    ]
    assert stuck.webhooks[0]["last_error"].startswith("TimeoutError")

    await scheduler.tick(hub)  # the backoff has not passed
    assert len(received.received) == 1
    clock.advance(webhooks.BASE_DELAY_S)
    await scheduler.tick(hub)
    assert len(received.received) == 2
    async with hub.db.sessions() as session:
        [shown] = (await firings(session, rule_id=good)).items
    assert [(w["status"], w["attempts"], w["last_error"]) for w in shown.webhooks] == [
        ("delivered", 2, None)
    ]
