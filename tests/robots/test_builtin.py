"""The built-in pack on both backends with a controllable clock: each robot fires when it
should and not before, once per episode, re-arms after its condition was false, clears its
flag, and counts working time in the team's hours on the production calendar."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import deals
from hub.actions import robots as robot_actions
from hub.core import Hub
from hub.models import CallDirection, CallOutcome, RobotRule, Role
from hub.policy import SystemActor
from robots import builtin, engine
from robots.rules import parse_rule
from tests.conftest import Clock, add_channel, add_user
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
async def clock(hub: Hub) -> Clock:
    await world.ru_calendar(hub)
    clock = Clock()
    hub.clock = clock
    return clock


async def at(hub: Hub, clock: Clock, moment: datetime) -> dict[str, int]:
    """Move the clock to `moment` and run one scheduler pass there."""
    clock.now = moment
    return await engine.tick(hub)


async def test_stalled_deal_fires_once_per_episode_and_per_stage(hub: Hub, clock: Clock) -> None:
    manager = await add_user(hub, "manager")
    stages = await world.pipeline(hub)
    clock.now = msk(2026, 6, 15, 10, 0)
    rule_id = await world.builtin_rule(
        hub,
        "stalled_deal",
        trigger={
            "type": "time",
            "state": "deal.stalled",
            "after": {"amount": 3, "unit": "days"},
            "per_stage": {str(stages["КП"]): {"amount": 1, "unit": "days"}},
        },
    )
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["Интерес"], responsible_id=manager.id
    )
    start = clock.now

    await at(hub, clock, start + timedelta(days=3) - timedelta(seconds=1))
    assert await world.firings(hub, rule_id) == []

    await at(hub, clock, start + timedelta(days=3))
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]
    sent = await world.notices(hub)
    assert [(n["text"], n["audience"]["users"]) for n in sent] == [
        ("Сделка «Поставка» зависла", [manager.id])
    ]

    await at(hub, clock, start + timedelta(days=5))
    assert len(await world.firings(hub, rule_id)) == 1  # not twice in one episode

    # A move ends the episode: the flag goes at the next scan; КП waits one day only.
    await deals.move_deal(hub, SystemActor(), deal_id, stages["КП"])
    moved = clock.now
    await at(hub, clock, moved + timedelta(hours=1))
    assert await world.standing_flags(hub) == []
    await at(hub, clock, moved + timedelta(days=1) - timedelta(seconds=1))
    assert len(await world.firings(hub, rule_id)) == 1
    await at(hub, clock, moved + timedelta(days=1))
    fired = await world.firings(hub, rule_id)
    assert len(fired) == 2 and fired[1].episode_at == moved
    assert fired[1].matched["title"] == "Поставка" and fired[1].status == "done"
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]


async def test_no_first_response_counts_office_hours_over_a_weekend(hub: Hub, clock: Clock) -> None:
    team_id = await world.office_team(hub)
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    rule_id = await world.builtin_rule(hub, "no_first_response")  # 15 working minutes
    friday = msk(2026, 6, 19, 17, 55)
    conversation_id = await world.conversation(hub, channel_id, client, team_id=team_id, at=friday)

    await at(hub, clock, msk(2026, 6, 19, 18, 30))  # 5 working minutes so far
    await at(hub, clock, msk(2026, 6, 20, 12, 0))  # Saturday
    await at(hub, clock, msk(2026, 6, 22, 9, 9, 59))  # Monday: 14 minutes 59
    assert await world.firings(hub, rule_id) == []

    await at(hub, clock, msk(2026, 6, 22, 9, 10))
    assert await world.standing_flags(hub) == [
        ("conversation", conversation_id, "no-first-response")
    ]
    # Nobody holds it: the supervisors are told.
    assert [n["audience"] for n in await world.notices(hub)] == [
        {"users": [], "roles": ["admin", "supervisor"]}
    ]
    await at(hub, clock, msk(2026, 6, 22, 11, 0))
    assert len(await world.firings(hub, rule_id)) == 1

    await world.answer(hub, conversation_id, msk(2026, 6, 22, 11, 5))
    await at(hub, clock, msk(2026, 6, 22, 11, 6))
    assert await world.standing_flags(hub) == []


async def test_no_first_response_skips_a_holiday(hub: Hub, clock: Clock) -> None:
    team_id = await world.office_team(hub)
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    rule_id = await world.builtin_rule(hub, "no_first_response")
    # Tuesday 3 November 2026 at 17:55; the 4th (Wednesday) is Unity Day, a holiday.
    await world.conversation(hub, channel_id, client, team_id=team_id, at=msk(2026, 11, 3, 17, 55))
    await at(hub, clock, msk(2026, 11, 4, 12, 0))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 11, 5, 9, 9))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 11, 5, 9, 10))
    assert len(await world.firings(hub, rule_id)) == 1


async def test_no_first_response_without_team_hours_is_calendar_time(
    hub: Hub, clock: Clock
) -> None:
    """A team that set no hours is always open (as routing has it): Saturday counts."""
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    from hub.actions.teams import create_team

    team = await create_team(hub, SystemActor(), "Круглосуточно")
    rule_id = await world.builtin_rule(hub, "no_first_response")
    await world.conversation(hub, channel_id, client, team_id=team.id, at=msk(2026, 6, 20, 12, 0))
    await at(hub, clock, msk(2026, 6, 20, 12, 14))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 20, 12, 15))
    assert len(await world.firings(hub, rule_id)) == 1


async def test_missed_call_not_called_back(hub: Hub, clock: Clock) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    conversation_id = await world.conversation(
        hub, channel_id, client, team_id=None, at=msk(2026, 6, 15, 9, 0)
    )
    rule_id = await world.builtin_rule(hub, "missed_call")  # 30 working minutes
    missed = await world.call(
        hub, "+79161234567", msk(2026, 6, 15, 10, 0), conversation_id=conversation_id
    )
    # Another number called back does not count for this one.
    await world.call(hub, "+79160000000", msk(2026, 6, 15, 10, 5), direction=CallDirection.outbound)

    await at(hub, clock, msk(2026, 6, 15, 10, 29))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 15, 10, 30))
    fired = await world.firings(hub, rule_id)
    assert [(f.object_type, f.object_id) for f in fired] == [("call", missed)]
    # A call's flag stands on its conversation.
    assert await world.standing_flags(hub) == [("conversation", conversation_id, "missed-call")]
    assert [n["text"] for n in await world.notices(hub)] == ["Не перезвонили на +79161234567"]

    await world.call(
        hub,
        "+79161234567",
        msk(2026, 6, 15, 10, 40),
        direction=CallDirection.outbound,
        outcome=CallOutcome.answered,
    )
    await at(hub, clock, msk(2026, 6, 15, 10, 41))
    assert await world.standing_flags(hub) == []
    assert len(await world.firings(hub, rule_id)) == 1

    # Missed again (a new call, a new episode) after 18:00: counted from 9:00 next day.
    again = await world.call(hub, "+79161234567", msk(2026, 6, 15, 18, 30))
    await at(hub, clock, msk(2026, 6, 16, 9, 29))
    assert len(await world.firings(hub, rule_id)) == 1
    await at(hub, clock, msk(2026, 6, 16, 9, 30))
    assert [f.object_id for f in await world.firings(hub, rule_id)] == [missed, again]


async def test_lead_not_contacted(hub: Hub, clock: Clock) -> None:
    manager = await add_user(hub, "manager", Role.operator)
    channel_id = await add_channel(hub, "webform", "site")
    client = await world.contact(hub)
    rule_id = await world.builtin_rule(hub, "lead_not_contacted")  # 4 working hours
    lead_id = await world.lead(hub, client, msk(2026, 6, 15, 16, 0), responsible=manager.id)
    conversation_id = await world.conversation(
        hub, channel_id, client, team_id=None, at=msk(2026, 6, 15, 16, 0)
    )
    from sqlalchemy import update

    from hub.models import Conversation

    async with hub.db.sessions() as session, session.begin():
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(lead_id=lead_id)
        )
    # Two hours on Monday, two on Tuesday morning.
    await at(hub, clock, msk(2026, 6, 16, 10, 59))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 16, 11, 0))
    assert await world.standing_flags(hub) == [("lead", lead_id, "lead-not-contacted")]
    assert [n["audience"]["users"] for n in await world.notices(hub)] == [[manager.id]]

    await world.answer(hub, conversation_id, msk(2026, 6, 16, 11, 30))
    await at(hub, clock, msk(2026, 6, 16, 11, 31))
    assert await world.standing_flags(hub) == []
    await at(hub, clock, msk(2026, 6, 17, 11, 31))
    assert len(await world.firings(hub, rule_id)) == 1


async def test_a_completed_call_on_the_deal_is_activity_and_a_robots_task_is_not(
    hub: Hub, clock: Clock
) -> None:
    """«Зависшая сделка» measures quiet time from the last stage change or activity: a call
    a person completes on the deal starts it again; the robot's own task does not."""
    from hub.actions import activities
    from hub.auth import Principal
    from hub.models import Deal
    from hub.policy import RobotActor

    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager", Role.supervisor)
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["КП"], responsible_id=manager.id
    )
    entered = clock.now
    clock.advance(2 * 86400)
    robot = RobotActor(robot_id=1, name="Зависшая сделка")
    await activities.create_activity(
        hub, robot, {"kind": "call", "subject": "Напомнить", "deal_id": deal_id}
    )
    async with hub.db.sessions() as session:
        assert (await session.get_one(Deal, deal_id)).last_activity_at <= entered
    person = Principal(
        user_id=manager.id, login="manager", name="manager", role=Role.supervisor, locale="ru"
    )
    call = await activities.create_activity(
        hub, person, {"kind": "call", "subject": "Позвонить", "deal_id": deal_id}
    )
    clock.advance(3600)
    await activities.complete_activity(hub, person, call, "Договорились о встрече")
    async with hub.db.sessions() as session:
        assert (await session.get_one(Deal, deal_id)).last_activity_at == clock.now


