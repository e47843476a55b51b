"""Canned answers in the reply box, in Debian's Chromium: «/» and a few letters list the
templates whose name or text hold them, Enter puts the chosen one in with the client's name
and the request number filled in, Esc closes the list and leaves the text as typed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from hub.actions import unit_of_work
from hub.actions.reply_templates import create_template
from hub.auth import Principal
from hub.models import ReplyTemplate, Role, TemplateScope
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace, shows

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def _company_templates(day: Day) -> None:
    boss = await day.ui.add_user("boss", Role.supervisor, name="Светлана Орлова")
    principal = Principal(boss.id, boss.login, boss.name, Role.supervisor, "ru")
    for name, body, locale in (
        ("Приветствие", "Здравствуйте, {{ client.name }}! Заявка №{{ request.number }}.", "ru"),
        ("Замер", "Замерщик приедет бесплатно.", "ru"),
        ("Greeting", "Hello, {{ client.name }}!", "en"),
    ):
        await create_template(
            day.ui.hub, principal, scope=TemplateScope.company, name=name, body=body, locale=locale
        )


async def test_slash_inserts_a_template_with_the_clients_name(browser: Any, day: Day) -> None:
    await _company_templates(day)
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    conversation = await day.client("Анна Соколова", "Нужен замер", ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Анна Соколова").click()
        await shows(page, "Анна Соколова")
        text = page.locator("#composer-text")
        await text.click()
        await text.press_sequentially("Добрый день. /прив")
        options = page.locator("#template-picker [role=option]")
        # The list follows the letters as they are typed: «/» alone lists all three; wait
        # until it has caught up with «/прив».
        await page.wait_for_function(
            "() => document.querySelectorAll('#template-picker [role=option]').length === 1"
        )
        assert await options.count() == 1
        assert await options.first.locator(".template-name").text_content() == "Приветствие"
        await text.press("Enter")
        expected = f"Добрый день. Здравствуйте, Анна Соколова! Заявка №{conversation}."
        await page.wait_for_function(
            "(v) => document.querySelector('#composer-text').value === v", arg=expected
        )
        assert await page.locator("#template-picker").is_hidden()

        # «/» alone lists them all; ↓ moves to the next; Esc closes and keeps the text.
        await text.fill("")
        await text.press_sequentially("/")
        await page.wait_for_function(
            "() => document.querySelectorAll('#template-picker [role=option]').length === 3"
        )
        names = await page.locator("#template-picker .template-name").all_text_contents()
        assert names == ["Greeting", "Замер", "Приветствие"]
        await text.press("ArrowDown")
        selected = page.locator("#template-picker [aria-selected=true] .template-name")
        assert await selected.text_content() == "Замер"
        await text.press("Escape")
        assert await page.locator("#template-picker").is_hidden()
        assert await text.input_value() == "/"
        assert await text.evaluate("(node) => node === document.activeElement")

        # Nothing matches: said so, and Enter is left alone.
        await text.press_sequentially("нетакого")
        await page.locator("#template-picker .template-none").wait_for()
        assert await page.locator("#template-picker").text_content() == "Нет подходящих шаблонов."
        await text.fill("")
        await text.press_sequentially("/greet")
        await options.first.wait_for()
        await options.first.dispatch_event("mousedown")
        await page.wait_for_function(
            "() => document.querySelector('#composer-text').value === 'Hello, Анна Соколова!'"
        )
        await page.locator("#composer-send").click()
        await page.locator("#messages .msg-out", has_text="Hello, Анна Соколова!").wait_for()
        assert problems == []
    finally:
        await page.context.close()


async def test_refusals_are_told_in_russian(browser: Any, day: Day) -> None:
    """A template deleted while the list was open, and a reply over the length limit: both
    refusals read in Russian, never in the server's English."""
    await _company_templates(day)
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await day.client("Анна Соколова", "Нужен замер", ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Анна Соколова").click()
        await shows(page, "Анна Соколова")
        text = page.locator("#composer-text")
        await text.press_sequentially("/замер")
        await page.locator("#template-picker [role=option]").first.wait_for()
        async with unit_of_work(day.ui.hub) as uow:
            await uow.session.execute(delete(ReplyTemplate).where(ReplyTemplate.name == "Замер"))
        await text.press("Enter")
        await page.locator("#toast", has_text="Этого шаблона больше нет.").wait_for()

        await text.fill("а" * 10_001)
        await page.click("#composer-send")
        toast = page.locator("#toast", has_text="Слишком длинно.")
        await toast.wait_for()
        # The browser logs the two refusals (404, 422); nothing else went wrong.
        assert len(problems) == 2 and all(("404" in p or "422" in p) for p in problems), problems
    finally:
        await page.context.close()
