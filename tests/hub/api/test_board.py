"""GET /api/v1/board on the hand-built history at 12:00 UTC (15:00 Moscow) on Monday: the
queue, today's response times, waits near or past their target, the rotation's load and
today's lost calls, each worked out by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from hub.models import Conversation, Presence, Team, TeamMember, User
from tests.conftest import Clock
from tests.hub.queries.metrics_history import at, build_history

from .conftest import Api


@pytest.fixture
def app_settings() -> dict[str, object]:
    # op1 is put online by hand, with no heartbeat, and C4 waits in the queue: the app's
    # sweeper would take op1 offline as a silent browser, or offer C4 to him, whenever it
    # happens to run before the board is read.
    return {"presence_timeout_s": 10**9, "routing_sweep_interval_s": 10**6}


async def test_the_board_now(api: Api) -> None:
    clock = Clock()
    clock.now = at(12)
    api.hub.clock = clock
    h = await build_history(api.hub)
    c = h.conversations
    async with api.hub.db.sessions() as session, session.begin():
        # C4 waits in the queue since 09:00 (3 h: past any target); C2's client wrote again
        # at 11:58, and the team's target is 150 s: 120 s is 80 % of it, about to breach.
        await session.execute(
            update(Conversation)
            .where(Conversation.id == c["c4"])
            .values(queued_at=at(9), waiting_since=at(9))
        )
        await session.execute(
            update(Conversation).where(Conversation.id == c["c2"]).values(waiting_since=at(11, 58))
        )
        await session.execute(update(Team).where(Team.id == h.team).values(wait_limit_s=150))
        # op1 and op2 are the team's; sveta (a supervisor) is online but takes no work.
        session.add_all(
            [TeamMember(team_id=h.team, user_id=h.op1), TeamMember(team_id=h.team, user_id=h.op2)]
        )
        await session.execute(
            update(User)
            .where(User.id.in_([h.op1, api.users["sveta"].id]))
            .values(presence=Presence.online)
        )
    reply = await api.get("/api/v1/board", "sveta")
    assert reply.status == 200, reply.body
    board = reply.body
    assert board["queue"] == {"length": 1, "longest_since": "2026-06-15T09:00:00+00:00"}
    today = board["responses_today"]
    assert (today["requests"], today["handled"], today["frt_p50"], today["frt_p90"]) == (
        4,
        3,
        600,
        23400,
    )
    assert [(w["conversation_id"], w["breached"], w["target_s"]) for w in board["waits"]] == [
        (c["c4"], True, 300),
        (c["c2"], False, 150),
    ]
    # The operators routing gives work to; sveta, a supervisor, is no capacity.
    operators = {o["name"]: o for o in board["operators"]}
    assert sorted(operators) == sorted(
        ["Оператор Два", "Оператор Один", "Ольга Иванова", "Пётр Смирнов"]
    )
    in_team = await api.get("/api/v1/board", "sveta", team=h.team)
    assert [o["name"] for o in in_team.body["operators"]] == ["Оператор Два", "Оператор Один"]
    # C4 has no team: the team's board neither queues nor counts it.
    assert in_team.body["queue"]["length"] == 0
    # op1 holds C5 (open); C1 and C3 are closed. op2 holds C2.
    one = operators["Оператор Один"]
    assert (one["presence"], one["conversations"], one["load"], one["max_conversations"]) == (
        "online",
        1,
        1.0,
        5,
    )
    # op1's last reply today: C3 at 09:30 UTC (C5's at 06:30 is earlier).
    assert one["last_reply_at"] == "2026-06-15T09:30:00+00:00"
    assert one["idle_since"] is None
    # Only online people in rotation are capacity: op1's 5 (the others are offline, sveta
    # is a supervisor).
    assert (board["capacity"], board["load"]) == (5, 1.0)
    assert board["calls_today"] == {"calls": 8, "missed": 2, "abandoned": 2, "called_back": 2}
    assert (await api.get("/api/v1/board", "olga")).status == 403
