"""The queue drained a batch per transaction: capacity taken exactly, in queue order, by the
right people (presence, team, skill, the responsible manager first), with the offers,
decisions, holdings and events each assignment writes; two drains at once never overfill."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub.bus import Envelope
from hub.core import Hub
from hub.models import (
    AssignmentOffer,
    Channel,
    Conversation,
    ConversationHolding,
    ConversationStatus,
    Presence,
    Role,
    Strategy,
    User,
)
from routing import sweeper
from tests.conftest import add_user
from tests.routing.scenario import World


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


async def _queue(world: World, phones: list[str], channel: str = "chat") -> list[int]:
    """Conversations that arrive one second apart, in this order, and wait in the queue."""
    ids = []
    for phone in phones:
        ids.append(await world.inbound(phone, channel=channel))
        world.clock.advance(1)
    for conversation_id in ids:
        assert (await world.conversation(conversation_id)).queued_at is not None
    return ids


def _drained(envelopes: list[Envelope]) -> list[tuple[int, frozenset[int], object]]:
    """(conversation, users addressed, assignee id) of each "assigned" event, in order."""
    found = []
    for envelope in envelopes:
        if envelope.kind == "conversation.changed" and envelope.payload["change"] == "assigned":
            conversation = envelope.payload["conversation"]
            assignee = conversation["assignee"]
            found.append(
                (
                    conversation["id"],
                    envelope.audience.users,
                    assignee["id"] if isinstance(assignee, dict) else None,
                )
            )
    return found


async def test_a_batch_takes_free_capacity_exactly_in_queue_order(world: World) -> None:
    a = await world.operator("a", capacity=3)
    b = await world.operator("b", capacity=1)
    await world.channel("telegram", "chat")
    held = await world.inbound("+79160000000")
    assert await world.holder(held) == "a"  # a holds one: 2 free, b has 1 free
    for login in ("a", "b"):
        await world.set_presence(login, Presence.away)
    ids = await _queue(world, [f"+7916000000{i}" for i in range(1, 6)])
    for login in ("a", "b"):
        await world.set_presence(login, Presence.online)
    subscription = world.hub.bus.subscribe()
    drained_at = world.clock.now

    assert await sweeper.drain_queue(world.hub) == 3

    # Least-busy, oldest first: b (load 0) takes the first; then a (load 1, then 2) the
    # next two; a is then full (3 of 3) and b too (1 of 1): the last two wait, in place.
    assert [await world.holder(i) for i in ids] == ["b", "a", "a", None, None]
    for waiting in ids[3:]:
        conversation = await world.conversation(waiting)
        assert conversation.queued_at is not None and conversation.assignee_id is None
    assert (await world.decisions(ids[0]))[-1] == (
        "assigned: from the queue, least-busy among 2 (load 0)"
    )
    assert (await world.decisions(ids[1]))[-1] == (
        "assigned: from the queue, least-busy among 1 (load 1)"
    )
    assert (await world.decisions(ids[2]))[-1] == (
        "assigned: from the queue, least-busy among 1 (load 2)"
    )
    for conversation_id in ids[:3]:
        conversation = await world.conversation(conversation_id)
        assert conversation.queued_at is None and conversation.wait_alerted_at is None
        assert conversation.offer_expires_at == drained_at + timedelta(seconds=45)
        assert conversation.first_assigned_at == drained_at

    # One pending offer and one open holding each, to the assignee.
    expected = {ids[0]: b.id, ids[1]: a.id, ids[2]: a.id}
    async with world.hub.db.sessions() as session:
        offers = (
            await session.execute(
                select(AssignmentOffer.conversation_id, AssignmentOffer.user_id).where(
                    AssignmentOffer.conversation_id.in_(ids),
                    AssignmentOffer.accepted_at.is_(None),
                    AssignmentOffer.timed_out_at.is_(None),
                    AssignmentOffer.released_at.is_(None),
                )
            )
        ).all()
        holdings = (
            await session.execute(
                select(ConversationHolding.conversation_id, ConversationHolding.user_id).where(
                    ConversationHolding.conversation_id.in_(ids),
                    ConversationHolding.ended_at.is_(None),
                )
            )
        ).all()
    assert sorted(offers) == sorted(expected.items())
    assert sorted(holdings) == sorted(expected.items())

    # The events the assignees' sockets get: the conversation, leaving the shared queue.
    envelopes = []
    while not subscription.queue.empty():
        envelope = subscription.queue.get_nowait()
        if envelope is not None:
            envelopes.append(envelope)
    subscription.close()
    assert _drained(envelopes) == [
        (ids[0], frozenset({b.id}), b.id),
        (ids[1], frozenset({a.id}), a.id),
        (ids[2], frozenset({a.id}), a.id),
    ]
    assert all(e.cursor > 0 for e in envelopes)  # logged, so a reconnect replays them

    # Room again: the next sweep takes the oldest still waiting.
    await world.close(ids[0])
    assert await sweeper.drain_queue(world.hub) == 1
    assert [await world.holder(i) for i in ids[3:]] == ["b", None]


async def test_a_batch_honours_presence_team_skill_and_the_manager(world: World) -> None:
    await world.team("sales", strategy=Strategy.round_robin)
    await world.team("service")
    await world.operator("seller", teams=("sales",))
    await world.operator("gone", teams=("sales",))
    await world.operator("fixer", teams=("service",))
    await world.operator("english", teams=("service",), skills=("lang:en",))
    await world.channel("telegram", "sales", team="sales")
    await world.channel("telegram", "english", team="service")
    async with world.hub.db.sessions() as session, session.begin():
        channel = await session.get_one(Channel, world.channels["english"])
        channel.required_skill = "lang:en"
    await world.client("+79160000009", owner="fixer")
    for login in world.users:
        await world.set_presence(login, Presence.away)
    sales = await _queue(world, ["+79160000001", "+79160000002"], channel="sales")
    english = await _queue(world, ["+79160000003", "+79160000004"], channel="english")
    owned = await _queue(world, ["+79160000009"], channel="sales")
    for login in ("seller", "fixer", "english"):
        await world.set_presence(login, Presence.online)
    await world.set_presence("gone", Presence.offline)

    assert await sweeper.drain_queue(world.hub) == 5

    # Sales work goes to the sales member online (never to the one offline); the English
    # chats to the one with the skill; the client's own manager takes his, though he is
    # not in sales.
    assert [await world.holder(i) for i in sales] == ["seller", "seller"]
    assert [await world.holder(i) for i in english] == ["english", "english"]
    assert await world.holder(owned[0]) == "fixer"
    assert (await world.decisions(owned[0]))[-1] == (
        "assigned: from the queue, responsible manager online"
    )
    assert (await world.decisions(sales[1]))[-1] == "assigned: from the queue, round-robin among 1"


async def test_a_closed_team_waits_and_its_group_keeps_its_order(world: World) -> None:
    # "sales" works 13:00-18:00 Moscow time, "night" takes over outside them; "calm" keeps
    # the same hours and has no after-hours team.
    night = await world.team("night")
    hours = {"tz": "Europe/Moscow", "days": {"mon": [["13:00", "18:00"]]}}
    await world.team("sales", business_hours=hours, after_hours_team_id=night)
    await world.team("calm", business_hours=hours)
    await world.operator("day", teams=("sales", "calm"))
    await world.operator("owl", teams=("night",))
    await world.channel("telegram", "sales", team="sales")
    await world.channel("telegram", "calm", team="calm")
    for login in world.users:
        await world.set_presence(login, Presence.away)
    world.clock.advance(3600)  # Monday 15 June 2026 10:00 UTC, 13:00 in Moscow: open
    calm = await _queue(world, ["+79160000001"], channel="calm")
    sales = await _queue(world, ["+79160000002"], channel="sales")
    world.clock.advance(6 * 3600)  # 19:00 in Moscow: both teams closed
    for login in world.users:
        await world.set_presence(login, Presence.online)

    assert await sweeper.drain_queue(world.hub) == 1

    assert await world.holder(calm[0]) is None  # closed, nobody to hand it to: it waits
    assert await world.holder(sales[0]) == "owl"
    assert (await world.conversation(sales[0])).team_id == night
    assert (await world.decisions(sales[0]))[-2:] == [
        "after_hours: outside sales hours: to the after-hours team",
        "assigned: from the queue, least-busy among 1 (load 0)",
    ]


async def test_two_drains_at_once_never_overfill(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two drains (two nodes' sweepers) at once, in batches of three so their transactions
    interleave: four operators of two take eight, no more, each offered once."""
    if world.hub.db.dialect != "postgresql":
        pytest.skip("concurrent writers share a server database; SQLite has one writer")
    monkeypatch.setattr(sweeper, "DRAIN_BATCH", 3)
    for i in range(4):
        await world.operator(f"op{i}", capacity=2, online=False)
    await world.channel("telegram", "chat")
    await _queue(world, [f"+791600000{i:02d}" for i in range(20)])
    for i in range(4):
        await world.set_presence(f"op{i}", Presence.online)

    first, second = await asyncio.gather(
        sweeper.drain_queue(world.hub, limit=20), sweeper.drain_queue(world.hub, limit=20)
    )

    assert first + second == 8
    async with world.hub.db.sessions() as session:
        loads = dict(
            (
                await session.execute(
                    select(Conversation.assignee_id, func.count())
                    .where(
                        Conversation.status == ConversationStatus.open,
                        Conversation.assignee_id.is_not(None),
                    )
                    .group_by(Conversation.assignee_id)
                )
            ).all()
        )
        offers = (
            await session.execute(
                select(AssignmentOffer.conversation_id, func.count()).group_by(
                    AssignmentOffer.conversation_id
                )
            )
        ).all()
        queued = (
            await session.execute(select(func.count()).where(Conversation.queued_at.is_not(None)))
        ).scalar_one()
    assert sorted(loads.values()) == [2, 2, 2, 2]
    assert len(offers) == 8 and all(count == 1 for _, count in offers)
    assert queued == 12


