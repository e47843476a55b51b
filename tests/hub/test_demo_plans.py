"""The demo's planning side on both backends, seeded on a Wednesday at 12:00 in Moscow:
today's calls and meetings, overdue tasks, a week of meetings for two managers; and seeded
on a Sunday evening, when all of it moves to Monday and its week."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hub import demo
from hub.core import Hub
from hub.demo.plans import PLANS
from hub.models import Activity, User
from hub.queries.activities import is_overdue

WEDNESDAY_NOON_MSK = datetime(2026, 6, 17, 9, 0, tzinfo=UTC)
SUBJECTS = {plan.subject for plan in PLANS}


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


SUNDAY_EVENING_MSK = datetime(2026, 6, 21, 17, 0, tzinfo=UTC)  # 20:00 in Moscow


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


async def test_seeded_on_a_sunday_evening_the_plans_lie_on_monday_and_its_week(hub: Hub) -> None:
    """Past working hours the demo plans the next working day (Monday the 22nd) and its
    week; the overdue tasks lie on the working days before it (Thursday, Friday,
    Wednesday), never on the weekend. Times by hand: Moscow is UTC+3."""
    hub.clock = lambda: SUNDAY_EVENING_MSK
    assert await demo.seed(hub) is demo.SeedOutcome.seeded
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(Activity))).scalars().all()
    planned = {a.subject: (a.due_at, a.status) for a in rows if a.subject in SUBJECTS}
    assert planned == {
        # Monday's calls and meetings.
        "Перезвонить Ивану Петрову по замеру": (utc(22, 7), "planned"),
        "Уточнить адрес объекта": (utc(22, 9, 30), "planned"),
        "Встреча в офисе клиента": (utc(22, 12), "planned"),
        "Согласовать дату монтажа": (utc(22, 8, 30), "planned"),
        "Замер на объекте": (utc(22, 13), "planned"),
        "Отправить договор на подпись": (utc(22, 14), "planned"),
        # Overdue: two working days back is Thursday, one is Friday, three is Wednesday.
        "Подготовить КП на остекление склада": (utc(18, 15), "planned"),
        "Выставить счёт на предоплату": (utc(19, 9), "planned"),
        "Запросить акт выполненных работ": (utc(17, 7), "planned"),
        # The week of the 22nd: all ahead, none done.
        "Планёрка отдела продаж": (utc(22, 6, 30), "planned"),
        "Презентация для ЖК «Берёзки»": (utc(23, 11), "planned"),
        "Подписание договора": (utc(25, 8), "planned"),
        "Итоги недели": (utc(26, 14), "planned"),
        "Выезд на замер веранды": (utc(23, 7), "planned"),
        "Встреча с юристом клиента": (utc(24, 12), "planned"),
        "Приёмка монтажа": (utc(26, 9), "planned"),
    }
    late = {a.subject for a in rows if is_overdue(a, SUNDAY_EVENING_MSK, "Europe/Moscow")}
    assert late >= {
        "Подготовить КП на остекление склада",
        "Выставить счёт на предоплату",
        "Запросить акт выполненных работ",
    }
    # What lies ahead reminds 15 minutes before; nothing of the plans is due yet.
    ahead = [a for a in rows if a.subject in SUBJECTS and a.due_at > SUNDAY_EVENING_MSK]
    assert len(ahead) == 13
    assert all(a.remind_at == a.due_at - timedelta(minutes=15) for a in ahead)
    assert all(a.remind_delivered_at is None for a in ahead)
