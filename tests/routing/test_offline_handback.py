"""An operator going offline hands back all his unanswered work at once
(`routing_actions.enqueue_many`): each conversation back in the queue at the place its client
began to wait, its offer released, its holding ended, one decision and one event each, and a
fixed number of statements however many there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.bus import Subscription
from hub.core import Hub
from hub.events import ALL_ROLES, Envelope
from hub.models import (
    AssignmentOffer,
    Conversation,
    ConversationHolding,
    Presence,
    RoutingDecision,
)
from tests.routing.counting import statements
from tests.routing.scenario import World
from tests.waiting import until


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


async def _arrivals(world: World, first_phone: int, count: int) -> list[int]:
    """`count` new chats, one a second, each offered to the one operator online."""
    ids = []
    for i in range(count):
        ids.append(await world.inbound(f"+7916{first_phone + i:07d}"))
        world.clock.advance(1)
    return ids


async def _heard(subscription: Subscription, at_least: int) -> list[Envelope]:
    """What the subscription heard once `at_least` envelopes came. A unit of work's events
    are published together (one Redis message), so none of them comes later."""
    heard: list[Envelope] = []

    def enough() -> bool:
        while not subscription.queue.empty():
            envelope = subscription.queue.get_nowait()
            assert envelope is not None
            heard.append(envelope)
        return len(heard) >= at_least

    await until(enough, what=f"{at_least} events")
    subscription.close()
    return heard


def _queued(envelopes: list[Envelope]) -> list[tuple[int, frozenset[int], object]]:
    """(conversation, users addressed, assignee) of each "queued" event, in order."""
    return [
        (
            envelope.payload["conversation"]["id"],
            envelope.audience.users,
            envelope.payload["conversation"]["assignee"],
        )
        for envelope in envelopes
        if envelope.kind == "conversation.changed" and envelope.payload["change"] == "queued"
    ]


async def test_going_offline_returns_every_unanswered_chat_in_its_place(world: World) -> None:
    a = await world.operator("a", capacity=20)
    await world.channel("telegram", "chat")
    started = world.clock.now
    ids = await _arrivals(world, 1, 5)
    # The third was answered: nobody waits on it, it stays with its operator.
    answered = ids[2]
    async with world.hub.db.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.id == answered)
            .values(waiting_since=None, offer_expires_at=None)
        )
    world.clock.advance(100)
    left_at = world.clock.now
    subscription = world.hub.bus.subscribe()

    await world.set_presence("a", Presence.offline)

    returned = [ids[0], ids[1], ids[3], ids[4]]
    # Each in the queue at the second its client wrote (0, 1, 3 and 4 s after the start).
    for conversation_id, waited_from in zip(returned, (0, 1, 3, 4), strict=True):
        conversation = await world.conversation(conversation_id)
        assert conversation.assignee_id is None
        assert conversation.queued_at == started + timedelta(seconds=waited_from)
        assert conversation.offer_expires_at is None
        assert (await world.decisions(conversation_id))[-1] == "returned: A went offline"
    kept = await world.conversation(answered)
    assert kept.assignee_id == a.id and kept.queued_at is None
    assert (await world.decisions(answered))[-1].startswith("assigned:")

    async with world.hub.db.sessions() as session:
        offers = {
            row.conversation_id: row.released_at
            for row in (await session.execute(select(AssignmentOffer))).scalars()
        }
        holdings = {
            row.conversation_id: row.ended_at
            for row in (await session.execute(select(ConversationHolding))).scalars()
        }
        decided = (
            await session.execute(
                select(RoutingDecision.from_user_id).where(RoutingDecision.kind == "returned")
            )
        ).scalars()
        assert list(decided) == [a.id] * 4
    assert offers == {i: (None if i == answered else left_at) for i in ids}
    assert holdings == {i: (None if i == answered else left_at) for i in ids}

    events = await _heard(subscription, 5)  # presence, then the four returned
    # Told to him (it leaves his list) and to everyone who sees the queue, in their order.
    assert _queued(events) == [(i, frozenset({a.id}), None) for i in returned]
    assert all(e.audience.roles == ALL_ROLES for e in events if e.kind == "conversation.changed")


async def test_the_statements_do_not_grow_with_the_work_handed_back(world: World) -> None:
    await world.operator("few", capacity=40)
    await world.channel("telegram", "chat")
    await _arrivals(world, 1, 2)
    await world.set_presence("few", Presence.away)
    await world.operator("many", capacity=40)
    await _arrivals(world, 100, 12)

    async def leaving(login: str) -> list[str]:
        await world.set_presence(login, Presence.online)
        with statements(world.hub) as sent:
            await world.set_presence(login, Presence.offline)
        return sent

    few, many = await leaving("few"), await leaving("many")
    # SQLite logs a transaction's events one by one, in process; everything else is the
    # same statements, and on PostgreSQL the events too are one.
    if world.hub.db.dialect == "postgresql":
        assert few == many
    else:
        logged = "INSERT INTO event_log"
        assert [s for s in few if s != logged] == [s for s in many if s != logged]
    assert few.count("INSERT INTO routing_decisions") == 1
    assert few.count("UPDATE conversations SET") == 1


async def test_nothing_unanswered_returns_nothing(world: World) -> None:
    await world.operator("a")
    subscription = world.hub.bus.subscribe()
    with statements(world.hub) as sent:
        await world.set_presence("a", Presence.offline)
    events = await _heard(subscription, 1)
    assert [e.kind for e in events] == ["presence.changed"]
    assert not [s for s in sent if "routing_decisions" in s or "assignment_offers" in s]