async def test_two_nodes_starting_together_install_the_pack_once(hub: Hub) -> None:
    # Found by deploy/check.sh: the second node's insert met the first's row at the name
    # check and the node died at start with "A robot with this name exists."
    second = Hub(settings=hub.settings, db=hub.db, bus=hub.bus)
    created = await asyncio.gather(*(builtin.install(h) for h in (hub, second, hub, second)))
    assert sorted(id_ for ids in created for id_ in ids) == sorted(set().union(*created))
    async with hub.db.sessions() as session:
        keys = (await session.execute(select(RobotRule.builtin_key))).scalars().all()
    assert sorted(keys) == sorted(builtin.BUILTIN)


async def test_a_custom_robot_named_like_a_preset_leaves_that_preset_out(hub: Hub) -> None:
    key, preset = next(iter(builtin.BUILTIN.items()))
    await robot_actions.create_rule(
        hub,
        SystemActor(),
        name=preset["name"],
        description="своя",
        spec=parse_rule(preset["rule"]).to_json(),
    )
    await builtin.install(hub)  # starts, rather than stopping the node
    async with hub.db.sessions() as session:
        keys = set((await session.execute(select(RobotRule.builtin_key))).scalars())
    assert keys == {None} | (set(builtin.BUILTIN) - {key})


