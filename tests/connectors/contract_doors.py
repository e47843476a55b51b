"""How each connector kind's fixtures reach it, for the contract test's "every fixture parses".

A door hands one fixture to a real connector (on the kit's FakeContext) the way its source
would: webhook kinds through `handle_webhook`, the mailbox and the PBX through the code their
readers run on what they read. It returns the webhook answers, so a 5xx counts as a failure.
A new connector kind adds its door here (or, with no wire fixtures, its reason below).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from connectors.asterisk.calls import CallTracker
from connectors.asterisk.frames import FrameParser
from connectors.asterisk.transcript import parse_transcript
from connectors.base import CallEvent, WebhookRequest, WebhookResponse
from connectors.email.mapping import MailboxPosition, Skipped, to_inbound
from connectors.email.parse import parse_mail
from connectors.telegram import TelegramConnector, TelegramOptions
from connectors.testing import FakeContext, FixtureDoor, Fixtures
from connectors.vk import VkConnector, VkOptions
from connectors.webform import WebformConnector, WebformOptions

from .telegram.fake_api import TOKEN as TELEGRAM_TOKEN
from .vk.fake_vk import GROUP_ID as VK_GROUP_ID
from .vk.support import CONFIRMATION as VK_CONFIRMATION
from .vk.support import SECRET as VK_SECRET
from .vk.support import TOKEN as VK_TOKEN

# Nothing listens here: a connector that calls its API (a button press answered) is refused
# at once, and must cope, as it would with the API down.
NO_API = "http://127.0.0.1:9"
# Any secret but the wrong one in webhook__wrong_secret_token.http (fixtures README).
TELEGRAM_SECRET = "okno-contract_Secret-1"
WEBFORM_SITE = "https://okna-mytishchi.example"
MAILBOX = "sales@okno.example"
MAIL_RECEIVED = datetime(2026, 6, 15, 9, 50, tzinfo=UTC)
# Any epoch will do for AMI replays (as in the Asterisk tests).
AMI_EPOCH = 1_795_370_000.0


async def webform(fixtures: Fixtures, name: str, ctx: FakeContext) -> WebhookResponse:
    # No rate limit: every fixture comes from the same address within a second.
    options = WebformOptions(allowed_origins=[WEBFORM_SITE], rate_limit_per_minute=0)
    request = fixtures.webhook_request(name, path=f"/forms/{ctx.channel_name}")
    return await WebformConnector(ctx, options).handle_webhook(request)


def _items_of_batch(data: Any, key: str) -> list[Any]:
    """The items of a batch answer (getUpdates `result`, long poll `updates`), if it is one."""
    items = data.get(key) if isinstance(data, dict) else None
    return items if isinstance(items, list) else []


def _json_request(
    fixtures: Fixtures, body: Any, headers: dict[str, str] | None = None
) -> WebhookRequest:
    sent = {"content-type": "application/json"}
    sent |= {key.lower(): value for key, value in (headers or {}).items()}
    path = f"/hooks/{fixtures.kind}/main"
    return WebhookRequest("POST", path, sent, {}, json.dumps(body).encode(), "127.0.0.1")


async def telegram(fixtures: Fixtures, name: str, ctx: FakeContext) -> list[WebhookResponse]:
    options = TelegramOptions(
        token=TELEGRAM_TOKEN, mode="webhook", webhook_secret=TELEGRAM_SECRET, api_base=NO_API
    )
    secret = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    requests = [fixtures.webhook_request(name, **({} if name.endswith(".http") else secret))]
    if name.endswith(".json"):
        # A getUpdates answer carries updates the poller hands to the same code, one by one.
        for update in _items_of_batch(fixtures.json(name), "result"):
            requests.append(_json_request(fixtures, update, secret))
    connector = TelegramConnector(ctx, options)
    try:
        return [await connector.handle_webhook(request) for request in requests]
    finally:
        await connector.stop()


async def vk(fixtures: Fixtures, name: str, ctx: FakeContext) -> list[WebhookResponse]:
    options = VkOptions(
        group_id=VK_GROUP_ID,
        access_token=VK_TOKEN,
        mode="callback",
        callback_secret=VK_SECRET,
        confirmation_code=VK_CONFIRMATION,
        fetch_sender_names=False,
        api_base=NO_API,
    )
    requests = [fixtures.webhook_request(name)]
    # Long poll brings the same event objects as the Callback API, minus the secret.
    for update in _items_of_batch(fixtures.json(name), "updates"):
        event = {**update, "secret": VK_SECRET} if isinstance(update, dict) else update
        requests.append(_json_request(fixtures, event))
    connector = VkConnector(ctx, options)
    return [await connector.handle_webhook(request) for request in requests]


async def email(fixtures: Fixtures, name: str, ctx: FakeContext) -> None:
    """What the mailbox reader does with each mail it fetches (UIDs in file order)."""
    position = MailboxPosition(1, fixtures.names().index(name) + 1)
    mail = parse_mail(fixtures.bytes(name), MAIL_RECEIVED)
    item = to_inbound(mail, ctx.channel_name, position, MAILBOX, "okno.example")
    if not isinstance(item, Skipped):
        await ctx.submit(item)


async def asterisk(fixtures: Fixtures, name: str, ctx: FakeContext) -> None:
    """A transcript replayed through the frame parser and call tracker, as the AMI link
    feeds them; its call events submitted in order, as the connector does."""
    if name.endswith(".expected.json"):
        fixtures.json(name)  # a scenario's answer key: read by the tests, not by a PBX
        return
    events: list[CallEvent] = []
    tracker = CallTracker(channel_name=ctx.channel_name, on_event=events.append)
    for connection in parse_transcript(fixtures.bytes(name)):
        parser = FrameParser()  # each AMI connection starts a fresh stream
        for entry in connection:
            if entry.direction == "recv":
                for frame in parser.feed(entry.data):
                    tracker.feed(frame, AMI_EPOCH + entry.offset)
    for event in events:
        await ctx.submit(event)


DOORS: dict[str, FixtureDoor] = {
    "asterisk": asterisk,
    "email": email,
    "telegram": telegram,
    "vk": vk,
    "webform": webform,
}
# Kinds with no wire fixtures, and why; their tests write their frames inline.
FIXTURELESS: dict[str, str] = {
    "widget": "its wire is Okno's own websocket frames, not a third party's format",
}
