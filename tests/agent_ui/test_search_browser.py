"""Search in the workspace, in Debian's Chromium: «8 916 555 12 34» finds the client's
conversation and opens it; words of an old message open its conversation scrolled to that
message and marked; Esc returns to the list."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.queries import search
from routing.ingest import Ingestor
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import Day, day, item, open_workspace, shows
from tests.conftest import add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


async def _writes(day: Day, name: str, phone: str, texts: list[str]) -> None:
    """A Telegram client (a messenger keeps one conversation) who shared his phone."""
    for text in texts:
        day.sequence += 1
        claims = (IdentityClaim("telegram", "4242"), IdentityClaim("phone", phone))
        await Ingestor(day.ui.hub).submit(
            InboundMessage("telegram", "bot", f"search-{day.sequence}", Sender(name, claims), text)
        )


async def test_search_by_phone_and_by_words_opens_at_the_message(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await add_channel(day.ui.hub, "telegram", "bot")
    await day.client("Борис Другой", "Здравствуйте", ivanov)
    filler = [f"Вопрос номер {n} про окна" for n in range(40)]
    await _writes(day, "Анна Соколова", "+7 916 555-12-34", ["Нужен замер лоджии на даче", *filler])
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        box = page.locator("#search-box")
        await box.fill("8 916 555 12 34")
        await box.press("Enter")
        hit = page.locator("#search-conversations .search-hit")
        await hit.first.wait_for()
        assert await hit.count() == 1
        assert await hit.locator(".search-name").text_content() == "Анна Соколова"
        assert "по телефону" in (await hit.locator(".search-meta").text_content() or "")
        assert await page.locator("#conversation-list").is_hidden()
        await hit.click()
        await shows(page, "Анна Соколова")

        await box.fill("лоджия")
        found = page.locator("#search-messages .search-hit")
        await found.first.wait_for()
        assert await found.count() == 1
        assert await found.locator(".search-snippet").text_content() == (
            "Нужен замер лоджии на даче"
        )
        await found.click()
        marked = page.locator("#messages .msg.found")
        await marked.wait_for()
        assert "Нужен замер лоджии на даче" in (await marked.text_content() or "")
        # Scrolled to it: the first of 41 messages is on screen, not the last ones.
        assert await marked.evaluate(
            """(node) => {
                const box = node.getBoundingClientRect();
                const list = document.querySelector('#messages').getBoundingClientRect();
                return box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
            }"""
        )

        await box.fill("Захар Нетакой")
        await page.locator("#search-empty").wait_for()
        assert await page.locator("#search-empty").text_content() == "Ничего не найдено."
        await box.press("Escape")
        await item(page, "Борис Другой").wait_for()
        assert await page.locator("#search-results").is_hidden()
        assert problems == []
    finally:
        await page.context.close()


async def test_more_namesakes_requests_come_page_by_page(
    browser: Any, day: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five clients of one name, two requests a page: «Ещё обращения клиентов» appends the
    next ones, newest first, and is gone once none are left."""
    monkeypatch.setattr(search, "CONVERSATION_HITS", 2)
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await add_channel(day.ui.hub, "telegram", "bot")
    await day.client("Борис Другой", "Здравствуйте", ivanov)
    for n in range(5):
        claims = (IdentityClaim("telegram", f"50{n}"), IdentityClaim("phone", f"+7916000005{n}"))
        await Ingestor(day.ui.hub).submit(
            InboundMessage(
                "telegram", "bot", f"namesake-{n}", Sender("Петрова Мария", claims), f"Заявка {n}"
            )
        )
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await page.locator("#search-box").fill("Петрова Мария")
        hits = page.locator("#search-conversations .search-hit")
        await hits.first.wait_for()
        more = page.locator("#search-more-conversations")
        assert await hits.count() == 2
        assert await more.text_content() == "Ещё обращения клиентов"
        await more.click()
        await hits.nth(3).wait_for()
        await more.click()
        await hits.nth(4).wait_for()
        await more.wait_for(state="hidden")
        numbers = [
            int(await hit.get_attribute("data-conversation") or 0) for hit in await hits.all()
        ]
        assert len(numbers) == 5 and len(set(numbers)) == 5
        assert numbers == sorted(numbers, reverse=True)  # newest first: opened one by one
        assert problems == []
    finally:
        await page.context.close()
