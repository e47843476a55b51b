"""Telephony in the operator's workspace, in Debian's Chromium, against the loopback AMI server
replaying a recorded call: the screen-pop with the client card while the phone rings, the
on-call bar with its timer once answered, nothing left after the hang-up, the call in the
client's history, and click-to-call from the card (the Originate the PBX got, the "calling"
state, a PBX refusal in Russian)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import User
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend
from tests.connectors.asterisk.ami_server import AmiServer
from tests.connectors.asterisk.helpers import transcript
from tests.connectors.asterisk.hub_world import build_world
from tests.waiting import until

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the session's Chromium, shared with test_browser


async def test_screen_pop_on_call_bar_history_and_click_to_call(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    client = await serve(app)
    world = await build_world(app, client)
    hub = app[HUB]
    ivanov = world.users["ivanov"]
    async with hub.db.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == ivanov.id).values(extension="101"))
    await world.webform_message("f-1", "8 495 123-45-67", "Анна Соколова", "Нужен замер окон")
    ui = Ui(client, hub, users=dict(world.users))
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.wait_for_selector("#conn-status[data-state=live]")

        # The PBX plays a queue call (real time): 101 and 102 ring, 101 answers after 3 s.
        server = AmiServer(transcript("inbound_queue__answered"), timed=True)
        await world.connect(server)
        pop = page.locator(".call-pop[role=alertdialog]")
        await pop.wait_for(timeout=10000)
        assert await pop.count() == 1  # petrov's pop is not ivanov's
        text = await pop.inner_text()
        card = ["Анна Соколова", "ООО Окна", "Менеджер: Ivanov", "Окна в офис", "Нужен замер окон"]
        for expected in ["Входящий звонок", "+74951234567", "sales", *card]:
            assert expected in text, (expected, text)
        await page.screenshot(path=str(ARTIFACTS / "call-screen-pop.png"))

        bar = page.locator("#on-call-bar:not([hidden])")
        await bar.wait_for(timeout=10000)
        assert await pop.count() == 0
        assert "Разговор: Анна Соколова" in await bar.inner_text()
        await until(lambda: _on_call(ui, ivanov.id), what="ivanov on the call (routing)")
        timer = page.locator(".call-timer")
        assert (await timer.inner_text()) in ("0:00", "0:01")  # timed from the answer
        await until(lambda: _ticked(timer), what="the timer to tick")
        await page.locator(".call-transfer").click()
        target = page.locator(".transfer-target", has_text="Petrov")
        await target.wait_for()
        assert "102" in await target.inner_text()
        await page.screenshot(path=str(ARTIFACTS / "call-on-call-bar.png"))
        await page.locator(".transfer-cancel").click()

        # The client hangs up: the bar goes, the operator is free for chats again.
        await page.locator("#on-call-bar").wait_for(state="hidden", timeout=20000)
        await until(lambda: _free(ui, ivanov.id), what="ivanov off the call")
        [call] = await world.calls()
        assert call.ended_at is not None and call.conversation_id is not None

        # The call in the client's history, with its outcome and durations.
        await page.goto(ui.url(f"/#c{call.conversation_id}"))
        await page.reload()  # a new hash alone does not load the page again
        item = page.locator("#messages .call-item")
        await item.wait_for()
        text = await item.inner_text()
        assert "Входящий звонок" in text and "отвечен" in text
        assert "Ответил(а): Ivanov" in text and "Разговор 0:0" in text
        await page.locator("#card-history .call-item").wait_for()

        # Click-to-call from the card: the PBX rings 101, then dials the client.
        await world.disconnect()
        dialer = AmiServer([])
        await world.connect(dialer)
        await page.locator("#card-identities .dial").first.click()
        status = page.locator(".dial-status[data-state=calling]")
        await status.wait_for()
        assert "101" in await status.inner_text()
        originates = [a for a in dialer.received if a["Action"] == "Originate"]
        assert len(originates) == 1
        assert {k: originates[0][k] for k in ("Channel", "Exten", "Context", "Async")} == {
            "Channel": "IAX2/101",
            "Exten": "+74951234567",
            "Context": "from-internal",
            "Async": "true",
        }
        await page.screenshot(path=str(ARTIFACTS / "call-click-to-call.png"))

        dialer.errors["Originate"] = "Extension does not exist."
        await page.locator("#card-identities .dial").first.click()
        failed = page.locator(".dial-status[data-state=error]")
        await failed.wait_for()
        assert await failed.inner_text() == "АТС отказала: Extension does not exist."
        await page.screenshot(path=str(ARTIFACTS / "call-click-to-call-error.png"))
        await world.disconnect()
        assert server.mismatches == []
        # The browser logs the refused request itself; nothing else may go wrong.
        assert [p for p in problems if "status of 502" not in p] == []
    finally:
        await context.close()
        await ui.close()
        if world.server is not None:
            await world.server.close()


async def _on_call(ui: Ui, user_id: int) -> bool:
    async with ui.hub.db.sessions() as session:
        return bool((await session.get_one(User, user_id)).on_call)


async def _free(ui: Ui, user_id: int) -> bool:
    return not await _on_call(ui, user_id)


async def _ticked(timer: Any) -> bool:
    return str(await timer.inner_text()) not in ("0:00", "")
