"""The supervisor board in Debian's Chromium: a new request shows in the queue live, waits
with its time, and after the operator answers today's first response time appears; a row
opens its conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversation_cases
from hub.auth import Principal
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role
from routing.ingest import Ingestor
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def test_a_request_waits_then_its_first_response_counts(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    operator = await ui.add_user("ivanov", name="Мария Петрова")
    await ui.add_user("boss", Role.supervisor, name="Ольга Руководитель")
    await add_channel(ui.hub, "webform", "site")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        board = await context.new_page()
        watch_console(board, problems)
        await board.goto(ui.url("/supervisor"))
        await board.wait_for_selector("#conn-status[data-state=live]")
        await board.wait_for_function(
            "() => document.getElementById('sum-queue').textContent === '0'"
        )
        assert await board.text_content("#sum-frt") == "—"
        # The operator is in rotation (shown with his load), the supervisor is not.
        await board.locator(".agent", has_text="Мария Петрова").wait_for()
        assert await board.locator(".agent", has_text="Ольга Руководитель").count() == 0

        # A client writes while nobody is online: the request waits in the queue.
        receipt = await Ingestor(ui.hub).submit(
            InboundMessage(
                channel_kind="webform",
                channel_name="site",
                external_id="board-1",
                sender=Sender(name="Анна", identities=(IdentityClaim("phone", "+79161234567"),)),
                text="Нужен замер",
                meta={},
                message_ref="board-ref-1",
            )
        )
        conversation_id = receipt.conversation_id
        assert conversation_id is not None
        await board.wait_for_function(
            "() => document.getElementById('sum-queue').textContent === '1'"
        )
        row = board.locator(f"#board-conversations tr[data-id='{conversation_id}']")
        await row.wait_for()
        assert await row.locator(".waiting").text_content() == "только что"
        assert await board.text_content("#sum-queue-longest") == "дольше всех ждёт только что"

        # The operator answers: the queue empties and the first response time appears.
        me = Principal(operator.id, operator.login, operator.name, operator.role, operator.locale)
        await conversation_cases.post_message(ui.hub, me, conversation_id, "reply", "Здравствуйте")
        await board.wait_for_function(
            "() => document.getElementById('sum-queue').textContent === '0'"
        )
        await board.wait_for_function(
            "() => document.getElementById('sum-frt').textContent !== '—'"
        )
        note = await board.text_content("#sum-frt-note")
        assert note is not None and note.endswith("отвечено 1 из 1")
        await board.locator(".agent", has_text="Мария Петрова").locator("text=1 из 5").wait_for()

        # A row opens its conversation in the workspace.
        await row.click()
        await board.wait_for_url(ui.url(f"/#c{conversation_id}"))
        assert problems == []
    finally:
        await context.close()
        await ui.close()
