"""A working day in the workspace, in Debian's Chromium: the list's views (a closed
conversation is found in «Закрытые» and reopened), a hand-over from the header with a note,
the unread count in the page title, the keyboard with its «?» help, and the routing history
told in hours and minutes with repeated re-offers folded into one line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversations, read_state, unit_of_work
from hub.actions.routing import record_decision
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Message, User
from hub.reasons import reason as because
from routing.ingest import Ingestor
from tests.agent_ui.conftest import Ui, client_writes
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

TITLE = "Диалоги · Okno"


class Day:
    """An app with a web-form channel and clients who write in by name."""

    def __init__(self, ui: Ui) -> None:
        self.ui = ui
        self.sequence = 0

    async def client(self, name: str, text: str, assignee: User | None) -> int:
        self.sequence += 1
        receipt = await Ingestor(self.ui.hub).submit(
            InboundMessage(
                "webform",
                "site",
                f"day-{self.sequence}",
                Sender(name, (IdentityClaim("phone", f"+7916555{self.sequence:04d}"),)),
                text,
            )
        )
        assert receipt.conversation_id is not None
        if assignee is not None:
            async with unit_of_work(self.ui.hub) as uow:
                conversation = await conversations.get_for_update(uow, receipt.conversation_id)
                assert conversation is not None
                await conversations.assign(uow, conversation, assignee.id, "test")
        return receipt.conversation_id


@pytest.fixture
async def day(sqlite_backend: Backend, serve: Callable[..., Any]) -> Any:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await add_channel(ui.hub, "webform", "site")
    yield Day(ui)
    await ui.close()


async def open_workspace(browser: Any, ui: Ui, login: str, problems: list[str]) -> Any:
    context = await signed_in_context(browser, ui, login)
    page = await context.new_page()
    watch_console(page, problems)
    await page.goto(ui.url("/"))
    await page.wait_for_selector("#conn-status[data-state=live]")
    return page


async def shows(page: Any, name: str) -> None:
    """The open conversation is this client's."""
    await page.wait_for_function(
        "(name) => document.querySelector('#thread-title').textContent === name", arg=name
    )


def item(page: Any, name: str) -> Any:
    return page.locator("#conversation-list .conv-item", has_text=name)


async def test_a_closed_conversation_is_found_in_closed_and_reopened(
    browser: Any, day: Day
) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await day.client("Анна Открытая", "Нужен замер", ivanov)
    closed = await day.client("Борис Закрытый", "Спасибо, всё ясно", ivanov)
    async with unit_of_work(day.ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, closed)
        assert conversation is not None
        await conversations.close(uow, conversation)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Анна Открытая").wait_for()
        assert await item(page, "Борис Закрытый").count() == 0
        closed_tab = page.locator("[data-tab=closed]")
        assert (await closed_tab.text_content() or "").startswith("Закрытые")
        await page.wait_for_function(
            "() => document.querySelector('[data-tab=closed] .count').textContent === '1'"
        )
        await closed_tab.click()
        await item(page, "Борис Закрытый").wait_for()
        assert await item(page, "Анна Открытая").count() == 0
        # The channel filter: nothing came by Telegram; the web form shows it again.
        await page.select_option("#channel-filter", "telegram")
        await item(page, "Борис Закрытый").wait_for(state="detached")
        assert await page.locator("#list-empty").text_content() == "Закрытых разговоров нет."
        await page.select_option("#channel-filter", "webform")
        await item(page, "Борис Закрытый").click()
        reopen = page.locator("#btn-reopen")
        await reopen.wait_for()
        assert await page.locator("#btn-transfer").is_hidden()  # closed: nothing to hand over
        await reopen.click()
        await page.locator("#btn-close").wait_for()
        await item(page, "Борис Закрытый").wait_for(state="detached")
        await page.locator("[data-tab=mine]").click()
        await item(page, "Борис Закрытый").wait_for()
        await page.wait_for_function(
            "() => document.querySelector('[data-tab=closed] .count').textContent === '0'"
        )
        assert problems == []
    finally:
        await page.context.close()


