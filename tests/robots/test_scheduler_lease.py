"""The time scan runs on the one node holding the robots' lease, and moves to another node
when that one dies without a word (its lease simply expires)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.actions import deals
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.host import leased
from hub.host.leased import run_leased
from hub.policy import SystemActor
from robots import engine
from robots.scheduler import LEASE_NAME, scheduler_forever
from tests.conftest import Backend, Clock
from tests.robots import world
from tests.waiting import until

TTL_S = 0.6


@pytest.fixture
async def nodes(backend: Backend) -> AsyncIterator[list[Hub]]:
    if backend.name != "postgres":
        pytest.skip("nodes share PostgreSQL and Redis")
    settings = backend.settings(lease_ttl_s=TTL_S, robots_scan_interval_s=0.05)
    clock = Clock()
    made = []
    for _ in range(2):
        node = Hub(
            settings=settings,
            db=Database(settings.database_url),
            bus=create_bus(settings.redis_url, settings.redis_prefix),
            clock=clock,
        )
        await node.bus.start()
        made.append(node)
    yield made
    for node in made:
        await node.bus.close()
        await node.db.dispose()


async def test_one_node_scans_and_another_takes_over_when_it_dies(
    nodes: list[Hub], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = nodes[0]
    clock = first.clock
    assert isinstance(clock, Clock)
    ticks: list[int] = []
    real_tick = engine.tick

    async def counted(hub: Hub) -> dict[str, int]:
        ticks.append(nodes.index(hub))
        return await real_tick(hub)

    monkeypatch.setattr(engine, "tick", counted)
    stages = await world.pipeline(first)
    rule_id = await world.builtin_rule(first, "stalled_deal")
    await deals.create_deal(first, SystemActor(), title="Первая", stage_id=stages["КП"])
    clock.advance(7 * 86400)

    running = [
        asyncio.create_task(
            run_leased(node, LEASE_NAME, lambda n=node: scheduler_forever(n), holder=f"node-{i}")
        )
        for i, node in enumerate(nodes)
    ]
    try:
        await until(lambda: _fired(first, rule_id, 1))
        holder = ticks[0]
        assert set(ticks) == {holder}  # the other node never scans meanwhile

        # The holder dies: no release, its lease just stops being renewed.
        async def silent(*args: Any) -> None:
            return None

        monkeypatch.setattr(leased.leases, "release", silent)
        running[holder].cancel()
        await asyncio.gather(running[holder], return_exceptions=True)
        monkeypatch.undo()
        monkeypatch.setattr(engine, "tick", counted)
        ticks.clear()
        await deals.create_deal(first, SystemActor(), title="Вторая", stage_id=stages["КП"])
        clock.advance(7 * 86400 + TTL_S)  # past the dead node's lease too
        await until(lambda: _fired(first, rule_id, 2))
        assert set(ticks) == {1 - holder}
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def _fired(hub: Hub, rule_id: int, n: int) -> bool:
    return len([f for f in await world.firings(hub, rule_id) if f.status == "done"]) >= n
