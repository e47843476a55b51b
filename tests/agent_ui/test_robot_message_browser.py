"""The robot editor's template message and notices by e-mail, in Debian's Chromium: the
administrator picks a template and the e-mail channel from lists; a template removed
meanwhile is refused beside its own select, in Russian, and nothing is saved; another one is
saved with the rule as chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import ReplyTemplate, RobotRule, Role, TemplateScope
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def template(ui: Ui, name: str) -> int:
    async with ui.hub.db.sessions() as session, session.begin():
        row = ReplyTemplate(
            scope=TemplateScope.company,
            locale="ru",
            name=name,
            body="Ответим скоро",
            search_text="",
        )
        session.add(row)
        await session.flush()
        return row.id


async def test_admin_picks_a_template_and_an_email_channel(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    gone = await template(ui, "Старый ответ")
    kept = await template(ui, "Скоро ответим")
    office = await add_channel(ui.hub, "email", "office")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/admin/robots"))
        await page.locator("#robot-rows tr").first.wait_for()
        await page.click("#robot-add")
        await page.fill("#robot-name", "Скоро ответим")
        await page.select_option("#robot-state", "conversation.no_first_response")
        await page.fill("#robot-amount", "5")
        actions = page.locator("#action-rows [data-part=action]")
        await actions.nth(0).locator("[data-part=type]").select_option("message")
        await actions.nth(0).locator("[data-part=template_id]").select_option(str(gone))
        await page.click("#action-add")
        await actions.nth(1).locator("[data-part=type]").select_option("notify")
        await actions.nth(1).locator("[data-part=text]").fill("Клиенту написал робот")
        await actions.nth(1).locator("[data-part=email_channel_id]").select_option(str(office))
        async with ui.hub.db.sessions() as session, session.begin():
            await session.execute(delete(ReplyTemplate).where(ReplyTemplate.id == gone))

        await page.click("#robot-save")
        slot = actions.nth(0).locator('[data-error-for="template_id"]')
        await slot.get_by_text("Нет такого шаблона компании или отдела.").wait_for()
        async with ui.hub.db.sessions() as session:
            assert (
                await session.execute(select(RobotRule.id).where(RobotRule.name == "Скоро ответим"))
            ).all() == []

        await actions.nth(0).locator("[data-part=template_id]").select_option(str(kept))
        await page.click("#robot-save")
        await page.locator("#robot-rows tr", has_text="Скоро ответим").wait_for()
        async with ui.hub.db.sessions() as session:
            rule = (
                await session.execute(select(RobotRule).where(RobotRule.name == "Скоро ответим"))
            ).scalar_one()
        message, notify = rule.actions
        assert message == {"type": "message", "template_id": kept, "working_hours": True}
        assert (notify["to"], notify["text"], notify["email_channel_id"]) == (
            "responsible",
            "Клиенту написал робот",
            office,
        )
        assert notify["telegram_channel_id"] is None
    finally:
        await context.close()
        await ui.close()
    assert [p for p in problems if "status of 422" not in p] == []
