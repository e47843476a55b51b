"""What real Telegram traffic sends that Okno used to lose or misfile, through the webhook of the
running app on both backends: shared phones in every form, update types newer than the library,
numbers out of range, messages of invisible characters."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.actions.contacts import NormalisedIdentity, create_lead
from hub.host.metrics import METRICS
from hub.models import Contact, Conversation, IdentityKind, InboundEvent, Message
from tests.conftest import Backend

from .fake_api import TELEGRAM, FakeBotApi
from .support import Bot, Serve, open_bot


def shared_contact(update_id: int, user_id: int, phone: str) -> dict[str, Any]:
    """A Telegram user sharing their own number, written as `phone`."""
    update = copy.deepcopy(TELEGRAM.json("message__contact_own_no_plus.json"))
    update["update_id"] = update_id
    message = update["message"]
    message["from"]["id"] = message["chat"]["id"] = user_id
    message["contact"].update(phone_number=phone, user_id=user_id)
    return update


async def known_client(bot: Bot, name: str, phone: str) -> int:
    async with unit_of_work(bot.hub) as uow:
        contact, _ = await create_lead(
            uow,
            name=name,
            identities=[NormalisedIdentity(IdentityKind.phone, phone, phone)],
            source="webform",
            source_detail={},
        )
    return contact.id


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("79161234567", "+79161234567"),
        ("+79161234567", "+79161234567"),
        ("89161234567", "+79161234567"),  # the Russian domestic form people save
        ("+7 (916) 123-45-67", "+79161234567"),
        ("380501234567", "+380501234567"),  # international without the plus
    ],
)
async def test_a_shared_phone_in_any_form_finds_the_client(
    backend: Backend, api: FakeBotApi, serve: Serve, written: str, e164: str
) -> None:
    bot = await open_bot(backend, serve, api)
    client = await known_client(bot, "Анна (сайт)", e164)
    assert (await bot.post(shared_contact(781290001, 5823419076, written))).status == 200
    assert [c.id for c in await bot.all(Contact)] == [client]
    [conversation] = await bot.all(Conversation)
    assert conversation.contact_id == client
    [message] = await bot.all(Message)
    assert message.meta["contact"]["phone_number"] == written


async def test_three_people_sharing_one_number_three_ways_are_one_client(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    client = await known_client(bot, "Анна Соколова", "+79161234567")
    for n, written in enumerate(("89161234567", "79161234567", "+79161234567")):
        update = shared_contact(781290010 + n, 5823419076 + n, written)
        assert (await bot.post(update)).status == 200, written
    assert [c.id for c in await bot.all(Contact)] == [client]
    assert {c.contact_id for c in await bot.all(Conversation)} == {client}


def unreadable_count(bot: Bot, kind: str) -> float:
    sample = bot.app[METRICS].registry.get_sample_value(
        "okno_inbound_unreadable_total", {"channel": "telegram:main", "kind": kind}
    )
    return sample or 0.0


EDITED = TELEGRAM.json("edited_message__text.json")


def edited(update_id: int, **fields: Any) -> dict[str, Any]:
    update = copy.deepcopy(EDITED)
    update["update_id"] = update_id
    update["edited_message"].update(fields)
    return update


@pytest.mark.parametrize(
    ("updates", "kind"),
    [
        (
            [
                {"update_id": 781290101, "some_new_update_type": {}},
                {"update_id": 781290102, "business_gift_v2": {"id": 1}},
            ],
            "unknown-update-type",
        ),
        ([{"update_id": 781290103}, {"update_id": 781290104}], "unknown-update-type"),
        ([edited(781290105, edit_date=2**63), edited(781290106, edit_date=10**30)], None),
        (
            [
                {"update_id": 781290107, "message": {"message_id": "x"}},
                {"update_id": 781290108, "message": {"chat": 5}},
            ],
            "invalid-update",
        ),
    ],
)
async def test_an_update_it_cannot_read_is_kept_raw_acknowledged_counted_logged_once(
    backend: Backend,
    api: FakeBotApi,
    serve: Serve,
    caplog: pytest.LogCaptureFixture,
    updates: list[dict[str, Any]],
    kind: str | None,
) -> None:
    kind = kind or "value-out-of-range"
    bot = await open_bot(backend, serve, api)
    caplog.set_level(logging.DEBUG)
    for update in [*updates, updates[-1]]:  # the last one twice: Telegram's repeat
        response = await bot.post(update)
        assert response.status == 200 and await response.json() == {"ok": True}
    events = await bot.all(InboundEvent)
    assert [e.external_id for e in events] == [str(u["update_id"]) for u in updates]
    for event in events:
        assert event.status.value == "ignored"
        assert event.last_error.startswith(f"unreadable ({kind}): ")
        assert f'"update_id": {event.external_id}' in event.payload["raw"]
    assert await bot.count(Message) == 0
    assert unreadable_count(bot, kind) == len(updates)
    logged = [r for r in caplog.records if "kept an unreadable input" in r.getMessage()]
    # Once per kind at WARNING; the rest, the repeat included, at DEBUG.
    assert [r.levelno for r in logged] == [logging.WARNING] + [logging.DEBUG] * len(updates)


async def test_an_edit_time_no_clock_can_hold_still_applies_the_edit(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    assert (await bot.post_fixture("message__text.json")).status == 200
    for n, when in enumerate((2**40, 2**62)):
        update = edited(781290201 + n, edit_date=when, text=f"Правка {n}")
        assert (await bot.post(update)).status == 200
    [message] = await bot.all(Message)
    assert message.text == "Правка 1" and len(message.meta["edits"]) == 2


INVISIBLE = ["\u200b", "\u202e", "\ufeff", "\u200b\u200c\u200d\u2060", " \u3164 \u2800"]


async def test_messages_of_only_invisible_characters_are_dropped(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    text = TELEGRAM.json("message__text.json")
    for n, invisible in enumerate(INVISIBLE):
        update = copy.deepcopy(text)
        update["update_id"] = 781290300 + n
        update["message"]["text"] = invisible
        assert (await bot.post(update)).status == 200, repr(invisible)
    assert await bot.count(Message) == 0 and await bot.count(Contact) == 0

    # A photo with an invisible caption is the photo alone; a blanking edit is not applied.
    photo = TELEGRAM.json("message__photo_with_caption.json")
    photo["message"]["caption"] = "\ufeff\u200b"
    assert (await bot.post(photo)).status == 200
    assert (await bot.post(text)).status == 200
    blank = edited(781290399, text="\u200b")
    assert (await bot.post(blank)).status == 200
    shown = {m.external_id: m for m in await bot.all(Message)}
    assert len(shown) == 2
    [attachment] = shown["5823419076:1545"].meta["attachments"]
    assert shown["5823419076:1545"].text == "" and attachment["kind"] == "photo"
    assert shown["5823419076:1543"].text == text["message"]["text"]
    assert shown["5823419076:1543"].edited_at is None


async def test_long_polling_keeps_an_unreadable_update_and_moves_past_it(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    text = TELEGRAM.json("message__text.json")
    later = copy.deepcopy(text)
    later["update_id"] = 781290502
    later["message"].update(message_id=1601, text="Вы тут?")
    api.queue_updates({"update_id": 781290500, "some_new_update_type": {}}, text, later)
    bot = await open_bot(backend, serve, api, mode="polling", webhook_secret=None, poll_timeout=1)
    moved = await api.wait_for("getUpdates", lambda c: c.params.get("offset") == str(781290502 + 1))
    assert moved is not None
    events = await bot.all(InboundEvent)
    assert [e.status.value for e in events] == ["ignored", "processed", "processed"]
    assert [m.text for m in await bot.all(Message)] == [text["message"]["text"], "Вы тут?"]
