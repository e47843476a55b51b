"""«Отчёты» in Debian's Chromium on the hand-built history (tests/hub/queries/metrics_history.py):
the table and the chart (Chart.js served by Okno) show the period's figures, a click on a
number lists the conversations behind it, and the XLSX export holds the numbers shown."""

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
from tests.conftest import Backend, Clock
from tests.hub.queries.metrics_history import at, build_history

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def _ui(backend: Backend, serve: Callable[..., Any]) -> Ui:
    app = create_app(backend.settings())
    ui = Ui(await serve(app), app[HUB])
    clock = Clock()
    clock.now = at(12)
    ui.hub.clock = clock
    return ui


async def loaded(page: Any, what: str) -> None:
    """Wait until the page shows the report `what` ("name:group_by")."""
    await page.wait_for_function(
        "what => document.getElementById('report-form').dataset.loaded === what", arg=what
    )


async def test_reports_page_is_for_supervisors(
    sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    ui = await _ui(sqlite_backend, serve)
    try:
        await ui.add_user("olga")
        await ui.add_user("sveta", Role.supervisor)
        operator = await ui.signed_in("olga")
        async with operator.get(ui.url("/reports")) as page:
            assert page.status == 403
        supervisor = await ui.signed_in("sveta")
        async with supervisor.get(ui.url("/reports")) as page:
            html = await page.text()
        assert page.status == 200
        assert 'src="/static/chart.umd.min.js?v=' in html
        assert '<a href="/reports" aria-current="page">Отчёты</a>' in html
    finally:
        await ui.close()


async def test_table_chart_drill_down_and_xlsx(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any], tmp_path: Path
) -> None:
    ui = await _ui(sqlite_backend, serve)
    await build_history(ui.hub)
    await ui.add_user("sveta", Role.supervisor, name="Светлана Орлова")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "sveta")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/reports"))
        # The last 7 days by day: C5 on Sunday (23:00 Moscow), C1..C4 on Monday.
        await page.wait_for_function(
            "() => document.querySelectorAll('#report-rows tr').length === 2"
        )
        labels = await page.locator("#report-rows th").all_text_contents()
        assert labels == ["2026-06-14", "2026-06-15"]
        requests = await page.locator("#report-rows td[data-column=requests]").all_text_contents()
        assert requests == ["1", "4"]
        drawn = await page.evaluate(
            "() => { const c = window.Chart.getChart(document.getElementById('report-chart'));"
            " return c ? c.data.datasets[0].data : null; }"
        )
        assert drawn == [1, 4]
        # The first response's median on Monday: 600 s, shown as a clock.
        monday_frt = page.locator("#report-rows tr[data-key='2026-06-15'] td[data-column=frt_p50]")
        assert await monday_frt.text_content() == "10:00"

        # Drill-down: the total of requests lists the five conversations.
        await page.click("#report-total td[data-column=requests] button")
        await page.wait_for_function(
            "() => document.querySelectorAll('#report-drill-rows tr').length === 5"
        )
        title = await page.text_content("#report-drill-title")
        assert title is not None and title.endswith(": всего 5")
        link = await page.get_attribute("#report-drill-rows tr a", "href")
        assert link is not None and link.startswith("/#c")

        # By operator, then the XLSX holds the numbers the table shows.
        await page.select_option("#report-group", "operator")
        await page.click("#report-show")
        await loaded(page, "conversations:operator")
        shown_labels = await page.locator("#report-rows th").all_text_contents()
        shown_requests = await page.locator(
            "#report-rows td[data-column=requests]"
        ).all_text_contents()
        assert sorted(shown_labels) == ["Без оператора", "Оператор Два", "Оператор Один"]
        async with page.expect_download() as caught:
            await page.click("#report-xlsx")
        download = await caught.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / "report.xlsx"
        await download.save_as(saved)
        sheet = load_workbook(saved, read_only=True).worksheets[0]
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert cells[0][:2] == ["Оператор", "Обращений"]
        assert [row[0] for row in cells[1:-1]] == shown_labels
        assert [str(row[1]) for row in cells[1:-1]] == shown_requests
        assert cells[-1][:2] == ["Итого", 5]

        # The call report draws too.
        await page.select_option("#report-name", "calls")
        await loaded(page, "calls:operator")
        total_calls = await page.text_content("#report-total td[data-column=calls]")
        assert total_calls == "8"
        assert problems == []
    finally:
        await context.close()
        await ui.close()
