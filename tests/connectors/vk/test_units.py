"""VK parsing, options and the Callback door, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import (
    InboundEdit,
    InboundMessage,
    ReachabilityChange,
    WebhookRequest,
)
from connectors.registry import ChannelConfigError, public_options, validate_options
from connectors.vk import VkOptions
from connectors.vk.outbound import random_id_for, split_text
from connectors.vk.parsing import (
    Ignored,
    MalformedEvent,
    OutgoingEcho,
    external_id_of,
    parse_event,
)

from .fake_vk import GROUP_ID, VK
from .offline import make_connector
from .support import CONFIRMATION, SECRET, TOKEN


def parsed(name: str) -> Any:
    return parse_event(VK.json(name), "main", sender_name="Марина")


def test_text_message_is_from_marina_with_its_ids() -> None:
    item = parsed("message_new__text.json")
    assert isinstance(item, InboundMessage)
    assert item.external_id == "6b5cdc1a9a0cdfa35ffbd141437040a9d15b150b"
    assert item.sender.name == "Марина"
    assert [(c.kind, c.value) for c in item.sender.identities] == [("vk", "612345678")]
    assert item.message_ref == "1871" and item.meta["conversation_message_id"] == 1871
    assert item.occurred_at == datetime(2026, 6, 15, 6, 13, 24, tzinfo=UTC)
    assert item.text.startswith("Добрый день! Сколько стоит")


def test_photo_keeps_only_the_largest_size() -> None:
    item = parsed("message_new__attachment_photo.json")
    [photo] = item.attachments
    assert photo.kind == "photo" and photo.url.endswith("size=1280x960&quality=95&type=album")
    assert photo.meta["vk"] == "photo612345678_457239588"


def test_doc_sticker_and_voice_are_attachments() -> None:
    [doc] = parsed("message_new__attachment_doc.json").attachments
    assert (doc.kind, doc.name, doc.size) == (
        "document",
        "План квартиры Кравцова (БТИ) №2.pdf",
        1843377,
    )
    sticker = parsed("message_new__sticker.json")
    assert sticker.text == "" and sticker.attachments[0].url == "https://vk.com/sticker/1-51577-512"
    assert sticker.attachments[0].meta["sticker_id"] == 51577
    [voice] = parsed("message_new__audio_message.json").attachments
    assert voice.kind == "voice" and voice.meta["duration"] == 9
    assert voice.meta["link_ogg"].endswith(".ogg") and voice.meta["link_mp3"].endswith(".mp3")


def test_reply_forward_and_payload_are_in_meta() -> None:
    reply = parsed("message_new__reply.json")
    assert reply.meta["reply_to"]["message_ref"] == "1876"
    forward = parsed("message_new__fwd_messages.json")
    assert forward.sender.identities[0].value == "612345678"
    assert forward.meta["forwarded"][0]["from_id"] == 498765432
    assert forward.meta["forwarded"][0]["author"] == "vk.com/id498765432"
    button = parsed("message_new__keyboard_payload.json")
    assert button.meta["payload"] == {"command": "zamer", "day": "wed"}
    broken = VK.json("message_new__keyboard_payload.json")
    broken["object"]["message"]["payload"] = '{"command": '
    kept = parse_event(broken, "main")
    assert isinstance(kept, InboundMessage) and kept.meta["payload"] == '{"command": '


def test_edit_allow_deny_and_outgoing() -> None:
    edit = parsed("message_edit__text.json")
    assert isinstance(edit, InboundEdit) and edit.message_ref == "1871"
    assert edit.text.endswith("ул. Мира")
    allow = parsed("message_allow__subscribe.json")
    assert isinstance(allow, ReachabilityChange) and allow.reachable
    deny = parsed("message_deny__unsubscribe.json")
    assert isinstance(deny, ReachabilityChange) and not deny.reachable
    assert deny.reason == "user denied messages from the community"
    assert deny.sender.identities[0].value == "612345678"
    echo = parsed("message_reply__operator_outgoing.json")
    assert isinstance(echo, OutgoingEcho)
    assert (echo.message_id, echo.random_id, echo.peer_id, echo.admin_author_id) == (
        1881,
        918273645,
        612345678,
        154321987,
    )
    assert echo.message_ref == "1881" and echo.text.startswith("Записали вас на среду")
    assert echo.attachments == () and echo.occurred_at is not None


def test_typing_group_chats_and_garbage() -> None:
    typing = VK.json("longpoll__updates.json")["updates"][1]
    assert isinstance(parse_event(typing, "main"), Ignored)
    chat = VK.json("message_new__text.json")
    chat["object"]["message"]["peer_id"] = 2000000005
    assert isinstance(parse_event(chat, "main"), Ignored)
    with pytest.raises(MalformedEvent):
        parse_event({"type": "message_new", "object": {"message": {"text": "x"}}}, "main")
    with pytest.raises(MalformedEvent):
        parse_event({"object": {}}, "main")


def test_external_id_falls_back_to_a_digest_without_the_secret() -> None:
    event = VK.json("message_new__text.json")
    del event["event_id"]
    other_secret = {**event, "secret": "x"}
    assert external_id_of(event).startswith("sha256:")
    assert external_id_of(event) == external_id_of(other_secret)


def test_random_id_is_stable_31_bit_and_distinct() -> None:
    ids = {random_id_for(n) for n in range(1, 2001)}
    assert len(ids) == 2000 and all(0 < i < 2**31 for i in ids)
    assert random_id_for(17) == random_id_for(17) != random_id_for(17, part=1)


def test_long_text_is_split_at_word_breaks() -> None:
    text = ("слово " * 1500).strip()
    pieces = split_text(text)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text


def test_options_need_callback_secrets_and_hide_the_token() -> None:
    with pytest.raises(ChannelConfigError) as error:
        validate_options("vk", {"group_id": GROUP_ID, "access_token": TOKEN})
    assert set(error.value.errors) == {"callback_secret", "confirmation_code"}
    polling = validate_options(
        "vk", {"group_id": GROUP_ID, "access_token": TOKEN, "mode": "longpoll"}
    )
    assert isinstance(polling, VkOptions) and polling.api_version == "5.199" and polling.wait == 25
    with pytest.raises(ValidationError):
        VkOptions.model_validate({"group_id": 1, "access_token": "t", "mode": "longpoll", "x": 1})
    with pytest.raises(ValidationError):
        VkOptions.model_validate(
            {"group_id": 1, "access_token": "t", "mode": "longpoll", "api_base": "ftp://x"}
        )
    shown = public_options("vk", {"access_token": TOKEN, "callback_secret": SECRET, "group_id": 1})
    assert shown == {"access_token": "********", "callback_secret": "********", "group_id": 1}


def request(body: bytes, method: str = "POST") -> WebhookRequest:
    return WebhookRequest(method, "/hooks/vk/main", {}, {}, body, "127.0.0.1")


async def test_callback_door_answers_without_storing_what_it_refuses() -> None:
    connector, ctx = make_connector(None)
    answer = await connector.handle_webhook(request(VK.bytes("confirmation__request.json")))
    assert (answer.status, answer.body, answer.content_type) == (
        200,
        CONFIRMATION.encode(),
        "text/plain",
    )
    wrong = await connector.handle_webhook(request(VK.bytes("message_new__wrong_secret.json")))
    assert wrong.status == 403
    assert (await connector.handle_webhook(request(b"[1, 2]"))).status == 400
    assert (await connector.handle_webhook(request(b"", method="GET"))).status == 405
    assert ctx.items == []
    ok = await connector.handle_webhook(request(VK.bytes("message_new__text.json")))
    assert (ok.status, ok.body) == (200, b"ok") and len(ctx.items) == 1


async def test_callback_is_not_acknowledged_when_storage_fails() -> None:
    connector, ctx = make_connector(None)
    ctx.fail_submit = lambda item: True
    answer = await connector.handle_webhook(request(VK.bytes("message_new__text.json")))
    assert answer.status == 503 and answer.body != b"ok"


async def test_longpoll_channel_has_no_callback_door() -> None:
    connector, ctx = make_connector(None, mode="longpoll")
    body = json.dumps(VK.json("message_new__text.json")).encode()
    assert (await connector.handle_webhook(request(body))).status == 404
    assert ctx.items == []
