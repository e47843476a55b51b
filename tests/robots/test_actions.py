"""What a rule can do, done through hub/actions as the robot: move a deal, set its custom
field, reassign it; leave a note in a conversation and hand it to someone. History names the
robot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub.actions import deals
from hub.actions.custom_fields import create_field
from hub.core import Hub
from hub.models import (
    Conversation,
    CrmEntity,
    Deal,
    DealStageChange,
    FieldKind,
    Message,
    Role,
)
from hub.policy import SystemActor
from robots import engine, manage
from tests.conftest import Clock, add_channel, add_user
from tests.robots import world


async def test_a_deal_moved_marked_and_handed_over_by_the_robot(hub: Hub) -> None:
    clock = Clock()
    hub.clock = clock
    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager")
    await create_field(hub, SystemActor(), CrmEntity.deal, "Пометка", FieldKind.text, key="mark")
    deal_id = await deals.create_deal(hub, SystemActor(), title="Поставка", stage_id=stages["КП"])
    async with hub.db.sessions() as session:
        pipeline_id = (await session.get_one(Deal, deal_id)).pipeline_id
    rule = {
        "trigger": {
            "type": "time",
            "state": "deal.in_stage",
            "after": {"amount": 2, "unit": "days"},
        },
        "conditions": {
            "all": [
                {"field": "pipeline_id", "op": "eq", "value": pipeline_id},
                {"field": "stage_id", "op": "eq", "value": stages["КП"]},
            ]
        },
        "actions": [
            {"type": "move_stage", "stage_id": stages["Интерес"]},
            {"type": "set_field", "field": "cf.mark", "value": "вернул робот"},
            {"type": "reassign", "user_id": manager.id},
        ],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Вернуть", description="", rule=rule, enabled=True
    )
    clock.advance(2 * 86400)
    await engine.tick(hub)
    async with hub.db.sessions() as session:
        deal = await session.get_one(Deal, deal_id)
        moves = (
            await session.execute(
                select(DealStageChange.to_stage_id, DealStageChange.actor)
                .where(DealStageChange.deal_id == deal_id)
                .order_by(DealStageChange.id)
            )
        ).all()
    assert (deal.stage_id, deal.custom_fields, deal.responsible_user_id) == (
        stages["Интерес"],
        {"mark": "вернул робот"},
        manager.id,
    )
    assert [tuple(m) for m in moves] == [
        (stages["КП"], "system"),
        (stages["Интерес"], "robot:Вернуть"),
    ]
    [firing] = await world.firings(hub, rule_id)
    assert [(r["type"], r["ok"]) for r in firing.results] == [
        ("move_stage", True),
        ("set_field", True),
        ("reassign", True),
    ]
    # Out of КП: the rule holds no more, and nothing fires again.
    clock.advance(5 * 86400)
    await engine.tick(hub)
    assert len(await world.firings(hub, rule_id)) == 1


async def test_a_note_and_a_hand_over_in_a_conversation(hub: Hub) -> None:
    clock = Clock()
    hub.clock = clock
    senior = await add_user(hub, "senior", Role.operator)
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    conversation_id = await world.conversation(hub, channel_id, client, team_id=None, at=clock.now)
    rule = {
        "trigger": {
            "type": "time",
            "state": "conversation.waiting",
            "after": {"amount": 30, "unit": "minutes"},
        },
        "conditions": {"field": "channel_kind", "op": "eq", "value": "telegram"},
        "actions": [
            {"type": "note", "text": "Клиент ждёт с {waiting_since}"},
            {"type": "reassign", "user_id": senior.id},
        ],
    }
    await manage.create(
        hub, SystemActor(), name="Старшему", description="", rule=rule, enabled=True
    )
    clock.advance(30 * 60)
    await engine.tick(hub)
    async with hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, conversation_id)
        note = (
            await session.execute(
                select(Message).where(
                    Message.conversation_id == conversation_id, Message.direction == "note"
                )
            )
        ).scalar_one()
    assert conversation.assignee_id == senior.id
    assert note.author_user_id is None and note.meta["robot"]["name"] == "Старшему"
    assert note.text.startswith("Клиент ждёт с 2026-06-15T09:00")


async def test_a_stalled_deal_gets_a_task_for_its_manager_once(hub: Hub) -> None:
    from hub.models import Activity

    clock = Clock()
    hub.clock = clock
    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager")
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["КП"], responsible_id=manager.id
    )
    rule = {
        "trigger": {
            "type": "time",
            "state": "deal.in_stage",
            "after": {"amount": 3, "unit": "days"},
        },
        "actions": [
            {
                "type": "create_task",
                "kind": "call",
                "subject": "Позвонить клиенту по зависшей сделке",
                "due_in": {"amount": 2, "unit": "hours"},
            }
        ],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Позвонить", description="", rule=rule, enabled=True
    )
    clock.advance(3 * 86400)
    fired_at = clock.now
    await engine.tick(hub)
    await engine.tick(hub)  # the same episode: no second task
    async with hub.db.sessions() as session:
        tasks = (await session.execute(select(Activity))).scalars().all()
    assert [(t.kind, t.subject, t.user_id, t.deal_id, t.due_at) for t in tasks] == [
        (
            "call",
            "Позвонить клиенту по зависшей сделке",
            manager.id,
            deal_id,
            fired_at + timedelta(hours=2),
        )
    ]
    [firing] = await world.firings(hub, rule_id)
    assert [(r["type"], r["ok"]) for r in firing.results] == [("create_task", True)]
