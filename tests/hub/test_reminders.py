"""The reminder scheduler on both backends, with a controllable clock (no sleeping): a due
reminder gives exactly one `reminder.due` to the right user, not again after a restart,
late after downtime, and still once when two nodes tick at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import activities, leases
from hub.auth import Principal
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.host.reminders import LEASE, ReminderScheduler
from hub.models import Activity, EventLog, Role, User
from tests.conftest import Backend, Clock, add_user


def person(user: User) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, "ru")


@pytest.fixture
def clock() -> Clock:
    return Clock()  # Monday 2026-06-15 09:00 UTC


@pytest.fixture
async def node(hub: Hub, clock: Clock) -> Hub:
    hub.clock = clock
    return hub


@pytest.fixture
async def second_node(backend: Backend, clock: Clock) -> AsyncIterator[Hub]:
    """Another node on the same database and bus, with its own engine and connections."""
    settings = backend.settings()
    db = Database(settings.database_url)
    bus = create_bus(settings.redis_url, settings.redis_prefix)
    await bus.start()
    yield Hub(settings=settings, db=db, bus=bus, clock=clock)
    await bus.close()
    await db.dispose()


async def reminders_logged(hub: Hub) -> list[dict[str, Any]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(EventLog.payload, EventLog.audience)
            .where(EventLog.kind == "reminder.due")
            .order_by(EventLog.id)
        )
        return [{**payload, "audience": audience} for payload, audience in rows]


async def remind(hub: Hub, user: User, minutes: int, subject: str = "Перезвонить") -> int:
    start = hub.clock()
    return await activities.create_activity(
        hub,
        person(user),
        {
            "kind": "call",
            "subject": subject,
            "due_at": start + timedelta(minutes=minutes + 10),
            "remind_at": start + timedelta(minutes=minutes),
        },
    )


async def test_a_due_reminder_reaches_its_user_once_and_not_after_a_restart(
    node: Hub, clock: Clock
) -> None:
    olga = await add_user(node, "olga")
    petr = await add_user(node, "petr")
    activity_id = await remind(node, olga, 5)
    await remind(node, petr, 60, "Петру позже")
    scheduler = ReminderScheduler(node)
    assert await scheduler.tick() == 0  # not yet
    clock.advance(5 * 60)
    assert await scheduler.tick() == 1
    assert await scheduler.tick() == 0
    [event] = await reminders_logged(node)
    assert event["audience"] == {"users": [olga.id], "roles": []}
    assert event["activity"]["id"] == activity_id
    assert (event["late"], event["remind_at"]) == (False, "2026-06-15T09:05:00+00:00")
    assert event["activity"]["subject"] == "Перезвонить"
    # A restart: a new scheduler (and a new node identity) finds nothing left to deliver.
    restarted = ReminderScheduler(replace(node))
    clock.advance(30)
    assert await restarted.tick() == 0
    assert len(await reminders_logged(node)) == 1


async def test_a_reminder_due_while_okno_was_down_is_delivered_late(
    node: Hub, clock: Clock
) -> None:
    olga = await add_user(node, "olga")
    await remind(node, olga, 5)
    await remind(node, olga, 40, "Позже")
    clock.advance(35 * 60)  # down from 09:00 to 09:35
    assert await ReminderScheduler(node).tick() == 1
    [event] = await reminders_logged(node)
    assert event["late"] is True
    clock.advance(5 * 60 + 1)  # the next one, on time
    assert await ReminderScheduler(node).tick() == 1
    assert [e["late"] for e in await reminders_logged(node)] == [True, False]


async def test_snoozing_a_delivered_reminder_delivers_it_again_later(
    node: Hub, clock: Clock
) -> None:
    olga = await add_user(node, "olga")
    activity_id = await remind(node, olga, 1)
    scheduler = ReminderScheduler(node)
    clock.advance(60)
    assert await scheduler.tick() == 1
    await activities.snooze_activity(node, person(olga), activity_id, "10m")
    clock.advance(9 * 60)
    assert await scheduler.tick() == 0
    clock.advance(60)
    assert await scheduler.tick() == 1
    # Done activities remind no more.
    await activities.snooze_activity(node, person(olga), activity_id, "10m")
    await activities.complete_activity(node, person(olga), activity_id, "Дозвонилась")
    clock.advance(3600)
    assert await scheduler.tick() == 0
    assert len(await reminders_logged(node)) == 2


async def test_two_nodes_ticking_at_once_deliver_each_reminder_once(
    node: Hub, second_node: Hub, clock: Clock
) -> None:
    olga = await add_user(node, "olga")
    sveta = await add_user(node, "sveta", Role.supervisor)
    ids = [await remind(node, olga if i % 2 else sveta, 1, f"Звонок {i}") for i in range(40)]
    clock.advance(60)
    first, second = ReminderScheduler(node), ReminderScheduler(second_node)
    counts = await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())
    assert sum(counts) == 40
    events = await reminders_logged(node)
    assert sorted(e["activity"]["id"] for e in events) == sorted(ids)
    for event in events:
        owner = event["activity"]["responsible_id"]
        assert event["audience"]["users"] == [owner]
    # And the lease lets only one of them run the scheduler at a time.
    won = await asyncio.gather(
        leases.acquire(node, LEASE, "node-a", 15), leases.acquire(second_node, LEASE, "node-b", 15)
    )
    assert sorted(won) == [False, True]
    async with node.db.sessions() as session:
        pending = await session.execute(
            select(Activity.id).where(Activity.remind_delivered_at.is_(None))
        )
        assert pending.all() == []


async def test_a_node_starting_up_delivers_what_fell_due_while_it_was_down(
    backend: Backend, clock: Clock, make_app: Any, serve: Any
) -> None:
    """The scheduler is part of every node: on start-up it takes the lease and its first
    tick delivers the reminders missed meanwhile, marked late."""
    settings = backend.settings()
    db = Database(settings.database_url)
    bus = create_bus(settings.redis_url, settings.redis_prefix)
    await bus.start()
    offline = Hub(settings=settings, db=db, bus=bus, clock=clock)
    try:
        olga = await add_user(offline, "olga")
        await remind(offline, olga, 5)
        # Nothing is running while the time passes.
        clock.advance(3600)
        await serve(make_app(settings, clock))
        async with asyncio.timeout(10):
            while not (delivered := await reminders_logged(offline)):
                await asyncio.sleep(0.05)  # polling the table, not waiting a fixed time
        [event] = delivered
        assert event["late"] is True and event["audience"]["users"] == [olga.id]
    finally:
        await bus.close()
        await db.dispose()
