"""Reminders in Debian's Chromium: at its time a reminder shows in every open Okno page
(the workspace and «Сделки» side by side), as a browser notification when allowed, and
with the top bar's counter; snoozing it in one page clears it in the other; one delivered
after downtime is marked late."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.host.reminders import ReminderScheduler
from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.agent_ui.test_tasks_browser import moscow_day, plan
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

# The page's notifications, recorded: the permission is granted and nothing is shown.
RECORD_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({ title, ...options }); }
  addEventListener() {}
  close() {}
};
"""


async def test_a_reminder_reaches_every_open_page_and_snoozing_clears_it_everywhere(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    now = moscow_day(0, 10)
    ui.hub.clock = lambda: now
    call_id = await plan(
        ui,
        "petrova",
        kind="call",
        subject="Перезвонить Соколовой",
        due_at=now + timedelta(minutes=15),
        remind_at=now + timedelta(minutes=5),
    )
    reader = await ui.signed_in("petrova")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    await context.add_init_script(RECORD_NOTIFICATIONS)
    try:
        workspace = await context.new_page()
        deals = await context.new_page()
        for page, path in ((workspace, "/"), (deals, "/deals")):
            watch_console(page, problems)
            await page.goto(ui.url(path))
            await page.wait_for_selector("#conn-status[data-state=live]")
            await page.locator("#tasks-badge", has_text="1").wait_for()
        assert await workspace.locator(".reminder").count() == 0

        # Five minutes on, the scheduler's tick (by hand, no sleeping) delivers it.
        later = now + timedelta(minutes=5, seconds=1)
        ui.hub.clock = lambda: later
        await ReminderScheduler(ui.hub).tick()
        for page in (workspace, deals):
            card = page.locator(".reminder", has_text="Перезвонить Соколовой")
            await card.wait_for()
            when = await card.locator(".reminder-when").text_content()
            assert when is not None and when.startswith("Срок: ") and when.endswith(", 10:15")
            assert await card.get_attribute("class") == "reminder"
            notes = await page.evaluate("window.__notes")
            assert [(n["title"], n["tag"]) for n in notes] == [
                ("Перезвонить Соколовой", f"okno-reminder-{call_id}")
            ]

        # Snoozed for 10 minutes in the workspace: gone there and in «Сделки».
        await workspace.bring_to_front()
        await workspace.locator(".reminder .reminder-snooze[data-preset='10m']").click()
        for page in (workspace, deals):
            await page.locator(".reminder").wait_for(state="detached")
        async with reader.get(ui.url(f"/api/v1/activities/{call_id}")) as reply:
            snoozed = await reply.json()
        assert snoozed["remind_at"] == (later + timedelta(minutes=10)).isoformat()
        assert snoozed["reminder_delivered_at"] is None

        # Okno was down for half an hour: the snoozed reminder comes late, and says so.
        await deals.bring_to_front()  # a page in the background gets no clicks
        down = later + timedelta(minutes=30)
        ui.hub.clock = lambda: down
        await ReminderScheduler(ui.hub).tick()
        late = deals.locator(".reminder.reminder-late", has_text="Перезвонить Соколовой")
        await late.wait_for()
        note = await late.locator(".reminder-late-note").text_content()
        assert note is not None and note.startswith("С опозданием: напоминание должно было")
        assert "10:15" in note  # 10:05:01 + 10 min, Moscow time
        ARTIFACTS.mkdir(exist_ok=True)
        await deals.screenshot(path=str(ARTIFACTS / "reminder-late.png"))
        await late.locator(".reminder-dismiss").click()
        await late.wait_for(state="detached")
        assert problems == []
    finally:
        await context.close()
        await ui.close()
