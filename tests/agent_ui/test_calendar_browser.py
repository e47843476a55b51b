"""«Календарь» in Debian's Chromium: a week of my meetings, the team's week beside it, the
month and the day; dragging a meeting to another hour moves it (stored, with its version),
and so do Shift+arrows on the focused meeting;
planning a meeting for a colleague in an hour he is busy warns of the conflict, an hour he
is free says so."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role, Team, TeamMember
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.agent_ui.test_tasks_browser import MOSCOW, plan
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


def next_wednesday() -> Any:
    """Wednesday of next week (Moscow): a working day, in the future, one «›» away."""
    today = datetime.now(MOSCOW).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=9)


def at(day: Any, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=MOSCOW).astimezone(UTC)


async def test_week_team_month_day_drag_and_the_conflict_warning(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    petrova = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    sidorov = await ui.add_user("sidorov", Role.operator, name="Игорь Сидоров")
    async with unit_of_work(ui.hub) as uow:
        sales = Team(name="Продажи")
        uow.session.add(sales)
        await uow.session.flush()
        for user in (petrova, sidorov):
            uow.session.add(TeamMember(team_id=sales.id, user_id=user.id))
    wednesday = next_wednesday()
    key = wednesday.isoformat()
    mine = await plan(
        ui, "petrova", kind="meeting", subject="Встреча с СтройМонтаж",
        due_at=at(wednesday, 12), duration_min=60,
    )  # fmt: skip
    await plan(
        ui, "sidorov", kind="meeting", subject="Переговоры Полимер",
        due_at=at(wednesday, 15), duration_min=60,
    )  # fmt: skip
    reader = await ui.signed_in("petrova")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/tasks"))
        await page.click("a[href='/calendar']")
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator("#cal-grid .cal-column").nth(6).wait_for()
        await page.click("#cal-next")
        column = page.locator(f".cal-column[data-day='{key}']")
        meeting = column.locator(".cal-item", has_text="Встреча с СтройМонтаж")
        await meeting.wait_for()
        assert await meeting.evaluate("(n) => n.style.top") == "480px"  # 12:00, 40 px an hour
        assert await meeting.locator(".cal-time").text_content() == "12:00"
        assert await column.locator(".cal-item", has_text="Переговоры Полимер").count() == 0

        # The team's week: Сидоров's meeting too, with his name on it.
        await page.locator("#cal-whose").select_option(label="Команда: Продажи")
        theirs = column.locator(".cal-item", has_text="Переговоры Полимер")
        await theirs.wait_for()
        assert await theirs.locator(".cal-who").text_content() == "Игорь Сидоров"

        # Drag my meeting to 14:00 the same day: stored, one version on.
        await meeting.drag_to(column.locator(".cal-slot[data-hour='14']"))
        await page.locator("#toast", has_text="Перенесено: Встреча с СтройМонтаж").wait_for()
        await page.wait_for_function(
            """(k) => [...document.querySelectorAll(`.cal-column[data-day='${k}'] .cal-item`)]
                .some((n) => n.textContent.includes('СтройМонтаж') && n.style.top === '560px')""",
            arg=key,
        )
        async with reader.get(ui.url(f"/api/v1/activities/{mine}")) as reply:
            moved = await reply.json()
        assert moved["due_at"] == at(wednesday, 14).isoformat()
        assert moved["version"] == 2

        # The same from the keyboard: Shift+↓ an hour later, Shift+→ a day later, and back;
        # the focus stays on the meeting between presses.
        async def stored(version: int) -> str:
            async with asyncio.timeout(10):
                while True:
                    async with reader.get(ui.url(f"/api/v1/activities/{mine}")) as reply:
                        now = await reply.json()
                    if now["version"] == version:
                        return str(now["due_at"])
                    await asyncio.sleep(0.05)

        async def press(key: str, version: int, day: Any, clock: str) -> str:
            await page.keyboard.press(key)
            due = await stored(version)
            # Redrawn where it went, and the focus on it there.
            await page.wait_for_function(
                """([id, day, clock]) => {
                    const n = document.activeElement;
                    return n?.dataset?.id === String(id)
                        && n.closest('.cal-column')?.dataset.day === day
                        && n.querySelector('.cal-time')?.textContent === clock;
                }""",
                arg=[mine, day.isoformat(), clock],
            )
            return due

        await page.locator(f".cal-item[data-id='{mine}']").focus()
        assert await meeting.get_attribute("aria-keyshortcuts") == (
            "Shift+ArrowLeft Shift+ArrowRight Shift+ArrowUp Shift+ArrowDown"
        )
        assert (
            await press("Shift+ArrowDown", 3, wednesday, "15:00") == at(wednesday, 15).isoformat()
        )
        thursday = wednesday + timedelta(days=1)
        assert await press("Shift+ArrowRight", 4, thursday, "15:00") == at(thursday, 15).isoformat()
        assert (
            await page.locator(
                f".cal-column[data-day='{thursday.isoformat()}'] .cal-item[data-id='{mine}']"
            ).count()
            == 1
        )
        assert (
            await press("Shift+ArrowLeft", 5, wednesday, "15:00") == at(wednesday, 15).isoformat()
        )
        assert await press("Shift+ArrowUp", 6, wednesday, "14:00") == at(wednesday, 14).isoformat()

        # The month and the day show the same two meetings.
        await page.click("[data-view=month]")
        cell = page.locator(f".cal-cell[data-day='{key}']")
        await cell.locator(".cal-item").nth(1).wait_for()
        assert await cell.locator(".cal-subject").all_text_contents() == [
            "Встреча с СтройМонтаж",
            "Переговоры Полимер",
        ]
        await page.click("[data-view=day]")
        await page.click("#cal-next")  # the month's anchor is its 1st; step to the day itself
        await page.click("#cal-today")
        await page.click("[data-view=week]")
        await page.click("#cal-next")

        # Plan a meeting for Сидоров by clicking his free 14:00: he is free for the hour...
        await page.locator("#cal-whose").select_option(label="Игорь Сидоров")
        await column.locator(".cal-item", has_text="Переговоры Полимер").wait_for()
        await column.locator(".cal-slot[data-hour='14']").click()
        dialog = page.locator("#task-dialog")
        await dialog.wait_for()
        assert await dialog.locator("select[name=responsible_id]").input_value() == str(sidorov.id)
        assert await dialog.locator("input[name=due_at]").input_value() == f"{key}T14:00"
        assert await dialog.locator("input[name=duration_min]").input_value() == "60"
        free = dialog.locator("#task-busy[data-conflict=no]")
        await free.wait_for()
        assert await free.text_content() == "В это время все свободны."
        # ...but not at 14:30, when his 15:00 talks begin.
        await dialog.locator("input[name=due_at]").fill(f"{key}T14:30")
        busy = dialog.locator("#task-busy[data-conflict=yes]")
        await busy.wait_for()
        assert await busy.text_content() == "Конфликт: в это время заняты — Игорь Сидоров."
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "calendar-conflict.png"))
        # At 18:30 he has gone home (office hours end at 18:00).
        await dialog.locator("input[name=due_at]").fill(f"{key}T18:30")
        away = dialog.locator("#task-busy", has_text="Вне рабочего времени")
        await away.wait_for()
        assert await away.text_content() == "Вне рабочего времени — Игорь Сидоров."
        assert problems == []
    finally:
        await context.close()
        await ui.close()