def person(user: Any) -> Any:
    from hub.auth import Principal

    return Principal(
        user_id=user.id, login=user.login, name=user.login, role=user.role, locale="ru"
    )


async def test_overdue_task_tells_the_owners_supervisor_and_flags_its_deal(
    hub: Hub, clock: Clock
) -> None:
    from hub.actions import activities

    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager", Role.operator)
    boss = await add_user(hub, "boss", Role.supervisor)
    await world.office_team(hub, members=(manager.id, boss.id))
    clock.now = msk(2026, 6, 15, 10, 0)
    rule_id = await world.builtin_rule(hub, "overdue_task")  # 4 hours
    deal_id = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["КП"], responsible_id=manager.id
    )
    due = msk(2026, 6, 15, 12, 0)
    task = await activities.create_activity(
        hub,
        person(manager),
        {"kind": "call", "subject": "Перезвонить", "deal_id": deal_id, "due_at": due},
    )
    await at(hub, clock, due + timedelta(hours=4) - timedelta(seconds=1))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, due + timedelta(hours=4))
    assert await world.standing_flags(hub) == [("deal", deal_id, "overdue-task")]
    assert [(n["text"], n["audience"]["users"]) for n in await world.notices(hub)] == [
        ("Просрочена задача «Перезвонить»", [boss.id])
    ]
    await at(hub, clock, due + timedelta(hours=6))
    assert len(await world.firings(hub, rule_id)) == 1  # once per episode

    await activities.complete_activity(hub, person(manager), task, "Дозвонился")
    await at(hub, clock, due + timedelta(hours=7))
    assert await world.standing_flags(hub) == []
    assert len(await world.firings(hub, rule_id)) == 1


