"""«SLA на грани» with an SLA policy, on both backends with a controllable clock: the
policy's response target in working time replaces the team's wait limit, so a night message
is «на грани» the next morning, N working minutes before its target."""

from __future__ import annotations

import pytest

from hub.actions import sla_policies
from hub.core import Hub
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
