"""Bus tests on both backends: publish after commit, fan-out, audience, cursors."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.actions.users import set_presence
from hub.bus import RedisBus
from hub.core import Hub
from hub.events import Audience, Envelope
from hub.models import EventLog, Presence, Role
from tests.conftest import REDIS_UP, REDIS_URL, Backend, add_user


async def next_event(sub, timeout: float = 5) -> Envelope:  # type: ignore[no-untyped-def]
    envelope = await asyncio.wait_for(sub.queue.get(), timeout)
    assert envelope is not None
    return envelope


async def test_every_subscriber_gets_every_event(hub: Hub) -> None:
    subs = [hub.bus.subscribe() for _ in range(3)]
    envelope = Envelope(1, "test.kind", {"x": "ы"}, Audience(roles=frozenset({Role.admin})))
    await hub.bus.publish(envelope)
    for sub in subs:
        got = await next_event(sub)
        assert got == envelope
        sub.close()


async def test_event_is_logged_in_the_transaction_and_published_after_commit(hub: Hub) -> None:
    user = await add_user(hub, "op")
    sub = hub.bus.subscribe()
    async with unit_of_work(hub) as uow:
        assert await set_presence(uow, user.id, Presence.online)
        await uow.session.flush()
        # Nothing may be heard before the commit: a marker published now is the barrier (the
        # bus keeps order), so an event published at the flush would arrive before it.
        marker = Envelope(0, "test.marker", {}, Audience(roles=frozenset({Role.admin})))
        await hub.bus.publish(marker)
        assert await next_event(sub) == marker
        assert sub.queue.empty()
    got = await next_event(sub)
    assert got.kind == "presence.changed" and got.payload == {
        "user_id": user.id,
        "presence": "online",
    }
    assert got.audience.allows(user.id, Role.operator)
    assert not got.audience.allows(user.id + 1, Role.operator)
    async with hub.db.sessions() as session:
        row = (await session.execute(select(EventLog))).scalar_one()
    assert row.id == got.cursor and row.kind == "presence.changed"
    sub.close()


async def test_rolled_back_work_publishes_nothing(hub: Hub) -> None:
    user = await add_user(hub, "op")
    sub = hub.bus.subscribe()
    with pytest.raises(RuntimeError):
        async with unit_of_work(hub) as uow:
            await set_presence(uow, user.id, Presence.online)
            raise RuntimeError("boom")
    # A unit that commits afterwards is the barrier: the bus keeps order, so anything the
    # rolled-back one had published would arrive before it.
    async with unit_of_work(hub) as uow:
        await set_presence(uow, user.id, Presence.away)
    first = await next_event(sub)
    assert (first.kind, first.payload["presence"]) == ("presence.changed", "away")
    assert sub.queue.empty()
    async with hub.db.sessions() as session:
        logged = (await session.execute(select(EventLog.id, EventLog.payload))).all()
    assert [(row.id, row.payload["presence"]) for row in logged] == [(first.cursor, "away")]
    sub.close()


async def test_cursors_increase_in_commit_order(hub: Hub) -> None:
    user = await add_user(hub, "op")
    sub = hub.bus.subscribe()
    for presence in (Presence.online, Presence.away, Presence.offline):
        async with unit_of_work(hub) as uow:
            await set_presence(uow, user.id, presence)
    cursors = [(await next_event(sub)).cursor for _ in range(3)]
    assert cursors == sorted(cursors) and len(set(cursors)) == 3
    sub.close()


@pytest.mark.skipif(not REDIS_UP, reason="Redis 127.0.0.1:6379 not reachable")
async def test_redis_bus_reaches_another_node_and_not_another_prefix(backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("cross-node delivery is a Redis property")
    node_a = RedisBus(REDIS_URL, backend.redis_prefix)
    node_b = RedisBus(REDIS_URL, backend.redis_prefix)
    stranger = RedisBus(REDIS_URL, backend.redis_prefix + "other:")
    for bus in (node_a, node_b, stranger):
        await bus.start()
    sub_b, sub_stranger = node_b.subscribe(), stranger.subscribe()
    envelope = Envelope(7, "k", {"a": 1}, Audience(users=frozenset({3})))
    await node_a.publish(envelope)
    assert await next_event(sub_b) == envelope
    # The barrier: a message on the stranger's own prefix, published after. Redis delivers in
    # the order it took the publications, so a leak across prefixes would come first.
    marker = Envelope(8, "k", {"b": 2}, Audience(users=frozenset({3})))
    await stranger.publish(marker)
    assert await next_event(sub_stranger) == marker
    assert sub_stranger.queue.empty()
    for bus in (node_a, node_b, stranger):
        await bus.close()


async def test_slow_subscriber_is_dropped_not_blocking(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hub.bus as bus_module

    monkeypatch.setattr(bus_module, "SUBSCRIBER_BUFFER", 2)
    slow = hub.bus.subscribe()
    fast = hub.bus.subscribe()
    for i in range(3):
        await hub.bus.publish(Envelope(i + 1, "k", {}, Audience()))
        assert (await next_event(fast)).cursor == i + 1
    assert slow.overflowed
    fast.close()
