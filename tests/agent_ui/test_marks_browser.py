"""Tags and snooze in the workspace, in Debian's Chromium: tags typed in the header are
saved and filter the list; «Отложить — когда клиент напишет» moves the conversation from
«Мои» to «Отложенные», and the client's next message brings it back live; a saved view
brings back its tab, tag and period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversation_marks, conversations, unit_of_work
from hub.auth import Principal
from hub.models import Conversation
from routing.ingest import Ingestor
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace, shows
from tests.conftest import add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def _telegram(day: Day, text: str) -> int:
    day.sequence += 1
    receipt = await Ingestor(day.ui.hub).submit(
        InboundMessage(
            "telegram",
            "bot",
            f"marks-{day.sequence}",
            Sender("Анна Соколова", (IdentityClaim("telegram", "4242"),)),
            text,
        )
    )
    assert receipt.conversation_id is not None
    return receipt.conversation_id


async def test_tags_filter_the_list_and_snooze_waits_for_the_client(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await add_channel(day.ui.hub, "telegram", "bot")
    await day.client("Борис Другой", "Здравствуйте", ivanov)
    anna = await _telegram(day, "Нужен замер")
    async with unit_of_work(day.ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, anna)
        assert conversation is not None
        await conversations.assign(uow, conversation, ivanov.id, "test")
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Анна Соколова").click()
        await shows(page, "Анна Соколова")
        tags = page.locator("#thread-tags")
        await tags.fill("VIP, доставка")
        await tags.press("Tab")
        await page.locator("#toast", has_text="Метки сохранены.").wait_for()
        await page.locator("#tag-filter").focus()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('#tag-filter option')].length === 3"
        )
        await page.select_option("#tag-filter", "VIP")
        await item(page, "Борис Другой").wait_for(state="detached")
        assert await item(page, "Анна Соколова").count() == 1
        await page.select_option("#tag-filter", "")
        await item(page, "Борис Другой").wait_for()

        await page.click("#btn-snooze")
        await page.check("#snooze-form input[value=reply]")
        await page.click("#snooze-submit")
        await item(page, "Анна Соколова").wait_for(state="detached")
        assert "отложен до ответа клиента" in (await page.text_content("#thread-meta") or "")
        await page.wait_for_function(
            "() => document.querySelector('[data-tab=snoozed] .count').textContent === '1'"
        )
        await page.click("[data-tab=snoozed]")
        await item(page, "Анна Соколова").wait_for()
        await page.click("[data-tab=mine]")
        await item(page, "Анна Соколова").wait_for(state="detached")

        assert await _telegram(day, "Так когда замер?") == anna
        await item(page, "Анна Соколова").wait_for()
        await page.wait_for_function(
            "() => document.querySelector('[data-tab=snoozed] .count').textContent === '0'"
        )
        assert await page.locator("#btn-snooze").is_visible()
        assert problems == []
    finally:
        await page.context.close()


async def test_a_saved_view_brings_back_its_tab_and_tag(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    vip = await day.client("Анна Важная", "Срочно", ivanov)
    old = await day.client("Борис Обычный", "Вопрос", ivanov)
    async with unit_of_work(day.ui.hub) as uow:
        # Борис last wrote ten days ago.
        await uow.session.execute(
            update(Conversation)
            .where(Conversation.id == old)
            .values(last_message_at=datetime.now(UTC) - timedelta(days=10))
        )
    principal = Principal(ivanov.id, ivanov.login, ivanov.name, ivanov.role, "ru")
    await conversation_marks.set_tags(day.ui.hub, principal, vip, ["VIP"])
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Борис Обычный").wait_for()
        await page.select_option("#period-filter", "week")
        await item(page, "Борис Обычный").wait_for(state="detached")
        assert await item(page, "Анна Важная").count() == 1
        await page.select_option("#period-filter", "")
        await item(page, "Борис Обычный").wait_for()
        await page.select_option("#period-filter", "today")
        await page.locator("#tag-filter option[value=VIP]").wait_for(state="attached")
        await page.select_option("#tag-filter", "VIP")
        await item(page, "Борис Обычный").wait_for(state="detached")
        await page.click("#btn-save-view")
        await page.fill("#save-view-name", "Мои VIP")
        await page.click("#save-view-submit")
        await page.locator("#toast", has_text="Вид сохранён: Мои VIP").wait_for()

        await page.select_option("#tag-filter", "")
        await page.select_option("#period-filter", "")
        await page.click("[data-tab=closed]")
        await item(page, "Анна Важная").wait_for(state="detached")
        await page.select_option("#saved-views", label="Мои VIP")
        await item(page, "Анна Важная").wait_for()
        assert await item(page, "Борис Обычный").count() == 0
        assert await page.get_attribute("[data-tab=mine]", "aria-selected") == "true"
        assert await page.input_value("#tag-filter") == "VIP"
        assert await page.input_value("#period-filter") == "today"
        await page.click("#btn-delete-view")
        await page.wait_for_function(
            "() => document.querySelectorAll('#saved-views option').length === 1"
        )
        assert problems == []
    finally:
        await page.context.close()
