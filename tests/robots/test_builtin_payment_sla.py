"""«Не оплачено после договора» and «SLA на грани» on both backends with a controllable clock:
each fires when it should and not before, once per episode, clears its flag when the
condition clears (the deal marked paid, the client answered) and re-arms on a new episode
(the paid mark taken off, a new payment date, the client's next wait)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import deals
from hub.actions.teams import create_team
from hub.core import Hub
from hub.models import Conversation, Deal, Direction, Message, Role
from hub.policy import InvalidInput, SystemActor
from robots import engine
from robots.rules import parse_rule
from tests.conftest import Clock, add_channel, add_user
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
async def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.clock = clock
    return clock


async def at(hub: Hub, clock: Clock, moment: datetime) -> dict[str, int]:
    """Move the clock to `moment` and run one scheduler pass there."""
    clock.now = moment
    return await engine.tick(hub)


async def edit_deal(hub: Hub, deal_id: int, **changes: Any) -> None:
    async with hub.db.sessions() as session:
        version = (await session.get_one(Deal, deal_id)).version
    await deals.update_deal(hub, SystemActor(), deal_id, version, changes)


async def test_unpaid_after_contract_fires_days_after_the_due_date_until_paid(
    hub: Hub, clock: Clock
) -> None:
    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager", Role.operator)
    clock.now = msk(2026, 6, 15, 10, 0)
    rule_id = await world.builtin_rule(hub, "unpaid_after_contract")  # 3 days
    signed = await deals.create_deal(
        hub,
        SystemActor(),
        title="Поставка",
        stage_id=stages["Договор"],
        responsible_id=manager.id,
        payment_due_on=date(2026, 6, 16),
    )
    # Not at «Договор» yet, already paid, no payment date: none of them is the robot's.
    await deals.create_deal(
        hub,
        SystemActor(),
        title="Ещё КП",
        stage_id=stages["КП"],
        responsible_id=manager.id,
        payment_due_on=date(2026, 6, 16),
    )
    paid = await deals.create_deal(
        hub,
        SystemActor(),
        title="Оплаченная",
        stage_id=stages["Договор"],
        responsible_id=manager.id,
        payment_due_on=date(2026, 6, 16),
    )
    await edit_deal(hub, paid, paid=True)
    await deals.create_deal(
        hub, SystemActor(), title="Без срока", stage_id=stages["Договор"], responsible_id=manager.id
    )

    # Due on the 16th: three days after is the 19th, from midnight in Moscow.
    await at(hub, clock, msk(2026, 6, 18, 23, 59, 59))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 19, 0, 0))
    fired = await world.firings(hub, rule_id)
    assert [(f.object_type, f.object_id) for f in fired] == [("deal", signed)]
    # The episode began when the deal became owed: its payment date set, at its creation.
    assert fired[0].episode_at == msk(2026, 6, 15, 10, 0)
    assert fired[0].matched["payment_due_on"] == "2026-06-16"
    assert await world.standing_flags(hub) == [("deal", signed, "unpaid")]
    assert [(n["text"], n["audience"]["users"]) for n in await world.notices(hub)] == [
        ("Сделка «Поставка» не оплачена, срок оплаты был 2026-06-16", [manager.id])
    ]

    await at(hub, clock, msk(2026, 6, 22, 12, 0))
    assert len(await world.firings(hub, rule_id)) == 1  # not twice in one episode

    # Marked paid: the flag goes at the next scan, and nothing fires while it stays paid.
    await edit_deal(hub, signed, paid=True)
    await at(hub, clock, msk(2026, 6, 22, 12, 1))
    assert await world.standing_flags(hub) == []
    await at(hub, clock, msk(2026, 6, 30, 12, 0))
    assert len(await world.firings(hub, rule_id)) == 1

    # The mark taken off (the payment bounced): the condition was false, so it re-arms, and
    # the date is long past: it fires at the next scan.
    await edit_deal(hub, signed, paid=False)
    await at(hub, clock, msk(2026, 6, 30, 12, 1))
    fired = await world.firings(hub, rule_id)
    assert [f.episode_at for f in fired] == [msk(2026, 6, 15, 10, 0), msk(2026, 6, 30, 12, 0)]
    assert await world.standing_flags(hub) == [("deal", signed, "unpaid")]

    # A new payment date (a deferral): a new episode, not due yet, so the flag goes; it is
    # due three days after the new date.
    await edit_deal(hub, signed, payment_due_on=date(2026, 7, 6))
    await at(hub, clock, msk(2026, 6, 30, 12, 2))
    assert await world.standing_flags(hub) == []
    await at(hub, clock, msk(2026, 7, 8, 23, 59))
    assert len(await world.firings(hub, rule_id)) == 2
    await at(hub, clock, msk(2026, 7, 9, 0, 0))
    fired = await world.firings(hub, rule_id)
    assert [f.episode_at for f in fired][2:] == [msk(2026, 6, 30, 12, 1)]
    assert await world.standing_flags(hub) == [("deal", signed, "unpaid")]


async def test_unpaid_leaves_a_lost_deal_alone(hub: Hub, clock: Clock) -> None:
    """Tuned to any stage (no condition), a lost deal is still not waited on for money."""
    stages = await world.pipeline(hub)
    clock.now = msk(2026, 6, 15, 10, 0)
    rule_id = await world.builtin_rule(hub, "unpaid_after_contract", conditions=None)
    open_deal = await deals.create_deal(
        hub, SystemActor(), title="КП", stage_id=stages["КП"], payment_due_on=date(2026, 6, 15)
    )
    lost = await deals.create_deal(
        hub,
        SystemActor(),
        title="Потеряна",
        stage_id=stages["КП"],
        payment_due_on=date(2026, 6, 15),
    )
    await deals.move_deal(hub, SystemActor(), lost, stages["Проиграна"], loss_reason="Дорого")
    await at(hub, clock, msk(2026, 6, 18, 0, 0))
    assert [f.object_id for f in await world.firings(hub, rule_id)] == [open_deal]


async def inbound(hub: Hub, conversation_id: int, at: datetime) -> None:
    """The client writes again after a reply: a new wait."""
    async with hub.db.sessions() as session, session.begin():
        row = await session.get_one(Conversation, conversation_id)
        row.waiting_since = at
        row.last_message_at = at
        session.add(
            Message(
                conversation_id=row.id, direction=Direction.inbound, text="Ну что?", created_at=at
            )
        )


async def test_sla_near_fires_before_the_teams_target_and_re_arms_after_a_reply(
    hub: Hub, clock: Clock
) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    team = await create_team(hub, SystemActor(), "Поддержка", wait_limit_s=600)
    clock.now = msk(2026, 6, 20, 12, 0)  # a Saturday: the target counts calendar time
    rule_id = await world.builtin_rule(
        hub,
        "sla_near",
        trigger={
            "type": "time",
            "state": "conversation.sla_near",
            "after": {"amount": 2, "unit": "minutes"},
        },
    )
    start = clock.now
    conversation_id = await world.conversation(hub, channel_id, client, team_id=team.id, at=start)

    # A 10-minute target, 2 minutes before it: at 8 minutes of waiting.
    await at(hub, clock, start + timedelta(minutes=8) - timedelta(seconds=1))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, start + timedelta(minutes=8))
    fired = await world.firings(hub, rule_id)
    assert [(f.object_id, f.episode_at) for f in fired] == [(conversation_id, start)]
    assert await world.standing_flags(hub) == [("conversation", conversation_id, "sla-near")]
    # Nobody holds it: the supervisors are told.
    assert [(n["text"], n["audience"]) for n in await world.notices(hub)] == [
        (
            f"Обращение №{conversation_id}: ответ на грани SLA",
            {"users": [], "roles": ["admin", "supervisor"]},
        )
    ]
    await at(hub, clock, start + timedelta(minutes=15))
    assert len(await world.firings(hub, rule_id)) == 1  # breached by now: still once

    # The reply ends the wait and the flag; the client's next message starts a new wait.
    await world.answer(hub, conversation_id, start + timedelta(minutes=16))
    await at(hub, clock, start + timedelta(minutes=17))
    assert await world.standing_flags(hub) == []
    again = start + timedelta(minutes=30)
    await inbound(hub, conversation_id, again)
    await at(hub, clock, again + timedelta(minutes=7, seconds=59))
    assert len(await world.firings(hub, rule_id)) == 1
    await at(hub, clock, again + timedelta(minutes=8))
    assert [f.episode_at for f in await world.firings(hub, rule_id)] == [start, again]
    assert await world.standing_flags(hub) == [("conversation", conversation_id, "sla-near")]


async def test_sla_near_outside_a_team_uses_the_boards_default_target(
    hub: Hub, clock: Clock
) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    operator = await add_user(hub, "operator", Role.operator)
    rule_id = await world.builtin_rule(hub, "sla_near")  # 1 minute before
    start = clock.now
    conversation_id = await world.conversation(hub, channel_id, client, team_id=None, at=start)
    async with hub.db.sessions() as session, session.begin():
        (await session.get_one(Conversation, conversation_id)).assignee_id = operator.id
    # The board's 5 minutes less one.
    await at(hub, clock, start + timedelta(minutes=4) - timedelta(seconds=1))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, start + timedelta(minutes=4))
    assert [f.object_id for f in await world.firings(hub, rule_id)] == [conversation_id]
    # Its operator is the one told.
    assert [n["audience"]["users"] for n in await world.notices(hub)] == [[operator.id]]


async def test_a_lead_longer_than_the_target_fires_as_the_wait_begins(
    hub: Hub, clock: Clock
) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    rule_id = await world.builtin_rule(
        hub,
        "sla_near",
        trigger={
            "type": "time",
            "state": "conversation.sla_near",
            "after": {"amount": 1, "unit": "hours"},
        },
    )
    start = clock.now
    await world.conversation(hub, channel_id, client, team_id=None, at=start)
    await at(hub, clock, start)
    assert len(await world.firings(hub, rule_id)) == 1


@pytest.mark.parametrize("state", ["deal.unpaid", "conversation.sla_near"])
def test_a_date_or_target_state_counts_calendar_time_only(state: str) -> None:
    after = {"amount": 2, "unit": "days", "working_time": True}
    with pytest.raises(InvalidInput) as refused:
        parse_rule(
            {
                "trigger": {"type": "time", "state": state, "after": after},
                "actions": [{"type": "flag", "code": "x", "reason": "x"}],
            }
        )
    assert [(d["field"], d["type"]) for d in refused.value.details] == [
        ("trigger.time.after.working_time", "not-supported")
    ]


async def test_the_deals_payment_fields_are_the_robots_fields(hub: Hub, clock: Clock) -> None:
    """A rule may name them in its conditions and texts; the dry run shows them."""
    stages = await world.pipeline(hub)
    clock.now = msk(2026, 6, 15, 10, 0)
    deal_id = await deals.create_deal(
        hub,
        SystemActor(),
        title="Поставка",
        stage_id=stages["Договор"],
        payment_due_on=date(2026, 6, 10),
    )
    spec = parse_rule(
        {
            "trigger": {"type": "time", "state": "deal.unpaid", "after": {"amount": 1}},
            "conditions": {"all": [{"field": "paid_at", "op": "is_null"}]},
            "actions": [{"type": "flag", "code": "x", "reason": "Срок {payment_due_on}"}],
        }
    )
    found = await engine.dry_run(hub, spec, None)
    assert [(r["object_id"], r["actions"][0]["reason"]) for r in found] == [
        (deal_id, "Срок 2026-06-10")
    ]
    async with hub.db.sessions() as session:
        assert (await session.execute(select(Deal.paid_at))).scalar() is None
