"""The e-mail thread's people in Debian's Chromium: a colleague of the client answering in
his thread is named with her address, the Cc recipients are listed, and her address is
proposed on the card, where one click makes it the client's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversations, unit_of_work
from hub.host.app import create_app
from hub.host.appkeys import HUB
from routing.ingest import Ingestor
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

COLLEAGUE = 'Мария <img src=x onerror="window.__oknoXss=1">'


async def mail(ui: Ui, number: int, name: str, address: str, text: str, **meta: Any) -> int:
    receipt = await Ingestor(ui.hub).submit(
        InboundMessage(
            "email",
            "sales",
            f"<mail-{number}@stroy.example>",
            Sender(name, (IdentityClaim("email", address),)),
            text,
            subject="Коммерческое предложение",
            meta=meta,
        )
    )
    assert receipt.conversation_id is not None
    return receipt.conversation_id


async def test_a_colleague_in_the_thread_is_named_and_her_address_accepted_on_the_card(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    operator = await ui.add_user("ivanov", name="Ольга Иванова")
    await add_channel(ui.hub, "email", "sales")
    thread = await mail(ui, 1, "Иван Петров", "ivan@stroy.example", "Пришлите КП")
    async with unit_of_work(ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, thread)
        assert conversation is not None
        await conversations.assign(uow, conversation, operator.id, "test")
    joined = await mail(
        ui,
        2,
        COLLEAGUE,
        "maria@stroy.example",
        "Я вместо Ивана: КП согласовано.",
        thread_hint=thread,
        cc=[
            {"name": "Иван Петров", "address": "ivan@stroy.example"},
            {"name": "", "address": "buh@stroy.example"},
        ],
    )
    assert joined == thread
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator(".conv-item", has_text="Иван Петров").click()
        colleague = page.locator("#messages .msg-in", has_text="КП согласовано")
        await colleague.wait_for()
        assert await colleague.locator(".msg-author").text_content() == (
            f"{COLLEAGUE} <maria@stroy.example>, участник переписки"
        )
        assert await colleague.locator(".msg-cc").text_content() == (
            "Копия: Иван Петров <ivan@stroy.example>, buh@stroy.example"
        )
        first = page.locator("#messages .msg-in", has_text="Пришлите КП")
        assert await first.locator(".msg-author").text_content() == "Клиент"
        assert await first.locator(".msg-cc").count() == 0

        proposal = page.locator(".card-suggestions .suggestion")
        await proposal.wait_for()
        assert await proposal.locator(".value").text_content() == "maria@stroy.example"
        assert await proposal.locator(".suggestion-reason").text_content() == (
            f"ответил в переписке №{thread}"
        )
        await proposal.locator(".suggestion-accept").click()
        await page.locator("#card-identities").get_by_text("maria@stroy.example").wait_for()
        assert await page.locator(".card-suggestions").count() == 0
        # Markup in a sender's name is text on the page and never runs.
        assert await page.locator("#messages img").count() == 0
        assert await page.evaluate("window.__oknoXss") is None
        assert problems == []
    finally:
        await context.close()
        await ui.close()
