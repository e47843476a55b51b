"""«SLA на грани» with an SLA policy, on both backends with a controllable clock: the
policy's response target in working time replaces the team's wait limit, so a night message
is «на грани» the next morning, N working minutes before its target."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from hub.actions import sla_policies
from hub.core import Hub
from hub.models import Conversation, Team
from hub.policy import SystemActor
from robots import engine
from tests.conftest import Clock, add_channel
from tests.robots import world
from tests.robots.world import msk


@pytest.fixture
async def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.clock = clock
    return clock


async def test_sla_near_counts_the_policys_working_time_target(hub: Hub, clock: Clock) -> None:
    channel_id = await add_channel(hub, "telegram", "bot")
    client = await world.contact(hub)
    team_id = await world.office_team(hub)  # Mon-Fri 09:00-18:00 Moscow; wait limit 300 s
    await sla_policies.create_policy(
        hub, SystemActor(), name="Офис", team_id=team_id, first_response_s=1800
    )
    rule_id = await world.builtin_rule(
        hub,
        "sla_near",
        trigger={
            "type": "time",
            "state": "conversation.sla_near",
            "after": {"amount": 5, "unit": "minutes"},
        },
    )
    # Monday 23:00: 30 working minutes end at 09:30 on Tuesday, 5 before them is 09:25. By
    # the team's 300-s calendar limit it would have fired at 23:00 at once.
    night = msk(2026, 6, 15, 23, 0)
    conversation_id = await world.conversation(hub, channel_id, client, team_id=team_id, at=night)
    for moment in (night, msk(2026, 6, 16, 8, 0), msk(2026, 6, 16, 9, 24, 59)):
        clock.now = moment
        await engine.tick(hub)
        assert await world.firings(hub, rule_id) == []
    clock.now = msk(2026, 6, 16, 9, 25)
    await engine.tick(hub)
    assert [(f.object_id, f.episode_at) for f in await world.firings(hub, rule_id)] == [
        (conversation_id, night)
    ]
    # Answered at 09:40: the next wait has no policy target, so the team's limit counts.
    await world.answer(hub, conversation_id, msk(2026, 6, 16, 9, 40))
    clock.now = msk(2026, 6, 16, 9, 41)
    await engine.tick(hub)
    assert await world.standing_flags(hub) == []


async def test_a_policy_holds_its_own_conversations_and_each_wait_by_its_own_target(
    hub: Hub, clock: Clock
) -> None:
    """Pinned where mutation testing found the other conversations and the next wait loose:
    a conversation the policy does not hold keeps its team's limit (or the default 300 s), a
    team's limit is its own, and the next wait counts from the next response target."""
    channel_id = await add_channel(hub, "telegram", "bot")
    office = await world.office_team(hub, "Офис")
    patient = await world.office_team(hub, "Опт")
    async with hub.db.sessions() as session, session.begin():
        await session.execute(update(Team).where(Team.id == patient).values(wait_limit_s=7200))
    await sla_policies.create_policy(
        hub,
        SystemActor(),
        name="Офис",
        team_id=office,
        first_response_s=1800,
        next_response_s=1200,
        working_time=False,
    )
    rule_id = await world.builtin_rule(
        hub,
        "sla_near",
        trigger={
            "type": "time",
            "state": "conversation.sla_near",
            "after": {"amount": 5, "unit": "minutes"},
        },
    )
    start = msk(2026, 6, 15, 10, 0)
    held, wholesale, teamless = [
        await world.conversation(hub, channel_id, await world.contact(hub), team_id=team, at=start)
        for team in (office, patient, None)
    ]

    async def fired_at(moment: datetime) -> set[int]:
        clock.now = moment
        await engine.tick(hub)
        return {f.object_id for f in await world.firings(hub, rule_id)}

    # No policy, no team: the default 300 s, 5 minutes before it is at once.
    assert await fired_at(start) == {teamless}
    # The policy's first response target is 30 min: 5 before is 10:25, not earlier.
    assert await fired_at(msk(2026, 6, 15, 10, 24, 59)) == {teamless}
    assert await fired_at(msk(2026, 6, 15, 10, 25)) == {teamless, held}
    # The wholesale team's own 2-hour limit, not the office's or the default one.
    assert await fired_at(msk(2026, 6, 15, 11, 54, 59)) == {teamless, held}
    assert await fired_at(msk(2026, 6, 15, 11, 55)) == {teamless, held, wholesale}

    # Answered, then the client writes again at 12:00: the next response target (20 min).
    await world.answer(hub, held, msk(2026, 6, 15, 11, 56))
    again = msk(2026, 6, 15, 12, 0)
    async with hub.db.sessions() as session, session.begin():
        await session.execute(
            update(Conversation).where(Conversation.id == held).values(waiting_since=again)
        )
    before = len(await world.firings(hub, rule_id))
    clock.now = msk(2026, 6, 15, 12, 14, 59)
    await engine.tick(hub)
    assert len(await world.firings(hub, rule_id)) == before
    clock.now = msk(2026, 6, 15, 12, 15)
    await engine.tick(hub)
    episodes = [(f.object_id, f.episode_at) for f in await world.firings(hub, rule_id)]
    assert (held, again) in episodes and len(episodes) == before + 1
