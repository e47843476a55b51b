"""Telegram fixtures POSTed to the real app's webhook, on both backends: answers and rows."""

from __future__ import annotations

import logging

import pytest

from hub.actions import unit_of_work
from hub.actions.contacts import NormalisedIdentity, create_lead
from hub.models import (
    Contact,
    Conversation,
    Identity,
    IdentityKind,
    InboundEvent,
    Lead,
    Message,
)
from tests.conftest import Backend

from .fake_api import TELEGRAM, FakeBotApi
from .support import SECRET, Bot, Serve, open_bot

ANNA = ("telegram", "5823419076")
ANNA_PHONE = ("phone", "+79161234567")


async def identities(bot: Bot) -> list[tuple[str, str]]:
    return sorted((i.kind.value, i.value) for i in await bot.all(Identity))


async def test_text_delivered_twice_is_stored_once_then_edited_in_place(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    for name in ("message__text.json", "message__text_duplicate.json"):
        response = await bot.post_fixture(name)
        assert response.status == 200, name  # acknowledged both times
    assert await bot.external_ids() == ["781234501"]
    [message] = await bot.all(Message)
    original = TELEGRAM.json("message__text.json")["message"]["text"]
    assert message.text == original and message.external_id == "5823419076:1543"
    assert message.edited_at is None
    [contact] = await bot.all(Contact)
    assert contact.name == "Анна Соколова"
    assert await identities(bot) == [ANNA]
    [conversation] = await bot.all(Conversation)
    assert conversation.contact_id == contact.id

    assert (await bot.post_fixture("edited_message__text.json")).status == 200
    assert await bot.count(InboundEvent) == 2
    [message] = await bot.all(Message)  # message 1543 changed, no new one
    assert message.text == TELEGRAM.json("edited_message__text.json")["edited_message"]["text"]
    assert message.edited_at is not None
    assert message.meta["edits"][0]["text"] == original


async def test_shared_contact_phone_in_both_forms_joins_anna(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    for name in (
        "message__text.json",
        "message__contact_own_plus.json",
        "message__contact_own_no_plus.json",
    ):
        assert (await bot.post_fixture(name)).status == 200, name
    assert await bot.count(Contact) == 1
    assert await identities(bot) == [ANNA_PHONE, ANNA]
    messages = await bot.all(Message)
    assert len(messages) == 3 and len({m.conversation_id for m in messages}) == 1
    assert messages[2].meta["contact"]["phone_number"] == "79161234567"
    assert "+79161234567" in messages[2].text


async def test_shared_phone_matches_an_existing_lead(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    async with unit_of_work(bot.hub) as uow:
        known, _ = await create_lead(
            uow,
            name="Анна (сайт)",
            identities=[
                NormalisedIdentity(IdentityKind.phone, "+79161234567", "8 (916) 123-45-67")
            ],
            source="webform",
            source_detail={},
        )
    assert (await bot.post_fixture("message__contact_own_no_plus.json")).status == 200
    assert [c.id for c in await bot.all(Contact)] == [known.id]
    assert await identities(bot) == [ANNA_PHONE, ANNA]
    [conversation] = await bot.all(Conversation)
    assert conversation.contact_id == known.id


async def test_every_content_fixture_and_a_button_press_land_in_annas_conversation(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    api.snapshot = lambda: bot.count(InboundEvent)
    names = [
        "callback_query__inline_button.json",
        "message__start_command.json",
        "message__entities_emoji_long.json",
        "message__photo_with_caption.json",
        "message__document_pdf.json",
        "message__voice.json",
        "message__video.json",
        "message__sticker.json",
        "message__location.json",
        "message__reply_to_bot_message.json",
        "message__forwarded_from_user.json",
    ]
    for name in names:
        assert (await bot.post_fixture(name)).status == 200, name
    messages = {m.external_id: m for m in await bot.all(Message)}
    assert len(messages) == len(names)
    press = messages.pop(None)  # a button press is not a Telegram message of its own
    assert len({m.conversation_id for m in messages.values()}) == 1
    assert await identities(bot) == [ANNA]  # the forwarded author is not a contact
    assert await bot.count(Contact) == 1

    start = messages["5823419076:1541"]
    assert start.text == "/start site_calc_42" and start.meta["start_payload"] == "site_calc_42"

    sent = TELEGRAM.json("message__entities_emoji_long.json")["message"]
    long = messages["5823419076:1544"]
    assert long.text == sent["text"] and len(long.text) == 1082
    assert long.meta["entities"] == sent["entities"]
    url = next(e for e in long.meta["entities"] if e["type"] == "url")
    units = long.text.encode("utf-16-le")
    span = units[2 * url["offset"] : 2 * (url["offset"] + url["length"])].decode("utf-16-le")
    assert span == "https://okna-sokolova.example/zamery"

    [photo] = messages["5823419076:1545"].meta["attachments"]
    assert (photo["kind"], photo["meta"]["width"], photo["meta"]["height"]) == ("photo", 1280, 960)
    assert photo["size"] == 161902
    assert messages["5823419076:1545"].text.startswith("Вот такой проём на кухне")

    [document] = messages["5823419076:1547"].meta["attachments"]
    assert document["name"] == "Смета_Соколова_кухня+лоджия №17.pdf"
    assert (document["mime_type"], document["size"]) == ("application/pdf", 482133)
    assert messages["5823419076:1547"].text == "Смета от конкурентов. Сможете дешевле?"

    voice = messages["5823419076:1548"]
    assert voice.text == ""
    [note] = voice.meta["attachments"]
    assert (note["kind"], note["mime_type"], note["meta"]["duration"]) == ("voice", "audio/ogg", 14)

    video = messages["5823419076:1549"]
    [clip] = video.meta["attachments"]
    assert (clip["kind"], clip["mime_type"]) == ("video", "video/mp4")
    assert (clip["meta"]["width"], clip["meta"]["height"]) == (720, 1280)
    assert video.text == "Видно, как дует из-под рамы"

    [sticker] = messages["5823419076:1550"].meta["attachments"]
    assert sticker["kind"] == "sticker" and sticker["meta"]["emoji"] == "👍"

    location = messages["5823419076:1554"]
    assert location.meta["location"] == {"latitude": 55.911254, "longitude": 37.733905}
    assert "55.911254" in location.text and "37.733905" in location.text

    reply = messages["5823419076:1557"]
    assert reply.meta["reply_to"] == "5823419076:1556"
    assert reply.text == "Да, давайте в субботу после обеда"

    forwarded = messages["5823419076:1558"]
    assert forwarded.meta["forwarded_from"]["name"] == "Сергей Кузнецов"
    assert forwarded.meta["forwarded_from"]["type"] == "user"

    assert press.text == "Суббота"
    assert press.meta["button"]["data"] == "zamer:day:sat"
    assert press.meta["button"]["message_ref"] == "5823419076:1555"
    [answer] = api.calls_of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2501146380729113623"
    assert answer.snapshot == 1  # answered only once the press was stored


async def test_group_chat_is_ignored_unless_enabled(
    backend: Backend, api: FakeBotApi, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await open_bot(backend, serve, api)
    caplog.set_level(logging.INFO)
    assert (await bot.post_fixture("message__group_chat.json")).status == 200
    assert await bot.count(InboundEvent) == 0
    assert await bot.count(Conversation) == 0
    assert "group chats are not enabled" in caplog.text

    # A second bot in the same hub, with groups on.
    groups = await open_bot(backend, serve, api, name="crew", allow_groups=True, into=bot)
    assert (await groups.post_fixture("message__group_chat.json")).status == 200
    [message] = await groups.all(Message)
    assert message.meta["chat"] == {
        "id": -4523017784,
        "type": "group",
        "title": "Окно — монтажники Мытищи",
    }
    [contact] = await groups.all(Contact)
    assert contact.name == "Михаил Жуков"


async def test_blocking_marks_galina_unreachable_and_unblocking_clears_it(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    assert (await bot.post_fixture("message__user_no_username_no_last_name.json")).status == 200
    [lead] = await bot.all(Lead)
    [contact] = await bot.all(Contact)
    assert contact.name == "Галина" and lead.contact_id == contact.id
    assert await identities(bot) == [("telegram", "6934401187")]

    assert (await bot.post_fixture("my_chat_member__blocked_by_user.json")).status == 200
    assert await bot.count(Message) == 1
    [identity] = await bot.all(Identity)
    assert identity.unreachable_at is not None
    assert identity.unreachable_reason == "bot blocked by the user"

    unblocked = TELEGRAM.json("my_chat_member__blocked_by_user.json")
    change = unblocked["my_chat_member"]
    change["old_chat_member"], change["new_chat_member"] = (
        {**change["new_chat_member"]},
        {**change["old_chat_member"]},
    )
    unblocked["update_id"] += 1
    assert (await bot.post(unblocked)).status == 200
    [identity] = await bot.all(Identity)
    assert identity.unreachable_at is None and identity.unreachable_reason is None
    assert await bot.count(Message) == 1


GARBAGE = [
    (b'{"update_id": 781234590, "message": ', "malformed-json"),
    (b"\xff\xfe not utf-8", "malformed-json"),
    (b"[1, 2, 3]", "not-an-update"),
    (b'{"message": {"text": "no update id"}}', "not-an-update"),
]


async def test_bad_input_is_refused_logged_and_the_next_update_processed(
    backend: Backend, api: FakeBotApi, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await open_bot(backend, serve, api)
    recorded = TELEGRAM.http("webhook__wrong_secret_token.http")
    headers, body = recorded.headers, recorded.body
    response = await bot.client.post("/hooks/telegram/main", data=body, headers=headers)
    assert response.status == 401
    assert (await response.json())["error"]["id"] == "bad-secret-token"
    assert (await bot.post(body, secret=None)).status == 401
    assert (await bot.post(body, secret=SECRET + "x")).status == 401
    assert "wrong or missing secret token" in caplog.text

    for garbage, error_id in GARBAGE:
        response = await bot.post(garbage)
        assert response.status == 400, garbage
        assert (await response.json())["error"]["id"] == error_id, garbage
    assert "webhook body refused" in caplog.text

    # A bot reading by long polling has no webhook to post to.
    polling = await open_bot(
        backend, serve, api, name="polled", into=bot, mode="polling", poll_timeout=1
    )
    assert (await polling.post(body)).status == 404

    assert await bot.count(InboundEvent) == 0  # update 781234518 was never stored
    # The same update with the right secret goes through: the channel kept running.
    assert (await bot.post(body)).status == 200
    assert await bot.external_ids() == ["781234518"]
