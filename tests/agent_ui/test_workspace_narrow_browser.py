"""The workspace on a phone and on a wide desktop, in Debian's Chromium.

At 390×844 it is one pane at a time: the list, a conversation (answered from its reply box),
its client's card, and back again by the panes' own buttons and by the browser's back, with
nothing wider than the screen; the calendar's week and the tasks page fit that width too.
At 1400 px the list's filters are as wide as their longest choice and its tabs stay inside
the pane."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.models import Direction, Message
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace, shows

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1400, "height": 900}

# What is shown and wider than the screen, or wider than its own box (a pane pushed
# sideways is clipped by the page rather than scrolling it, so both are looked at).
TOO_WIDE = """() => {
  const boxes = [document.documentElement, document.body,
    ...document.querySelectorAll(
      '.topbar, main, .pane, .thread-head, .composer, .pane-nav, .calendar-grid, .task-list')];
  return boxes.filter((n) => n.getClientRects().length > 0)
    .filter((n) => n.scrollWidth > n.clientWidth + 1
      || n.getBoundingClientRect().right > innerWidth + 1)
    .map((n) => n.tagName.toLowerCase() + (n.className ? '.' + n.className : ''));
}"""

# Each filter's width beside the width it takes on its own (a select sizes itself to its
# longest choice when nothing constrains it).
FILTER_WIDTHS = """() => ['channel-filter', 'period-filter', 'tag-filter'].map((id) => {
  const select = document.getElementById(id);
  const alone = select.cloneNode(true);
  alone.removeAttribute('id');
  alone.style.cssText = 'position: absolute; visibility: hidden; width: auto; flex: none;'
    + ' min-width: 0; max-width: none';
  select.parentNode.append(alone);
  const needed = alone.getBoundingClientRect().width;
  alone.remove();
  return [id, Math.round(select.getBoundingClientRect().width), Math.round(needed)];
})"""


async def shown_pane(page: Any) -> list[str]:
    """The workspace's panes on the screen, by their class."""
    names: list[str] = await page.evaluate(
        "() => [...document.querySelectorAll('.workspace > .pane')]"
        ".filter((n) => n.getClientRects().length > 0)"
        ".map((n) => [...n.classList].find((c) => c.endsWith('-pane')))"
    )
    return names


async def fits(page: Any, where: str) -> None:
    assert await page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), (
        f"{where}: the page scrolls sideways"
    )
    assert await page.evaluate(TOO_WIDE) == [], where


async def test_a_phone_shows_one_pane_at_a_time_and_answers_from_it(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    conversation_id = await day.client("Анна Клиентова", "Нужен замер окон", ivanov)
    await day.client("Борис Второй", "Когда приедете?", ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await page.set_viewport_size(PHONE)
        await item(page, "Анна Клиентова").wait_for()
        assert await shown_pane(page) == ["list-pane"]
        await fits(page, "the list")

        await item(page, "Анна Клиентова").click()
        await shows(page, "Анна Клиентова")
        await page.locator("#messages .msg", has_text="Нужен замер окон").wait_for()
        assert await shown_pane(page) == ["thread-pane"]
        await fits(page, "the conversation")
        await page.locator("#composer-text").fill("Приедем завтра к 10:00")
        await page.locator("#composer-send").click()
        await page.locator("#messages .msg-out", has_text="Приедем завтра к 10:00").wait_for()
        async with unit_of_work(day.ui.hub) as uow:
            sent = (
                await uow.session.execute(
                    select(Message.text).where(
                        Message.conversation_id == conversation_id,
                        Message.direction == Direction.outbound,
                    )
                )
            ).scalars()
            assert list(sent) == ["Приедем завтра к 10:00"]

        await page.get_by_role("button", name="Карточка клиента").click()
        await page.locator("#card-body h2", has_text="Анна Клиентова").wait_for()
        assert await shown_pane(page) == ["card-pane"]
        await fits(page, "the card")
        await page.get_by_role("button", name="Назад к диалогу").click()
        await page.locator("#thread-title").wait_for()
        assert await shown_pane(page) == ["thread-pane"]

        await page.get_by_role("button", name="Назад к списку").click()
        await item(page, "Борис Второй").wait_for()
        assert await shown_pane(page) == ["list-pane"]
        await fits(page, "the list again")
        # The phone's own back button steps back a pane too.
        await item(page, "Борис Второй").click()
        await shows(page, "Борис Второй")
        assert await shown_pane(page) == ["thread-pane"]
        await page.go_back()
        await item(page, "Анна Клиентова").wait_for()
        assert await shown_pane(page) == ["list-pane"]
        assert problems == []
    finally:
        await page.context.close()


async def test_on_a_wide_screen_the_filters_show_their_choices_whole(
    browser: Any, day: Day
) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await day.client("Анна Клиентова", "Нужен замер окон", ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await page.set_viewport_size(WIDE)
        await item(page, "Анна Клиентова").wait_for()
        assert await shown_pane(page) == ["list-pane", "thread-pane", "card-pane"]
        for name, width, needed in await page.evaluate(FILTER_WIDTHS):
            assert width >= needed, f"#{name} is {width} px wide, its longest choice needs {needed}"
        await fits(page, "1400 px")
        assert problems == []
    finally:
        await page.context.close()


async def test_the_calendar_week_and_the_tasks_fit_a_phone(browser: Any, day: Day) -> None:
    await day.ui.add_user("ivanov", name="Ольга Иванова")
    problems: list[str] = []
    page = await (await signed_in_context(browser, day.ui, "ivanov")).new_page()
    watch_console(page, problems)
    try:
        await page.set_viewport_size(PHONE)
        await page.goto(day.ui.url("/calendar"))
        # The week's seven days, each with its name, side by side within the screen.
        await page.wait_for_function(
            "() => document.querySelectorAll('.cal-day-name').length === 7"
        )
        await fits(page, "/calendar")
        await page.goto(day.ui.url("/tasks"))
        await page.locator("#tasks-today").wait_for(state="attached")
        await fits(page, "/tasks")
        assert problems == []
    finally:
        await page.context.close()
