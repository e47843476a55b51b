"""A move reads the deal, the stage asked for and the names its card shows in one locking
query, writes the deal and its history row as two statements, and announces the card built
from what it holds (its flags read only when one stands): the event still carries the whole
card the board shows, the row and the history are as written, and an unknown stage or deal
is refused with nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import deals
from hub.core import Hub
from hub.models import CrmVisibility, Deal, DealStageChange, EventLog, Organisation, Role
from hub.policy import DomainError, SystemActor
from robots import engine
from tests.conftest import Clock, add_user
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.clock = clock
    return clock


async def moved_cards(hub: Hub) -> list[dict[str, Any]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(EventLog.payload).where(EventLog.kind == "deal.changed").order_by(EventLog.id)
        )
        return [p["deal"] for p in rows.scalars() if p["change"] == "moved"]


async def organisation(hub: Hub, name: str) -> int:
    async with hub.db.sessions() as session, session.begin():
        row = Organisation(name=name, created_at=hub.clock())
        session.add(row)
        await session.flush()
        return row.id


async def test_a_moves_event_carries_the_whole_card_with_its_names(hub: Hub, clock: Clock) -> None:
    manager = await add_user(hub, "olga", name="Ольга Петрова")
    stages = await world.pipeline(hub)
    contact_id = await world.contact(hub, "Иван Сидоров")
    organisation_id = await organisation(hub, "ООО «Ромашка»")
    deal_id = await deals.create_deal(
        hub,
        SystemActor(),
        title="Поставка окон",
        stage_id=stages["Интерес"],
        amount=Decimal("125000"),
        contact_id=contact_id,
        organisation_id=organisation_id,
        responsible_id=manager.id,
        expected_close_on=date(2026, 7, 1),
        payment_due_on=date(2026, 7, 10),
    )
    clock.advance(3 * 86400 + 3600)
    assert await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"]) is True

    assert await moved_cards(hub) == [
        {
            "id": deal_id,
            "title": "Поставка окон",
            "amount": "125000.00",
            "currency": "RUB",
            "pipeline_id": (await deal_row(hub, deal_id)).pipeline_id,
            "stage_id": stages["КП"],
            "contact": {"id": contact_id, "name": "Иван Сидоров"},
            "organisation": {"id": organisation_id, "name": "ООО «Ромашка»"},
            "responsible": {"id": manager.id, "name": "Ольга Петрова"},
            "stage_entered_at": "2026-06-18T10:00:00+00:00",
            "days_in_stage": 0,
            "expected_close_on": "2026-07-01",
            "payment_due_on": "2026-07-10",
            "paid_at": None,
            "flags": [],
            "version": 2,
        }
    ]
    row = await deal_row(hub, deal_id)
    assert (row.stage_id, row.version, row.closed_at, row.loss_reason) == (
        stages["КП"],
        2,
        None,
        "",
    )
    moved_at = msk(2026, 6, 18, 13, 0)  # 10:00 UTC
    assert (row.stage_entered_at, row.last_activity_at, row.updated_at) == (
        moved_at,
        moved_at,
        moved_at,
    )
    assert await history(hub, deal_id) == [
        (None, stages["Интерес"], "system", msk(2026, 6, 15, 12, 0)),
        (stages["Интерес"], stages["КП"], "system", moved_at),
    ]


async def test_a_flag_standing_on_the_deal_is_on_the_moves_card(hub: Hub, clock: Clock) -> None:
    manager = await add_user(hub, "olga", name="Ольга Петрова")
    stages = await world.pipeline(hub)
    rule_id = await world.builtin_rule(
        hub,
        "stalled_deal",
        trigger={"type": "time", "state": "deal.stalled", "after": {"amount": 3, "unit": "days"}},
    )
    flagged = await deals.create_deal(
        hub, SystemActor(), title="Тихая", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    clock.advance(3 * 86400)
    await engine.tick(hub)
    quiet = await deals.create_deal(
        hub, SystemActor(), title="Новая", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    # The flag stands until the next scan sees the move: the move's card shows it.
    await deals.move_deal(hub, SystemActor(), flagged, stages["КП"])
    clock.advance(60)
    await deals.move_deal(hub, SystemActor(), quiet, stages["Договор"])  # won: closes it
    cards = await moved_cards(hub)
    [flag] = cards[0]["flags"]
    assert {k: v for k, v in flag.items() if k != "id"} == {
        "kind": "stalled",
        "label": "Сделка без движения и активности",
        "rule_id": rule_id,
        "rule_name": "Зависшая сделка",
        "raised_at": "2026-06-18T09:00:00+00:00",
    }
    assert cards[1]["flags"] == []
    assert [(c["id"], c["stage_id"], c["version"]) for c in cards] == [
        (flagged, stages["КП"], 2),
        (quiet, stages["Договор"], 2),
    ]
    assert (await deal_row(hub, flagged)).closed_at is None
    assert (await deal_row(hub, quiet)).closed_at == msk(2026, 6, 18, 12, 1)


async def test_a_moves_audience_follows_the_visibility_scopes_read_with_the_deal(
    hub: Hub, clock: Clock
) -> None:
    stages = await world.pipeline(hub)
    olga = await add_user(hub, "olga")
    lena = await add_user(hub, "lena")  # olga's team mate, an operator
    sveta = await add_user(hub, "sveta", Role.supervisor)  # of olga's team
    boris = await add_user(hub, "boris", Role.supervisor)  # of another team
    await world.office_team(hub, "Продажи", members=(olga.id, lena.id, sveta.id))
    await world.office_team(hub, "Опт", members=(boris.id,))
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Окна", stage_id=stages["Интерес"], responsible_id=olga.id
    )
    await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"])  # no scopes: all see all
    async with hub.db.sessions() as session, session.begin():
        session.add(CrmVisibility(role="operator", scope="own"))
        session.add(CrmVisibility(role="supervisor", scope="team"))
    await deals.move_deal(hub, SystemActor(), deal_id, stages["Интерес"])
    async with hub.db.sessions() as session, session.begin():
        (await session.get(CrmVisibility, "operator")).scope = "team"  # type: ignore[union-attr]
    await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"])
    async with hub.db.sessions() as session:
        audiences = (
            await session.execute(
                select(EventLog.audience)
                .where(EventLog.kind == "deal.changed")
                .order_by(EventLog.id)
                .offset(1)
            )
        ).scalars()
        assert list(audiences) == [
            {"users": [olga.id], "roles": ["admin", "operator", "supervisor"]},
            {"users": sorted([olga.id, sveta.id]), "roles": ["admin"]},
            {"users": sorted([olga.id, lena.id, sveta.id]), "roles": ["admin"]},
        ]


async def test_an_unknown_stage_or_deal_is_refused_and_nothing_is_written(
    hub: Hub, clock: Clock
) -> None:
    stages = await world.pipeline(hub)
    deal_id = await deals.create_deal(hub, SystemActor(), title="Окна", stage_id=stages["Интерес"])
    with pytest.raises(DomainError) as unknown_stage:
        await deals.move_deal(hub, SystemActor(), deal_id, 999_999)
    assert (unknown_stage.value.status, unknown_stage.value.details[0]["type"]) == (
        422,
        "no-such-stage",
    )
    # The deal is looked for first: an unknown deal is 404 whatever the stage.
    with pytest.raises(DomainError) as unknown_deal:
        await deals.move_deal(hub, SystemActor(), 888_888, 999_999)
    assert (unknown_deal.value.status, unknown_deal.value.error_id) == (404, "no-such-deal")
    assert (await deal_row(hub, deal_id)).version == 1
    assert len(await history(hub, deal_id)) == 1
    assert await moved_cards(hub) == []


async def deal_row(hub: Hub, deal_id: int) -> Deal:
    async with hub.db.sessions() as session:
        found = await session.get(Deal, deal_id)
        assert found is not None
        return found


async def history(hub: Hub, deal_id: int) -> list[tuple[Any, ...]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(
                DealStageChange.from_stage_id,
                DealStageChange.to_stage_id,
                DealStageChange.actor,
                DealStageChange.changed_at,
            )
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.id)
        )
        return [tuple(r) for r in rows.all()]
