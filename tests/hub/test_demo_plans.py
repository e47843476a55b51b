"""The demo's planning side on both backends, seeded on a Wednesday at 12:00 in Moscow:
today's calls and meetings, overdue tasks, a week of meetings for two managers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from hub import demo
from hub.core import Hub
from hub.models import Activity, User
from hub.queries.activities import is_overdue

WEDNESDAY_NOON_MSK = datetime(2026, 6, 17, 9, 0, tzinfo=UTC)


async def test_the_demo_has_a_day_and_a_week_to_plan(hub: Hub) -> None:
    hub.clock = lambda: WEDNESDAY_NOON_MSK
    assert await demo.seed(hub) is demo.SeedOutcome.seeded
    async with hub.db.sessions() as session:
        logins = {i: login for i, login in await session.execute(select(User.id, User.login))}
        rows = (await session.execute(select(Activity))).scalars().all()
    today = [
        a for a in rows if a.due_at is not None and a.due_at.date() == WEDNESDAY_NOON_MSK.date()
    ]
    today_kinds = Counter((logins[a.user_id], a.kind) for a in today if a.user_id)
    assert today_kinds[("operator", "call")] >= 2 and today_kinds[("operator", "meeting")] >= 1
    assert today_kinds[("petrova", "call")] >= 1 and today_kinds[("petrova", "meeting")] >= 2
    overdue = [a for a in rows if is_overdue(a, WEDNESDAY_NOON_MSK, "Europe/Moscow")]
    assert {(logins[a.user_id], a.kind) for a in overdue if a.user_id} >= {
        ("operator", "task"),
        ("petrova", "task"),
        ("sidorov", "task"),
    }
    week = [
        a
        for a in rows
        if a.kind == "meeting"
        and a.due_at is not None
        and datetime(2026, 6, 14, 21, tzinfo=UTC)
        <= a.due_at
        < datetime(2026, 6, 19, 21, tzinfo=UTC)
    ]
    per_manager = Counter(logins[a.user_id] for a in week if a.user_id)
    assert per_manager["operator"] >= 4 and per_manager["petrova"] >= 4
    # What lay in the past at seeding is done with a result; what lies ahead is planned.
    for meeting in week:
        assert meeting.status == ("done" if meeting.due_at < WEDNESDAY_NOON_MSK else "planned")
        assert meeting.result == ("Проведено" if meeting.status == "done" else "")
