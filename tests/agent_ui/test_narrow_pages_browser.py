"""Every page a supervisor or an administrator opens, on a phone (390×844) in Debian's
Chromium: the page reflows instead of scrolling sideways, and nothing it shows is wider than
the screen or its own box. The workspace, the calendar and the tasks have their own checks
(test_workspace_narrow_browser.py)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actions.sla_policies import create_policy
from hub.actions.teams import create_team
from hub.models import Role
from hub.policy import SystemActor
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day, day
from tests.agent_ui.test_workspace_narrow_browser import PHONE

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests

# Each page with an element it draws once its data is in (the check runs on what is shown).
PAGES = {
    "/supervisor": "#board-agents",
    "/reports": "#report-table",
    "/clients": "#clients-table",
    "/deals": "#board",
    "/templates": "main",
    "/import": "main",
    "/admin/channels": "#channel-rows tr",
    "/admin/operators": "#user-rows tr",
    "/admin/teams": "#team-rows tr",
    "/admin/fields": "main",
    "/admin/pipelines": "main",
    "/admin/visibility": "main",
    "/admin/robots": "main",
    "/admin/sla": "#sla-rows tr",
}

# The boxes that are shown and wider than the screen, or than their own box.
TOO_WIDE = """() => [document.documentElement, document.body, ...document.querySelectorAll(
    'main, main *')]
  .filter((n) => n.getClientRects().length > 0)
  .filter((n) => getComputedStyle(n).overflowX === 'visible' || n === document.body
    || n === document.documentElement)
  .filter((n) => n.getBoundingClientRect().right > innerWidth + 1
    || n.getBoundingClientRect().left < -1)
  .slice(0, 8)
  .map((n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '')
    + (n.className && typeof n.className === 'string' ? '.' + n.className.split(' ')[0] : '')
    + ' ' + Math.round(n.getBoundingClientRect().right))"""


async def test_the_admin_and_supervisor_pages_fit_a_phone(browser: Any, day: Day) -> None:
    await day.ui.add_user("root", Role.admin, name="Админ Админов")
    await day.ui.add_user("ivanov", name="Ольга Иванова-Задунайская")
    team = await create_team(day.ui.hub, SystemActor(), "Отдел продаж и сопровождения клиентов")
    await create_policy(
        day.ui.hub,
        SystemActor(),
        name="Первый ответ за 15 минут",
        team_id=team.id,
        first_response_s=900,
    )
    # Rows on the board and in the reports: a card each on a phone.
    await day.client("Анна Соколова", "Нужен замер окон на даче", None)
    await day.client("Константин Константинопольский", "Когда приедет мастер?", None)
    problems: list[str] = []
    context = await signed_in_context(browser, day.ui, "root")
    page = await context.new_page()
    watch_console(page, problems)
    await page.set_viewport_size(PHONE)
    wide: dict[str, list[str]] = {}
    try:
        for path, drawn in PAGES.items():
            await page.goto(day.ui.url(path), wait_until="networkidle")
            await page.locator(drawn).first.wait_for(state="attached")
            sideways = await page.evaluate(
                "() => document.documentElement.scrollWidth > innerWidth + 1"
            )
            boxes = await page.evaluate(TOO_WIDE)
            if sideways or boxes:
                wide[path] = boxes
        assert wide == {}
        # The SLA page is the last one: each card's lines are headed by their columns.
        team_cell = page.locator("#sla-rows td[data-label='Команда']")
        assert await team_cell.text_content() == "Отдел продаж и сопровождения клиентов"
        assert await page.locator("table.admin-table thead").is_hidden()
        assert problems == []
    finally:
        await context.close()
