"""Teams, their members and the production calendar kept per process (hub/team_cache.py), on
both databases: read once between changes, read afresh after a change made through an
action on this node or heard on the bus from another, and a batch of new requests routed by
what was changed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from hub.actions import robots as robot_actions
from hub.actions.teams import create_team, update_team
from hub.bus import MemoryBus, RedisBus
from hub.core import Hub
from hub.db import Database
from hub.host.team_sync import follow_team_changes
from hub.models import Strategy
from hub.policy import SystemActor
from tests.conftest import REDIS_URL, Backend
from tests.routing.counting import statements, together
from tests.routing.scenario import World
from tests.routing.test_first_requests import first_message

SYSTEM = SystemActor()
MONDAY_9_TO_18 = {"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]]}}


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


async def kept_teams(hub: Hub) -> tuple[dict[int, str], list[str]]:
    """The teams' names as the cache gives them, and the reads that took (SQLite's driver
    sends BEGIN as a statement too)."""
    async with hub.db.sessions() as session:
        with statements(hub) as sent:
            teams = await hub.teams.teams(session)
    return {i: t.name for i, t in teams.items()}, [s for s in sent if s.startswith("SELECT")]


async def test_the_tables_are_read_once_until_a_team_changes(world: World) -> None:
    hub = world.hub
    anna = await world.operator("anna")
    sales = await create_team(hub, SYSTEM, "Продажи", member_ids=[anna.id])
    first, sent = await kept_teams(hub)
    assert first == {sales.id: "Продажи"}
    assert len(sent) == 3  # teams, members, calendar
    again, sent = await kept_teams(hub)
    assert again == first and sent == []
    async with hub.db.sessions() as session:
        with statements(hub) as sent:
            assert await hub.teams.teams_of(session, [anna.id, anna.id + 100]) == {
                anna.id: {sales.id}
            }
            await hub.teams.working_time(session)
    assert [s for s in sent if s.startswith("SELECT")] == []

    await update_team(hub, SYSTEM, sales.id, name="Отдел продаж", member_ids=[])
    renamed, sent = await kept_teams(hub)
    assert renamed == {sales.id: "Отдел продаж"} and len(sent) == 3
    async with hub.db.sessions() as session:
        assert await hub.teams.teams_of(session, [anna.id]) == {}

    support = await create_team(hub, SYSTEM, "Поддержка")
    both, _ = await kept_teams(hub)
    assert both == {sales.id: "Отдел продаж", support.id: "Поддержка"}


async def test_callers_get_copies_they_cannot_spoil(world: World) -> None:
    hub = world.hub
    team = await create_team(hub, SYSTEM, "Продажи", business_hours=dict(MONDAY_9_TO_18))
    async with hub.db.sessions() as session:
        mine = (await hub.teams.teams(session))[team.id]
        assert mine.business_hours is not None
        mine.business_hours["days"]["mon"][0][1] = "23:59"
        mine.name = "Испорчено"
        theirs = (await hub.teams.teams(session))[team.id]
        work = await hub.teams.working_time(session)
    assert theirs.name == "Продажи"
    assert theirs.business_hours == MONDAY_9_TO_18
    assert work.hours_by_team == {team.id: MONDAY_9_TO_18}


async def test_a_calendar_day_changed_is_counted_at_once(world: World) -> None:
    hub = world.hub
    team = await create_team(hub, SYSTEM, "Продажи", business_hours=dict(MONDAY_9_TO_18))
    monday = date(2026, 12, 7)
    nine, ten = (datetime(2026, 12, 7, h, tzinfo=UTC) for h in (6, 7))  # MSK 9, 10
    async with hub.db.sessions() as session:
        assert (await hub.teams.working_time(session)).seconds(team.id, nine, ten) == 3600
    await robot_actions.set_calendar_day(hub, SYSTEM, monday, "holiday", "Праздник")
    async with hub.db.sessions() as session:
        assert (await hub.teams.working_time(session)).seconds(team.id, nine, ten) == 0
    # An ordinary day again.
    await robot_actions.set_calendar_day(hub, SYSTEM, monday, None)
    async with hub.db.sessions() as session:
        assert (await hub.teams.working_time(session)).seconds(team.id, nine, ten) == 3600


async def test_tables_read_while_a_change_happened_are_not_kept(world: World) -> None:
    hub = world.hub
    await create_team(hub, SYSTEM, "Продажи")
    engine = hub.db.engine.sync_engine

    def changed_meanwhile(*_: object) -> None:
        hub.teams.forget()  # as an action's change would, mid-read

    event.listen(engine, "before_cursor_execute", changed_meanwhile, once=True)
    try:
        first, sent = await kept_teams(hub)
    finally:
        with contextlib.suppress(Exception):
            event.remove(engine, "before_cursor_execute", changed_meanwhile)
    assert len(first) == 1 and len(sent) == 3
    _, sent = await kept_teams(hub)
    assert len(sent) == 3  # read again: the first read may have been older than the change
    _, sent = await kept_teams(hub)
    assert sent == []


@contextlib.asynccontextmanager
async def other_node(hub: Hub, backend: Backend) -> AsyncIterator[Hub]:
    """A second node on the same database and bus (Redis, same prefix; the memory bus is
    one process's, shared)."""
    bus: MemoryBus | RedisBus
    if backend.redis_url is None:
        assert isinstance(hub.bus, MemoryBus)
        bus = hub.bus
    else:
        bus = RedisBus(REDIS_URL, backend.redis_prefix)
        await bus.start()
    node = Hub(settings=hub.settings, db=Database(backend.database_url), bus=bus, clock=hub.clock)
    try:
        yield node
    finally:
        if bus is not hub.bus:
            await bus.close()
        await node.db.dispose()


async def until_kept(hub: Hub, expected: dict[int, str]) -> None:
    async with asyncio.timeout(10):
        while (await kept_teams(hub))[0] != expected:
            await asyncio.sleep(0.02)


async def test_a_change_on_another_node_is_heard_on_the_bus(world: World, backend: Backend) -> None:
    hub = world.hub
    team = await create_team(hub, SYSTEM, "Продажи")
    assert (await kept_teams(hub))[0] == {team.id: "Продажи"}
    follower = asyncio.create_task(follow_team_changes(hub))
    try:
        async with other_node(hub, backend) as node:
            # The follower is subscribed once a change of this node's is heard.
            await update_team(hub, SYSTEM, team.id, name="Продажи 2")
            await until_kept(hub, {team.id: "Продажи 2"})
            await update_team(node, SYSTEM, team.id, name="Отдел продаж")
            await until_kept(hub, {team.id: "Отдел продаж"})
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


async def test_a_batch_of_new_requests_is_routed_by_the_changed_team(world: World) -> None:
    hub = world.hub
    anna = await world.operator("anna", capacity=10)
    boris = await world.operator("boris", capacity=10)
    sales = await create_team(
        hub, SYSTEM, "Продажи", strategy=Strategy.least_busy, member_ids=[boris.id]
    )
    world.teams["Продажи"] = sales.id
    await world.channel("telegram", "chat", team="Продажи")
    receipts = await together(hub, *(first_message(n, f"+791610000{n}") for n in range(10, 14)))
    assert [await world.holder(r.conversation_id or 0) for r in receipts] == ["boris"] * 4

    # Anna joins: the least busy of the two from now on (Boris holds four).
    await update_team(hub, SYSTEM, sales.id, member_ids=[anna.id, boris.id])
    # New senders (and new events: the first batch's ids would be repeats).
    receipts = await together(hub, *(first_message(n, f"+791620000{n}") for n in range(20, 23)))
    assert [await world.holder(r.conversation_id or 0) for r in receipts] == ["anna"] * 3
