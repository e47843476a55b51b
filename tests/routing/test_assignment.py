"""Routing scenarios: owner first, strategies, timeouts, queue, presence, hours, transfer."""

from __future__ import annotations

import pytest

from hub.actions import calls, unit_of_work
from hub.core import Hub
from hub.models import Conversation, Presence, Strategy, Team, User
from routing import presence as presence_module
from routing import sweeper, transfer
from routing.transfer import TransferError
from tests.routing.scenario import World


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


@pytest.mark.parametrize(
    ("owner_state", "expected_holder", "reason_part"),
    [
        ("online", "owner", "responsible manager online"),
        ("offline", "other", "least-busy among 1"),
        ("away", "other", "least-busy among 1"),
        ("full", "other", "least-busy among 1"),
    ],
)
async def test_responsible_manager_first(
    world: World, owner_state: str, expected_holder: str, reason_part: str
) -> None:
    await world.operator("owner", capacity=1, online=owner_state in ("online", "full"))
    if owner_state == "away":
        await world.set_presence("owner", Presence.away)
    await world.operator("other")
    await world.channel("telegram", "chat")
    await world.client("+79160000001", owner="owner")
    if owner_state == "full":
        await world.client("+79160000002", owner="owner")
        assert await world.holder(await world.inbound("+79160000002")) == "owner"
    conversation = await world.inbound("+79160000001")
    assert await world.holder(conversation) == expected_holder
    assert any(reason_part in d for d in await world.decisions(conversation))


