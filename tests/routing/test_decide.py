"""Routing decides, actions write: `decide` names an outcome and leaves the database alone;
the presence heartbeat is written by `hub.actions.presence`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from hub.actions import unit_of_work
from hub.core import Hub
from hub.models import Conversation, EventLog, RoutingDecision, User
from routing import assignment
from routing import presence as presence_module
from tests.routing.scenario import World

START = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # the test clock's start


async def _count(hub: Hub, model: type[EventLog] | type[RoutingDecision]) -> int:
    async with hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_decide_names_the_operator_and_writes_nothing(hub: Hub) -> None:
    world = await World.create(hub)
    await world.operator("a")
    await world.channel("telegram", "chat")
    conversation_id = await world.inbound("+79160000001")
    await world.operator("b")
    decisions_before = await _count(hub, RoutingDecision)
    async with unit_of_work(hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        decision = await assignment.decide(
            uow, conversation, None, exclude=frozenset({world.users["a"].id})
        )
        assert not (uow.session.new or uow.session.dirty or uow.session.deleted)
    assert isinstance(decision, assignment.OfferTo)
    assert decision.user.login == "b"
    assert decision.reason.text() == "least-busy among 1 (load 0)"
    assert decision.accept_timeout_s == assignment.DEFAULT_ACCEPT_TIMEOUT_S
    # Nothing was applied: a still holds it, and no decision was recorded.
    assert await world.holder(conversation_id) == "a"
    assert await _count(hub, RoutingDecision) == decisions_before


async def test_decide_says_why_it_waits(hub: Hub) -> None:
    world = await World.create(hub)
    await world.operator("a")
    await world.channel("telegram", "chat")
    conversation_id = await world.inbound("+79160000001")
    async with unit_of_work(hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        decision = await assignment.decide(
            uow, conversation, None, exclude=frozenset({world.users["a"].id})
        )
    assert isinstance(decision, assignment.Queue)
    assert decision.reason.text() == "no operator online"
    assert await world.holder(conversation_id) == "a"


async def test_heartbeat_stamps_presence_quietly(hub: Hub) -> None:
    world = await World.create(hub)
    user = await world.operator("a")
    world.clock.advance(42)
    events_before = await _count(hub, EventLog)
    await presence_module.heartbeat(hub, user.id)
    async with hub.db.sessions() as session:
        stamped = (await session.get_one(User, user.id)).presence_at
    assert stamped is not None
    # SQLite hands datetimes back without their zone; they are stored in UTC.
    aware = stamped if stamped.tzinfo else stamped.replace(tzinfo=UTC)
    assert aware == START + timedelta(seconds=42)
    assert await _count(hub, EventLog) == events_before
