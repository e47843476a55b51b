"""The workspace while the operator looks elsewhere, in Debian's Chromium: «Взять в работу»
from the queue, a chime and a notification for new work and new messages while the tab is
hidden (silent when muted); and a supervisor handing a queued one to a team."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.models import Role, Team, TeamMember
from tests.agent_ui.conftest import client_writes
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import TITLE, Day, day, item, open_workspace

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests


# The browser's notifications and sound, recorded; and a switch for "the tab is hidden",
# which a headless browser never is by itself.
HIDDEN_TAB = """
window.__signals = [];
window.__hidden = false;
Object.defineProperty(document, "visibilityState", {
  configurable: true, get: () => (window.__hidden ? "hidden" : "visible"),
});
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__signals.push(["notification", title, options.body]); }
  close() {}
};
HTMLMediaElement.prototype.play = function () {
  window.__signals.push(["sound", new URL(this.src).pathname]);
  return Promise.resolve();
};
"""


async def signals(page: Any, count: int) -> list[list[str]]:
    await page.wait_for_function("(n) => window.__signals.length === n", arg=count)
    return list(await page.evaluate("window.__signals"))


async def test_taken_and_new_work_ring_and_notify_while_the_tab_is_hidden_unless_muted(
    browser: Any, day: Day
) -> None:
    # At capacity with one held, so the one waiting stays in the queue when she comes online.
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова", max_conversations=1)
    await day.client("Анна Первая", "Здравствуйте", ivanov)
    queued = await day.client("Дарья Очередная", "Есть кто?", None)
    problems: list[str] = []
    context = await signed_in_context(browser, day.ui, "ivanov")
    await context.add_init_script(HIDDEN_TAB)
    page = await context.new_page()
    watch_console(page, problems)
    try:
        await page.goto(day.ui.url("/"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        # «Взять в работу» from the queue: it becomes mine.
        await page.locator("[data-tab=queue]").click()
        await item(page, "Дарья Очередная").click()
        take = page.locator("#btn-take")
        assert await take.text_content() == "Взять в работу"
        await take.click()
        await take.wait_for(state="hidden")
        await page.locator("[data-tab=mine]").click()
        await item(page, "Дарья Очередная").wait_for()
        assert await page.evaluate("window.__signals") == []  # taken by hand: no alarm

        await page.evaluate("window.__hidden = true")
        await client_writes(day.ui.hub, queued, "Алло, вы тут?")
        assert await signals(page, 2) == [
            ["sound", "/sounds/new-work.wav"],
            ["notification", "Дарья Очередная", "Дарья Очередная пишет: Алло, вы тут?"],
        ]
        # Not read while hidden: the title counts it.
        await page.wait_for_function(f"() => document.title === '(2) {TITLE}'")
        await day.client("Егор Новый", "Здравствуйте", ivanov)
        found = await signals(page, 4)
        assert found[3] == ["notification", "Новый разговор для вас: Егор Новый", "Здравствуйте"]
        await page.wait_for_function(f"() => document.title === '(3) {TITLE}'")

        await page.locator("#btn-mute").click()
        await day.client("Жанна Тихая", "Тоже вопрос", ivanov)
        await page.wait_for_function(f"() => document.title === '(4) {TITLE}'")
        assert len(await page.evaluate("window.__signals")) == 4  # muted: silence
        assert problems == []
    finally:
        await context.close()


async def test_a_supervisor_hands_a_queued_one_to_a_team_and_sees_it_in_all_and_team(
    browser: Any, day: Day
) -> None:
    boss = await day.ui.add_user("boss", Role.supervisor, name="Светлана Орлова")
    petrov = await day.ui.add_user("petrov", name="Пётр Петров")
    async with unit_of_work(day.ui.hub) as uow:
        team = Team(name="Сервис")
        uow.session.add(team)
        await uow.session.flush()
        uow.session.add(TeamMember(team_id=team.id, user_id=boss.id))
        uow.session.add(TeamMember(team_id=team.id, user_id=petrov.id))
    await day.client("Фёдор Ждущий", "Сломалась ручка", None)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "boss", problems)
    try:
        await page.locator("[data-tab=all]").click()
        await item(page, "Фёдор Ждущий").click()
        await page.locator("#btn-transfer").click()  # a supervisor may hand over anything
        dialog = page.get_by_role("dialog", name="Передать разговор")
        await dialog.get_by_label("Сервис").check()
        await dialog.get_by_label("Заметка для коллеги").fill("Гарантийный случай")
        await dialog.get_by_role("button", name="Перевести").click()
        await dialog.wait_for(state="hidden")
        await page.locator("#card-routing li", has_text="передал(а) группе Сервис").wait_for()
        await page.locator("#messages .msg-note", has_text="Гарантийный случай").wait_for()
        # Now the team's: in «Команда» (with its count), and still in «Все».
        await page.wait_for_function(
            "() => document.querySelector('[data-tab=team] .count').textContent === '1'"
        )
        await page.locator("[data-tab=team]").click()
        await item(page, "Фёдор Ждущий").wait_for()
        await page.locator("[data-tab=all]").click()
        await item(page, "Фёдор Ждущий").wait_for()
        assert problems == []
    finally:
        await page.context.close()