async def test_least_busy_spreads_by_load(world: World) -> None:
    await world.team("sales", strategy=Strategy.least_busy)
    for login in ("a", "b", "c"):
        await world.operator(login, teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    holders = [await world.holder(await world.inbound(f"+7916000{i:04d}")) for i in range(6)]
    assert sorted(holders) == ["a", "a", "b", "b", "c", "c"]


async def test_round_robin_cycles_in_order(world: World) -> None:
    await world.team("sales", strategy=Strategy.round_robin)
    for login in ("a", "b", "c"):
        await world.operator(login, teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    holders = []
    for i in range(6):
        holders.append(await world.holder(await world.inbound(f"+7916000{i:04d}")))
        world.clock.advance(1)
    assert holders == ["a", "b", "c", "a", "b", "c"]


async def test_longest_idle_prefers_the_operator_without_work(world: World) -> None:
    await world.team("sales", strategy=Strategy.longest_idle)
    for login in ("a", "b"):
        await world.operator(login, teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    first = await world.inbound("+79160000001")
    world.clock.advance(10)
    second = await world.inbound("+79160000002")
    assert {await world.holder(first), await world.holder(second)} == {"a", "b"}
    await world.close(first)
    world.clock.advance(10)
    # The one whose conversation closed holds nothing now: idle beats "assigned longer ago".
    third = await world.inbound("+79160000003")
    assert (
        await world.holder(third) == await world.holder(first) or await world.holder(first) is None
    )


async def test_team_members_only_and_skills(world: World) -> None:
    await world.team("sales")
    await world.team("service")
    await world.operator("seller", teams=("sales",))
    await world.operator("fixer", teams=("service",))
    await world.operator("english", teams=("service",), skills=("lang:en",))
    await world.channel("telegram", "chat", team="service")
    async with world.hub.db.sessions() as session, session.begin():
        from hub.models import Channel

        channel = await session.get_one(Channel, world.channels["chat"])
        channel.required_skill = "lang:en"
    assert await world.holder(await world.inbound("+79160000001")) == "english"


async def test_timeout_moves_it_on_and_records_why(world: World) -> None:
    await world.team("sales", accept_timeout_s=45, strategy=Strategy.round_robin)
    await world.operator("a", teams=("sales",))
    await world.operator("b", teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    conversation = await world.inbound("+79160000001")
    assert await world.holder(conversation) == "a"
    await world.tick(30)
    assert await world.holder(conversation) == "a"
    await world.tick(16)
    assert await world.holder(conversation) == "b"
    decisions = await world.decisions(conversation)
    assert any("timeout after 45 s, moved from A" in d for d in decisions), decisions
    # B lets it time out too: nobody left who has not, so it waits in the queue.
    await world.tick(46)
    assert await world.holder(conversation) is None
    assert (await world.conversation(conversation)).queued_at is not None


async def test_answering_accepts_so_no_timeout(world: World) -> None:
    from hub.actions.messages import queue_reply

    await world.team("sales", accept_timeout_s=45)
    a = await world.operator("a", teams=("sales",))
    await world.operator("b", teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    conversation_id = await world.inbound("+79160000001")
    holder = await world.holder(conversation_id)
    user = a if holder == "a" else world.users["b"]
    async with unit_of_work(world.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        await queue_reply(
            uow, conversation, await uow.session.get_one(User, user.id), "Здравствуйте!"
        )
    await world.tick(100)
    assert await world.holder(conversation_id) == holder
    assert (await world.conversation(conversation_id)).offer_expires_at is None


async def test_queue_drains_in_order_when_capacity_frees(world: World) -> None:
    await world.operator("a", capacity=1)
    await world.operator("b", capacity=1)
    await world.channel("telegram", "chat")
    ids = []
    for i in range(5):
        ids.append(await world.inbound(f"+7916000{i:04d}"))
        world.clock.advance(1)
    holders = [await world.holder(i) for i in ids]
    assert sorted(h for h in holders[:2] if h) == ["a", "b"] and holders[2:] == [None] * 3
    await world.close(ids[0])
    await world.tick(1)
    assert await world.holder(ids[2]) == holders[0]
    assert await world.holder(ids[3]) is None and await world.holder(ids[4]) is None
    await world.close(ids[1])
    await world.tick(1)
    assert await world.holder(ids[3]) == holders[1]


async def test_offline_operator_returns_unanswered_work(world: World) -> None:
    await world.operator("a", capacity=5)
    await world.channel("telegram", "chat")
    ids = [await world.inbound(f"+7916000{i:04d}") for i in range(2)]
    await world.operator("b", capacity=5)
    await world.set_presence("a", Presence.offline)
    for conversation_id in ids:
        assert await world.holder(conversation_id) is None
        assert any("A went offline" in d for d in await world.decisions(conversation_id))
    await world.tick(1)
    assert [await world.holder(i) for i in ids] == ["b", "b"]


async def test_silent_browser_goes_offline_within_the_timeout(world: World) -> None:
    await world.operator("a")
    world.clock.advance(61)
    await presence_module.expire_silent(world.hub)
    async with world.hub.db.sessions() as session:
        user = await session.get_one(User, world.users["a"].id)
    assert user.presence is Presence.offline


async def test_on_call_operator_gets_no_chats(world: World) -> None:
    await world.operator("a")
    await world.operator("b")
    await world.channel("telegram", "chat")
    async with unit_of_work(world.hub) as uow:
        await calls.set_on_call(uow, world.users["a"].id, True)
    holders = {await world.holder(await world.inbound(f"+7916000{i:04d}")) for i in range(3)}
    assert holders == {"b"}


async def test_email_weighs_less_than_a_chat(world: World) -> None:
    await world.operator("a", capacity=1)
    await world.channel("email", "mail")
    first = await world.inbound("+79160000001", channel="mail", kind="email")
    second = await world.inbound("+79160000002", channel="mail", kind="email")
    third = await world.inbound("+79160000003", channel="mail", kind="email")
    assert [await world.holder(i) for i in (first, second, third)] == ["a", "a", None]


async def test_outside_business_hours_waits_without_timeouts(world: World) -> None:
    # Monday 15 June 2026 09:00 UTC is 12:00 in Moscow; the team works 13:00-18:00.
    hours = {"tz": "Europe/Moscow", "days": {"mon": [["13:00", "18:00"]]}}
    await world.team("sales", business_hours=hours)
    await world.operator("a", teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    conversation = await world.inbound("+79160000001")
    assert await world.holder(conversation) is None
    assert any("outside sales business hours" in d for d in await world.decisions(conversation))
    await world.tick(3600)  # 13:00 Moscow: the team opens and the queue drains
    assert await world.holder(conversation) == "a"


async def test_after_hours_team_takes_over(world: World) -> None:
    night = await world.team("night")
    hours = {"tz": "Europe/Moscow", "days": {"mon": [["13:00", "18:00"]]}}
    await world.team("sales", business_hours=hours, after_hours_team_id=night)
    await world.operator("day", teams=("sales",))
    await world.operator("owl", teams=("night",))
    await world.channel("telegram", "chat", team="sales")
    conversation = await world.inbound("+79160000001")
    assert await world.holder(conversation) == "owl"


async def test_manual_strategy_queues_for_picking(world: World) -> None:
    await world.team("sales", strategy=Strategy.manual)
    await world.operator("a", teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    conversation = await world.inbound("+79160000001")
    await world.tick(5)
    assert await world.holder(conversation) is None
    assert any("manual pick" in d for d in await world.decisions(conversation))


async def test_long_wait_alerts_supervisors_once(world: World) -> None:
    await world.team("sales", wait_limit_s=120)
    await world.channel("telegram", "chat", team="sales")
    conversation = await world.inbound("+79160000001")
    subscription = world.hub.bus.subscribe()
    await world.tick(60)
    await world.tick(61)
    await world.tick(300)
    alerts = []
    while not subscription.queue.empty():
        envelope = subscription.queue.get_nowait()
        if envelope is not None and envelope.kind == "queue.alert":
            alerts.append(envelope)
    subscription.close()
    assert len(alerts) == 1 and alerts[0].payload["conversation_id"] == conversation
    assert alerts[0].payload["waited_s"] >= 120


async def test_transfer_to_operator_and_team_with_note(world: World) -> None:
    await world.team("sales")
    await world.team("service")
    await world.operator("a", teams=("sales",))
    await world.operator("b", teams=("sales",))
    await world.operator("fixer", teams=("service",))
    await world.channel("telegram", "chat", team="sales")
    conversation_id = await world.inbound("+79160000001")
    first = await world.holder(conversation_id)
    other = "b" if first == "a" else "a"
    async with unit_of_work(world.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        by = await uow.session.get_one(User, world.users[first or "a"].id)
        target = await uow.session.get_one(User, world.users[other].id)
        await transfer.to_operator(uow, conversation, target, by, "клиент просит коллегу")
    assert await world.holder(conversation_id) == other
    async with unit_of_work(world.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        by = await uow.session.get_one(User, world.users[other].id)
        team = await uow.session.get_one(Team, world.teams["service"])
        assert await transfer.to_team(uow, conversation, team, by, "это гарантия")
    assert await world.holder(conversation_id) == "fixer"
    decisions = await world.decisions(conversation_id)
    assert any("transferred to" in d and "клиент просит коллегу" in d for d in decisions)
    assert any("transferred to team service" in d for d in decisions)


async def test_transfer_to_offline_operator_is_refused(world: World) -> None:
    await world.operator("a")
    await world.operator("gone", online=False)
    await world.channel("telegram", "chat")
    conversation_id = await world.inbound("+79160000001")
    async with unit_of_work(world.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        by = await uow.session.get_one(User, world.users["a"].id)
        gone = await uow.session.get_one(User, world.users["gone"].id)
        with pytest.raises(TransferError):
            await transfer.to_operator(uow, conversation, gone, by)


async def test_timing_fields(world: World) -> None:
    from hub.actions.messages import queue_reply

    await world.operator("a")
    await world.channel("telegram", "chat")
    conversation_id = await world.inbound("+79160000001")
    created = world.clock.now
    world.clock.advance(30)
    async with unit_of_work(world.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        await queue_reply(
            uow, conversation, await uow.session.get_one(User, world.users["a"].id), "Да"
        )
    conversation = await world.conversation(conversation_id)
    assert conversation.created_at == created and conversation.first_assigned_at == created
    assert (conversation.first_response_at - created).total_seconds() == 30
    assert conversation.waiting_since is None
    await world.inbound("+79160000001")
    assert (await world.conversation(conversation_id)).waiting_since == world.clock.now


async def test_reopen_within_window_else_new(world: World) -> None:
    await world.operator("a")
    await world.channel("telegram", "chat")
    first = await world.inbound("+79160000001")
    await world.close(first)
    world.clock.advance(3600)
    assert await world.inbound("+79160000001") == first
    await world.close(first)
    world.clock.advance(world.hub.settings.reopen_window_s + 1)
    assert await world.inbound("+79160000001") != first


async def test_sweeper_is_idle_safe(world: World) -> None:
    assert await sweeper.expire_offers(world.hub) == 0
    assert await sweeper.drain_queue(world.hub) == 0


async def test_a_queue_nobody_can_take_costs_one_try_per_team(world: World) -> None:
    """Twelve waiting and the only operator full: a sweep tries the oldest once and leaves
    the rest in their order without a transaction each; room again, it takes the oldest."""
    from sqlalchemy import event

    await world.operator("a", capacity=1)
    await world.channel("telegram", "chat")
    ids = []
    for i in range(13):
        ids.append(await world.inbound(f"+7916100{i:04d}"))
        world.clock.advance(1)
    assert await world.holder(ids[0]) == "a"
    commits: list[int] = []

    def committed(_connection: object) -> None:
        commits.append(1)

    engine = world.hub.db.engine.sync_engine
    event.listen(engine, "commit", committed)
    try:
        assert await sweeper.drain_queue(world.hub) == 0
    finally:
        event.remove(engine, "commit", committed)
    assert len(commits) == 1  # the oldest tried, the eleven behind it left alone
    await world.close(ids[0])
    assert await sweeper.drain_queue(world.hub) == 1
    assert await world.holder(ids[1]) == "a"
    assert [await world.holder(i) for i in ids[2:]] == [None] * 11
