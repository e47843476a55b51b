"""The event robots keep the enabled rules between events (an event no rule listens to costs
no query) and read them afresh when a rule is created, edited, switched on or off: each
change is an event every node's listener hears before the events that follow it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.actions import deals
from hub.actions import robots as robot_actions
from hub.core import Hub
from hub.policy import SystemActor
from robots import events, manage
from tests.conftest import Clock
from tests.robots import world
from tests.robots.world import msk


class Heard:
    """What the listener did with each deal event: the firings each handling made (the
    events here come one at a time, each handled alone)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fired: list[int] = []
        self.reads = 0
        real_handle = events.handle_many
        real_read = events.enabled_rules

        async def handle(*args: Any, **kwargs: Any) -> int:
            fired = await real_handle(*args, **kwargs)
            self.fired.append(fired)
            return fired

        async def read(*args: Any, **kwargs: Any) -> list[events.LoadedRule]:
            self.reads += 1
            return await real_read(*args, **kwargs)

        monkeypatch.setattr(events, "handle_many", handle)
        monkeypatch.setattr(events, "enabled_rules", read)

    async def handled(self, count: int) -> list[int]:
        async with asyncio.timeout(10):
            while len(self.fired) < count:
                await asyncio.sleep(0.01)
        return self.fired


@pytest.fixture
async def listening(hub: Hub) -> AsyncIterator[None]:
    clock = Clock()
    clock.now = msk(2026, 6, 15, 10, 0)
    hub.clock = clock
    listener = events.event_listener(hub)
    task = asyncio.create_task(listener.run())
    yield
    listener.close()
    task.cancel()


async def test_rules_are_read_once_and_again_after_each_change(
    hub: Hub, listening: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard = Heard(monkeypatch)
    stages = await world.pipeline(hub)
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"]
    )
    await heard.handled(1)  # deal.created

    async def move(stage: str) -> int:
        """Move the deal, wait until the listener has handled it: the firings it made."""
        # Counted before: the node's own listener may handle it before move_deal returns.
        handled = len(heard.fired) + 1
        await deals.move_deal(hub, SystemActor(), deal_id, stages[stage])
        return (await heard.handled(handled))[-1]

    assert await move("КП") == 0
    assert await move("Интерес") == 0
    assert heard.reads == 1  # three events, no rule yet: read once, kept

    rule = {
        "trigger": {"type": "event", "event": "deal.moved"},
        "actions": [{"type": "flag", "code": "moved", "reason": "Сделка сдвинулась"}],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Сдвинулась", description="", rule=rule, enabled=True
    )
    assert await move("КП") == 1  # the new rule was heard before the move
    assert await move("Интерес") == 1
    assert heard.reads == 2

    await robot_actions.set_enabled(hub, SystemActor(), rule_id, False)
    assert await move("КП") == 0
    assert heard.reads == 3

    await robot_actions.set_enabled(hub, SystemActor(), rule_id, True)
    rule["conditions"] = {"field": "stage_id", "op": "eq", "value": stages["Договор"]}
    await manage.update(hub, SystemActor(), rule_id, version=1, rule=rule)
    assert await move("Интерес") == 0  # the edited condition holds it back
    assert heard.reads == 4  # both changes came before the move: one read after them
    assert await move("Договор") == 1
    assert heard.reads == 4
    assert len(await world.firings(hub, rule_id)) == 3