async def test_no_next_contact_fires_after_the_last_activity_and_re_arms(
    hub: Hub, clock: Clock
) -> None:
    from hub.actions import activities

    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager", Role.operator)
    client = await world.contact(hub, responsible=manager.id)
    clock.now = msk(2026, 6, 15, 10, 0)
    rule_id = await world.builtin_rule(hub, "no_next_contact")  # 1 day
    deal_id = await deals.create_deal(
        hub,
        SystemActor(),
        title="Поставка",
        stage_id=stages["КП"],
        responsible_id=manager.id,
        contact_id=client,
    )
    start = clock.now
    await at(hub, clock, start + timedelta(days=1) - timedelta(seconds=1))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, start + timedelta(days=1))
    assert await world.standing_flags(hub) == [("deal", deal_id, "no-next-contact")]
    assert [(n["text"], n["audience"]["users"]) for n in await world.notices(hub)] == [
        ("По сделке «Поставка» не запланирован следующий контакт", [manager.id])
    ]

    # A call planned with the client (not on the deal) is a next contact: the flag goes.
    call = await activities.create_activity(
        hub,
        person(manager),
        {"kind": "call", "subject": "Созвон", "contact_id": client, "due_at": clock.now},
    )
    await at(hub, clock, clock.now + timedelta(hours=1))
    assert await world.standing_flags(hub) == []
    await at(hub, clock, clock.now + timedelta(days=3))
    assert len(await world.firings(hub, rule_id)) == 1

    # Done, with nothing planned after it: a new episode from the moment it was done.
    await activities.complete_activity(hub, person(manager), call, "Подумают")
    done = clock.now
    await at(hub, clock, done + timedelta(days=1) - timedelta(seconds=1))
    assert len(await world.firings(hub, rule_id)) == 1
    await at(hub, clock, done + timedelta(days=1))
    fired = await world.firings(hub, rule_id)
    assert len(fired) == 2 and fired[1].episode_at == done
    assert await world.standing_flags(hub) == [("deal", deal_id, "no-next-contact")]


async def test_a_daily_rule_fires_at_its_time_on_working_days_only(hub: Hub, clock: Clock) -> None:
    from robots import manage

    stages = await world.pipeline(hub)
    manager = await add_user(hub, "manager", Role.operator)
    clock.now = msk(2026, 6, 10, 8, 0)  # a Wednesday
    in_kp = await deals.create_deal(
        hub, SystemActor(), title="Поставка", stage_id=stages["КП"], responsible_id=manager.id
    )
    await deals.create_deal(hub, SystemActor(), title="Другая", stage_id=stages["Интерес"])
    rule = {
        "trigger": {"type": "daily", "object": "deal", "at": "09:00"},
        "conditions": {"field": "stage_id", "op": "eq", "value": stages["КП"]},
        "actions": [{"type": "notify", "to": "responsible", "text": "КП «{title}» ждёт"}],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="Утренний обход КП", description="", rule=rule, enabled=True
    )
    await at(hub, clock, msk(2026, 6, 10, 8, 59))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 10, 9, 0))
    await at(hub, clock, msk(2026, 6, 10, 15, 0))  # the same day: not again
    fired = await world.firings(hub, rule_id)
    assert [(f.object_id, f.episode_at) for f in fired] == [(in_kp, msk(2026, 6, 10, 9, 0))]
    await at(hub, clock, msk(2026, 6, 11, 9, 30))  # Thursday: again
    await at(hub, clock, msk(2026, 6, 12, 9, 30))  # Friday 12 June, День России: a holiday
    await at(hub, clock, msk(2026, 6, 13, 9, 30))  # Saturday
    fired = await world.firings(hub, rule_id)
    assert [f.episode_at for f in fired] == [msk(2026, 6, 10, 9, 0), msk(2026, 6, 11, 9, 0)]
    assert [n["audience"]["users"] for n in await world.notices(hub)] == [[manager.id]] * 2


