"""Replying through another channel of the same client (#15, item 7): a web-form request
answered in Telegram goes out through the Telegram bot (the fake Bot API) and the thread
records the channel; channels the client cannot be reached in are refused with a reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from agent_ui.visitor_data import request_status
from agent_ui.widget_data import visitor_message
from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversation_cases, outbox
from hub.core import Hub
from hub.models import (
    Channel,
    Conversation,
    Identity,
    IdentityKind,
    InboundEvent,
    Message,
    OutboxItem,
    OutboxStatus,
    Role,
)
from hub.policy import DomainError
from routing.ingest import Ingestor
from tests.conftest import Backend, add_channel, add_user
from tests.connectors.telegram.fake_api import FakeBotApi
from tests.connectors.telegram.support import Bot, Serve, open_bot
from tests.hub.actions.support import principal

from .conftest import Api

ANNA_CHAT = "5823419076"


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.close()


async def channel_id(bot: Bot, kind: str, name: str) -> int:
    async with bot.hub.db.sessions() as session:
        stmt = select(Channel.id).where(Channel.kind == kind, Channel.name == name)
        return int((await session.execute(stmt)).scalar_one())


async def world(backend: Backend, serve: Serve, bot_api: FakeBotApi) -> tuple[Bot, Api, int]:
    """Anna leaves a web-form request, then shares her phone with the Telegram bot «main»:
    one client with both. Returns the bot, the API and the web-form conversation's id."""
    bot = await open_bot(backend, serve, bot_api)
    api = Api(bot.client, bot.hub)
    await api.add_user("olga", Role.operator, "Ольга Иванова")
    await api.add_user("sveta", Role.supervisor, "Светлана Орлова")
    await add_channel(bot.hub, "webform", "site")
    form = await api.inbound(text="Нужен замер балкона", phone="8 (916) 123-45-67")
    assert (await bot.post_fixture("message__contact_own_plus.json")).status == 200
    async with bot.hub.db.sessions() as session:
        web, tg = (await session.execute(select(Conversation).order_by(Conversation.id))).scalars()
        assert web.id == form and tg.contact_id == web.contact_id  # one client, two channels
    return bot, api, form


async def test_reply_via_telegram_to_a_web_form_request_is_sent_by_the_bot(
    backend: Backend, serve: Serve, bot_api: FakeBotApi
) -> None:
    bot, api, form = await world(backend, serve, bot_api)
    telegram = await channel_id(bot, "telegram", "main")

    offered = await api.get(f"/api/v1/conversations/{form}/reply-channels", "olga")
    assert offered.status == 200
    own, other = offered.body["items"]
    assert own["own"] and own["channel"]["kind"] == "webform" and own["available"]
    assert other["channel"]["id"] == telegram and other["available"] and not other["own"]
    assert other["identity"] == {"kind": "telegram", "value": ANNA_CHAT}

    posted = await api.post(
        f"/api/v1/conversations/{form}/messages",
        "olga",
        {
            "kind": "reply",
            "text": "Анна, замерщик приедет завтра в 10:00",
            "via_channel_id": telegram,
        },
    )
    assert posted.status == 201, posted.body
    message = posted.body
    assert message["conversation_id"] == form  # the thread it answers
    via = message["meta"]["via"]
    assert (via["id"], via["kind"], via["name"]) == (telegram, "telegram", "main")
    assert via["identity"] == {"kind": "telegram", "value": ANNA_CHAT}

    [item] = await bot.all(OutboxItem)
    assert item.channel_id == telegram and item.conversation_id == form
    settled = await bot.settled(item.id)
    assert settled.status is OutboxStatus.sent and settled.external_id == "1559"
    [call] = bot_api.calls_of("sendMessage")
    assert call.params["chat_id"] == ANNA_CHAT
    assert call.params["text"] == "Анна, замерщик приедет завтра в 10:00"
    [stored] = await bot.all(Message, Message.id == message["id"])
    assert stored.meta["delivery"]["status"] == "sent"
    assert stored.meta["via"]["kind"] == "telegram"

    # A reply without a choice still goes through the conversation's own channel.
    plain = await api.post(
        f"/api/v1/conversations/{form}/messages", "olga", {"kind": "reply", "text": "И ещё"}
    )
    assert plain.status == 201 and "via" not in plain.body["meta"]
    rows = await bot.all(OutboxItem)
    assert [r.channel_id for r in rows] == [telegram, await channel_id(bot, "webform", "site")]
    # The form's public request page shows what went through the form, not the Telegram reply.
    [event] = await bot.all(InboundEvent, InboundEvent.conversation_id == form)
    page = await request_status(bot.hub, "site", event.external_id)
    assert page is not None
    assert [(m.mine, m.text) for m in page.messages] == [
        (True, "Нужен замер балкона"),
        (False, "И ещё"),
    ]
    # Nor does a website chat show a reply sent elsewhere.
    assert visitor_message(message) is None
    assert visitor_message(plain.body) is not None


