"""The tabs' counts follow the list's filters, in Debian's Chromium (#15, item 3): a tag, a
period and a channel chosen above the list change «Мои», «Очередь» and «Закрытые» to what
each filtered tab holds, and clearing them brings the full counts back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from hub.actions import conversation_marks, conversations, unit_of_work
from hub.auth import Principal
from hub.models import Conversation
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def counted(page: Any, expected: dict[str, str]) -> None:
    """Waits until the tabs show exactly these counts."""
    await page.wait_for_function(
        """(expected) => Object.entries(expected).every(([tab, n]) =>
             document.querySelector(`[data-tab=${tab}] .count`).textContent === n)""",
        arg=expected,
    )


async def test_tab_counts_follow_the_tag_period_and_channel_filters(browser: Any, day: Day) -> None:
    # Full with two: coming online, she does not take Вера from the queue.
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова", max_conversations=2)
    vip = await day.client("Анна Важная", "Срочно", ivanov)
    old = await day.client("Борис Давний", "Вопрос", ivanov)
    await day.client("Вера Очередная", "Здравствуйте", None)
    closed = await day.client("Глеб Закрытый", "Спасибо", ivanov)
    principal = Principal(ivanov.id, ivanov.login, ivanov.name, ivanov.role, "ru")
    await conversation_marks.set_tags(day.ui.hub, principal, vip, ["VIP"])
    await conversation_marks.set_tags(day.ui.hub, principal, closed, ["VIP"])
    async with unit_of_work(day.ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, closed)
        assert conversation is not None
        await conversations.close(uow, conversation)
        # Борис and Глеб last wrote ten days ago.
        await uow.session.execute(
            update(Conversation)
            .where(Conversation.id.in_([old, closed]))
            .values(last_message_at=datetime.now(UTC) - timedelta(days=10))
        )
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Борис Давний").wait_for()
        await counted(page, {"mine": "2", "queue": "1", "closed": "1"})

        await page.locator("#tag-filter option[value=VIP]").wait_for(state="attached")
        await page.select_option("#tag-filter", "VIP")
        await item(page, "Борис Давний").wait_for(state="detached")
        await counted(page, {"mine": "1", "queue": "0", "closed": "1"})

        await page.select_option("#period-filter", "week")
        await counted(page, {"mine": "1", "queue": "0", "closed": "0"})
        await page.select_option("#tag-filter", "")
        await counted(page, {"mine": "1", "queue": "1", "closed": "0"})
        assert await item(page, "Борис Давний").count() == 0

        await page.select_option("#channel-filter", "telegram")
        await counted(page, {"mine": "0", "queue": "0", "closed": "0"})
        await page.select_option("#channel-filter", "")
        await page.select_option("#period-filter", "")
        await counted(page, {"mine": "2", "queue": "1", "closed": "1"})
        await item(page, "Борис Давний").wait_for()
        assert problems == []
    finally:
        await page.context.close()