async def test_a_detail_read_before_a_reopen_does_not_take_it_back(browser: Any, day: Day) -> None:
    """The conversation's detail is read while it is closed and arrives after the reopen
    clicked at once (the button shows from the list's copy): the reopened one stays open."""
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    closed = await day.client("Борис Закрытый", "Спасибо, всё ясно", ivanov)
    async with unit_of_work(day.ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, closed)
        assert conversation is not None
        await conversations.close(uow, conversation)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    reopened = asyncio.Event()

    async def detail_read_before_the_reopen(route: Any) -> None:
        stale = await route.fetch()  # read now, while the conversation is closed
        await reopened.wait()
        await route.fulfill(response=stale)

    try:
        await page.locator("[data-tab=closed]").click()
        await page.route(f"**/api/v1/conversations/{closed}", detail_read_before_the_reopen)
        async with page.expect_response(f"**/api/v1/conversations/{closed}") as detail:
            await item(page, "Борис Закрытый").click()
            async with page.expect_response(f"**/api/v1/conversations/{closed}/reopen"):
                await page.locator("#btn-reopen").click()
            reopened.set()
        assert (await (await detail.value).json())["status"] == "closed"
        await page.locator("#card:not([hidden])").wait_for()  # the stale detail was handled
        await page.locator("[data-tab=mine]").click()
        await item(page, "Борис Закрытый").wait_for(timeout=5000)
        assert await page.locator("#btn-close").is_visible()
        assert problems == []
    finally:
        await page.context.close()


