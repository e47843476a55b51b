"""The deal panel's payment in Debian's Chromium: a manager sets the payment date, ticks
«Оплачено» and saves; the panel shows when it was marked; unticking it unmarks the deal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_deals_browser import seed
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def test_a_deal_is_marked_paid_in_its_panel(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    seeded = await seed(ui)
    deal = seeded["deals"]["Балконы Полимер"]
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/deals/{deal['id']}"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator("#deal-panel-title", has_text="Балконы Полимер").wait_for()
        paid = page.get_by_label("Оплачено")
        assert not await paid.is_checked()
        await page.locator(".deal-paid", has_text="ещё нет").wait_for()

        await page.get_by_label("Срок оплаты").fill("2026-07-01")
        await paid.check()
        await page.click("#deal-save")
        await page.locator("#deal-form .panel-notice", has_text="Сохранено.").wait_for()
        saved = await seeded["api"].call("GET", f"/deals/{deal['id']}")
        assert saved["payment_due_on"] == "2026-07-01" and saved["paid_at"] is not None
        # The panel, drawn again from the saved deal, shows the mark with its moment.
        assert await page.get_by_label("Оплачено").is_checked()
        assert await page.input_value("#deal-form input[name=payment_due_on]") == "2026-07-01"
        assert "ещё нет" not in str(await page.locator(".deal-paid").text_content())

        # The list («Список») shows the date and the mark.
        await page.click("#deal-panel-close")
        await page.goto(ui.url("/deals?view=list"))
        row = page.locator("#deals-rows tr", has_text="Балконы Полимер")
        await row.locator(".deal-row-paid", has_text="оплачено").wait_for()
        assert "2026" in str(await row.locator(".deal-row-payment").text_content())
        await page.goto(ui.url(f"/deals/{deal['id']}"))
        await page.locator("#deal-panel-title", has_text="Балконы Полимер").wait_for()

        await page.get_by_label("Оплачено").uncheck()
        await page.click("#deal-save")
        await page.locator(".deal-paid", has_text="ещё нет").wait_for()
        unmarked = await seeded["api"].call("GET", f"/deals/{deal['id']}")
        assert (unmarked["paid_at"], unmarked["payment_due_on"]) == (None, "2026-07-01")
        assert problems == []
    finally:
        await context.close()
