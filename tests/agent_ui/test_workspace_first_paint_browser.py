"""The workspace's first paint, in Debian's Chromium: the page preloads the modules its script
imports, asks for the conversation list without waiting for its socket, draws the first page of
«Мои» before the rest, and what happened between the page being made and its socket's start is
replayed when the socket comes (README.md, «bench/workspace_paint.py»)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from agent_ui.pages import _module_graph
from hub.host.app import create_app
from hub.host.appkeys import HUB
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

SOCKET = re.compile(r"/ws(\?.*)?$")


def test_the_module_graph_holds_every_import_once() -> None:
    graph = _module_graph("workspace.js")
    # Imported by workspace.js itself, by one of its imports, and two levels down.
    for name in ("okno-live.js", "workspace-call-item.js", "deals-format.js"):
        assert name in graph
    assert len(graph) == len(set(graph))
    assert "workspace.js" not in graph


async def test_the_list_comes_before_the_socket_and_the_meantime_is_replayed(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await add_channel(ui.hub, "webform", "site")
    day = Day(ui)
    try:
        ivanov = await ui.add_user("ivanov", name="Ольга Иванова")
        for n in range(51):  # one more than the first page (50)
            await day.client(f"Клиент {n:02d}", "Здравствуйте", ivanov)
        context = await signed_in_context(browser, ui, "ivanov")
        held = asyncio.Event()
        release = asyncio.Event()

        async def hold_socket(route: Any) -> None:
            held.set()
            await release.wait()
            route.connect_to_server()

        await context.route_web_socket(SOCKET, hold_socket)
        page = await context.new_page()
        problems: list[str] = []
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        preloads = await page.eval_on_selector_all(
            "link[rel=modulepreload]", "(links) => links.map((l) => l.getAttribute('href'))"
        )
        assert "/static/okno-live.js" in preloads and "/static/deals-format.js" in preloads

        # The whole list, with the socket not yet up: drawn first page first.
        await page.wait_for_function(
            "() => document.querySelectorAll('#conversation-list .conv-item').length === 51"
        )
        await held.wait()
        assert await page.get_attribute("#conn-status", "data-state") != "live"
        marks = await page.evaluate(
            "() => ['okno:list-first-page-rendered', 'okno:list-rendered']"
            ".map((name) => performance.getEntriesByName(name).length)"
        )
        assert marks == [1, 1]

        # Work handed to her after the list was read and before the socket is up ...
        await day.client("Поздний Клиент", "Я написал, пока страница грузилась", ivanov)
        release.set()
        await page.wait_for_selector("#conn-status[data-state=live]")
        # ... is replayed from the page's cursor into the list.
        await page.wait_for_function(
            "() => [...document.querySelectorAll('#conversation-list .conv-name')]"
            ".some((node) => node.textContent === 'Поздний Клиент')"
        )
        count = await page.locator("#conversation-list .conv-item").count()
        assert count == 52
        assert problems == []
        await context.close()
    finally:
        await ui.close()
