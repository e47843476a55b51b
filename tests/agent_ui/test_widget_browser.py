"""The website chat in Debian's Chromium: a visitor on another site chats with an operator in
the workspace, both see each other typing and reading, and a reload keeps the history."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, log_in, no_icon, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the session's Chromium, shared with the other browser tests


async def test_a_visitor_on_another_site_chats_with_the_operator(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    snippet = f'<script src="{ui.url("/widget/site.js")}" async></script>'

    async def host_page(request: web.Request) -> web.Response:
        # The host page's own styles must not leak into the widget (Shadow DOM).
        html = (
            "<!doctype html><title>Окна Мытищи</title>"
            "<style>button, li, p { color: red !important; font-size: 40px !important; }</style>"
            f"<h1>Пластиковые окна</h1>{snippet}"
        )
        return web.Response(text=html, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", host_page)
    site.router.add_get("/favicon.ico", no_icon)
    site_server = await serve(site)
    site_origin = f"http://localhost:{site_server.port}"  # another origin than 127.0.0.1
    async with unit_of_work(ui.hub) as uow:
        channel = await create_channel(
            uow, "widget", "site", {"allowed_origins": [site_origin]}, title="Окна Мытищи"
        )
    await app[RUNNER].start_channel(spec_of(channel))
    await ui.add_user("ivanov", name="Мария Петрова")
    started = time.monotonic()
    problems: list[str] = []
    staff = await browser.new_context(viewport={"width": 1440, "height": 860}, locale="ru-RU")
    visitors = await browser.new_context(locale="ru-RU")
    try:
        operator = await staff.new_page()
        watch_console(operator, problems)
        await log_in(operator, ui, "ivanov")
        await operator.wait_for_selector("#conn-status[data-state=live]")

        page = await visitors.new_page()
        watch_console(page, problems)
        await page.goto(f"{site_origin}/")
        launcher = page.locator(".launcher")
        await launcher.click()
        await page.locator(".status[data-state=online]").wait_for()
        assert await page.locator(".title").text_content() == "Окна Мытищи"
        # Our own look, whatever the host page says about buttons.
        size = await launcher.evaluate("b => getComputedStyle(b).fontSize")
        assert size != "40px"
        composer = page.locator(".composer textarea")
        await composer.fill("Здравствуйте! Сколько стоит окно 120×140?")
        await composer.press("Enter")
        mine = page.locator(".msg.mine", has_text="Сколько стоит окно")
        await mine.locator(".tick[data-state=sent]").wait_for()

        # The operator gets it live and opens it: the visitor sees it read.
        item = operator.locator(".conv-item", has_text="Сколько стоит окно")
        await item.wait_for()
        await item.click()
        await operator.locator("#messages .msg-in", has_text="Сколько стоит окно").wait_for()
        await mine.locator(".tick[data-state=read]").wait_for()

        # Typing, both ways.
        await composer.fill("А ещё")
        await operator.locator(".typing-line:not([hidden])").wait_for()
        assert await operator.locator(".typing-line").text_content() == "Клиент печатает…"
        await operator.fill("#composer-text", "Здравствуйте! ")
        await operator.type("#composer-text", "Окно 120×140 — от 9 900 ₽.")
        typing = page.locator(".typing:not([hidden])")
        await typing.wait_for()
        assert await typing.text_content() == "Мария Петрова печатает…"
        await operator.click("#composer-send")

        # The answer reaches the visitor, who has the chat open: it is read at once.
        answer = page.locator(".msg.theirs", has_text="от 9 900 ₽")
        await answer.wait_for()
        assert await answer.locator(".author").text_content() == "Мария Петрова"
        await operator.locator(".msg-out .msg-delivery[data-status=read]").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "widget-visitor.png"))
        await operator.screenshot(path=str(ARTIFACTS / "widget-workspace.png"))

        # A reload of the host page keeps the conversation.
        await page.reload()
        await page.locator(".launcher").click()
        await page.locator(".msg.theirs", has_text="от 9 900 ₽").wait_for()
        assert await page.locator(".msg.mine", has_text="Сколько стоит окно").count() == 1
        await page.locator(".msg.mine .tick[data-state=read]").wait_for()
        assert problems == []
    finally:
        await staff.close()
        await visitors.close()
        await ui.close()
    assert time.monotonic() - started < 40