async def test_transfer_from_the_header_with_a_note_moves_it_to_the_colleague(
    browser: Any, day: Day
) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    await day.ui.add_user("petrov", name="Пётр Петров")
    await day.client("Анна Клиентова", "Нужен замер окон", ivanov)
    await day.client("Вера Третья", "Ещё вопрос", ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    colleague = await open_workspace(browser, day.ui, "petrov", problems)  # he is online
    try:
        await item(page, "Анна Клиентова").click()
        await page.locator("#btn-transfer").click()
        dialog = page.get_by_role("dialog", name="Передать разговор")
        await dialog.wait_for()
        petrov = dialog.locator(".pick", has_text="Пётр Петров")
        await petrov.wait_for()
        assert await petrov.locator(".pick-meta").text_content() == "в сети · 0 из 5"
        await dialog.get_by_label("Пётр Петров").check()
        await dialog.get_by_label("Заметка для коллеги").fill("Клиент <b>VIP</b>, ждёт звонка")
        await dialog.get_by_role("button", name="Перевести").click()
        await dialog.wait_for(state="hidden")
        await item(page, "Анна Клиентова").wait_for(state="detached")
        await item(page, "Вера Третья").wait_for()
        # Live on the colleague's side: in his «Мои», with the note in the thread as text.
        await item(colleague, "Анна Клиентова").click()
        note = colleague.locator("#messages .msg-note", has_text="ждёт звонка")
        await note.wait_for()
        assert "Клиент <b>VIP</b>, ждёт звонка" in (await note.text_content() or "")
        assert await colleague.locator("#messages b").count() == 0
        assert problems == []
    finally:
        await page.context.close()
        await colleague.context.close()


async def test_the_title_counts_conversations_with_unread_client_messages(
    browser: Any, day: Day
) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    first = await day.client("Анна Первая", "Здравствуйте", ivanov)
    second = await day.client("Борис Второй", "Добрый день", ivanov)
    third = await day.client("Вера Третья", "Привет", ivanov)
    for conversation_id in (second, third):  # read before; Анна's is opened on the page
        async with day.ui.hub.db.sessions() as session:
            newest = await session.scalar(
                select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
            )
        await read_state.mark_read(day.ui.hub, conversation_id, "agent", int(newest))
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await page.wait_for_function(f"() => document.title === '(1) {TITLE}'")
        await item(page, "Анна Первая").click()
        await page.wait_for_function(f"() => document.title === '{TITLE}'")
        assert await page.locator(".conv-item.unread").count() == 0
        await client_writes(day.ui.hub, second, "А когда приедете?")
        await page.wait_for_function(f"() => document.title === '(1) {TITLE}'")
        assert await item(page, "Борис Второй").locator(".unread-dot").count() == 1
        await client_writes(day.ui.hub, third, "Жду ответа")
        await page.wait_for_function(f"() => document.title === '(2) {TITLE}'")
        # A message into the open conversation is read at once: the count stays.
        await client_writes(day.ui.hub, first, "И ещё одно")
        await page.locator("#messages .msg-in", has_text="И ещё одно").wait_for()
        await page.wait_for_function(
            "() => document.querySelectorAll('.conv-item.unread').length === 2"
        )
        assert await page.title() == f"(2) {TITLE}"
        # The sound is Okno's own small WAV file.
        sound = await page.request.get(day.ui.url("/sounds/new-work.wav"))
        assert sound.ok and sound.headers["content-type"] == "audio/wav"
        assert (await sound.body())[:4] == b"RIFF"
        # The mute toggle is remembered.
        mute = page.locator("#btn-mute")
        assert await mute.text_content() == "Звук включён"
        await mute.click()
        await page.reload()
        await page.wait_for_selector("#conn-status[data-state=live]")
        assert await mute.text_content() == "Звук выключен"
        assert await mute.get_attribute("aria-pressed") == "true"
        assert problems == []
    finally:
        await page.context.close()


async def test_keyboard_moves_between_conversations_and_lists_its_keys(
    browser: Any, day: Day
) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    for name in ("Анна Первая", "Борис Второй", "Вера Третья"):
        await day.client(name, "Здравствуйте, " + name, ivanov)
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    title = page.locator("#thread-title")
    try:
        await item(page, "Анна Первая").wait_for()
        # Newest first: Вера, Борис, Анна.
        await page.keyboard.press("j")
        await page.wait_for_function(
            "() => document.querySelector('#thread-title').textContent === 'Вера Третья'"
        )
        await page.keyboard.press("j")
        await page.wait_for_function(
            "() => document.querySelector('#thread-title').textContent === 'Борис Второй'"
        )
        await page.keyboard.press("k")
        await page.wait_for_function(
            "() => document.querySelector('#thread-title').textContent === 'Вера Третья'"
        )
        await page.keyboard.press("Alt+ArrowDown")
        await page.wait_for_function(
            "() => document.querySelector('#thread-title').textContent === 'Борис Второй'"
        )
        # R focuses the reply box; letters typed there are text, not commands.
        await page.keyboard.press("r")
        assert await page.evaluate("document.activeElement.id") == "composer-text"
        await page.keyboard.type("jk")
        assert await page.locator("#composer-text").input_value() == "jk"
        assert await title.text_content() == "Борис Второй"
        # Alt+↑ works even while typing.
        await page.keyboard.press("Alt+ArrowUp")
        await page.wait_for_function(
            "() => document.querySelector('#thread-title').textContent === 'Вера Третья'"
        )
        await page.keyboard.press("Escape")
        await page.keyboard.press("n")
        assert await page.locator("input[name=mode][value=note]").is_checked()
        await page.keyboard.press("Escape")
        await page.keyboard.press("Shift+Slash")
        help_dialog = page.get_by_role("dialog", name="Клавиши")
        await help_dialog.wait_for()
        text = await help_dialog.text_content() or ""
        for expected in (
            "Следующий разговор",
            "Предыдущий разговор",
            "Написать ответ",
            "Написать заметку",
            "Закрыть разговор",
            "Отправить",
        ):
            assert expected in text, expected
        await page.keyboard.press("Escape")
        await help_dialog.wait_for(state="hidden")
        assert problems == []
    finally:
        await page.context.close()


async def test_routing_history_reads_in_hours_and_folds_reoffers(browser: Any, day: Day) -> None:
    ivanov = await day.ui.add_user("ivanov", name="Ольга Иванова")
    anna = await day.ui.add_user("anna", name="Анна Смирнова")
    conversation_id = await day.client("Клим Долгий", "Жду ответа", ivanov)
    async with unit_of_work(day.ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, conversation_id)
        assert conversation is not None
        await record_decision(uow, conversation, "alerted", because("queue_alert", seconds=18720))
        holders = [ivanov, anna, ivanov, anna]
        for holder, target in zip(holders, [anna, ivanov, anna, ivanov], strict=True):
            reason = because("timeout_moved", seconds=40, holder=holder.name).then(
                because("least_busy", free=2, load=0)
            )
            await record_decision(
                uow,
                conversation,
                "assigned",
                reason,
                from_user_id=holder.id,
                to_user_id=target.id,
            )
    problems: list[str] = []
    page = await open_workspace(browser, day.ui, "ivanov", problems)
    try:
        await item(page, "Клим Долгий").click()
        routing = page.locator("#card-routing")
        alert = routing.locator(".routing-alerted")
        await alert.wait_for()
        assert await alert.locator(".msg-text").text_content() == (
            "ждёт в очереди 5 ч 12 мин; руководители оповещены"
        )
        folded = routing.locator(".routing-folded")
        await folded.wait_for()
        # Four offers, one line.
        assert await routing.locator("li", has_text="не принят за").count() == 1
        assert await folded.locator(".fold-count").text_content() == "предложен 4 раза"
        text = await folded.locator(".msg-text").text_content() or ""
        assert text.startswith("не принят за 40 с (был у: Анна Смирнова), передан дальше")
        assert not re.search(r"\d{3,} с", await routing.text_content() or "")
        assert problems == []
    finally:
        await page.context.close()
