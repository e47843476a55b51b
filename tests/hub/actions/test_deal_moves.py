"""Deal use cases called directly: who a move is recorded as, what each change announces, and
what an administrator's stage edit may not destroy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from hub.actions import deals, pipelines, unit_of_work
from hub.core import Hub
from hub.events import Audience
from hub.models import (
    CrmVisibility,
    Deal,
    DealStageChange,
    EventLog,
    Role,
    Stage,
)
from hub.policy import Conflict, DomainError, RobotActor, SystemActor
from tests.conftest import Clock
from tests.hub.actions.support import signed_in

STAGES = [
    pipelines.StageSpec("Интерес"),
    pipelines.StageSpec("КП", probability=50),
    pipelines.StageSpec("Договор", "won", 100),
    pipelines.StageSpec("Проиграна", "lost"),
]


@pytest.fixture
def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.clock = clock
    return clock


async def stage_ids(hub: Hub) -> dict[str, int]:
    async with unit_of_work(hub) as uow:
        pipeline = await pipelines.add_pipeline(uow, "Продажи", STAGES)
        return {s.name: s.id for s in await pipelines.pipeline_stages(uow, pipeline.id)}


async def history(hub: Hub, deal_id: int) -> list[tuple[int | None, int, int | None, str]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(
                DealStageChange.from_stage_id,
                DealStageChange.to_stage_id,
                DealStageChange.user_id,
                DealStageChange.actor,
            )
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def deal_events(hub: Hub) -> list[EventLog]:
    async with hub.db.sessions() as session:
        stmt = select(EventLog).where(EventLog.kind == "deal.changed").order_by(EventLog.id)
        return list((await session.execute(stmt)).scalars())


async def test_people_robots_and_okno_are_recorded_apart(hub: Hub, clock: Clock) -> None:
    stages = await stage_ids(hub)
    olga = await signed_in(hub, "olga", Role.operator)
    deal_id = await deals.create_deal(hub, olga, title="Окна", amount=Decimal("10"))
    await deals.move_deal(hub, RobotActor(7, "stalled"), deal_id, stages["КП"])
    await deals.move_deal(hub, SystemActor("import"), deal_id, stages["Договор"])
    await deals.move_deal(hub, olga, deal_id, stages["Проиграна"], loss_reason="Дорого")
    assert await history(hub, deal_id) == [
        (None, stages["Интерес"], olga.user_id, "user"),
        (stages["Интерес"], stages["КП"], None, "robot:stalled"),
        (stages["КП"], stages["Договор"], None, "system"),
        (stages["Договор"], stages["Проиграна"], olga.user_id, "user"),
    ]
    events = await deal_events(hub)
    assert [(e.payload["change"], e.payload["from_stage_id"]) for e in events] == [
        ("created", None),
        ("moved", stages["Интерес"]),
        ("moved", stages["КП"]),
        ("moved", stages["Договор"]),
    ]
    assert events[-1].payload["deal"]["stage_id"] == stages["Проиграна"]
    assert events[-1].payload["deal"]["version"] == 4


async def test_staying_put_writes_and_announces_nothing(hub: Hub, clock: Clock) -> None:
    stages = await stage_ids(hub)
    olga = await signed_in(hub, "olga", Role.operator)
    deal_id = await deals.create_deal(hub, olga, title="Окна")
    assert await deals.move_deal(hub, olga, deal_id, stages["Интерес"], version=1) is False
    assert len(await history(hub, deal_id)) == 1
    assert len(await deal_events(hub)) == 1


async def test_a_handover_is_told_to_both_managers(hub: Hub, clock: Clock) -> None:
    await stage_ids(hub)
    async with hub.db.sessions() as session, session.begin():
        session.add(CrmVisibility(role="operator", scope="own"))
    olga = await signed_in(hub, "olga", Role.operator)
    igor = await signed_in(hub, "igor", Role.operator)
    deal_id = await deals.create_deal(hub, olga, title="Окна")
    await deals.update_deal(hub, olga, deal_id, 1, {"responsible_id": igor.user_id})
    created, handed = await deal_events(hub)
    supervisors_and_admins = [Role.supervisor.value, Role.admin.value]
    assert created.audience == {"users": [olga.user_id], "roles": sorted(supervisors_and_admins)}
    assert handed.audience == {
        "users": sorted([olga.user_id, igor.user_id]),
        "roles": sorted(supervisors_and_admins),
    }
    assert Audience.from_json(handed.audience).allows(olga.user_id, Role.operator)
    # olga handed it over: now it is igor's to edit, not hers.
    with pytest.raises(DomainError) as refused:
        await deals.update_deal(hub, olga, deal_id, 2, {"title": "Мои окна"})
    assert refused.value.status == 404  # out of her view (scope own) altogether


async def test_stage_edits_keep_deals_and_history(hub: Hub, clock: Clock) -> None:
    stages = await stage_ids(hub)
    admin = await signed_in(hub, "adam", Role.admin)
    deal_id = await deals.create_deal(hub, admin, title="Окна")
    await deals.move_deal(hub, admin, deal_id, stages["КП"])
    async with hub.db.sessions() as session:
        pipeline_id = (await session.get_one(Stage, stages["КП"])).pipeline_id
    # «Интерес» has no deal now but one passed through it: its time is in that history.
    keep = [pipelines.StageSpec(n, o, p, stages[n]) for n, o, p in _kept(exclude="Интерес")]
    with pytest.raises(Conflict) as refused:
        await pipelines.update_pipeline(hub, admin, pipeline_id, stages=keep)
    assert refused.value.error_id == "stage-has-history"
    # Reversed order: the deal stays in its stage, which only moves place.
    reverse = [pipelines.StageSpec(n, o, p, stages[n]) for n, o, p in reversed(_kept())]
    await pipelines.update_pipeline(hub, admin, pipeline_id, stages=reverse)
    async with hub.db.sessions() as session:
        deal = await session.get_one(Deal, deal_id)
        kp = await session.get_one(Stage, stages["КП"])
        assert (deal.stage_id, kp.position) == (stages["КП"], 3)
    with pytest.raises(DomainError) as forbidden:
        await pipelines.update_pipeline(
            hub, await signed_in(hub, "olga", Role.operator), pipeline_id, name="Мои"
        )
    assert forbidden.value.status == 403


def _kept(exclude: str = "") -> list[tuple[str, str, int]]:
    return [(s.name, s.outcome, s.probability) for s in STAGES if s.name != exclude]
