"""SLA clocks and breaches on both backends with a controllable clock: first response, next
response and resolution in calendar time, a night and a Friday-evening message in working
time, the most specific policy winning, breaches written once with their event, a robot
rule on the breach event, and the report's breach figures. Every expected moment is worked
out by hand in the comments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, true

from hub.actions import metric_facts, sla_breaches, sla_policies
from hub.actions.teams import create_team
from hub.core import Hub
from hub.models import (
    Conversation,
    ConversationStatus,
    Direction,
    EventLog,
    Message,
    Role,
    SlaBreach,
)
from hub.policy import Conflict, Forbidden, SystemActor
from hub.queries.metrics_common import Period
from hub.queries.metrics_conversations import Filters, conversation_report, figures_of
from hub.queries.sla import clocks_for
from robots import events as robot_events
from robots import manage
from tests.conftest import Clock, add_channel, add_user
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
async def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.clock = clock
    return clock


async def principal_of(hub: Hub, login: str, role: Role) -> Any:
    from hub.auth import Principal

    user = await add_user(hub, login, role)
    return Principal(user_id=user.id, login=login, name=login, role=role, locale="ru")


async def check_at(hub: Hub, clock: Clock, moment: datetime) -> int:
    clock.now = moment
    return await sla_breaches.record_breaches(hub, SystemActor())


async def breaches(hub: Hub) -> list[tuple[int, str, datetime, datetime, int | None]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(
                SlaBreach.conversation_id,
                SlaBreach.measure,
                SlaBreach.episode_at,
                SlaBreach.due_at,
                SlaBreach.policy_id,
            ).order_by(SlaBreach.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def client_writes(hub: Hub, conversation_id: int, at: datetime) -> None:
    async with hub.db.sessions() as session, session.begin():
        row = await session.get_one(Conversation, conversation_id)
        row.waiting_since = at
        row.last_message_at = at
        session.add(
            Message(conversation_id=row.id, direction=Direction.inbound, text="Ну?", created_at=at)
        )


async def close(hub: Hub, conversation_id: int, at: datetime) -> None:
    async with hub.db.sessions() as session, session.begin():
        row = await session.get_one(Conversation, conversation_id)
        row.status = ConversationStatus.closed
        row.closed_at = at


async def test_first_next_and_resolution_in_calendar_time(hub: Hub, clock: Clock) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    team = await create_team(hub, SystemActor(), "Поддержка")
    clock.now = msk(2026, 6, 15, 11, 0)
    policy = await sla_policies.create_policy(
        hub,
        await principal_of(hub, "sveta", Role.supervisor),
        name="Поддержка",
        team_id=team.id,
        first_response_s=600,
        next_response_s=300,
        resolution_s=3600,
        working_time=False,
    )
    start = msk(2026, 6, 15, 12, 0)  # Monday noon
    first = await world.conversation(hub, channel_id, client, team_id=team.id, at=start)

    # First response: 10 minutes from the client's message, due at 12:10.
    assert await check_at(hub, clock, start + timedelta(minutes=10, seconds=-1)) == 0
    assert await check_at(hub, clock, start + timedelta(minutes=10)) == 1
    assert await check_at(hub, clock, start + timedelta(minutes=11)) == 0  # once per episode
    # Answered late at 12:12; the client writes again at 12:20: the reply is due at 12:25.
    await world.answer(hub, first, start + timedelta(minutes=12))
    await client_writes(hub, first, start + timedelta(minutes=20))
    # A second conversation answered at 12:35 (5 min) and closed at 12:40: within both.
    second = await world.conversation(
        hub, channel_id, client, team_id=team.id, at=start + timedelta(minutes=30)
    )
    assert await check_at(hub, clock, start + timedelta(minutes=25, seconds=-1)) == 0
    assert await check_at(hub, clock, start + timedelta(minutes=25)) == 1
    await world.answer(hub, second, start + timedelta(minutes=35))
    await close(hub, second, start + timedelta(minutes=40))
    # Resolution: an hour from creation, 13:00, for the first one only (the second closed).
    assert await check_at(hub, clock, start + timedelta(minutes=59, seconds=59)) == 0
    assert await check_at(hub, clock, start + timedelta(hours=2)) == 1

    minutes = [timedelta(minutes=m) for m in (10, 20, 25, 60)]
    assert await breaches(hub) == [
        (first, "first_response", start, start + minutes[0], policy.id),
        (first, "next_response", start + minutes[1], start + minutes[2], policy.id),
        (first, "resolution", start, start + minutes[3], policy.id),
    ]
    async with hub.db.sessions() as session:
        logged = (
            await session.execute(
                select(EventLog.payload, EventLog.audience)
                .where(EventLog.kind == "sla.breached")
                .order_by(EventLog.id)
            )
        ).all()
    assert [(p["conversation_id"], p["measure"], p["target_s"]) for p, _ in logged] == [
        (first, "first_response", 600),
        (first, "next_response", 300),
        (first, "resolution", 3600),
    ]
    # Nobody holds it: every operator and the supervisors hear of it.
    assert logged[0][1] == {"users": [], "roles": ["admin", "operator", "supervisor"]}

    # The report on Monday: two requests, one of them breached, three breaches in all. The
    # conversations were written as rows here, not through actions: their facts are derived.
    await metric_facts.rebuild(hub, msk(2026, 6, 15, 0, 0))
    async with hub.db.sessions() as session:
        period = Period(msk(2026, 6, 15, 0, 0), msk(2026, 6, 16, 0, 0), "Europe/Moscow")
        report = await conversation_report(session, period, "none", Filters())
    figures = figures_of(report.total)
    assert (figures["requests"], figures["sla_breached"], figures["sla_breaches"]) == (2, 1, 3)


async def test_a_clock_that_stopped_late_between_two_checks_is_a_breach(
    hub: Hub, clock: Clock
) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    await sla_policies.create_policy(
        hub,
        SystemActor(),
        name="Все",
        first_response_s=600,
        resolution_s=1800,
        working_time=False,
    )
    start = msk(2026, 6, 15, 12, 0)
    late = await world.conversation(hub, channel_id, client, team_id=None, at=start)
    in_time = await world.conversation(hub, channel_id, client, team_id=None, at=start)
    assert await check_at(hub, clock, start + timedelta(minutes=9)) == 0
    # Answered at 12:10:20 (due 12:10) and 12:09:59; closed at 12:31 (due 12:30) and
    # 12:29: no check saw either clock running late, the next one finds the stopped ones.
    await world.answer(hub, late, start + timedelta(minutes=10, seconds=20))
    await world.answer(hub, in_time, start + timedelta(minutes=9, seconds=59))
    await close(hub, late, start + timedelta(minutes=31))
    await close(hub, in_time, start + timedelta(minutes=29))
    assert await check_at(hub, clock, start + timedelta(minutes=32)) == 2
    assert await check_at(hub, clock, start + timedelta(minutes=33)) == 0
    assert [(c, m, e, due) for c, m, e, due, _ in await breaches(hub)] == [
        (late, "first_response", start, start + timedelta(minutes=10)),
        (late, "resolution", start, start + timedelta(minutes=30)),
    ]


async def test_a_night_message_waits_for_working_hours(hub: Hub, clock: Clock) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    team_id = await world.office_team(hub)  # Mon-Fri 09:00-18:00 Moscow
    await sla_policies.create_policy(
        hub, SystemActor(), name="Офис", team_id=team_id, first_response_s=1800
    )
    # Monday 23:00: nothing counts until Tuesday 09:00, so 30 working minutes end at 09:30.
    night = msk(2026, 6, 15, 23, 0)
    late = await world.conversation(hub, channel_id, client, team_id=team_id, at=night)
    # Friday 17:50: 10 minutes on Friday, 20 on Monday morning: due Monday 22nd 09:20.
    friday = msk(2026, 6, 19, 17, 50)
    weekend = await world.conversation(hub, channel_id, client, team_id=team_id, at=friday)

    clock.now = msk(2026, 6, 16, 8, 0)
    async with hub.db.sessions() as session:
        shown = await clocks_for(session, clock.now, [late], true())
    assert [(c.measure, c.due_at, c.breached) for c in shown] == [
        ("first_response", msk(2026, 6, 16, 9, 30).isoformat(), False)
    ]
    assert await check_at(hub, clock, msk(2026, 6, 16, 9, 29, 59)) == 0
    assert await check_at(hub, clock, msk(2026, 6, 16, 9, 30)) == 1
    assert await check_at(hub, clock, msk(2026, 6, 22, 9, 19, 59)) == 0
    assert await check_at(hub, clock, msk(2026, 6, 22, 9, 20)) == 1
    assert [(c, m, due) for c, m, _, due, _ in await breaches(hub)] == [
        (late, "first_response", msk(2026, 6, 16, 9, 30)),
        (weekend, "first_response", msk(2026, 6, 22, 9, 20)),
    ]


async def test_the_most_specific_enabled_policy_holds_a_conversation(
    hub: Hub, clock: Clock
) -> None:
    telegram = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    team = await create_team(hub, SystemActor(), "Продажи")
    company = await sla_policies.create_policy(
        hub, SystemActor(), name="Все", first_response_s=3600, working_time=False
    )
    sales = await sla_policies.create_policy(
        hub,
        SystemActor(),
        name="Продажи",
        team_id=team.id,
        first_response_s=600,
        working_time=False,
    )
    # Switched off: the team's policy holds the team's Telegram chats after all.
    await sla_policies.create_policy(
        hub,
        SystemActor(),
        name="Продажи в Telegram",
        team_id=team.id,
        channel_id=telegram,
        first_response_s=60,
        working_time=False,
        enabled=False,
    )
    with pytest.raises(Conflict):  # one policy per scope
        await sla_policies.create_policy(hub, SystemActor(), name="Ещё", first_response_s=60)
    with pytest.raises(Forbidden):
        await sla_policies.create_policy(
            hub, await principal_of(hub, "olga", Role.operator), name="Моя", first_response_s=60
        )
    start = msk(2026, 6, 15, 12, 0)
    in_team = await world.conversation(hub, telegram, client, team_id=team.id, at=start)
    no_team = await world.conversation(hub, telegram, client, team_id=None, at=start)
    assert await check_at(hub, clock, start + timedelta(minutes=10)) == 1
    assert await check_at(hub, clock, start + timedelta(minutes=60)) == 1
    assert [(c, p) for c, _, _, _, p in await breaches(hub)] == [
        (in_team, sales.id),
        (no_team, company.id),
    ]


async def test_a_robot_rule_acts_on_the_breach_event(hub: Hub, clock: Clock) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    await sla_policies.create_policy(
        hub, SystemActor(), name="Все", first_response_s=300, working_time=False
    )
    rule_id = await manage.create(
        hub,
        SystemActor(),
        name="Нарушен SLA",
        description="",
        rule={
            "trigger": {"type": "event", "event": "conversation.sla_breached"},
            "actions": [{"type": "flag", "code": "sla-breached", "reason": "SLA нарушен"}],
        },
        enabled=True,
    )
    start = msk(2026, 6, 15, 12, 0)
    conversation_id = await world.conversation(hub, channel_id, client, team_id=None, at=start)
    assert await check_at(hub, clock, start + timedelta(minutes=5)) == 1
    async with hub.db.sessions() as session:
        cursor = (
            await session.execute(select(EventLog.id).where(EventLog.kind == "sla.breached"))
        ).scalar_one()
    assert await robot_events.handle(hub, "conversation.sla_breached", conversation_id, cursor) == 1
    # Heard again (another node, a catch-up): the claim keeps it to one firing.
    assert await robot_events.handle(hub, "conversation.sla_breached", conversation_id, cursor) == 0
    assert [f.object_id for f in await world.firings(hub, rule_id)] == [conversation_id]
    assert await world.standing_flags(hub) == [("conversation", conversation_id, "sla-breached")]