def test_a_daily_rule_needs_a_time_of_day_and_a_known_zone() -> None:
    from hub.policy import InvalidInput
    from robots.rules import parse_rule

    actions = [{"type": "notify", "to": "responsible", "text": "Утро"}]
    with pytest.raises(InvalidInput) as refused:
        parse_rule(
            {
                "trigger": {"type": "daily", "object": "deal", "at": "25:00", "tz": "Mars/Base"},
                "actions": actions,
            }
        )
    assert sorted(e["field"] for e in refused.value.details) == [
        "trigger.daily.at",
        "trigger.daily.tz",
    ]


async def test_a_date_rule_fires_before_the_due_time_once_per_value(hub: Hub, clock: Clock) -> None:
    from hub.actions import activities
    from robots import manage

    manager = await add_user(hub, "manager", Role.operator)
    clock.now = msk(2026, 6, 10, 9, 0)
    rule = {
        "trigger": {
            "type": "date",
            "object": "activity",
            "field": "due_at",
            "when": "before",
            "offset": {"amount": 1, "unit": "hours"},
        },
        "actions": [{"type": "notify", "to": "responsible", "text": "Скоро: {subject}"}],
    }
    rule_id = await manage.create(
        hub, SystemActor(), name="За час до срока", description="", rule=rule, enabled=True
    )
    task = await activities.create_activity(
        hub,
        person(manager),
        {"kind": "call", "subject": "Созвон", "due_at": msk(2026, 6, 10, 12, 0)},
    )
    await at(hub, clock, msk(2026, 6, 10, 10, 59))
    assert await world.firings(hub, rule_id) == []
    await at(hub, clock, msk(2026, 6, 10, 11, 0))
    await at(hub, clock, msk(2026, 6, 10, 11, 30))
    assert len(await world.firings(hub, rule_id)) == 1
    # Moved to 15:00: a new value, a new episode, an hour before it.
    await activities.update_activity(
        hub, person(manager), task, 1, {"due_at": msk(2026, 6, 10, 15, 0)}
    )
    await at(hub, clock, msk(2026, 6, 10, 13, 59))
    assert len(await world.firings(hub, rule_id)) == 1
    await at(hub, clock, msk(2026, 6, 10, 14, 0))
    fired = await world.firings(hub, rule_id)
    assert [f.episode_at for f in fired] == [msk(2026, 6, 10, 12, 0), msk(2026, 6, 10, 15, 0)]
    assert [n["text"] for n in await world.notices(hub)] == ["Скоро: Созвон"] * 2


def test_a_date_rule_names_a_date_field() -> None:
    from hub.policy import InvalidInput
    from robots.rules import parse_rule

    with pytest.raises(InvalidInput) as refused:
        parse_rule(
            {
                "trigger": {
                    "type": "date",
                    "object": "deal",
                    "field": "title",
                    "offset": {"amount": 2, "unit": "days"},
                },
                "actions": [{"type": "notify", "to": "responsible", "text": "Пора"}],
            }
        )
    assert [(e["field"], e["type"]) for e in refused.value.details] == [
        ("trigger.date.field", "unknown-field")
    ]
