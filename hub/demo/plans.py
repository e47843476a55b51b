"""The demo's planning side: today's calls and meetings, overdue tasks, and this week's
meetings of two managers (Алексей Смирнов and Ольга Петрова), written through the same
use case the API calls, so the «Сегодня» panel and the calendar look lived in.

Times are Moscow wall-clock times relative to the demo's working day: the day of seeding
while its working hours last (Monday to Friday, until 18:00 Moscow), else the next working
day, so a demo seeded on a Friday or a Sunday evening shows Monday and its week ahead rather
than a finished past. Days before or after it count working days. What lies in the past by
seeding is completed with a result (a week's Monday meeting seeded on Thursday is done),
except the tasks meant to be overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.actions import activities
from hub.auth import Principal
from hub.core import Hub

MOSCOW = ZoneInfo("Europe/Moscow")
# When a working day's plans are over: seeded later, the demo plans the next working day.
WORKDAY_END = time(18, 0)


@dataclass(frozen=True)
class DemoPlan:
    user: str
    kind: str
    subject: str
    # Working days from the demo's working day; with `weekday`, the day of its week instead
    # (0 = Monday).
    day: int = 0
    weekday: int | None = None
    at: str = "11:00"
    minutes: int | None = None
    contact: str | None = None
    deal: str | None = None
    place: str = ""
    agenda: str = ""
    participants: tuple[str, ...] = ()
    # Overdue on purpose: left planned though its time has passed.
    overdue: bool = False


PLANS = (
    # Today.
    DemoPlan("operator", "call", "Перезвонить Ивану Петрову по замеру", at="10:00", minutes=15,
             contact="petrov", deal="Остекление склада 1 200 м²"),
    DemoPlan("operator", "call", "Уточнить адрес объекта", at="12:30", minutes=10,
             contact="belova"),
    DemoPlan("operator", "meeting", "Встреча в офисе клиента", at="15:00", minutes=90,
             contact="orlov", deal="Алюминиевый витраж магазина", place="Москва, ул. Тверская, 7",
             agenda="Образцы профиля; сроки монтажа; условия оплаты", participants=("petrova",)),
    DemoPlan("petrova", "call", "Согласовать дату монтажа", at="11:30", minutes=15,
             contact="gusev", deal="Окна для цеха № 3"),
    DemoPlan("petrova", "meeting", "Замер на объекте", at="16:00", minutes=60,
             contact="lebedeva", place="Химки, ул. Лесная, 12"),
    DemoPlan("petrova", "email", "Отправить договор на подпись", at="17:00", contact="gusev",
             deal="Окна для цеха № 3"),
    # Overdue.
    DemoPlan("operator", "task", "Подготовить КП на остекление склада", day=-2, at="18:00",
             contact="petrov", deal="Остекление склада 1 200 м²", overdue=True),
    DemoPlan("petrova", "task", "Выставить счёт на предоплату", day=-1, at="12:00",
             contact="kuznetsova", overdue=True),
    DemoPlan("sidorov", "task", "Запросить акт выполненных работ", day=-3, at="10:00",
             overdue=True),
    # This week's meetings of the two managers.
    DemoPlan("operator", "meeting", "Планёрка отдела продаж", weekday=0, at="09:30", minutes=30,
             participants=("petrova", "supervisor")),
    DemoPlan("operator", "meeting", "Презентация для ЖК «Берёзки»", weekday=1, at="14:00",
             minutes=60, place="https://telemost.yandex.ru/j/demo"),
    DemoPlan("operator", "meeting", "Подписание договора", weekday=3, at="11:00", minutes=60,
             contact="petrov", deal="Остекление склада 1 200 м²"),
    DemoPlan("operator", "meeting", "Итоги недели", weekday=4, at="17:00", minutes=30,
             participants=("supervisor",)),
    DemoPlan("petrova", "meeting", "Выезд на замер веранды", weekday=1, at="10:00", minutes=90,
             place="Одинцово, СНТ «Рассвет»"),
    DemoPlan("petrova", "meeting", "Встреча с юристом клиента", weekday=2, at="15:00",
             minutes=60, contact="gusev", deal="Окна для цеха № 3"),
    DemoPlan("petrova", "meeting", "Приёмка монтажа", weekday=4, at="12:00", minutes=120,
             contact="lebedeva", place="Химки, ул. Лесная, 12"),
)  # fmt: skip


def _working_days(day: date, count: int) -> date:
    """`count` working days (Monday to Friday) after `day`, or before it if negative."""
    step = timedelta(days=1 if count > 0 else -1)
    for _ in range(abs(count)):
        day += step
        while day.weekday() >= 5:
            day += step
    return day


def working_day(now: datetime) -> date:
    """The demo's «today»: today in Moscow until its working hours end, else the next
    working day (a Sunday evening plans Monday)."""
    local = now.astimezone(MOSCOW)
    if local.weekday() < 5 and local.time() < WORKDAY_END:
        return local.date()
    return _working_days(local.date(), 1)


def _when(plan: DemoPlan, today: date) -> datetime:
    if plan.weekday is not None:
        day = today - timedelta(days=today.weekday()) + timedelta(days=plan.weekday)
    else:
        day = _working_days(today, plan.day)
    hours, minutes = plan.at.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=MOSCOW)


async def seed_plans(
    hub: Hub,
    people: dict[str, Principal],
    contacts: dict[str, int],
    deals: dict[str, int],
    now: datetime,
) -> int:
    """Write the plans; returns how many."""
    today = working_day(now)
    for plan in PLANS:
        due = _when(plan, today)
        values: dict[str, object] = {
            "kind": plan.kind,
            "subject": plan.subject,
            "due_at": due,
            "duration_min": plan.minutes,
            "responsible_id": people[plan.user].user_id,
            "contact_id": contacts[plan.contact] if plan.contact else None,
            "deal_id": deals[plan.deal] if plan.deal else None,
            "place": plan.place,
            "agenda": plan.agenda,
            "participant_ids": [people[p].user_id for p in plan.participants],
        }
        if due - timedelta(minutes=15) > now:
            values["remind_at"] = due - timedelta(minutes=15)
        actor = people[plan.user]
        activity_id = await activities.create_activity(hub, actor, values)
        if due < now and not plan.overdue:
            await activities.complete_activity(hub, actor, activity_id, "Проведено")
    return len(PLANS)
