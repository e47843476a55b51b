"""The one typed listener, on both backends: typed dispatch, raw signals, failing handlers,
and falling behind the bus (resubscribe, then catch up from event_log exactly once)."""

from __future__ import annotations

import asyncio

import pytest

import hub.bus as bus_module
import hub.listener as listener_module
from hub.actions import unit_of_work
from hub.actions.users import set_presence
from hub.bus import Subscription
from hub.core import Hub
from hub.events import Audience, Envelope, PresenceChanged, QueueAlert
from hub.listener import Listener, on
from hub.models import Presence
from hub.signals import publish_transient
from tests.conftest import add_user
from tests.waiting import until


class Heard:
    """What a handler heard, and a way to wait until it has heard enough."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self._changed = asyncio.Condition()

    async def add(self, item: object) -> None:
        async with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    async def until(self, count: int, timeout: float = 10.0) -> list[object]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.items) >= count)
        return self.items


async def toggle(hub: Hub, user_id: int, times: int) -> None:
    """`times` presence changes of one user: each a logged, published event."""
    for _ in range(times):
        async with unit_of_work(hub) as uow:
            if not await set_presence(uow, user_id, Presence.online):
                await set_presence(uow, user_id, Presence.away)


async def logged_presence_cursors(hub: Hub, after: int = 0) -> list[int]:
    from sqlalchemy import select

    from hub.models import EventLog

    async with hub.db.sessions() as session:
        stmt = (
            select(EventLog.id)
            .where(EventLog.kind == "presence.changed", EventLog.id > after)
            .order_by(EventLog.id)
        )
        return list((await session.execute(stmt)).scalars())


async def stop(listener: Listener, task: asyncio.Task[None]) -> None:
    listener.close()
    await asyncio.wait_for(task, 5)


async def test_each_event_reaches_the_handler_of_its_type_typed_and_signals_go_raw(
    hub: Hub,
) -> None:
    presence, alerts, raw = Heard(), Heard(), Heard()

    async def on_presence(event: PresenceChanged) -> None:
        await presence.add((event.cursor, event.user_id, event.presence))

    listener = Listener(
        hub.bus,
        [on(PresenceChanged, on_presence), on(QueueAlert, alerts.add)],
        other=lambda envelope: raw.add((envelope.cursor, envelope.kind)),
        on_gap=lambda: None,
    )
    task = asyncio.create_task(listener.run())
    audience = Audience(users=frozenset({1}))
    await hub.bus.publish(
        Envelope(5, "presence.changed", {"user_id": 1, "presence": "away"}, audience)
    )
    await publish_transient(hub, "typing", {"conversation_id": 3, "by": "agent"}, audience)
    await hub.bus.publish(
        Envelope(6, "queue.alert", {"conversation_id": 3, "team_id": 2, "waited_s": 60}, audience)
    )
    await hub.bus.publish(Envelope(7, "call.changed", {"call": {}, "change": "ended"}, audience))
    # Does not fit its class: skipped, and the listener goes on.
    await hub.bus.publish(Envelope(8, "presence.changed", {"user_id": "1"}, audience))
    await hub.bus.publish(
        Envelope(9, "presence.changed", {"user_id": 2, "presence": "online"}, audience)
    )

    assert await presence.until(2) == [(5, 1, "away"), (9, 2, "online")]
    assert await alerts.until(1) == [
        QueueAlert(audience=audience, cursor=6, conversation_id=3, team_id=2, waited_s=60)
    ]
    assert await raw.until(2) == [(0, "typing"), (7, "call.changed")]
    await stop(listener, task)


async def test_a_failing_handler_does_not_end_the_listener(hub: Hub) -> None:
    heard = Heard()

    async def fails_on_away(event: PresenceChanged) -> None:
        if event.presence == "away":
            raise RuntimeError("boom")
        await heard.add(event.user_id)

    def fails_sync(envelope: Envelope) -> None:
        raise ValueError(envelope.kind)

    listener = Listener(
        hub.bus, [on(PresenceChanged, fails_on_away)], other=fails_sync, on_gap=lambda: None
    )
    task = asyncio.create_task(listener.run())
    for user_id, value in ((1, "away"), (2, "online"), (3, "away"), (4, "online")):
        await hub.bus.publish(
            Envelope(
                user_id, "presence.changed", {"user_id": user_id, "presence": value}, Audience()
            )
        )
        await hub.bus.publish(Envelope(0, "typing", {}, Audience()))
    assert await heard.until(2) == [2, 4]
    assert not task.done()
    await stop(listener, task)


async def test_after_falling_behind_it_catches_up_every_missed_event_once_in_order(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bus_module, "SUBSCRIBER_BUFFER", 3)
    monkeypatch.setattr(listener_module, "CATCH_UP_BATCH", 2)  # the catch-up takes several reads
    user = await add_user(hub, "op")
    other = await add_user(hub, "other")
    await toggle(hub, user.id, 2)  # before the listener: never its to hear
    before = await logged_presence_cursors(hub)

    gate = asyncio.Event()
    heard = Heard()
    published_meanwhile = False

    async def on_presence(event: PresenceChanged) -> None:
        nonlocal published_meanwhile
        await heard.add(event.cursor)
        if len(heard.items) == 1:
            await gate.wait()  # hold the listener while the bus overflows its queue
        elif len(heard.items) == 3 and not published_meanwhile:
            # During the catch-up: a new event arrives live *and* in a later catch-up read.
            published_meanwhile = True
            await toggle(hub, other.id, 1)

    subscription: Subscription = hub.bus.subscribe()
    listener = Listener(
        hub.bus, [on(PresenceChanged, on_presence)], db=hub.db, subscription=subscription
    )
    task = asyncio.create_task(listener.run())
    await toggle(hub, user.id, 1)
    await heard.until(1)
    await toggle(hub, user.id, 8)
    await until(lambda: subscription.overflowed)
    gate.set()

    # 9 events of `user` and the one of `other` that the handler caused.
    await heard.until(10)
    assert published_meanwhile
    # Live again, on the new subscription.
    await toggle(hub, user.id, 2)
    expected = await logged_presence_cursors(hub, after=before[-1])
    assert len(expected) == 12
    assert await heard.until(12) == expected
    await stop(listener, task)
    assert heard.items == expected  # nothing heard twice, late or otherwise


async def test_a_consumer_with_its_own_catch_up_is_called_on_a_gap(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A witness with the full buffer, subscribed before the small one is patched in: once it
    # holds all five, Redis has delivered them all here, so none arrives after the gap.
    witness = hub.bus.subscribe()
    monkeypatch.setattr(bus_module, "SUBSCRIBER_BUFFER", 2)
    gaps, heard, gate = Heard(), Heard(), asyncio.Event()

    async def on_presence(event: PresenceChanged) -> None:
        await heard.add(event.cursor)
        await gate.wait()

    subscription = hub.bus.subscribe()
    listener = Listener(
        hub.bus,
        [on(PresenceChanged, on_presence)],
        on_gap=lambda: gaps.add("gap"),
        subscription=subscription,
    )
    task = asyncio.create_task(listener.run())
    for cursor in range(1, 6):
        await hub.bus.publish(
            Envelope(cursor, "presence.changed", {"user_id": 1, "presence": "away"}, Audience())
        )
        if cursor == 1:
            await heard.until(1)  # the handler now holds the listener
    await until(lambda: subscription.overflowed and witness.queue.qsize() == 5)
    gate.set()
    assert await gaps.until(1) == ["gap"]
    await hub.bus.publish(
        Envelope(10, "presence.changed", {"user_id": 1, "presence": "online"}, Audience())
    )
    # The events the bus dropped are this consumer's to recover; the live ones flow on.
    assert await heard.until(2) == [1, 10]
    await stop(listener, task)
    witness.close()


def test_a_listener_must_know_how_to_catch_up() -> None:
    with pytest.raises(TypeError):
        Listener(bus_module.MemoryBus(), [])


async def test_a_listener_ends_when_the_bus_closes() -> None:
    bus = bus_module.MemoryBus()
    listener = Listener(bus, [], on_gap=lambda: None)
    task = asyncio.create_task(listener.run())
    await bus.close()
    await asyncio.wait_for(task, 5)
