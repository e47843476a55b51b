"""`activity.changed` and `reminder.due` reach the open workspaces over /ws, each only where
its reader is concerned: the fan-out passes every kind on, the event's audience decides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.actions import activities, unit_of_work
from hub.auth import Principal
from hub.host.reminders import ReminderScheduler
from hub.models import CrmVisibility, Role
from tests.agent_ui.conftest import Ui, events_until


def kinds(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [f for f in frames if f.get("kind") == kind]


async def test_a_planned_call_and_its_reminder_reach_the_right_workspaces(ui: Ui) -> None:
    boss = await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("lead", Role.supervisor, name="Олег Старший")
    manager = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    await ui.add_user("sidorov", Role.operator, name="Игорь Сидоров")
    async with unit_of_work(ui.hub) as uow:
        # Operators see their own records only; supervisors all.
        uow.session.add(CrmVisibility(role=Role.operator.value, scope="own"))
    sockets = {
        login: await ui.socket(await ui.signed_in(login))
        for login in ("petrova", "lead", "sidorov")
    }
    now = ui.hub.clock()
    activity_id = await activities.create_activity(
        ui.hub,
        Principal(boss.id, boss.login, boss.name, boss.role, "ru"),
        {
            "kind": "call",
            "subject": "Перезвонить по витражу",
            "responsible_id": manager.id,
            "due_at": now + timedelta(minutes=15),
            "remind_at": now + timedelta(minutes=10),
        },
    )

    def planned(frames: list[dict[str, Any]]) -> bool:
        return bool(kinds(frames, "activity.changed"))

    for login in ("petrova", "lead"):
        [event] = kinds(await events_until(sockets[login], planned), "activity.changed")
        assert event["payload"]["change"] == "created"
        assert event["payload"]["activity"]["id"] == activity_id
        assert event["cursor"] > 0
    assert kinds(await ui.nothing_more(sockets["sidorov"]), "activity.changed") == []

    # Ten minutes on: the scheduler's tick (by hand, no sleeping) delivers the reminder.
    later = now + timedelta(minutes=10, seconds=1)
    ui.hub.clock = lambda: later
    assert await ReminderScheduler(ui.hub).tick() == 1

    def reminded(frames: list[dict[str, Any]]) -> bool:
        return bool(kinds(frames, "reminder.due"))

    [toast] = kinds(await events_until(sockets["petrova"], reminded), "reminder.due")
    assert toast["payload"]["activity"]["subject"] == "Перезвонить по витражу"
    assert toast["payload"]["late"] is False
    # A reminder is the responsible manager's own: not his supervisor's, not a colleague's.
    assert kinds(await ui.nothing_more(sockets["lead"]), "reminder.due") == []
    assert kinds(await ui.nothing_more(sockets["sidorov"]), "reminder.due") == []
