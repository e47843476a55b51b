"""Planning in two clicks where the work is, in Debian's Chromium: «Перезвонить…» in a
conversation (a call tomorrow at 11:00 with its client), the workspace's «Сегодня» panel
completing overdue work, «Запланировать дело…» on a client's card (its «Дела» tab lists it)
and on a deal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Conversation, Role
from tests.agent_ui.conftest import Ui, new_conversation
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_deals_browser import seed
from tests.agent_ui.test_tasks_browser import MOSCOW, day_of_petrova, moscow_day
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def activities_of(ui: Ui, reader: aiohttp.ClientSession, query: str) -> list[Any]:
    async with reader.get(ui.url("/api/v1/activities?" + query)) as reply:
        assert reply.status == 200
        page = await reply.json()
        items: list[Any] = page["items"]
        return items


async def submit_plan(page: Any) -> None:
    """The second click: «Запланировать» in the prefilled dialog."""
    await page.locator("#task-dialog button[type=submit]").click()
    await page.locator("#task-dialog").wait_for(state="hidden")


async def test_call_back_from_a_conversation_and_the_today_panel(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    petrova = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    await day_of_petrova(ui)
    conversation_id = await new_conversation(ui.hub, petrova.id, "Перезвоните мне завтра")
    async with ui.hub.db.sessions() as session:
        client_id = (
            await session.execute(
                select(Conversation.contact_id).where(Conversation.id == conversation_id)
            )
        ).scalar_one()
    reader = await ui.signed_in("petrova")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/#c{conversation_id}"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        # «Сегодня»: yesterday's call in red, then today's task; tomorrow's meeting waits.
        panel = page.locator("#today-list .task-item")
        await panel.nth(1).wait_for()
        assert await panel.locator(".task-subject").all_text_contents() == [
            "Перезвонить Гусеву",
            "Подготовить КП",
        ]
        assert await panel.first.get_attribute("class") == "task-item task-overdue"
        assert await page.text_content("#today-count") == "2"

        # Two clicks: «Перезвонить…», then «Запланировать».
        await page.locator("#thread-title", has_text="Клиент").wait_for()
        await page.click("#btn-callback")
        dialog = page.locator("#task-dialog")
        assert await dialog.locator("input[name=subject]").input_value() == "Перезвонить: Клиент"
        assert await dialog.locator("#task-from").text_content() == "Из диалога с клиентом Клиент"
        assert await dialog.locator(".picker-name").text_content() == "Клиент"
        await submit_plan(page)
        await page.locator("#toast", has_text="Запланировано: Перезвонить: Клиент").wait_for()
        [callback] = await activities_of(ui, reader, f"contact_id={client_id}")
        assert callback["kind"] == "call" and callback["subject"] == "Перезвонить: Клиент"
        assert callback["conversation_id"] == conversation_id
        assert callback["due_at"] == moscow_day(1, 11).isoformat()
        assert callback["responsible"]["id"] == petrova.id

        # Completing the overdue call from the panel; no next contact this time.
        await panel.first.locator(".task-complete").click()
        await page.locator("#complete-dialog textarea[name=result]").fill("Не дозвонилась")
        await page.locator("#complete-dialog input[name=plan_next]").uncheck()
        await page.locator("#complete-dialog button[type=submit]").click()
        await page.locator("#today-count", has_text="1").wait_for()
        assert await panel.locator(".task-subject").all_text_contents() == ["Подготовить КП"]
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_plan_from_a_client_card_and_from_a_deal(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    petrova = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    seeded = await seed(ui)
    deal = seeded["deals"]["Окна для СтройМонтаж"]
    reader = await ui.signed_in("petrova")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/clients/contacts/{seeded['contact']}"))
        await page.locator("#card-title", has_text="Анна Соколова").wait_for()
        await page.click("#card-plan")
        assert (
            await page.locator("#task-dialog input[name=subject]").input_value()
            == "Перезвонить: Анна Соколова"
        )
        await page.locator("#task-dialog input[name=subject]").fill("Обсудить монтаж")
        await submit_plan(page)
        [from_card] = await activities_of(ui, reader, f"contact_id={seeded['contact']}")
        assert from_card["subject"] == "Обсудить монтаж" and from_card["deal"] is None
        # The card's «Дела» tab lists it.
        await page.click("#card-tab-activities")
        row = page.locator("#card-activities .task-item")
        await row.first.wait_for()
        assert await row.locator(".task-subject").all_text_contents() == ["Обсудить монтаж"]

        await page.goto(ui.url(f"/deals/{deal['id']}"))
        await page.locator("#deal-panel-title", has_text="Окна для СтройМонтаж").wait_for()
        await page.click("#deal-plan")
        dialog = page.locator("#task-dialog")
        assert await dialog.locator("input[name=subject]").input_value() == (
            "Связаться по сделке «Окна для СтройМонтаж»"
        )
        due = moscow_day(2, 15).astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
        await dialog.locator("input[name=due_at]").fill(due)
        await submit_plan(page)
        [on_deal] = await activities_of(ui, reader, f"deal_id={deal['id']}")
        assert on_deal["contact"]["id"] == seeded["contact"]
        assert on_deal["organisation"]["id"] == seeded["org"]
        assert on_deal["due_at"] == moscow_day(2, 15).isoformat()
        assert on_deal["responsible"]["id"] == petrova.id
        assert problems == []
    finally:
        await context.close()
        await ui.close()
