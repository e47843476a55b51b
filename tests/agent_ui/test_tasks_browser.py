"""«Задачи» in Debian's Chromium: a manager's day (overdue in red, today, tomorrow) and the
top bar's counter; planning a call linked to a client, completing the overdue one with its
result and the offered next contact, snoozing and cancelling, and the filtered list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.actions import activities, crm, unit_of_work
from hub.auth import Principal
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

MOSCOW = ZoneInfo("Europe/Moscow")
RED = "rgb(198, 40, 40)"  # --danger


def moscow_day(days: int, hour: int, minute: int = 0) -> datetime:
    """`days` after today (Moscow's date now) at hour:minute Moscow time, in UTC."""
    today = datetime.now(MOSCOW).date() + timedelta(days=days)
    return datetime.combine(today, time(hour, minute), tzinfo=MOSCOW).astimezone(UTC)


async def plan(ui: Ui, login: str, **values: Any) -> int:
    boss = ui.users["boss"]
    actor = Principal(boss.id, boss.login, boss.name, boss.role, "ru")
    return await activities.create_activity(
        ui.hub, actor, {"responsible_id": ui.users[login].id, **values}
    )


async def day_of_petrova(ui: Ui) -> dict[str, Any]:
    """Yesterday's call (overdue), today's task, tomorrow's meeting; the clock at 10:00."""
    now = moscow_day(0, 10)
    ui.hub.clock = lambda: now
    manager = ui.users["petrova"].id
    async with unit_of_work(ui.hub) as uow:
        client = await crm.create_contact(uow, "Анна Соколова", responsible_user_id=manager)
    return {
        "now": now,
        "client": client.id,
        "late": await plan(
            ui, "petrova", kind="call", subject="Перезвонить Гусеву", due_at=moscow_day(-1, 15)
        ),
        "today": await plan(
            ui, "petrova", kind="task", subject="Подготовить КП", due_at=moscow_day(0, 16)
        ),
        "tomorrow": await plan(
            ui,
            "petrova",
            kind="meeting",
            subject="Встреча в офисе клиента",
            due_at=moscow_day(1, 12),
            duration_min=60,
        ),
    }


async def test_my_day_planning_completing_snoozing_and_cancelling(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    seeded = await day_of_petrova(ui)
    reader = await ui.signed_in("petrova")

    async def activity(activity_id: int) -> dict[str, Any]:
        async with reader.get(ui.url(f"/api/v1/activities/{activity_id}")) as reply:
            assert reply.status == 200
            data: dict[str, Any] = await reply.json()
            return data

    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        # The counter is on every page's top bar: overdue plus still planned today.
        await page.goto(ui.url("/deals"))
        await page.locator("#tasks-badge", has_text="2").wait_for()
        await page.click("#nav-tasks")
        await page.wait_for_url(ui.url("/tasks"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        late = page.locator("#tasks-overdue .task-item")
        await late.first.wait_for()
        assert await late.count() == 1
        assert "Перезвонить Гусеву" in (await late.text_content() or "")
        assert await late.get_attribute("class") == "task-item task-overdue"
        color = await late.evaluate("(n) => getComputedStyle(n).borderLeftColor")
        assert color == RED
        assert await page.locator("#tasks-today .task-subject").all_text_contents() == [
            "Подготовить КП"
        ]
        assert await page.locator("#tasks-tomorrow .task-subject").all_text_contents() == [
            "Встреча в офисе клиента"
        ]
        assert await page.locator("#tasks-today .task-when").text_content() == "16:00"
        assert await page.text_content("#tasks-badge") == "2"

        # Plan a call tomorrow at 11:00 (the default) with the client, reminded at its time.
        await page.click("#task-new")
        form = page.locator("#task-dialog")
        await form.locator("select[name=kind]").select_option("call")
        await form.locator("input[name=subject]").fill("Перезвонить Соколовой")
        tomorrow_11 = moscow_day(1, 11).astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
        assert await form.locator("input[name=due_at]").input_value() == tomorrow_11
        assert await form.locator("input[name=duration_min]").input_value() == "15"
        await form.locator("#task-contact").fill("Соколова")
        await form.locator(".picker-option", has_text="Анна Соколова").click()
        await form.locator("button[type=submit]").click()
        await page.locator("#task-dialog").wait_for(state="hidden")
        planned = page.locator("#tasks-tomorrow .task-item", has_text="Перезвонить Соколовой")
        await planned.wait_for()
        contact_link = planned.locator(".task-link-contact")
        assert await contact_link.text_content() == "Анна Соколова"
        assert await contact_link.get_attribute("href") == f"/clients/contacts/{seeded['client']}"
        created = await activity(int(await planned.get_attribute("data-id") or 0))
        assert (created["kind"], created["duration_min"]) == ("call", 15)
        assert created["due_at"] == moscow_day(1, 11).isoformat()
        assert created["remind_at"] == created["due_at"]
        assert created["contact"]["id"] == seeded["client"]
        assert created["responsible"]["name"] == "Мария Петрова"

        # Complete the overdue call: the result, and the next contact offered with it.
        await late.locator(".task-complete").click()
        done_form = page.locator("#complete-dialog")
        assert await done_form.locator("input[name=next_subject]").input_value() == (
            "Перезвонить Гусеву"
        )
        await done_form.locator("button[type=submit]").click()  # no result yet: kept open
        assert await done_form.get_attribute("open") == ""
        await done_form.locator("textarea[name=result]").fill("Договорились о замере")
        await done_form.locator("input[name=next_subject]").fill("Уточнить дату замера")
        await done_form.locator("button[type=submit]").click()
        await page.locator("#tasks-overdue .empty").wait_for()
        following = page.locator("#tasks-tomorrow .task-subject", has_text="Уточнить дату замера")
        await following.wait_for()
        finished = await activity(seeded["late"])
        assert (finished["status"], finished["result"]) == ("done", "Договорились о замере")
        await page.locator("#tasks-badge", has_text="1").wait_for()

        # Snooze today's task for an hour: its reminder moves to 11:00.
        today_item = page.locator("#tasks-today .task-item")
        await today_item.locator(".task-snooze").select_option("1h")
        await page.locator("#task-announcer", has_text="Отложено: Подготовить КП").wait_for()
        snoozed = await activity(seeded["today"])
        assert snoozed["remind_at"] == (seeded["now"] + timedelta(hours=1)).isoformat()

        # Cancel it: it leaves the day and the counter goes out.
        await today_item.locator(".task-cancel").click()
        await page.locator("#cancel-dialog textarea[name=reason]").fill("Клиент передумал")
        await page.locator("#cancel-dialog button[type=submit]").click()
        await page.locator("#tasks-today .empty").wait_for()
        await page.locator("#tasks-badge[hidden]").wait_for(state="attached")
        assert (await activity(seeded["today"]))["status"] == "cancelled"

        # The list by filters: what is done, with its result.
        await page.click("#view-list")
        await page.locator("#task-filters select[name=status]").select_option("done")
        row = page.locator("#tasks-rows .task-item", has_text="Перезвонить Гусеву")
        await row.wait_for()
        assert await row.locator(".task-result").text_content() == "Договорились о замере"
        assert await page.locator("#tasks-rows .task-item").count() == 1

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "tasks-page.png"))
        assert problems == []
    finally:
        await context.close()
        await ui.close()
