"""The managers' report on «Отчёты» in Debian's Chromium, on the hand-built day
(tests/hub/queries/managers_history.py): the table and the chart show each person's figures,
a supervisor sets a plan in the page, and the XLSX export holds the numbers shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_reports_browser import loaded
from tests.conftest import Backend, Clock
from tests.hub.queries.managers_history import UNDER_A_RUNNING_APP, at, build_day

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def test_managers_table_chart_plan_and_xlsx(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any], tmp_path: Path
) -> None:
    app = create_app(sqlite_backend.settings(**UNDER_A_RUNNING_APP))
    ui = Ui(await serve(app), app[HUB])
    clock = Clock()
    await build_day(ui.hub, clock)
    clock.now = at(20)
    await ui.add_user("sveta", Role.supervisor, name="Светлана Орлова")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "sveta")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/reports"))
        await loaded(page, "conversations:day")
        await page.select_option("#report-name", "managers")
        await loaded(page, "managers:operator")
        labels = await page.locator("#report-rows th").all_text_contents()
        assert labels == ["Анна", "Борис"]
        anna = page.locator("#report-rows tr").first
        # The last 7 days: 6,900 s busy of 12,600 s online; eight responses (Monday's seven
        # and Sunday evening's) over 3.5 h.
        assert await anna.locator("td[data-column=occupancy]").text_content() == "54.8%"
        assert await anna.locator("td[data-column=answers_per_hour]").text_content() == "2.29"
        assert await anna.locator("td[data-column=overdue]").text_content() == "3"
        # Occupancy is a time figure: nothing behind it to list. The overdue count drills
        # down to the three activities, newest first, each opening where it points.
        assert await anna.locator("td[data-column=occupancy] button").count() == 0
        await anna.locator("td[data-column=overdue] button.drill").click()
        await page.locator("#report-drill").wait_for()
        drilled = page.locator("#report-drill-rows tr")
        assert await drilled.count() == 3
        assert await page.locator("#report-drill-title").text_content() == (
            "Просрочено дел · Анна: всего 3"
        )
        assert [await drilled.nth(i).locator("td").nth(2).text_content() for i in range(3)] == [
            "task", "meeting", "task",
        ]  # fmt: skip
        assert await drilled.first.locator("td").nth(1).text_content() == "Дело"
        assert await drilled.first.locator("td").nth(4).text_content() == "задача"
        # The won deals link to their cards.
        await anna.locator("td[data-column=won_sum] button.drill").click()
        await page.wait_for_function(
            "() => document.querySelectorAll('#report-drill-rows tr[data-kind=deal]').length === 3"
        )
        assert await page.locator("#report-drill-rows a[href^='/deals/']").count() == 3
        await page.select_option("#report-chart-figure", "deals_won")
        drawn = await page.evaluate(
            "() => window.Chart.getChart(document.getElementById('report-chart'))"
            ".data.datasets[0].data"
        )
        assert drawn == [3, 0]  # Monday's two and Sunday's 30,000

        # June's plan for Анна: 3,000,000 → the last 7 days (9–15 June) get 7/30 of it.
        await page.fill("#plan-month", "2026-06")
        await page.dispatch_event("#plan-month", "change")
        amount = page.locator("#plan-rows tr", has_text="Анна").locator("input.plan-amount")
        await amount.wait_for()
        await amount.fill("3000000")
        await page.locator("#plan-rows tr", has_text="Анна").locator("button.plan-save").click()
        await page.wait_for_function(
            "() => document.querySelector('#report-rows tr td[data-column=plan_done]')"
            ".textContent === '25.7%'"  # 180,000.50 / 700,000
        )

        async with page.expect_download() as caught:
            await page.click("#report-xlsx")
        saved = tmp_path / "managers.xlsx"
        await (await caught.value).save_as(saved)
        sheet = load_workbook(saved, read_only=True).worksheets[0]
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        header = cells[0]
        assert header[0] == "Оператор"
        row = dict(zip(header, cells[1], strict=True))
        assert row["Оператор"] == "Анна"
        assert (row["Занятость"], row["Ответов в час"], row["Просрочено дел"]) == (0.5476, 2.29, 3)
        assert (row["Сделок выиграно"], row["План"], row["Выполнение плана"]) == (3, 700000, 0.2571)
        assert [r[0] for r in cells[1:]] == ["Анна", "Борис", "Итого"]
        assert problems == []
    finally:
        await context.close()
        await ui.close()
