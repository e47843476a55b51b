"""Once, whatever happens: a crash between the firing's record and its actions is retried and
done once; two nodes scanning the same rule, or hearing the same event, fire it once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.actions import deals
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.models import RobotFlag
from hub.policy import SystemActor
from robots import engine, events, manage
from tests.conftest import Backend, Clock, add_user
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
async def clock(hub: Hub) -> Clock:
    clock = Clock()
    clock.now = msk(2026, 6, 15, 10, 0)
    hub.clock = clock
    return clock


async def stalled_deal(hub: Hub, clock: Clock) -> tuple[int, int, int]:
    """A deal, a stalled-deal rule (flag + notify its manager), and the moment it is due."""
    manager = await add_user(hub, "manager")
    stages = await world.pipeline(hub)
    rule_id = await world.builtin_rule(hub, "stalled_deal")
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    clock.advance(7 * 86400)
    return rule_id, deal_id, manager.id


async def test_crash_in_the_claims_transaction_leaves_nothing_and_is_done_once(
    hub: Hub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule_id, deal_id, _ = await stalled_deal(hub, clock)
    from hub.actions import robot_batch

    real_write = robot_batch.write_flags

    async def node_dies(*args: Any) -> None:
        raise SystemExit  # the node is gone with the claim's transaction open

    monkeypatch.setattr(robot_batch, "write_flags", node_dies)
    with pytest.raises(SystemExit):
        await engine.tick(hub)
    monkeypatch.setattr(robot_batch, "write_flags", real_write)
    # The firing, its flag and its notice were one transaction: none of them is left.
    assert await world.firings(hub, rule_id) == []
    assert await world.count(hub, RobotFlag) == 0 and await world.notices(hub) == []

    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step) == ("done", 2)
    assert firing.matched["title"] == "Поставка"
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]
    assert len(await world.notices(hub)) == 1
    clock.advance(engine.RETRY_AFTER_S * 10)
    await engine.tick(hub)
    assert len(await world.firings(hub, rule_id)) == 1 and len(await world.notices(hub)) == 1


async def test_crash_before_any_action_is_retried_once(
    hub: Hub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rule led by an action done firing by firing: claimed first, then acted on.
    manager = await add_user(hub, "manager")
    stages = await world.pipeline(hub)
    rule_id = await world.builtin_rule(
        hub,
        "stalled_deal",
        actions=[
            {"type": "create_task", "kind": "call", "subject": "Позвонить"},
            {"type": "flag", "code": "stalled", "reason": "Сделка без движения"},
        ],
    )
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    clock.advance(7 * 86400)
    real_fire = engine.fire

    async def node_dies(*args: Any) -> int:
        raise SystemExit  # the node is gone right after the claim committed

    monkeypatch.setattr(engine, "fire", node_dies)
    with pytest.raises(SystemExit):
        await engine.tick(hub)
    monkeypatch.setattr(engine, "fire", real_fire)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step) == ("pending", 0)

    await engine.tick(hub)  # the episode is claimed: no second firing, not yet retried
    assert len(await world.firings(hub, rule_id)) == 1 and await world.count(hub, RobotFlag) == 0

    clock.advance(engine.RETRY_AFTER_S)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step) == ("done", 2)
    assert firing.matched["title"] == "Поставка"
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]
    clock.advance(engine.RETRY_AFTER_S * 10)
    await engine.tick(hub)
    assert await world.count(hub, RobotFlag) == 1


async def test_crash_in_the_batch_rolls_it_back_and_each_firing_is_done_once(
    hub: Hub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule_id, deal_id, _ = await stalled_deal(hub, clock)
    from hub.actions import robot_batch

    async def connection_lost(*args: Any) -> Any:
        raise RuntimeError("connection lost")

    # The batch's flags were planned, then its notices failed: the whole chunk rolls back,
    # claims included, and the firings are claimed and done one by one instead.
    monkeypatch.setattr(robot_batch, "plan_notices", connection_lost)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step) == ("done", 2)
    assert [r["type"] for r in firing.results] == ["flag", "notify"]
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]
    assert await world.count(hub, RobotFlag) == 1 and len(await world.notices(hub)) == 1


async def test_crash_between_actions_resumes_at_the_next(
    hub: Hub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.actions import robot_steps
    from hub.models import Activity

    manager = await add_user(hub, "manager")
    stages = await world.pipeline(hub)
    rule_id = await world.builtin_rule(
        hub,
        "stalled_deal",
        actions=[
            {"type": "flag", "code": "stalled", "reason": "Сделка без движения"},
            {"type": "notify", "to": "responsible", "text": "Сделка «{title}» зависла"},
            {"type": "create_task", "kind": "call", "subject": "Позвонить"},
        ],
    )
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    clock.advance(7 * 86400)
    real_do = robot_steps._do
    crashes = []

    async def crash_on_task(uow: Any, actor: Any, firing: Any, action: Any) -> Any:
        if action["type"] == "create_task" and not crashes:
            crashes.append(firing.id)
            raise RuntimeError("connection lost")
        return await real_do(uow, actor, firing, action)

    monkeypatch.setattr(robot_steps, "_do", crash_on_task)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    # The flag and the notice (done for the batch) stand; the task is to be retried.
    assert (firing.status, firing.step, firing.attempts) == ("pending", 2, 1)
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]
    assert await world.count(hub, Activity) == 0

    clock.advance(engine.RETRY_AFTER_S * 2)  # the first retry waits 60 s * 2^1
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step) == ("done", 3)
    assert [r["type"] for r in firing.results] == ["flag", "notify", "create_task"]
    assert await world.count(hub, RobotFlag) == 1  # the flag was not raised again
    assert len(await world.notices(hub)) == 1
    assert await world.count(hub, Activity) == 1


async def test_a_refused_action_is_recorded_and_the_next_still_runs(hub: Hub, clock: Clock) -> None:
    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager")
    rule = {
        "trigger": {
            "type": "time",
            "state": "deal.in_stage",
            "after": {"amount": 1, "unit": "hours"},
        },
        "actions": [
            {"type": "reassign", "user_id": manager.id},
            {"type": "flag", "code": "late", "reason": "Долго на стадии"},
        ],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Передать", description="", rule=rule, enabled=True
    )
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"]
    )
    from sqlalchemy import update

    from hub.models import User

    async with hub.db.sessions() as session, session.begin():  # he left meanwhile
        await session.execute(update(User).where(User.id == manager.id).values(is_active=False))
    clock.advance(3600)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert firing.status == "done"
    assert [(r["type"], r["ok"]) for r in firing.results] == [("reassign", False), ("flag", True)]
    assert firing.results[0]["result"]["details"][0]["type"] == "no-such-user"
    assert await world.standing_flags(hub) == [("deal", deal_id, "late")]


@pytest.fixture
async def second_node(backend: Backend, hub: Hub) -> AsyncIterator[Hub]:
    """Another node on the same database and bus (PostgreSQL + Redis only)."""
    if backend.name != "postgres":
        pytest.skip("two nodes share PostgreSQL and Redis")
    settings = backend.settings()
    other = Hub(
        settings=settings,
        db=Database(settings.database_url),
        bus=create_bus(settings.redis_url, settings.redis_prefix),
    )
    await other.bus.start()
    other.clock = hub.clock
    yield other
    await other.bus.close()
    await other.db.dispose()


async def test_two_schedulers_fire_each_episode_once(
    hub: Hub, clock: Clock, second_node: Hub
) -> None:
    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager")
    rule_id = await world.builtin_rule(hub, "stalled_deal")
    made = [
        await deals.create_deal(
            hub,
            SystemActor(),
            title=f"Сделка {n}",
            stage_id=stages["Интерес"],
            responsible_id=manager.id,
        )
        for n in range(20)
    ]
    clock.advance(7 * 86400)
    await asyncio.gather(engine.tick(hub), engine.tick(second_node), engine.tick(hub))
    fired = await world.firings(hub, rule_id)
    assert sorted(f.object_id for f in fired) == made
    assert {f.status for f in fired} == {"done"}
    assert len(await world.notices(hub)) == 20
    assert await world.count(hub, RobotFlag) == 20


async def test_an_event_rule_fires_once_across_two_nodes(
    hub: Hub, clock: Clock, second_node: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = await world.pipeline(hub)
    boss = await add_user(hub, "boss")
    rule = {
        "trigger": {"type": "event", "event": "deal.moved"},
        "conditions": {"field": "stage_id", "op": "eq", "value": stages["КП"]},
        "actions": [
            {"type": "notify", "to": "user", "user_id": boss.id, "text": "КП по «{title}»"}
        ],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="КП отправлено", description="", rule=rule, enabled=True
    )
    from hub.actions import robot_batch

    claims: list[int] = []
    real_claim = robot_batch.claim_and_perform

    async def counted(*args: Any, **kwargs: Any) -> robot_batch.Claimed:
        found = await real_claim(*args, **kwargs)
        claims.append(len(found.done) + len(found.rest))
        return found

    # Notify leads the rule: each node claims and acts in one transaction.
    monkeypatch.setattr(robot_batch, "claim_and_perform", counted)
    listeners = [events.event_listener(node) for node in (hub, second_node)]
    running = [asyncio.create_task(listener.run()) for listener in listeners]
    try:
        deal_id = await deals.create_deal(
            hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"]
        )
        await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"])
        async with asyncio.timeout(10):
            # Both nodes heard it and tried; the winner finished its actions.
            while len(claims) < 2 or not await world.notices(hub):
                await asyncio.sleep(0.01)
    finally:
        for listener, task in zip(listeners, running, strict=True):
            listener.close()
            task.cancel()
    assert sorted(claims) == [0, 1]
    [firing] = await world.firings(hub, rule_id)
    assert (firing.object_id, firing.status) == (deal_id, "done")
    sent = await world.notices(hub)
    assert [(n["text"], n["audience"]["users"]) for n in sent] == [("КП по «Поставка»", [boss.id])]


async def test_event_rule_on_one_node_with_conditions(hub: Hub, clock: Clock) -> None:
    stages = await world.pipeline(hub)
    rule = {
        "trigger": {"type": "event", "event": "deal.moved"},
        "conditions": {"field": "stage_id", "op": "eq", "value": stages["Договор"]},
        "actions": [{"type": "flag", "code": "won", "reason": "Договор"}],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Договор", description="", rule=rule, enabled=True
    )
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"]
    )
    await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"])
    await events.handle(hub, "deal.moved", deal_id, await last_cursor(hub))
    assert await world.firings(hub, rule_id) == []  # the condition does not hold
    await deals.move_deal(hub, SystemActor(), deal_id, stages["Договор"])
    moved = await last_cursor(hub)
    # The event handed over twice (heard live, then again in a catch-up): fired once.
    await events.handle(hub, "deal.moved", deal_id, moved)
    await events.handle(hub, "deal.moved", deal_id, moved)
    [firing] = await world.firings(hub, rule_id)
    assert firing.event_cursor == moved and firing.status == "done"
    assert await world.standing_flags(hub) == [("deal", deal_id, "won")]


async def last_cursor(hub: Hub) -> int:
    from sqlalchemy import func, select

    from hub.models import EventLog

    async with hub.db.sessions() as session:
        return int((await session.execute(select(func.max(EventLog.id)))).scalar_one())