async def refused(api: Api, conversation_id: int, via: int) -> tuple[int, Any]:
    answer = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        "sveta",
        {"kind": "reply", "text": "Здравствуйте", "via_channel_id": via},
    )
    return answer.status, answer.body


async def test_channels_the_client_cannot_be_reached_in_are_refused_and_nothing_is_written(
    backend: Backend, serve: Serve, bot_api: FakeBotApi
) -> None:
    bot, api, form = await world(backend, serve, bot_api)
    # A second bot Anna never wrote to, and a mailbox while she has no e-mail address.
    await open_bot(backend, serve, bot_api, name="other", into=bot)
    other_bot = await channel_id(bot, "telegram", "other")
    mailbox = await add_channel(bot.hub, "email", "office")
    webform = await channel_id(bot, "webform", "site")
    telegram_conversation = (await bot.all(Conversation))[1].id

    listed = (await api.get(f"/api/v1/conversations/{form}/reply-channels", "olga")).body
    by_channel = {row["channel"]["id"]: row for row in listed["items"]}
    assert mailbox not in by_channel  # no address there: not offered at all
    assert by_channel[other_bot]["available"] is False
    assert by_channel[other_bot]["reason"] == "never-wrote"

    status, body = await refused(api, form, mailbox)
    assert status == 422 and body["error"]["id"] == "reply-via-no-identity"
    status, body = await refused(api, form, other_bot)
    assert status == 409 and body["error"]["id"] == "reply-via-never-wrote"
    # From the Telegram conversation, the web form is listed but cannot carry a reply.
    from_tg = await api.get(f"/api/v1/conversations/{telegram_conversation}/reply-channels", "olga")
    [form_row] = [r for r in from_tg.body["items"] if r["channel"]["id"] == webform]
    assert form_row["available"] is False and form_row["reason"] == "no-outbound"
    status, body = await refused(api, telegram_conversation, webform)
    assert status == 409 and body["error"]["id"] == "reply-via-no-outbound"
    # A note is never sent anywhere.
    note = await api.post(
        f"/api/v1/conversations/{form}/messages",
        "olga",
        {"kind": "note", "text": "x", "via_channel_id": other_bot},
    )
    assert note.status == 422
    assert await bot.all(OutboxItem) == []
    assert [m.direction.value for m in await bot.all(Message)] == ["in", "in"]

    # Blocked in Telegram: listed, refused with the reason.
    async with bot.hub.db.sessions() as session, session.begin():
        identity = (
            await session.execute(select(Identity).where(Identity.kind == IdentityKind.telegram))
        ).scalar_one()
        identity.unreachable_reason = "bot was blocked by the user"
    main = await channel_id(bot, "telegram", "main")
    listed = (await api.get(f"/api/v1/conversations/{form}/reply-channels", "olga")).body
    [blocked] = [r for r in listed["items"] if r["channel"]["id"] == main]
    assert blocked["reason"] == "unreachable"
    assert blocked["reason_detail"] == "bot was blocked by the user"
    status, body = await refused(api, form, main)
    assert status == 409 and body["error"]["id"] == "reply-via-unreachable"


async def test_reply_via_email_addresses_the_clients_mailbox_without_the_forms_threading(
    hub: Hub,
) -> None:
    """The use case and the outbox's claim, with no app (so no worker races the claim)."""
    olga = await add_user(hub, "olga", Role.operator, name="Ольга Иванова")
    petr = await add_user(hub, "petr", Role.operator, name="Пётр Смирнов")
    await add_channel(hub, "webform", "site")
    mailbox = await add_channel(hub, "email", "office")
    receipt = await Ingestor(hub).submit(
        InboundMessage(
            channel_kind="webform",
            channel_name="site",
            external_id="form-1",
            sender=Sender(name="Анна", identities=(IdentityClaim("email", "Anna@Example.ru"),)),
            text="Пришлите договор",
            message_ref="submission-token-1",
        )
    )
    form = receipt.conversation_id
    assert form is not None
    posted = await conversation_cases.post_message(
        hub, principal(olga), form, "reply", "Договор во вложении", via_channel_id=mailbox
    )
    assert posted.message.meta["via"]["identity"] == {"kind": "email", "value": "anna@example.ru"}
    # Same policy as any reply: a colleague's conversation is not petr's to answer.
    with pytest.raises(DomainError) as caught:
        await conversation_cases.post_message(
            hub, principal(petr), form, "reply", "Я тоже", via_channel_id=mailbox
        )
    assert caught.value.status == 403

    async with hub.db.sessions() as session:
        [item] = (await session.execute(select(OutboxItem))).scalars()
    assert item.channel_id == mailbox
    claimed = await outbox.claim(hub, item.id)
    assert claimed is not None
    assert (claimed.channel_kind, claimed.channel_name) == ("email", "office")
    assert claimed.recipient == "anna@example.ru" and claimed.unreachable_reason is None
    # The web form's submission token is no mail id to answer.
    assert "in_reply_to" not in claimed.meta and claimed.meta["message_id"] == item.message_id