async def test_round_robin_turns_within_one_batch(world: World) -> None:
    await world.team("sales", strategy=Strategy.round_robin)
    for login in ("a", "b", "c"):
        await world.operator(login, teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    for login in ("a", "b", "c"):
        await world.set_presence(login, Presence.away)
    ids = await _queue(world, [f"+791600000{i:02d}" for i in range(6)])
    for login in ("a", "b", "c"):
        await world.set_presence(login, Presence.online)

    assert await sweeper.drain_queue(world.hub) == 6

    # Each offer makes its operator the most recently assigned, so the next goes on.
    assert [await world.holder(i) for i in ids] == ["a", "b", "c", "a", "b", "c"]


async def test_e_mails_take_half_a_seat_in_a_batch(world: World) -> None:
    await world.operator("a", capacity=1, online=False)
    await world.channel("email", "mail")
    ids = []
    for i in range(3):
        ids.append(await world.inbound(f"+7916000000{i}", channel="mail", kind="email"))
        world.clock.advance(1)
    await world.set_presence("a", Presence.online)

    assert await sweeper.drain_queue(world.hub) == 2

    assert [await world.holder(i) for i in ids] == ["a", "a", None]


async def _set_user(world: World, login: str, **values: object) -> None:
    async with world.hub.db.sessions() as session, session.begin():
        user = await session.get_one(User, world.users[login].id)
        for name, value in values.items():
            setattr(user, name, value)


async def test_batches_follow_on_after_the_last_read_and_a_stuck_group_waits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of three, the queue read on after the last conversation read (ties of one
    instant by id): a group whose oldest nobody can take (a manual team) keeps its later ones
    waiting, while the others behind it in the same batch and the next are offered."""
    monkeypatch.setattr(sweeper, "DRAIN_BATCH", 3)
    await world.team("manual", strategy=Strategy.manual)
    await world.operator("a", capacity=5, online=False)
    await world.channel("telegram", "manual", team="manual")
    await world.channel("telegram", "chat")
    # All at one instant: the continuation's order is then the conversations' ids.
    held = [await world.inbound(f"+7916000001{i}", channel="manual") for i in range(2)]
    free = [await world.inbound(f"+7916000002{i}", channel="chat") for i in range(4)]
    await world.set_presence("a", Presence.online)

    # The limit counts what is read: 2 manual + 3 free of the first six.
    assert await sweeper.drain_queue(world.hub, limit=5) == 3
    assert [await world.holder(i) for i in held + free] == [None, None, "a", "a", "a", None]
    # The next drain reads on from the start and takes the one left.
    assert await sweeper.drain_queue(world.hub) == 1
    assert await world.holder(free[3]) == "a"
    assert [await world.holder(i) for i in held] == [None, None]


async def test_whom_it_timed_out_on_is_not_offered_it_and_its_group_waits_behind_it(
    world: World,
) -> None:
    await world.operator("a", capacity=5)
    await world.operator("b", capacity=5, online=False)
    await world.channel("telegram", "chat")
    first = await world.inbound("+79160000031")
    assert await world.holder(first) == "a"
    await world.tick(46)  # a lets the offer time out: it goes back to the queue
    assert await world.holder(first) is None
    await world.set_presence("a", Presence.away)
    second = await world.inbound("+79160000032")
    await world.set_presence("a", Presence.online)

    # a may not have the first again, and the second (same group) waits behind it.
    assert await sweeper.drain_queue(world.hub) == 0
    assert [await world.holder(first), await world.holder(second)] == [None, None]
    await world.set_presence("b", Presence.online)
    # b takes the first; the second, free of it now, goes to the less busy, a.
    assert await sweeper.drain_queue(world.hub) == 2
    assert [await world.holder(first), await world.holder(second)] == ["b", "a"]


async def test_only_active_operators_online_and_off_calls_take_from_the_queue(
    world: World,
) -> None:
    boss = await add_user(world.hub, "boss", role=Role.supervisor, online=True)
    world.users["boss"] = boss
    for login in ("talking", "left", "a"):
        await world.operator(login, capacity=5, online=False)
    await world.channel("telegram", "chat")
    ids = await _queue(world, ["+79160000041", "+79160000042"])
    await world.set_presence("talking", Presence.online)
    await world.set_presence("left", Presence.online)
    await _set_user(world, "talking", on_call=True)
    await _set_user(world, "left", is_active=False)

    # A supervisor, an operator on a call and a deactivated one: nobody takes work.
    assert await sweeper.drain_queue(world.hub) == 0
    assert [await world.holder(i) for i in ids] == [None, None]
    await world.set_presence("a", Presence.online)
    assert await sweeper.drain_queue(world.hub) == 2
    assert [await world.holder(i) for i in ids] == ["a", "a"]


async def test_round_robin_goes_on_from_who_was_assigned_last_before_the_drain(
    world: World,
) -> None:
    await world.team("sales", strategy=Strategy.round_robin, accept_timeout_s=90)
    for login in ("a", "b", "c"):
        await world.operator(login, teams=("sales",), online=False)
    await world.channel("telegram", "chat", team="sales")
    now = world.clock.now
    # b got work last, a before him, c longest ago: c, a, b, then c again.
    await _set_user(world, "a", last_assigned_at=now - timedelta(minutes=5))
    await _set_user(world, "b", last_assigned_at=now - timedelta(minutes=1))
    await _set_user(world, "c", last_assigned_at=now - timedelta(minutes=9))
    ids = await _queue(world, [f"+7916000005{i}" for i in range(4)])
    for login in ("a", "b", "c"):
        await world.set_presence(login, Presence.online)
    drained_at = world.clock.now

    assert await sweeper.drain_queue(world.hub, limit=2) == 2
    world.clock.advance(1)  # the next sweep, a moment later, goes on turning
    assert await sweeper.drain_queue(world.hub) == 2

    assert [await world.holder(i) for i in ids] == ["c", "a", "b", "c"]
    # The team's own accept timeout, not the default 45 s.
    assert (await world.conversation(ids[0])).offer_expires_at == drained_at + timedelta(seconds=90)


async def test_the_responsible_manager_outside_the_teams_takes_his_client_when_he_has_room(
    world: World,
) -> None:
    await world.team("sales")
    await world.operator("seller", teams=("sales",), online=False)
    await world.operator("owner", capacity=1, online=False)  # in no team
    await world.operator("busy", capacity=1, online=False)  # in no team, full
    await world.channel("telegram", "sales", team="sales")
    await world.channel("telegram", "chat")
    await world.client("+79160000061", owner="owner")
    await world.client("+79160000062", owner="busy")
    ids = await _queue(world, ["+79160000061", "+79160000062"], channel="sales")
    await world.set_presence("busy", Presence.online)
    filler = await world.inbound("+79160000069")  # no team's channel: busy takes it, now full
    assert await world.holder(filler) == "busy"
    for login in ("seller", "owner"):
        await world.set_presence(login, Presence.online)

    assert await sweeper.drain_queue(world.hub) == 2

    # The owner (capacity 1, nothing held) takes his client's; the full one's goes to sales.
    assert [await world.holder(i) for i in ids] == ["owner", "seller"]
    assert (await world.decisions(ids[0]))[-1] == (
        "assigned: from the queue, responsible manager online"
    )


async def test_the_queue_is_read_by_when_each_began_to_wait_across_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two over conversations queued a second apart, the first batch all stuck:
    the next batch reads on after it by time, each row once (the limit counts rows read);
    and a conversation back in the queue waits behind those queued before it came back,
    whatever its id."""
    monkeypatch.setattr(sweeper, "DRAIN_BATCH", 2)
    await world.team("manual", strategy=Strategy.manual)
    await world.operator("a", capacity=5, online=False)
    await world.channel("telegram", "manual", team="manual")
    await world.channel("telegram", "chat")
    held = await _queue(world, ["+79160000071", "+79160000072"], channel="manual")
    free = await _queue(world, [f"+7916000008{i}" for i in range(3)])
    await world.set_presence("a", Presence.online)

    assert await sweeper.drain_queue(world.hub, limit=5) == 3
    assert [await world.holder(i) for i in free] == ["a", "a", "a"]
    assert [await world.holder(i) for i in held] == [None, None]


async def test_a_conversation_back_in_the_queue_waits_behind_those_queued_before(
    world: World,
) -> None:
    """Queue order is when each began to wait, not its number: a conversation that came back
    to the queue (its queued_at moved on) is behind one that has waited since before."""
    await world.operator("a", capacity=1, online=False)
    await world.channel("telegram", "chat")
    back, waiting = await _queue(world, ["+79160000091", "+79160000092"])
    async with world.hub.db.sessions() as session, session.begin():
        returned = await session.get_one(Conversation, back)
        returned.queued_at = world.clock.now  # back in the queue after «waiting» came
    await world.set_presence("a", Presence.online)

    assert await sweeper.drain_queue(world.hub) == 1
    assert [await world.holder(back), await world.holder(waiting)] == [None, "a"]


async def test_the_responsible_manager_without_the_skill_or_timed_out_is_passed_over(
    world: World,
) -> None:
    await world.operator("owner", online=False)  # his clients' manager, no English
    await world.operator("english", skills=("lang:en",), online=False)
    await world.channel("telegram", "english")
    await world.channel("telegram", "chat")
    async with world.hub.db.sessions() as session, session.begin():
        channel = await session.get_one(Channel, world.channels["english"])
        channel.required_skill = "lang:en"
    await world.client("+79160000101", owner="owner")
    await world.client("+79160000102", owner="owner")
    await world.set_presence("owner", Presence.online)
    # His client on the plain channel: offered to him, and he lets it time out.
    plain = await world.inbound("+79160000102", channel="chat")
    assert await world.holder(plain) == "owner"
    await world.set_presence("owner", Presence.away)
    await world.tick(46)
    english = await _queue(world, ["+79160000101"], channel="english")
    await world.set_presence("owner", Presence.online)
    await world.set_presence("english", Presence.online)

    assert await sweeper.drain_queue(world.hub) == 2

    # Neither goes to him: one needs English, the other timed out on him.
    assert await world.holder(english[0]) == "english"
    assert await world.holder(plain) == "english"
