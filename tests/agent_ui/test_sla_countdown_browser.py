"""The workspace shows each open conversation's SLA countdown, in Debian's Chromium (#14,
item 4): time left ticking down without a reload, «просрочено» past the target, and a
conversation that arrives while the page is open gets its countdown too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from hub.actions import sla_policies
from hub.models import Conversation
from hub.policy import SystemActor
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def test_countdowns_tick_and_turn_overdue(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await sla_policies.create_policy(
        day.ui.hub, SystemActor(), name="Все", first_response_s=600, working_time=False
    )
    await day.client("Анна Свежая", "Здравствуйте", ivanov)
    late = await day.client("Борис Ждущий", "Ау?", ivanov)
    async with day.ui.hub.db.sessions() as session, session.begin():
        # Борис has waited 15 minutes: 5 past the 10-minute target.
        await session.execute(
            update(Conversation)
            .where(Conversation.id == late)
            .values(waiting_since=datetime.now(UTC) - timedelta(minutes=15))
        )
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        fresh = item(page, "Анна Свежая").locator(".sla-countdown")
        await fresh.wait_for()
        first = await fresh.text_content()
        assert first is not None and first.startswith("Первый ответ: осталось 9:")
        # It counts down by itself, no reload.
        await page.wait_for_function(
            "(before) => document.querySelector('.conv-item .sla-countdown:not(.overdue)')"
            " .textContent !== before",
            arg=first,
        )
        overdue = item(page, "Борис Ждущий").locator(".sla-countdown.overdue")
        await overdue.wait_for()
        assert (await overdue.text_content() or "").startswith("Первый ответ: просрочено на 5:")

        # A client who writes while the page is open gets a countdown as well.
        await day.client("Вера Новая", "Добрый день", ivanov)
        await item(page, "Вера Новая").locator(".sla-countdown").wait_for()
        assert problems == []
    finally:
        await page.context.close()
