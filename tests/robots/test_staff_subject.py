"""A robot's e-mail and Telegram notices are headed in the recipient's own language."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.actions import robot_staff, unit_of_work
from hub.actions.robot_flags import FiringRef
from hub.core import Hub
from hub.models import User
from hub.policy import RobotActor
from tests.conftest import add_channel, add_user


def test_the_subject_names_the_robot_and_what_it_says_in_each_language() -> None:
    text = "Сделка «Поставка»\n  зависла"
    assert robot_staff.subject("ru", "email", "Зависшая сделка", text) == (
        "Робот «Зависшая сделка»: Сделка «Поставка» зависла"
    )
    assert robot_staff.subject("en", "email", "Зависшая сделка", text) == (
        "Robot “Зависшая сделка”: Сделка «Поставка» зависла"
    )
    # Telegram: the heading only, the text follows it in the message itself.
    assert robot_staff.subject("en", "telegram", "Stalled", text) == "Robot “Stalled”"
    long = robot_staff.subject("ru", "email", "Р", "д" * 400)
    assert len(long) == 300 and long.startswith("Робот «Р»: ддд") and long.endswith("д…")


async def test_each_recipient_gets_the_subject_in_his_locale(hub: Hub) -> None:
    office = await add_channel(hub, "email", "office")
    anna = await add_user(hub, "anna", name="Анна")
    john = await add_user(hub, "john", name="John")
    async with hub.db.sessions() as session, session.begin():
        for user_id, email, locale in ((anna.id, "anna@okno.example", "ru"),
                                       (john.id, "john@okno.example", "en")):  # fmt: skip
            user = await session.get_one(User, user_id)
            user.email, user.locale = email, locale
    firing = FiringRef(1, 1, "deal", 7, datetime(2026, 6, 15, tzinfo=UTC))
    action = {"to": "team", "text": "Сделка зависла", "email_channel_id": office}
    async with unit_of_work(hub) as uow:
        rows, results = await robot_staff.plan(
            uow, RobotActor(1, "Зависшая сделка"), [(firing, action, [anna.id, john.id])]
        )
    assert sorted((r["address"], r["subject"]) for r in rows) == [
        ("anna@okno.example", "Робот «Зависшая сделка»: Сделка зависла"),
        ("john@okno.example", "Robot “Зависшая сделка”: Сделка зависла"),
    ]
    assert results == {1: {"email": {"queued": [anna.id, john.id], "no_address": []}}}
