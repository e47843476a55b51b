"""Connector parts on their own: options, text splitting, update parsing, sending outcomes."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors.base import (
    Attachment,
    InboundEdit,
    InboundMessage,
    Outbound,
    ReachabilityChange,
)
from connectors.registry import ChannelConfigError, public_options, validate_options
from connectors.telegram.errors import NotAnUpdate, UnreadableUpdate
from connectors.telegram.options import TelegramOptions
from connectors.telegram.runtime import TelegramRuntime
from connectors.telegram.textsplit import split_text, utf16_len
from connectors.telegram.updates import parse_update
from connectors.testing import FakeContext

from .fake_api import TELEGRAM, TOKEN, FakeBotApi, Reply, error_reply, sent_message
from .support import offline_context

# -- options -------------------------------------------------------------------------------


def config_errors(**options: Any) -> dict[str, str]:
    with pytest.raises(ChannelConfigError) as caught:
        validate_options("telegram", {"token": TOKEN, **options})
    return caught.value.errors


def test_options_defaults_and_secrets_hidden() -> None:
    options = validate_options("telegram", {"token": TOKEN})
    assert isinstance(options, TelegramOptions)
    assert (options.mode, options.allow_groups, options.poll_timeout) == ("polling", False, 25)
    shown = public_options("telegram", {"token": TOKEN, "webhook_secret": "abc", "mode": "webhook"})
    assert shown == {"token": "********", "webhook_secret": "********", "mode": "webhook"}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"token": "not-a-token"}, "token"),
        ({"token": "123456:short"}, "token"),
        ({"mode": "webhook"}, "webhook_secret"),
        ({"mode": "webhook", "webhook_secret": "has space"}, "webhook_secret"),
        ({"mode": "webhook", "webhook_secret": "x" * 257}, "webhook_secret"),
        ({"mode": "webhook", "webhook_secret": "секрет"}, "webhook_secret"),
        ({"webhook_url": "https://okno.example/hooks/telegram/main"}, "webhook_url"),
        (
            {"mode": "webhook", "webhook_secret": "s", "webhook_url": "http://x.example"},
            "webhook_url",
        ),
        ({"api_base": "ftp://127.0.0.1"}, "api_base"),
        ({"poll_timeout": 0}, "poll_timeout"),
        ({"mode": "both"}, "mode"),
        ({"tokn": TOKEN}, "tokn"),
    ],
)
def test_options_are_refused_field_by_field(options: dict[str, Any], field: str) -> None:
    assert field in config_errors(**options)


def test_webhook_options_accept_telegrams_secret_alphabet() -> None:
    secret = "A-z_0-9" * 36 + "abcd"  # 256 characters
    options = validate_options(
        "telegram",
        {
            "token": TOKEN,
            "mode": "webhook",
            "webhook_secret": secret,
            "webhook_url": "https://okno.example/hooks/telegram/main",
        },
    )
    assert isinstance(options, TelegramOptions) and options.webhook_secret == secret


# -- text splitting ------------------------------------------------------------------------


def test_short_text_is_one_part() -> None:
    assert split_text("  Добрый день!  ") == ["Добрый день!"]
    assert split_text("   ") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    para = "а" * 60
    assert split_text(f"{para}\n\n{para}", limit=100) == [para, para]
    lines = f"{'б' * 70}\nв в\n{'г' * 40}"
    assert split_text(lines, limit=100) == ["б" * 70 + "\nв в", "г" * 40]
    words = " ".join(["слово"] * 40)
    parts = split_text(words, limit=50)
    assert all(utf16_len(p) <= 50 for p in parts)
    assert " ".join(parts) == words


def test_split_counts_utf16_and_never_breaks_an_emoji() -> None:
    text = "👍🏻" * 30  # 4 UTF-16 units each, no spaces
    parts = split_text(text, limit=10)
    assert all(utf16_len(p) <= 10 for p in parts)
    assert "".join(parts) == text
    assert all(p.startswith("👍") and p.endswith("🏻") for p in parts)
    flags = "🇷🇺" * 10
    assert all(len(p) % 2 == 0 for p in split_text(flags, limit=6))


# -- parsing every inbound fixture ---------------------------------------------------------


@pytest.fixture
async def runtime(api: FakeBotApi) -> AsyncIterator[TelegramRuntime]:
    options = TelegramOptions(token=TOKEN, api_base=api.base_url, poll_timeout=1)
    rt = TelegramRuntime(offline_context(), options)
    yield rt
    await rt.stop()


def parse(runtime: TelegramRuntime, name: str, allow_groups: bool = False) -> Any:
    return parse_update(TELEGRAM.json(name), runtime.bot, "main", allow_groups=allow_groups)


async def test_update_kinds_map_to_value_types(runtime: TelegramRuntime) -> None:
    edit = parse(runtime, "edited_message__text.json").item
    assert isinstance(edit, InboundEdit)
    assert (edit.message_ref, edit.external_id) == ("5823419076:1543", "781234509")
    blocked = parse(runtime, "my_chat_member__blocked_by_user.json").item
    assert isinstance(blocked, ReachabilityChange) and blocked.reachable is False
    assert blocked.sender.identities[0].value == "6934401187"
    group = parse(runtime, "message__group_chat.json")
    assert group.item is None and "group" in group.ignored
    assert isinstance(parse(runtime, "message__group_chat.json", True).item, InboundMessage)
    press = parse(runtime, "callback_query__inline_button.json")
    assert press.callback_query_id == "2501146380729113623"
    assert press.item.text == "Суббота" and press.item.message_ref is None


async def test_contact_of_someone_else_is_not_the_senders_phone(
    runtime: TelegramRuntime,
) -> None:
    own = parse(runtime, "message__contact_own_no_plus.json").item
    # As Telegram wrote it: routing.identity normalises every phone by one rule.
    assert [(c.kind, c.value) for c in own.sender.identities] == [
        ("telegram", "5823419076"),
        ("phone", "79161234567"),
    ]
    other = TELEGRAM.json("message__contact_own_no_plus.json")
    other["message"]["contact"]["user_id"] = 5012334455
    item = parse_update(other, runtime.bot, "main", allow_groups=False).item
    assert [c.kind for c in item.sender.identities] == ["telegram"]
    assert item.meta["contact"]["user_id"] == 5012334455


async def test_every_message_fixture_parses_without_losing_content(
    runtime: TelegramRuntime,
) -> None:
    for name in TELEGRAM.names("message__*.json"):
        data = TELEGRAM.json(name)
        parsed = parse_update(data, runtime.bot, "main", allow_groups=False)
        if name == "message__group_chat.json":
            continue
        item = parsed.item
        assert isinstance(item, InboundMessage), name
        assert item.external_id == str(data["update_id"])
        assert item.text or item.attachments, name
        sent = data["message"]
        assert item.message_ref == f"{sent['chat']['id']}:{sent['message_id']}"
        if "text" in sent or "caption" in sent:
            assert item.text == sent.get("text", sent.get("caption")), name


@pytest.mark.parametrize("body", [[1], {"update_id": "1"}, {"message": {}}, None])
async def test_garbage_is_not_an_update(runtime: TelegramRuntime, body: Any) -> None:
    with pytest.raises(NotAnUpdate):
        parse_update(body, runtime.bot, "main", allow_groups=False)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"update_id": 1, "message": {"message_id": "x"}}, "invalid-update"),
        ({"update_id": 1, "some_new_update_type": {}}, "unknown-update-type"),
        ({"update_id": 1}, "unknown-update-type"),
        ({"update_id": 1, "edited_message": {"edit_date": 2**63}}, "value-out-of-range"),
        ({"update_id": 10**30, "message": {}}, "value-out-of-range"),
    ],
)
async def test_updates_it_cannot_read_are_named_by_kind(
    runtime: TelegramRuntime, body: Any, kind: str
) -> None:
    with pytest.raises(UnreadableUpdate) as caught:
        parse_update(body, runtime.bot, "main", allow_groups=False)
    assert caught.value.kind == kind


async def test_unknown_update_kinds_are_acknowledged_and_dropped(
    runtime: TelegramRuntime,
) -> None:
    post = {
        "update_id": 9,
        "channel_post": {
            "message_id": 5,
            "chat": {"id": -1001234567890, "title": "Окно: новости", "type": "channel"},
            "date": 1781505584,
            "text": "Скидки на остекление",
        },
    }
    parsed = parse_update(post, runtime.bot, "main", allow_groups=True)
    assert parsed.item is None and "channel_post" in parsed.ignored


# -- sending -------------------------------------------------------------------------------


def outbound(text: str, *attachments: Attachment, outbox_id: int = 7) -> Outbound:
    return Outbound(outbox_id, 1, text, "5823419076", attachments=attachments)


async def test_a_retried_row_resumes_after_the_parts_already_sent(
    runtime: TelegramRuntime, api: FakeBotApi
) -> None:
    text = "\n\n".join([" ".join(["абв 👍🏻"] * 400)] * 3)  # 3 parts of 4,000 UTF-16 units
    api.queue(
        "sendMessage",
        sent_message(2001),
        error_reply("error__429_too_many_requests.json"),
        sent_message(2002),
        sent_message(2003),
    )
    first = await runtime.send(outbound(text))
    assert (first.status, first.retry_after) == ("retry", 23.0)
    second = await runtime.send(outbound(text))
    assert (second.status, second.external_id) == ("sent", "2003")
    sent = [c.params["text"] for c in api.calls_of("sendMessage")]
    assert len(sent) == 4 and sent[1] == sent[2]  # the refused part again, the first not
    assert all(utf16_len(part) <= 4096 for part in sent)
    assert "\n\n".join([sent[0], *sent[2:]]) == text


async def test_403_fails_and_reports_the_client_unreachable(
    runtime: TelegramRuntime, api: FakeBotApi
) -> None:
    api.queue("sendMessage", error_reply("error__403_bot_blocked.json"))
    delivery = await runtime.send(outbound("Здравствуйте"))
    assert (delivery.status, delivery.error) == ("failed", "bot was blocked by the user")
    ctx = runtime.ctx
    assert isinstance(ctx, FakeContext)
    [change] = ctx.items
    assert isinstance(change, ReachabilityChange) and change.reachable is False
    assert change.sender.identities[0].value == "5823419076"
    assert change.reason == "bot was blocked by the user"


async def test_bad_request_fails_with_telegrams_reason(
    runtime: TelegramRuntime, api: FakeBotApi
) -> None:
    body = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    api.queue("sendMessage", Reply(400, body))
    delivery = await runtime.send(outbound("Здравствуйте"))
    assert (delivery.status, delivery.error) == ("failed", "chat not found")
    empty = await runtime.send(outbound("  "))
    assert (empty.status, empty.error) == ("failed", "the reply is empty")
    nowhere = await runtime.send(Outbound(8, 1, "Здравствуйте", ""))
    assert nowhere.status == "failed" and "no Telegram chat" in (nowhere.error or "")


async def test_unreachable_api_means_retry(runtime: TelegramRuntime, api: FakeBotApi) -> None:
    await api.close()  # Telegram cannot be reached from here on
    delivery = await runtime.send(outbound("Алло"))
    assert delivery.status == "retry" and "Telegram unreachable" in (delivery.error or "")
    assert delivery.retry_after is None  # the core's own backoff applies


async def test_files_and_photos_are_uploaded_with_their_exact_names(
    runtime: TelegramRuntime, api: FakeBotApi
) -> None:
    pdf, png = b"%PDF-1.4 smeta", b"\x89PNG\r\n\x1a\n plan"
    document = {"file_id": "BQAD", "file_unique_id": "AgAD", "file_name": "x.pdf"}
    photo = [{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    api.queue("sendDocument", sent_message(1560, document=document))
    api.queue("sendPhoto", sent_message(1561, photo=photo))
    name = "Смета_Соколова_кухня+лоджия №17.pdf"
    delivery = await runtime.send(
        outbound(
            "Смета и план во вложении",
            Attachment("document", name=name, mime_type="application/pdf",
                       content_b64=base64.b64encode(pdf).decode()),
            Attachment("photo", name="план.png", mime_type="image/png",
                       content_b64=base64.b64encode(png).decode()),
        )
    )  # fmt: skip
    assert (delivery.status, delivery.external_id) == ("sent", "1561")
    assert [c.method for c in api.calls] == ["sendMessage", "sendDocument", "sendPhoto"]
    [uploaded] = api.calls_of("sendDocument")[0].files.values()
    assert uploaded == (name, pdf)
    [picture] = api.calls_of("sendPhoto")[0].files.values()
    assert picture == ("план.png", png)
