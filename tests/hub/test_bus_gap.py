"""A node notices its bus gap: what was logged while Redis was away reaches every listener
once Redis is back, from event_log by cursor, none twice. A real Redis server is killed and
started again on the same port."""

from __future__ import annotations

import asyncio
import json
import uuid

import redis.asyncio as aioredis

from hub.bus import GAP_MARKER, RedisBus, gap_marker
from hub.core import Hub
from hub.db import Database
from hub.events import Audience, Envelope, MessageCreated
from hub.listener import Listener, on
from tests.agent_ui.conftest import client_writes, new_conversation
from tests.conftest import Backend, OwnRedis

WRITES = 20


async def test_a_listener_catches_up_what_was_logged_while_redis_was_away(
    backend: Backend, own_redis: OwnRedis
) -> None:
    db = Database(backend.database_url)
    bus = RedisBus(own_redis.url, f"gap-{uuid.uuid4()}:")
    await bus.start()
    hub = Hub(settings=backend.settings(redis_url=own_redis.url), db=db, bus=bus)
    heard: list[str] = []

    def on_message(event: MessageCreated) -> None:
        heard.append(str(event.message["text"]))

    listener = Listener(bus, [on(MessageCreated, on_message)], db=db, name="test")
    listening = asyncio.create_task(listener.run())
    try:
        conversation_id = await new_conversation(hub, None, "до сбоя")
        async with asyncio.timeout(10):
            while heard != ["до сбоя"]:
                await asyncio.sleep(0.02)

        await own_redis.stop()
        during = [f"во время сбоя {n}" for n in range(WRITES)]
        for text in during:
            await client_writes(hub, conversation_id, text)  # stored; publishing fails
        await own_redis.start()
        await client_writes(hub, conversation_id, "после сбоя")

        async with asyncio.timeout(15):
            while len(heard) < WRITES + 2:
                await asyncio.sleep(0.05)
        assert heard == ["до сбоя", *during, "после сбоя"]  # every one, in order, once
    finally:
        listener.close()
        await asyncio.wait_for(listening, 5)
        await bus.close()
        await db.dispose()


async def test_a_node_that_could_not_publish_tells_every_node_once_redis_is_back(
    own_redis: OwnRedis,
) -> None:
    prefix = f"gap-{uuid.uuid4()}:"
    bus = RedisBus(own_redis.url, prefix)
    await bus.start()
    watcher = aioredis.from_url(own_redis.url)
    envelope = Envelope(41, "queue.alert", {"conversation_id": 1}, Audience(roles=frozenset()))
    try:
        await own_redis.stop()
        try:
            await bus.publish(envelope)
        except Exception as exc:
            assert "connect" in str(exc).lower(), exc
        else:
            raise AssertionError("publishing with Redis stopped succeeded")
        await own_redis.start()

        async with watcher.pubsub() as pubsub:
            await pubsub.subscribe(bus.channel)
            await bus.publish(
                Envelope(42, "queue.alert", {"conversation_id": 1}, envelope.audience)
            )
            received = []
            async with asyncio.timeout(10):
                while len(received) < 2:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                    if message is not None:
                        received.append(message["data"])
        # The envelope that got through, then the marker for the one that did not.
        assert json.loads(received[0])["cursor"] == 42
        assert json.loads(received[1]) == {"gap": True, "from": bus._token}
    finally:
        await watcher.aclose()
        await bus.close()


async def test_the_gap_marker_ends_every_subscription_as_a_gap_of_the_bus(
    own_redis: OwnRedis,
) -> None:
    bus = RedisBus(own_redis.url, f"gap-{uuid.uuid4()}:")
    await bus.start()
    subscription = bus.subscribe()
    other = aioredis.from_url(own_redis.url)
    try:
        await other.publish(bus.channel, GAP_MARKER)
        async with asyncio.timeout(5):
            async for _ in subscription:
                raise AssertionError("the marker is no envelope")
        assert subscription.overflowed and subscription.bus_gap
    finally:
        await other.aclose()
        await bus.close()


async def test_a_node_back_on_the_bus_catches_up_once_not_again_on_its_own_marker(
    own_redis: OwnRedis,
) -> None:
    """Its subscription lost and its publishes failed, a node catches its listeners up as it
    subscribes again, then tells the others. Its own marker coming back must not end the
    subscriptions taken since (a workspace that reconnected at once), while another node's
    marker still does."""
    bus = RedisBus(own_redis.url, f"gap-{uuid.uuid4()}:")
    await bus.start()
    first = bus.subscribe()
    watcher = aioredis.from_url(own_redis.url)
    envelope = Envelope(7, "queue.alert", {"conversation_id": 1}, Audience(roles=frozenset()))
    try:
        await own_redis.stop()
        try:
            await bus.publish(envelope)
        except Exception as exc:
            assert "connect" in str(exc).lower(), exc
        # The node's own subscribers heard it at once, Redis or not.
        assert first.queue.get_nowait() == envelope
        await own_redis.start()
        async with asyncio.timeout(15):
            async for _ in first:
                raise AssertionError("nothing else was published")
        assert first.bus_gap  # caught up on subscribing again

        second = bus.subscribe()  # taken after the catch-up, like a reconnected workspace
        # A live envelope gets through after the node's own marker: the marker did not end it.
        await watcher.publish(
            bus.channel, json.dumps(Envelope(8, "queue.alert", {}, envelope.audience).to_json())
        )
        async with asyncio.timeout(10):
            heard = await second.queue.get()
        assert heard is not None and heard.cursor == 8 and not second.overflowed

        await watcher.publish(bus.channel, gap_marker("another-node"))
        async with asyncio.timeout(5):
            async for _ in second:
                raise AssertionError("the marker is no envelope")
        assert second.bus_gap
    finally:
        await watcher.aclose()
        await bus.close()
