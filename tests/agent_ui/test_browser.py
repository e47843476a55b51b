"""The real thing in Debian's Chromium: a visitor's request reaches the operator live and
the operator's reply reaches the visitor's request page."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode, web
from sqlalchemy import select

from agent_ui.keys import FANOUT, PRESENCE_GRACE_S
from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.auth import SESSION_COOKIE
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Channel, Role, RoutingDecision, Team
from routing.ingest import Ingestor
from tests.agent_ui.conftest import PASSWORD, Ui, client_writes, new_conversation
from tests.conftest import Backend

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
XSS_MESSAGE = (
    'Нужен замер <img src=x onerror="window.__oknoXss=1"><script>window.__oknoXss=2</script>'
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


def watch_console(page: Any, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))


async def log_in(page: Any, ui: Ui, login: str) -> None:
    """Through the login form, as a person would; lands on the workspace."""
    await page.goto(ui.url("/login"))
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(ui.url("/"))


async def test_visitor_request_reaches_the_operator_live_and_the_reply_comes_back(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_webform("demo")
    await ui.add_user("ivanov", name="Мария Петрова")
    # Timed from here: the app's start-up (connector imports, migrations) is not the UI's.
    started = time.monotonic()
    problems: list[str] = []

    staff = await browser.new_context(viewport={"width": 1440, "height": 860}, locale="ru-RU")
    visitor = await browser.new_context(locale="ru-RU")
    try:
        # Page 1: the operator logs in and the workspace goes live.
        operator = await staff.new_page()
        watch_console(operator, problems)
        await log_in(operator, ui, "ivanov")
        await operator.wait_for_selector("#conn-status[data-state=live]")

        # Page 2: a visitor sends the site's form and is given a request number.
        page = await visitor.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/forms/demo?utm_source=yandex&utm_campaign=okna_2026"))
        await page.fill("#f-name", "Анна Соколова")
        await page.fill("#f-phone", "8 (916) 123-45-67")
        await page.fill("#f-message", XSS_MESSAGE)
        await page.check("input[name=consent]")
        await page.click("#okno-form button[type=submit]")
        done = await page.wait_for_selector(".okno-done-title")
        received = await done.text_content()
        number = re.search(r"№ (\d+)", received or "")
        assert number, received

        # Page 1: the request shows up without a reload; the operator opens it.
        item = operator.locator(".conv-item", has_text="Анна Соколова")
        await item.wait_for()
        await item.click()
        identities = operator.locator("#card-identities")
        await identities.get_by_text("+79161234567").wait_for()
        assert await operator.locator("#card-status").text_content() == "Лид"
        # Opening what the router offered her accepted it: it will not move on at the timeout.
        accepted = select(RoutingDecision.id).where(RoutingDecision.kind == "accepted")
        async with asyncio.timeout(5):
            while True:
                async with ui.hub.db.sessions() as session:
                    if (await session.execute(accepted)).first():
                        break
                await asyncio.sleep(0.05)
        # ...and the card says why it came to her.
        routing = operator.locator("#card-routing")
        # In the page's language (Russian), from the decision's codes.
        await routing.get_by_text("наименее загружен среди 1", exact=False).wait_for()
        await routing.get_by_text("принят оператором").wait_for()
        await operator.locator("#card-leads").get_by_text("okna_2026", exact=True).wait_for()
        client_message = operator.locator("#messages .msg-in .msg-text").first
        await client_message.wait_for()
        # The visitor's markup is shown as text and never runs.
        assert await client_message.text_content() == XSS_MESSAGE
        assert await operator.locator("#messages img, #messages script").count() == 0
        assert await operator.evaluate("window.__oknoXss") is None

        reply = f"Здравствуйте! Заявка № {number.group(1)}: замерщик приедет в субботу."
        await operator.fill("#composer-text", reply)
        await operator.click("#composer-send")
        sent = operator.locator(".msg-out", has_text="замерщик приедет")
        await sent.locator(".msg-delivery[data-status=sent]").wait_for()

        ARTIFACTS.mkdir(exist_ok=True)
        await operator.screenshot(path=str(ARTIFACTS / "workspace.png"))

        # Page 2: the request page shows the operator's answer.
        await page.click(".okno-status-link")
        await page.wait_for_url(re.compile(r"/forms/demo/r/"))
        await page.locator(".visitor-thread .ours", has_text="замерщик приедет").wait_for()
        assert await page.locator(".visitor-thread .mine .text").text_content() == XSS_MESSAGE
        assert await page.evaluate("window.__oknoXss") is None
        await page.screenshot(path=str(ARTIFACTS / "request-status.png"), full_page=True)
        assert problems == []
    finally:
        await staff.close()
        await visitor.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def signed_in_context(browser: Any, ui: Ui, login: str) -> Any:
    session = await ui.signed_in(login)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    token = next(c for c in session.cookie_jar if c.key == SESSION_COOKIE).value
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": ui.url("/")}])
    return context


async def test_board_and_workspace_stay_current_across_a_reconnect(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    # A reconnect within the grace is not "going offline" (which would hand the operator's
    # unanswered work back to the queue): that is what the grace is for.
    app[PRESENCE_GRACE_S] = 10.0
    ui = Ui(await serve(app), app[HUB])
    operator_user = await ui.add_user("ivanov", name="Мария Петрова")
    await ui.add_user("boss", Role.supervisor, name="Ольга Руководитель")
    started = time.monotonic()
    problems: list[str] = []
    boss_context = await signed_in_context(browser, ui, "boss")
    staff_context = await signed_in_context(browser, ui, "ivanov")
    try:
        board = await boss_context.new_page()
        watch_console(board, problems)
        await board.goto(ui.url("/supervisor"))
        await board.wait_for_selector("#conn-status[data-state=live]")
        agent = board.locator(".agent", has_text="Мария Петрова")
        await agent.wait_for()
        assert await agent.get_attribute("data-presence") == "offline"

        workspace = await staff_context.new_page()
        watch_console(workspace, problems)
        await workspace.goto(ui.url("/"))
        await workspace.wait_for_selector("#conn-status[data-state=live]")
        await board.wait_for_selector(".agent[data-presence=online] >> text=Мария Петрова")

        conversation_id = await new_conversation(ui.hub, operator_user.id, "Первое сообщение")
        row = board.locator("#board-conversations tr", has_text="Мария Петрова")
        await row.locator(".waiting").wait_for()
        await workspace.locator(".conv-item").first.click()
        await workspace.locator("#messages .msg-in", has_text="Первое сообщение").wait_for()

        # The server drops every socket; a message arrives while the page is reconnecting.
        await app[FANOUT].close_where(WSCloseCode.TRY_AGAIN_LATER, b"test")
        async with asyncio.timeout(5):
            while app[FANOUT].has_user(operator_user.id):  # its handler has let go
                await asyncio.sleep(0.01)
        await client_writes(ui.hub, conversation_id, "Пока вы переподключались")
        await workspace.wait_for_selector("#conn-status[data-state=live]")
        late = workspace.locator("#messages .msg-in", has_text="Пока вы переподключались")
        await late.wait_for()
        await client_writes(ui.hub, conversation_id, "После переподключения")
        await workspace.locator("#messages .msg-in", has_text="После переподключения").wait_for()
        assert await late.count() == 1  # replayed once, never doubled
        assert await workspace.locator("#messages .msg-in").count() == 3
        assert await workspace.locator(".conv-item").count() == 1

        # The presence switch reaches the board live.
        await workspace.select_option("#presence", "away")
        await board.wait_for_selector(".agent[data-presence=away] >> text=Мария Петрова")
        assert await board.locator("#board-conversations tr").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        await board.screenshot(path=str(ARTIFACTS / "supervisor.png"))
        assert problems == []
    finally:
        await boss_context.close()
        await staff_context.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def test_the_one_line_embed_works_on_another_site(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    snippet = f'<script src="{ui.url("/forms/demo.js")}" async></script>'

    async def host_page(request: web.Request) -> web.Response:
        html = f"<!doctype html><title>Окна Мытищи</title><h1>Окна</h1>{snippet}<footer>©</footer>"
        return web.Response(text=html, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", host_page)
    site.router.add_get("/favicon.ico", no_icon)
    site_server = await serve(site)
    site_origin = f"http://localhost:{site_server.port}"  # another origin than 127.0.0.1
    await ui.add_webform("demo", allowed_origins=[site_origin])
    started = time.monotonic()
    problems: list[str] = []
    context = await browser.new_context(locale="ru-RU")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(f"{site_origin}/?utm_source=vk")
        form = page.locator("form.okno-form")
        await form.wait_for()
        # Drawn right after the script tag, before the host page's footer.
        assert (
            await page.evaluate(
                "document.querySelector('form.okno-form').nextElementSibling.tagName"
            )
            == "FOOTER"
        )
        await form.locator("input[name=name]").fill("Игорь Лебедев")
        await form.locator("input[name=email]").fill("igor@example.ru")
        await form.locator("input[name=consent]").check()
        await form.locator("button").click()
        done = page.locator(".okno-done")
        await done.wait_for()
        assert re.search(r"Ваша заявка № \d+ принята\.", await done.text_content() or "")
        link = await done.locator("a").get_attribute("href")
        assert link is not None and link.startswith(ui.url("/forms/demo/r/"))
        async with ui.anonymous().get(link) as status:
            assert status.status == 200
        assert problems == []
    finally:
        await context.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def test_board_flags_requests_waiting_past_the_team_limit(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings(routing_sweep_interval_s=0.2))
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.supervisor, name="Ольга Руководитель")
    async with ui.hub.db.sessions() as session, session.begin():
        team = Team(name="Продажи", wait_limit_s=1)
        session.add(team)
        await session.flush()
        session.add(
            Channel(
                kind="webform",
                name="site",
                title="Сайт",
                options={},
                enabled=True,
                team_id=team.id,
                created_at=datetime.now(UTC),
            )
        )
    # Nobody is online: the request waits in the team queue.
    receipt = await Ingestor(ui.hub).submit(
        InboundMessage(
            "webform",
            "site",
            "wait-1",
            Sender("Клиент", (IdentityClaim("phone", "+79160000001"),)),
            "Жду ответа",
        )
    )
    context = await signed_in_context(browser, ui, "boss")
    try:
        board = await context.new_page()
        await board.goto(ui.url("/supervisor"))
        await board.wait_for_selector("#conn-status[data-state=live]")
        row = board.locator(f"#board-conversations tr[data-id='{receipt.conversation_id}']")
        await row.wait_for()
        # Past the one-second limit the router alerts supervisors; the row turns red live.
        await board.locator(
            f"#board-conversations tr.alerted[data-id='{receipt.conversation_id}']"
        ).wait_for(timeout=10_000)
    finally:
        await context.close()


async def test_a_reply_stays_sent_when_its_post_answers_after_the_outbox_news(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    """The answer to the reply's POST (the reply as created: queued) is held back until the
    outbox's message.updated has shown it sent; the late answer must not take that back."""
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_webform("demo")
    ivanov = await ui.add_user("ivanov", name="Мария Петрова")
    await new_conversation(ui.hub, ivanov.id, "Нужен замер окон")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    page = await context.new_page()
    watch_console(page, problems)
    shown_sent = page.locator("#messages .msg-out .msg-delivery[data-status=sent]")

    async def answer_after_the_event(route: Any) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        response = await route.fetch()
        await shown_sent.wait_for()
        await route.fulfill(response=response)

    await page.route(re.compile(r"/api/v1/conversations/\d+/messages$"), answer_after_the_event)
    try:
        await page.goto(ui.url("/"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator(".conv-item", has_text="Нужен замер окон").click()
        await page.locator("#messages .msg-in", has_text="Нужен замер окон").wait_for()
        await page.fill("#composer-text", "Замерщик приедет в субботу")
        await page.click("#composer-send")
        # The composer is emptied once the held answer has been taken in.
        await page.wait_for_function("() => document.getElementById('composer-text').value === ''")
        delivery = page.locator("#messages .msg-out .msg-delivery")
        assert await delivery.get_attribute("data-status") == "sent"
        assert problems == []
    finally:
        await context.close()
        await ui.close()
