"""A batch publish (`publish_many`, what a unit of work does after commit) on both backends:
every subscriber, on this node or another, receives each event once, one by one, in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

import hub.bus as bus_module
from hub.actions import unit_of_work
from hub.actions.users import set_presence
from hub.bus import MemoryBus, RedisBus, Subscription, batch_messages
from hub.core import Hub
from hub.events import Audience, Envelope
from hub.models import Presence, Role
from tests.conftest import REDIS_URL, Backend, add_user


@pytest.fixture
async def other_node(hub: Hub, backend: Backend) -> AsyncIterator[MemoryBus | RedisBus]:
    """Another node on the same bus (Redis, same prefix); the memory bus has one node only."""
    if backend.redis_url is None:
        assert isinstance(hub.bus, MemoryBus)
        yield hub.bus
        return
    node = RedisBus(REDIS_URL, backend.redis_prefix)
    await node.start()
    yield node
    await node.close()


async def received(sub: Subscription, count: int) -> list[Envelope]:
    got = []
    for _ in range(count):
        envelope = await asyncio.wait_for(sub.queue.get(), 5)
        assert envelope is not None
        got.append(envelope)
    return got


def envelopes(first: int, count: int) -> list[Envelope]:
    return [
        Envelope(
            first + n,
            "test.kind",
            {"n": n, "text": f"событие {n}"},
            Audience(users=frozenset({n})) if n % 2 else Audience(roles=frozenset({Role.admin})),
        )
        for n in range(count)
    ]


async def test_a_batch_reaches_another_nodes_subscribers_each_event_once_in_order(
    hub: Hub, other_node: MemoryBus | RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three envelopes a message: eight go as three Redis messages, in one round trip.
    monkeypatch.setattr(bus_module, "BATCH_EVENTS", 3)
    subs = [other_node.subscribe(), other_node.subscribe()]
    batch = envelopes(11, 8)
    await hub.bus.publish_many(batch)
    # The barrier: published after, so a duplicate of the batch would come before it.
    barrier = Envelope(19, "test.kind", {"last": True}, Audience(users=frozenset({1})))
    await hub.bus.publish(barrier)
    for sub in subs:
        got = await received(sub, 9)
        assert [e.cursor for e in got] == [11, 12, 13, 14, 15, 16, 17, 18, 19]
        assert got == [*batch, barrier]
        assert got[1].audience == Audience(users=frozenset({1}))
        assert got[1].payload == {"n": 1, "text": "событие 1"}
        assert sub.queue.empty()
        sub.close()


async def test_an_empty_batch_publishes_nothing(hub: Hub, other_node: MemoryBus | RedisBus) -> None:
    sub = other_node.subscribe()
    await hub.bus.publish_many([])
    barrier = Envelope(5, "test.kind", {}, Audience())
    await hub.bus.publish(barrier)
    assert await received(sub, 1) == [barrier]
    sub.close()


async def test_a_unit_of_works_events_reach_another_node_in_cursor_order(
    hub: Hub, other_node: MemoryBus | RedisBus
) -> None:
    users = [await add_user(hub, f"op{n}") for n in range(4)]
    sub = other_node.subscribe()
    async with unit_of_work(hub) as uow:
        for user in users:
            assert await set_presence(uow, user.id, Presence.online)
    got = await received(sub, 4)
    assert [e.payload["user_id"] for e in got] == [u.id for u in users]
    assert [e.kind for e in got] == ["presence.changed"] * 4
    cursors = [e.cursor for e in got]
    assert cursors == sorted(cursors) and len(set(cursors)) == 4
    assert sub.queue.empty()
    sub.close()


async def test_a_subscriber_with_no_room_for_a_batch_is_dropped_the_others_get_it(
    hub: Hub, other_node: MemoryBus | RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bus_module, "SUBSCRIBER_BUFFER", 4)
    slow = other_node.subscribe()
    fast = other_node.subscribe()
    first = envelopes(1, 2)
    await hub.bus.publish_many(first)
    assert await received(fast, 2) == first  # the slow one keeps its two
    batch = envelopes(3, 3)
    await hub.bus.publish_many(batch)
    assert await received(fast, 3) == batch
    # Two held and three more: the fifth found the slow one's buffer full.
    assert slow.overflowed and not slow.bus_gap
    assert not fast.overflowed
    fast.close()


def test_batch_messages_cut_by_count_and_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = envelopes(1, 7)
    monkeypatch.setattr(bus_module, "BATCH_EVENTS", 3)
    by_count = [[e["cursor"] for e in json.loads(m)] for m in batch_messages(batch)]
    assert by_count == [[1, 2, 3], [4, 5, 6], [7]]

    monkeypatch.setattr(bus_module, "BATCH_EVENTS", 100)
    big = Envelope(8, "test.kind", {"text": "я" * 300}, Audience())
    # Room for two small ones: the big one goes alone, and a single envelope larger than
    # the bound still goes (as a message of its own).
    monkeypatch.setattr(bus_module, "BATCH_BYTES", 2 * len(json.dumps(batch[0].to_json())) + 2)
    by_size = [[e["cursor"] for e in json.loads(m)] for m in batch_messages([*batch[:3], big])]
    assert by_size == [[1, 2], [3], [8]]


async def test_a_redis_batch_message_with_a_malformed_envelope_delivers_the_others(
    hub: Hub, backend: Backend, other_node: MemoryBus | RedisBus
) -> None:
    if backend.redis_url is None:
        pytest.skip("messages from other nodes are a Redis property")
    assert isinstance(other_node, RedisBus)
    sub = other_node.subscribe()
    good = envelopes(1, 2)
    raw = aioredis.from_url(REDIS_URL)
    try:
        message = [good[0].to_json(), {"cursor": "x"}, good[1].to_json()]
        await raw.publish(other_node.channel, json.dumps(message))
    finally:
        await raw.aclose()
    assert await received(sub, 2) == good
    sub.close()


def test_an_envelope_encoded_by_its_publisher_goes_as_the_same_json() -> None:
    audience = Audience(users=frozenset({4, 2}), roles=frozenset({Role.supervisor}))
    plain = Envelope(9, "deal.changed", {"deal": {"id": 5, "title": "Сделка"}}, audience)
    encoded = Envelope(
        9,
        "deal.changed",
        {"deal": {"id": 5, "title": "Сделка"}},
        audience,
        encoded=(
            '{"deal": {"id": 5, "title": "Сделка"}}',
            '{"users": [2, 4], "roles": ["supervisor"]}',
        ),
    )
    expected = {
        "cursor": 9,
        "kind": "deal.changed",
        "payload": {"deal": {"id": 5, "title": "Сделка"}},
        "audience": {"users": [2, 4], "roles": ["supervisor"]},
    }
    assert json.loads(plain.to_json_text()) == expected
    assert json.loads(encoded.to_json_text()) == expected
    assert encoded == plain  # what was encoded is no part of the envelope
    assert Envelope.from_json(json.loads(encoded.to_json_text())) == plain


async def test_a_nodes_own_events_reach_its_subscribers_once_at_once_and_the_others_too(
    hub: Hub, backend: Backend, other_node: MemoryBus | RedisBus
) -> None:
    """Delivered on publishing, not again when Redis echoes them back (they are known by
    the node's token at the start of the message)."""
    if backend.redis_url is None:
        pytest.skip("one node: the memory bus")
    assert isinstance(hub.bus, RedisBus)
    here, there = hub.bus.subscribe(), other_node.subscribe()
    own = envelopes(1, 4)
    await hub.bus.publish_many(own[:3])
    # On this node before any round trip through Redis.
    assert [here.queue.get_nowait() for _ in range(3)] == own[:3]
    await hub.bus.publish(own[3])
    assert here.queue.get_nowait() == own[3]
    assert await received(there, 4) == own  # through Redis
    # The other node's envelope comes after this node's echoes (Redis keeps the order of
    # what it was sent): by the time it is heard, they were heard and dropped.
    theirs = envelopes(50, 1)
    await other_node.publish(theirs[0])
    assert await received(here, 1) == theirs
    assert here.queue.empty()
    assert await received(there, 1) == theirs
    here.close()
    there.close()


def test_the_socket_frame_is_made_of_the_payload_the_publisher_encoded() -> None:
    audience = Audience(roles=frozenset({Role.operator}))
    payload = {"deal": {"id": 5, "title": "Deal"}}
    plain = Envelope(9, "deal.changed", payload, audience)
    encoded = Envelope(
        9, "deal.changed", payload, audience,
        encoded=('{"deal": {"id": 5, "title": "Deal"}}', '{"users": [], "roles": ["operator"]}'),
    )  # fmt: skip
    frame = (
        '{"type": "event", "cursor": 9, "kind": "deal.changed",'
        ' "payload": {"deal": {"id": 5, "title": "Deal"}}}'
    )
    assert plain.socket_frame == frame
    assert encoded.socket_frame == frame
    assert json.loads(encoded.to_json_text("node-1"))["from"] == "node-1"
    assert Envelope.from_json(json.loads(encoded.to_json_text("node-1"))) == plain
