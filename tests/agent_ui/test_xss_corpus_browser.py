"""An XSS corpus through every text a client or visitor controls, in Debian's Chromium.

Names, messages, file names, e-mail subjects and HTML bodies, web-form fields and UTM tags,
the chat visitor's name: each comes in through its connector's real door (the form POST, the
widget socket, Telegram's webhook, an IMAP mailbox on a private Dovecot), and is then looked
at on every page that shows it — the workspace's list, thread and card, the client card, the
registry, the deals board and a deal, search, the supervisor board and the calendar. No
payload may run (no dialog, no console message, `window.__xss` never set, no element the
payloads would create), and the words are shown as the client wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Contact, Conversation, Message, Role, User
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context
from tests.agent_ui.xss_sources import (
    Corpus,
    add_channels,
    html_mail,
    mail,
    telegram_updates,
    webform_request,
    widget_chat,
)
from tests.conftest import Backend
from tests.connectors.email.servers import start_dovecot
from tests.connectors.telegram.fake_api import FakeBotApi
from tests.waiting import until

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

FORM_TOKEN = "0b7e3c58-5f41-4e0a-9c2d-17a1e8f0a917"
# Elements a payload would create if it were parsed as markup.
INJECTED = (
    "img[src=x], svg[onload], iframe[srcdoc], script:not([src]):not([type]), a[href^=javascript]"
)


@dataclass
class Watch:
    """Everything a page said that a payload could have caused."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    async def page(self, context: Any) -> Any:
        page = await context.new_page()

        async def dismiss(dialog: Any) -> None:
            self.dialogs.append(f"{page.url}: {dialog.message}")
            await dialog.dismiss()

        page.on("dialog", dismiss)
        page.on("console", lambda m: self.console.append(f"{page.url}: {m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"{page.url}: {e}"))
        return page


@dataclass
class Client:
    """What one client sent through one door, and so what the pages must show."""

    door: str
    name: str
    texts: list[str]
    card: list[str] = field(default_factory=list)  # more words on the workspace card
    subject: str = ""
    # What the thread must not show (a script's or a style's text from an HTML body).
    hidden: list[str] = field(default_factory=list)
    contact_id: int = 0
    conversation_id: int = 0


async def untouched(page: Any) -> None:
    """No payload ran here and none turned into an element."""
    assert await page.evaluate("window.__xss") is None, page.url
    assert await page.locator(INJECTED).count() == 0, page.url


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


async def ingest(ui: Ui, dovecot: Any) -> list[Client]:
    c = Corpus()
    utm = {k: c.next() for k in ("utm_source", "utm_medium", "utm_campaign", "utm_content")}
    form = Client("webform", c.next("Анна-форма "), lines(c.all_shapes()), list(utm.values()))
    await webform_request(
        ui,
        {
            "form_id": "zamer",
            "submission_token": FORM_TOKEN,
            "name": form.name,
            "phone": "+7 916 700-17-17",
            "message": "\n".join(form.texts),
            "page_url": "javascript:window.__xss=900",
            "referrer": "https://search.example/?q=" + c.next(),
            **utm,
            "utm_term": c.next(),
            "consent": True,
        },
    )
    chat = Client("widget", c.next("Галина-виджет "), [c.next(), c.next(), c.next()])
    await widget_chat(ui, chat.name, "https://shop.example/?q=" + c.next(), chat.texts)

    first, last = c.next("Борис-телеграм "), c.next()
    file_name = c.next() + ".pdf"
    telegram_text = c.all_shapes()
    await telegram_updates(ui, first, last, telegram_text, file_name)
    bot = Client("telegram", f"{first} {last}", [*lines(telegram_text), file_name])

    subject = c.next("Счёт ")
    plain = c.all_shapes()
    html = (
        '<p onclick="window.__xss=901">Здравствуйте<script>window.__xss=902</script></p>'
        '<img src=x onerror="window.__xss=903;alert(903)">'
        '<a href="javascript:window.__xss=904">смета</a>'
        '<svg><animate onbegin="window.__xss=905" attributeName=x dur=1s></svg>'
        '<form action="javascript:window.__xss=906"><button>Оплатить</button></form>'
        "<style>body{display:none}</style><p>Жду ответа</p>"
    )
    attachment = c.next() + ".pdf"
    # A display name keeps no angle brackets (the parser reads them as the address), so its
    # payloads are the attribute and template ones.
    sender = "Вера-почта ' onmouseover='window.__xss=907' x=' ${window.__xss=908} {{7*7}}"
    # The stored file name has its slashes made «_» (a path separator is no part of a name).
    letter = Client("email", sender, [*lines(plain), attachment.replace("/", "_")])
    await dovecot.append(mail(letter.name, subject, plain, html, attachment))
    letter.subject = subject
    # HTML alone: the thread shows its text; the handlers, script and style are gone.
    only_html = Client(
        "email",
        "Дарья-почта {{7*7}} ${7*7}",
        ["Здравствуйте", "Жду ответа"],
        hidden=["__xss=902", "display:none"],
    )
    await dovecot.append(html_mail(only_html.name, c.next("Замер "), html))
    return [form, chat, bot, letter, only_html]


async def find_rows(ui: Ui, clients: list[Client]) -> None:
    """Each door's contact and conversation, once the hub has stored them."""

    async def stored() -> int:
        async with ui.hub.db.sessions() as session:
            return len((await session.execute(select(Message.id))).all())

    await until(lambda: _at_least(stored, 8), 30)
    async with ui.hub.db.sessions() as session:
        rows = (await session.execute(select(Contact.id, Contact.name))).all()
        for client in clients:
            matches = [cid for cid, name in rows if name == client.name]
            assert len(matches) == 1, (client.name, rows)
            [contact_id] = matches
            client.contact_id = contact_id
            client.conversation_id = (
                await session.execute(
                    select(Conversation.id).where(Conversation.contact_id == contact_id)
                )
            ).scalar_one()


async def _at_least(count: Callable[[], Any], n: int) -> bool:
    return bool(await count() >= n)


async def test_every_door_shows_the_corpus_as_text_and_runs_none_of_it(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    dovecot = await start_dovecot()
    api = FakeBotApi()
    await api.start()
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    watch = Watch()
    contexts: list[Any] = []
    try:
        await add_channels(ui, api, dovecot)
        operator = await ui.add_user("ivanov", name="Мария Петрова")
        await ui.add_user("boss", Role.supervisor, name="Ольга Руководитель")
        staff = await signed_in_context(browser, ui, "ivanov")
        contexts.append(staff)
        workspace = await watch.page(staff)
        await workspace.goto(ui.url("/"))
        await workspace.wait_for_selector("#conn-status[data-state=live]")

        clients = await ingest(ui, dovecot)
        await find_rows(ui, clients)

        # The workspace: each client in the list, the thread and the card, live as it came.
        for client in clients:
            item = workspace.locator(
                f"#conversation-list .conv-item[data-id='{client.conversation_id}']"
            )
            await item.wait_for()
            assert client.name in (await item.text_content() or ""), client.door
            await item.click()
            await workspace.wait_for_function(
                "(name) => document.querySelector('#thread-title').textContent === name",
                arg=client.name,
            )
            thread = workspace.locator("#messages")
            await thread.locator(".msg-in").first.wait_for()
            shown = await thread.inner_text()
            for text in client.texts:
                assert text in shown, (client.door, text)
            for text in client.hidden:
                assert text not in shown, (client.door, text)
            await workspace.locator("#card").filter(has_text=client.name).wait_for()
            card = await workspace.locator("#card").inner_text()
            for text in client.card:
                assert text in card, (client.door, text)
            await untouched(workspace)

        # Search finds the client by name and shows the name as text.
        box = workspace.locator("#search-box")
        await box.fill("Вера-почта")
        hit = workspace.locator("#search-conversations .search-hit")
        await hit.first.wait_for()
        assert await hit.first.locator(".search-name").text_content() == clients[3].name
        await box.fill("window.__xss")
        await workspace.locator("#search-messages .search-hit").first.wait_for()
        await untouched(workspace)

        # A deal made from the letter, titled with its subject; and a call-back planned.
        letter = clients[3]
        admin = await ui.add_user("root", Role.admin, name="Администратор")
        async with unit_of_work(ui.hub) as uow:
            token = await create_api_token(uow, await uow.session.get_one(User, operator.id))
            root = await create_api_token(uow, await uow.session.get_one(User, admin.id))
        sales = {"name": "Продажи", "stages": [{"name": "Новая заявка"}]}
        async with ui.anonymous(headers={"Authorization": f"Bearer {root}"}) as as_admin:
            async with as_admin.post(ui.url("/api/v1/pipelines"), json=sales) as answer:
                assert answer.status == 201, await answer.text()
        api_session = ui.anonymous(headers={"Authorization": f"Bearer {token}"})
        deal = {"title": letter.subject, "conversation_id": letter.conversation_id}
        async with api_session.post(ui.url("/api/v1/deals"), json=deal) as answer:
            assert answer.status == 201, await answer.text()
            deal_id = (await answer.json())["id"]
        # Noon of the operator's today (users default to Moscow time): on this week's calendar.
        moscow = ZoneInfo("Europe/Moscow")
        due = datetime.combine(datetime.now(moscow).date(), time(12), tzinfo=moscow)
        call_back = {
            "kind": "call",
            "subject": f"Перезвонить: {letter.name}",
            "due_at": due.isoformat(),
            "contact_id": letter.contact_id,
        }
        async with api_session.post(ui.url("/api/v1/activities"), json=call_back) as answer:
            assert answer.status == 201, await answer.text()

        pages: list[tuple[str, list[str]]] = [
            *[(f"/clients/contacts/{c.contact_id}", [c.name]) for c in clients],
            ("/clients", [c.name for c in clients]),
            ("/deals", [letter.subject]),
            (f"/deals/{deal_id}", [letter.subject, letter.name]),
            ("/calendar", [f"Перезвонить: {letter.name}"]),
            ("/tasks", [f"Перезвонить: {letter.name}"]),
        ]
        for path, expected in pages:
            page = await watch.page(staff)
            await page.goto(ui.url(path))
            for text in expected:
                await page.get_by_text(text, exact=False).first.wait_for()
            await untouched(page)
            await page.close()

        boss = await signed_in_context(browser, ui, "boss")
        contexts.append(boss)
        board = await watch.page(boss)
        await board.goto(ui.url("/supervisor"))
        await board.wait_for_selector("#conn-status[data-state=live]")
        for client in clients:
            await board.get_by_text(client.name, exact=True).wait_for()
        await untouched(board)

        # The visitor's own page about the request: the form's status page.
        visitor = await browser.new_context(locale="ru-RU")
        contexts.append(visitor)
        status = await watch.page(visitor)
        opened = await status.goto(ui.url(f"/forms/demo/r/{FORM_TOKEN}"))
        assert opened is not None and opened.status == 200
        await untouched(status)

        # The detectors themselves: the same payload put in through innerHTML does run, and
        # the dialog, the flag and the element are all seen.
        control = Watch()
        bait = await control.page(staff)
        await bait.set_content("<div id=bait></div>")
        await bait.evaluate(
            "document.getElementById('bait').innerHTML = "
            "'<img src=x onerror=\"window.__xss=999;alert(999)\">'"
        )
        await bait.wait_for_function("window.__xss === 999")
        assert control.dialogs == ["about:blank: 999"]
        assert await bait.locator(INJECTED).count() == 1

        ARTIFACTS.mkdir(exist_ok=True)
        await workspace.screenshot(path=str(ARTIFACTS / "xss-corpus-workspace.png"))
        assert watch.dialogs == []
        assert watch.console == []
    finally:
        for context in contexts:
            await context.close()
        await ui.close()
        await api.close()
        dovecot.stop()
