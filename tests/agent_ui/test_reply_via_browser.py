"""Replying through another channel of the same client, in Debian's Chromium (#15, item 7):
the reply box offers the web-form conversation's own channel, then Anna's Telegram (and, not
selectable with its reason, a bot she never wrote to); the reply chosen for Telegram is sent
by the bot (the fake Bot API), the thread labels it and each client message with its channel,
and a refusal arrives in Russian."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversations, unit_of_work
from hub.models import Channel, Identity, IdentityKind
from routing.ingest import Ingestor
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser
from tests.agent_ui.test_workspace_day_browser import open_workspace, shows
from tests.conftest import Backend, add_channel
from tests.connectors.telegram.fake_api import FakeBotApi
from tests.connectors.telegram.support import Serve, open_bot

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

ANNA_CHAT = "5823419076"


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.close()


async def test_a_web_form_request_answered_in_telegram(
    browser: Any, sqlite_backend: Backend, serve: Serve, bot_api: FakeBotApi
) -> None:
    bot = await open_bot(sqlite_backend, serve, bot_api)
    await open_bot(sqlite_backend, serve, bot_api, name="other", into=bot)
    ui = Ui(bot.client, bot.hub)
    ivanov = await ui.add_user("ivanov", name="Ольга Иванова")
    await add_channel(ui.hub, "webform", "site")
    receipt = await Ingestor(ui.hub).submit(
        InboundMessage(
            "webform",
            "site",
            "form-1",
            Sender("Анна Соколова", (IdentityClaim("phone", "8 (916) 123-45-67"),)),
            "Нужен замер балкона",
        )
    )
    form = receipt.conversation_id
    assert form is not None
    async with unit_of_work(ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, form)
        assert conversation is not None
        await conversations.assign(uow, conversation, ivanov.id, "test")
    # Anna shares her phone with the bot «main»: the same client now has Telegram.
    assert (await bot.post_fixture("message__contact_own_plus.json")).status == 200
    async with ui.hub.db.sessions() as session:
        ids = {name: id_ for name, id_ in await session.execute(select(Channel.name, Channel.id))}

    problems: list[str] = []
    page = await open_workspace(browser, ui, "ivanov", problems)
    try:
        # Her Telegram conversation is in the list too: open the web form's.
        await page.click(f'#conversation-list .conv-item[data-id="{form}"]')
        await shows(page, "Анна Соколова")
        via = page.locator("#composer-via")
        await via.wait_for()
        await page.wait_for_function(
            "() => document.querySelectorAll('#composer-via option').length === 3"
        )
        options = await via.locator("option").evaluate_all(
            "(os) => os.map((o) => [o.value, o.textContent, o.disabled])"
        )
        assert options == [
            ["", "site (этот разговор)", False],
            [str(ids["main"]), f"main, адрес {ANNA_CHAT}", False],
            [
                str(ids["other"]),
                f"other, адрес {ANNA_CHAT} (недоступно: клиент сюда не писал)",
                True,
            ],
        ]
        # The client's request is labelled with the channel it came through.
        inbound = page.locator("#messages .msg-in .msg-channel")
        assert await inbound.text_content() == "site"

        await via.select_option(str(ids["main"]))
        await page.fill("#composer-text", "Анна, замерщик приедет завтра в 10:00")
        await page.click("#composer-send")
        sent = page.locator("#messages .msg-out", has_text="замерщик приедет")
        await sent.locator(".msg-channel.msg-via", has_text="main").wait_for()
        assert await sent.locator(".msg-channel").get_attribute("data-kind") == "telegram"
        # The app's outbox worker sends it through the bot; the status settles live.
        await sent.locator(".msg-delivery[data-status=sent]", has_text="Отправлено").wait_for()
        [call] = bot_api.calls_of("sendMessage")
        assert call.params["chat_id"] == ANNA_CHAT
        assert call.params["text"] == "Анна, замерщик приедет завтра в 10:00"

        # Anna blocks the bot before the next reply: refused, in Russian, nothing sent.
        async with unit_of_work(ui.hub) as uow:
            await uow.session.execute(
                update(Identity)
                .where(Identity.kind == IdentityKind.telegram)
                .values(unreachable_reason="bot was blocked by the user")
            )
        assert await via.input_value() == str(ids["main"])
        await page.fill("#composer-text", "Вы тут?")
        await page.click("#composer-send")
        await page.locator("#toast", has_text="Клиент заблокировал нас в этом канале.").wait_for()
        assert await page.locator("#messages .msg-out", has_text="Вы тут?").count() == 0
        assert await page.input_value("#composer-text") == "Вы тут?"  # kept to send otherwise

        # A note has no channel to choose.
        await page.check("#composer input[value=note]")
        assert await page.locator(".composer-via").is_hidden()
        # The browser logs the refused request itself; nothing else went wrong.
        assert [p for p in problems if "status of 409" not in p] == []
    finally:
        await page.context.close()
        await ui.close()
