"""The Templates page in Debian's Chromium: an operator keeps his own templates (a refused
text is explained in Russian next to the field), sees his team's and the company's without
controls; a supervisor adds a team template that the team's operator then finds."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.models import Role, Team, TeamMember
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day, day

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def _page(browser: Any, day: Day, login: str, problems: list[str]) -> Any:
    context = await signed_in_context(browser, day.ui, login)
    page = await context.new_page()
    watch_console(page, problems)
    await page.goto(day.ui.url("/templates"))
    await page.wait_for_selector("#conn-status[data-state=live]")
    return page


def row(page: Any, name: str) -> Any:
    return page.locator("#template-rows tr", has_text=name)


async def test_operator_keeps_his_own_and_uses_his_teams(browser: Any, day: Day) -> None:
    olga = await day.ui.add_user("olga", name="Ольга Иванова")
    await day.ui.add_user("boss", Role.supervisor, name="Светлана Орлова")
    async with unit_of_work(day.ui.hub) as uow:
        team = Team(name="Продажи")
        uow.session.add(team)
        await uow.session.flush()
        uow.session.add(TeamMember(team_id=team.id, user_id=olga.id))
    problems: list[str] = []

    boss = await _page(browser, day, "boss", problems)
    try:
        await boss.locator("#template-empty").wait_for()
        await boss.click("#template-add")
        await boss.fill("#template-name", "Доставка")
        await boss.select_option("#template-scope", "team")
        await boss.locator("#template-team-field").wait_for()
        await boss.select_option("#template-team", label="Продажи")
        await boss.fill("#template-body", "Привезём за 2 дня, {{ client.name }}.")
        await boss.click("#template-save")
        await row(boss, "Доставка").wait_for()
        assert await row(boss, "Доставка").locator("td").nth(1).text_content() == (
            "Команда «Продажи»"
        )
    finally:
        await boss.context.close()

    page = await _page(browser, day, "olga", problems)
    try:
        await row(page, "Доставка").wait_for()
        # The team's template is used, not changed, by an operator.
        assert await row(page, "Доставка").locator("button").count() == 0
        assert await page.locator("#template-scope option").all_text_contents() == ["Только я"]
        await page.click("#template-add")
        await page.fill("#template-name", "Подпись")
        await page.fill("#template-body", "{% for x in client %}{{ x }}{% endfor %}")
        await page.click("#template-save")
        error = page.locator("[data-error-for=body]")
        await error.wait_for(state="visible")
        assert await error.text_content() == (
            "Можно только переменные, условия {% if %} и простые фильтры."
        )
        await page.fill("#template-body", "С уважением, {{ operator.name }}")
        await page.click("#template-save")
        await row(page, "Подпись").wait_for()
        assert await row(page, "Подпись").locator("td").nth(1).text_content() == "Только я"

        await page.fill("#template-search", "уважен")
        await row(page, "Доставка").wait_for(state="detached")
        assert await page.locator("#template-rows tr").count() == 1
        await page.fill("#template-search", "")
        await row(page, "Доставка").wait_for()

        await row(page, "Подпись").locator("[data-action=edit]").click()
        await page.fill("#template-name", "Подпись Ольги")
        await page.click("#template-save")
        await row(page, "Подпись Ольги").wait_for()
        await row(page, "Подпись Ольги").locator("[data-action=delete]").click()
        await page.click("#confirm-ok")
        await row(page, "Подпись Ольги").wait_for(state="detached")
        # The one refusal the browser logs is the refused text's 422, and nothing else.
        assert len(problems) == 1 and "422" in problems[0], problems
    finally:
        await page.context.close()
