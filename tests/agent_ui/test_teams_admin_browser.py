"""The Teams page in Debian's Chromium: an administrator adds a team with its members,
then gives «Сервис» business hours that exclude now and an after-hours team; the next
request to «Сервис» is routed to the after-hours team. A day written wrongly is refused in
Russian before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from hub.actions import unit_of_work
from hub.models import Channel, Conversation, Role, Team
from routing.hours import DAY_KEYS
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day, day

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


def row(page: Any, name: str) -> Any:
    return page.locator("#team-rows tr", has_text=name)


async def test_hours_edited_on_the_page_change_routing(browser: Any, day: Day) -> None:
    await day.ui.add_user("root", Role.admin, name="Админ Админов")
    await day.ui.add_user("olga", name="Ольга Иванова")
    async with unit_of_work(day.ui.hub) as uow:
        service = Team(name="Сервис")
        uow.session.add(service)
        await uow.session.flush()
        await uow.session.execute(update(Channel).values(team_id=service.id))
    day.ui.hub.channels.forget()  # changed behind the actions' back: no channel.changed
    problems: list[str] = []
    context = await signed_in_context(browser, day.ui, "root")
    page = await context.new_page()
    watch_console(page, problems)
    try:
        await page.goto(day.ui.url("/admin/teams"))
        await row(page, "Сервис").wait_for()
        await page.click("#team-add")
        await page.fill("#team-name", "Дежурные")
        await page.locator("#team-members label", has_text="Ольга Иванова").locator("input").check()
        await page.click("#team-save")
        await row(page, "Дежурные").wait_for()
        assert "Ольга Иванова" in (await row(page, "Дежурные").text_content() or "")

        # Today (Moscow) is worked only in an hour that has passed or not come.
        moscow = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow"))
        today = DAY_KEYS[moscow.weekday()]
        start = (moscow + timedelta(hours=2)).strftime("%H:00")
        hours = f"{start}-{start}" if start != "00:00" else "01:00-01:00"
        await row(page, "Сервис").locator("[data-action=edit]").click()
        await page.uncheck("#team-always")
        await page.fill(f"#team-day-{today}", "9 до 18")
        await page.click("#team-save")
        error = page.locator("#team-form-error")
        await error.wait_for(state="visible")
        assert "укажите интервалы вида 09:00-18:00" in (await error.text_content() or "")
        await page.fill(f"#team-day-{today}", hours)
        await page.select_option("#team-after", label="Дежурные")
        await page.click("#team-save")
        await page.locator("#toast", has_text="Команда сохранена: Сервис").wait_for()
        assert "Нет рабочих дней" not in (await row(page, "Сервис").text_content() or "")
        assert problems == []
    finally:
        await context.close()

    conversation_id = await day.client("Анна Соколова", "Нужен замер", None)
    async with day.ui.hub.db.sessions() as session:
        team_name = await session.scalar(
            select(Team.name)
            .join(Conversation, Conversation.team_id == Team.id)
            .where(Conversation.id == conversation_id)
        )
    assert team_name == "Дежурные"
