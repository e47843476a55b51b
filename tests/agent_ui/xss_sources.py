"""An XSS corpus and the real doors it comes in through: a web form, the website chat's visitor
socket, Telegram's webhook and an IMAP mailbox. Each payload, if it ever ran as script,
would set `window.__xss` to its own number and raise an alert, so the browser test can tell
which one got through."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.host.appkeys import RUNNER
from hub.host.channels import spec_of
from tests.agent_ui.conftest import Ui
from tests.connectors.email.servers import Dovecot
from tests.connectors.email.support import channel_options
from tests.connectors.telegram.fake_api import TOKEN, FakeBotApi

WIDGET_SITE = "https://shop.example"
TELEGRAM_SECRET = "okno-xss_Secret-17"


def corpus() -> Iterator[str]:
    """Classic payloads, numbered: markup, attribute breakouts, script-URL, template syntax."""
    n = 0
    shapes = [
        "<script>window.__xss={n};alert({n})</script>",
        '<img src=x onerror="window.__xss={n};alert({n})">',
        '"><svg onload="window.__xss={n};alert({n})">',
        "javascript:window.__xss={n};alert({n})",
        "</textarea><script>window.__xss={n}</script>",
        "</title></style><img src=x onerror=window.__xss={n}>",
        "${{window.__xss={n}}}${{alert({n})}}",
        "{{{{constructor.constructor('window.__xss={n}')()}}}}",
        "' onmouseover='window.__xss={n}' x='",
        '<a href="javascript:window.__xss={n}">ссылка</a>',
        '<iframe srcdoc="<script>parent.__xss={n}</script>"></iframe>',
        "{{{{7*7}}}} #{{7*7}} <%= 7*7 %>",
    ]
    while True:
        for shape in shapes:
            n += 1
            yield shape.format(n=n)


class Corpus:
    """Hands out the corpus one payload at a time, so every field gets its own number."""

    def __init__(self) -> None:
        self._source = corpus()

    def next(self, prefix: str = "") -> str:
        return f"{prefix}{next(self._source)}"

    def all_shapes(self) -> str:
        """One of each shape, a line each: a message body that tries them all at once."""
        return "\n".join(next(self._source) for _ in range(12))


async def webform_request(ui: Ui, fields: dict[str, Any]) -> None:
    session = ui.anonymous()
    async with session.post(ui.url("/forms/demo"), json=fields) as answer:
        assert answer.status == 200, await answer.text()


async def widget_chat(ui: Ui, name: str, page_url: str, texts: list[str]) -> None:
    """A visitor's socket to the `site` widget: hello with the typed name, then messages."""
    session = ui.anonymous()
    ws = await session.ws_connect(ui.url("/widget/site/ws"), headers={"Origin": WIDGET_SITE})
    await ws.send_json({"type": "hello", "page_url": page_url, "name": name})
    welcome = await ws.receive_json(timeout=10)
    assert welcome["type"] == "welcome", welcome
    for text in texts:
        client_id = str(uuid.uuid4())
        await ws.send_json({"type": "message", "client_id": client_id, "text": text})
        while True:
            frame = await ws.receive_json(timeout=10)
            assert frame.get("type") != "error", frame
            if frame.get("type") == "ack":
                break
    await ws.close()


async def add_channels(ui: Ui, api: FakeBotApi, dovecot: Dovecot) -> None:
    """The web form `demo`, the chat widget `site`, Telegram bot `main`, mailbox `sales`."""
    await ui.add_webform("demo")
    configs: list[tuple[str, str, dict[str, Any]]] = [
        ("widget", "site", {"allowed_origins": [WIDGET_SITE]}),
        (
            "telegram",
            "main",
            {
                "token": TOKEN,
                "mode": "webhook",
                "webhook_secret": TELEGRAM_SECRET,
                "api_base": api.base_url,
            },
        ),
        ("email", "sales", channel_options(dovecot, None)),
    ]
    for kind, name, options in configs:
        async with unit_of_work(ui.hub) as uow:
            channel = await create_channel(uow, kind, name, options)
            spec = spec_of(channel)
        await ui.server.app[RUNNER].start_channel(spec)


def telegram_user(first: str, last: str) -> dict[str, Any]:
    return {"id": 6100000017, "is_bot": False, "first_name": first, "last_name": last}


async def telegram_updates(ui: Ui, first: str, last: str, text: str, file_name: str) -> None:
    """A text and a document with a caption, as Telegram POSTs them to the webhook."""
    user = telegram_user(first, last)
    chat = {"id": user["id"], "type": "private", "first_name": first, "last_name": last}
    now = int(time.time())
    document = {
        "file_name": file_name,
        "mime_type": "application/pdf",
        "file_id": "BQACAgIAAxkBAAIXSS",
        "file_unique_id": "AgADXSS",
        "file_size": 4096,
    }
    updates = [
        {"message_id": 71, "from": user, "chat": chat, "date": now, "text": text},
        {
            "message_id": 72,
            "from": user,
            "chat": chat,
            "date": now,
            "document": document,
            "caption": text.splitlines()[0],
        },
    ]
    session = ui.anonymous()
    for n, message in enumerate(updates):
        body = json.dumps({"update_id": 917000 + n, "message": message}).encode()
        async with session.post(
            ui.url("/hooks/telegram/main"),
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
            },
        ) as answer:
            assert answer.status == 200, await answer.text()


def mail(from_name: str, subject: str, text: str, html: str, file_name: str) -> bytes:
    """A client's letter: display name, subject, plain and HTML bodies, one attachment."""
    letter = _letter(from_name, "client.xss@mail.example", subject)
    letter.set_content(text)
    letter.add_alternative(html, subtype="html")
    letter.add_attachment(
        b"%PDF-1.4 xss", maintype="application", subtype="pdf", filename=file_name
    )
    return letter.as_bytes()


def html_mail(from_name: str, subject: str, html: str) -> bytes:
    """A letter with an HTML body only: its text is what the workspace shows."""
    letter = _letter(from_name, "html.only@mail.example", subject)
    letter.set_content(html, subtype="html")
    return letter.as_bytes()


def _letter(from_name: str, address: str, subject: str) -> EmailMessage:
    letter = EmailMessage()
    letter["From"] = formataddr((from_name, address))
    letter["To"] = "sales@okno.example"
    letter["Subject"] = subject
    letter["Message-ID"] = make_msgid(domain="mail.example")
    return letter
