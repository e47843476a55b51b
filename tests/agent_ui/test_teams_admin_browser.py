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

        # The SLA page shares the editor's wiring: a policy for «Сервис» is saved, a second
        # one for the same team is refused next to the team field, in Russian.
        await page.goto(day.ui.url("/admin/sla"))
        await page.locator("#sla-empty").wait_for()
        for attempt in ("Сервис: 15 минут", "Сервис ещё раз"):
            await page.click("#sla-add")
            await page.fill("#sla-name", attempt)
            await page.select_option("#sla-team", label="Сервис")
            await page.fill("#sla-first", "15")
            await page.click("#sla-save")
        sla_row = page.locator("#sla-rows tr", has_text="Сервис: 15 минут")
        assert "15 мин" in (await sla_row.text_content() or "")
        team_error = page.locator("#sla-form [data-error-for=team_id]")
        await team_error.wait_for(state="visible")
        assert await team_error.text_content() == "Для этой команды и канала политика уже есть."
        assert await page.locator("#sla-form-error").text_content() == "Проверьте выделенные поля."
        assert await page.locator("#sla-rows tr").count() == 1
        # The refused POST is the only line in the console: Chromium logs every 4xx.
        assert problems == [
            "Failed to load resource: the server responded with a status of 409 (Conflict)"
        ]
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
