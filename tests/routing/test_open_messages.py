"""A group commit's chat messages into open conversations, written together, on both
databases (routing/open_messages.py): each lands in its sender's conversation in the order
sent, announced to whoever holds it; a conversation that needs more than its message (closed,
snoozed) goes the one-by-one way with all its sender's events.

Of submissions made at once the first is written alone, the others as one batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import unit_of_work
from hub.core import Hub
from hub.models import (
    Contact,
    Conversation,
    ConversationStatus,
    EventLog,
    Identity,
    IdentityKind,
    InboundEvent,
    InboundStatus,
    Message,
)
from tests.routing.counting import statements, together
from tests.routing.scenario import World


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


def chat(number: int, phone: str) -> InboundMessage:
    return InboundMessage(
        channel_kind="telegram",
        channel_name="chat",
        external_id=f"chat-{number}",
        sender=Sender(name="Клиент", identities=(IdentityClaim("phone", phone),)),
        text=f"Сообщение {number}",
        message_ref=f"ref-{number}",
    )


async def texts_of(hub: Hub, conversation_id: int) -> list[str]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(Message.text)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        )
        return list(rows.scalars())


PHONES = ["+79160000501", "+79160000502", "+79160000503"]


async def three_clients_in_conversation(world: World) -> list[int]:
    await world.operator("a", capacity=2)
    await world.operator("b", capacity=2)
    await world.channel("telegram", "chat")
    return [await world.inbound(phone) for phone in PHONES]


async def test_a_batch_of_chat_messages_joins_the_open_conversations_in_order(
    world: World,
) -> None:
    hub = world.hub
    conversations = await three_clients_in_conversation(world)
    world.clock.advance(60)
    with statements(hub) as sent:
        receipts = await together(
            hub,
            chat(1, PHONES[0]),  # alone
            chat(2, PHONES[1]),
            # The same number as a Russian writes it at home: read in the default region.
            chat(3, "8 (916) 000-05-03"),
            chat(4, PHONES[1]),
            chat(5, PHONES[0]),
        )
    assert [r.conversation_id for r in receipts] == [
        conversations[0], conversations[1], conversations[2], conversations[1], conversations[0]
    ]  # fmt: skip
    assert await texts_of(hub, conversations[0]) == ["hello 1", "Сообщение 1", "Сообщение 5"]
    assert await texts_of(hub, conversations[1]) == ["hello 2", "Сообщение 2", "Сообщение 4"]
    assert await texts_of(hub, conversations[2]) == ["hello 3", "Сообщение 3"]
    # The alone one's message, then the batch's four in one statement.
    assert sent.count("INSERT INTO messages") == 2
    touches = len([s for s in sent if s.startswith(("UPDATE conversations", "WITH v AS"))])
    # PostgreSQL: one touch for the alone one, one for the batch's three senders; SQLite
    # touches each sender in turn (in process).
    assert touches == (2 if hub.db.dialect == "postgresql" else 4)
    async with hub.db.sessions() as session:
        rows = (
            await session.execute(
                select(Conversation.id, Conversation.last_message_at).order_by(Conversation.id)
            )
        ).all()
        statuses = (await session.execute(select(InboundEvent.status))).scalars().all()
    assert [at for _, at in rows] == [world.clock.now] * 3
    assert set(statuses) == {InboundStatus.processed}
    holders = {c: await world.holder(c) for c in conversations}
    async with hub.db.sessions() as session:
        logged = (
            await session.execute(
                select(EventLog.kind, EventLog.payload, EventLog.audience).order_by(EventLog.id)
            )
        ).all()
    created = [(p["conversation_id"], p["message"]["text"], a["users"]) for k, p, a in logged
               if k == "message.created"][-4:]  # fmt: skip
    users = {login: u.id for login, u in world.users.items()}
    assert created == [
        (conversations[1], "Сообщение 2", [users[holders[conversations[1]] or ""]]),
        (conversations[2], "Сообщение 3", [users[holders[conversations[2]] or ""]]),
        (conversations[1], "Сообщение 4", [users[holders[conversations[1]] or ""]]),
        (conversations[0], "Сообщение 5", [users[holders[conversations[0]] or ""]]),
    ]
    async with hub.db.sessions() as session:
        stored = (
            await session.execute(
                select(Message.id, Message.external_id, Message.meta).order_by(Message.id)
            )
        ).all()
        events = (
            await session.execute(
                select(InboundEvent.id, InboundEvent.conversation_id, InboundEvent.message_id)
                .where(InboundEvent.external_id.in_([f"chat-{n}" for n in range(2, 6)]))
                .order_by(InboundEvent.id)
            )
        ).all()
    batch_messages = stored[-4:]
    # Each message keeps the channel's id of it and its request number (the event's id).
    assert [(ref, meta) for _, ref, meta in batch_messages] == [
        (f"ref-{n}", {"request_number": receipt.event_id})
        for n, receipt in zip(range(2, 6), receipts[1:], strict=True)
    ]
    # Each event processed into its conversation and message.
    assert events == [
        (r.event_id, r.conversation_id, message_id)
        for r, (message_id, _, _) in zip(receipts[1:], batch_messages, strict=True)
    ]


async def test_a_closed_or_snoozed_conversation_goes_the_one_by_one_way(world: World) -> None:
    hub = world.hub
    conversations = await three_clients_in_conversation(world)
    await world.close(conversations[1])
    async with unit_of_work(hub) as uow:
        snoozed = await uow.session.get_one(Conversation, conversations[2])
        snoozed.snoozed = True
    receipts = await together(
        hub,
        chat(1, PHONES[0]),
        chat(2, PHONES[1]),
        chat(3, PHONES[2]),
        chat(4, PHONES[0]),
        chat(5, PHONES[2]),
    )
    # Reopened within the window, and woken: each in its conversation, in order.
    assert [r.conversation_id for r in receipts] == [
        conversations[0], conversations[1], conversations[2], conversations[0], conversations[2]
    ]  # fmt: skip
    assert await texts_of(hub, conversations[2]) == ["hello 3", "Сообщение 3", "Сообщение 5"]
    async with hub.db.sessions() as session:
        reopened = await session.get_one(Conversation, conversations[1])
        woken = await session.get_one(Conversation, conversations[2])
    assert reopened.status is ConversationStatus.open
    assert woken.snoozed is False


async def test_a_sender_with_an_edit_in_the_batch_is_processed_in_order(world: World) -> None:
    """His edit of the message sent just before it, in the same batch: the message must be
    stored before the edit looks for it."""
    from connectors.base import InboundEdit

    hub = world.hub
    conversations = await three_clients_in_conversation(world)
    edit = InboundEdit(
        channel_kind="telegram",
        channel_name="chat",
        external_id="edit-3",
        sender=Sender(name="Клиент", identities=(IdentityClaim("phone", PHONES[1]),)),
        message_ref="ref-3",
        text="Сообщение 3, исправленное",
    )
    await together(hub, chat(1, PHONES[0]), chat(2, PHONES[2]), chat(3, PHONES[1]), edit)
    assert await texts_of(hub, conversations[1]) == ["hello 2", "Сообщение 3, исправленное"]


async def test_a_senders_events_all_go_one_by_one_when_one_of_them_must(world: World) -> None:
    """His first message brings his real name (a stand-in named him before): it goes one by
    one, and so does his next message in the batch, after it."""
    hub = world.hub
    conversations = await three_clients_in_conversation(world)
    named = chat(2, PHONES[1])
    named = InboundMessage(
        **{**named.__dict__, "meta": {"sender_stand_in": "Клиент"}, "sender": Sender(
            name="Пётр", identities=(IdentityClaim("phone", PHONES[1]),))}
    )  # fmt: skip
    await together(hub, chat(1, PHONES[0]), named, chat(3, PHONES[2]), chat(4, PHONES[1]))
    assert await texts_of(hub, conversations[1]) == ["hello 2", "Сообщение 2", "Сообщение 4"]
    conversation = await world.conversation(conversations[1])
    async with hub.db.sessions() as session:
        contact = await session.get_one(Contact, conversation.contact_id)
    assert contact.name == "Пётр"  # the stand-in replaced by his real name


async def test_a_client_writing_from_two_numbers_in_a_batch_keeps_his_order(world: World) -> None:
    """Both numbers are his: both messages join his one open conversation, touched once, in
    the order they came."""
    hub = world.hub
    conversations = await three_clients_in_conversation(world)
    first = await world.conversation(conversations[0])
    async with hub.db.sessions() as session, session.begin():
        session.add(
            Identity(
                contact_id=first.contact_id,
                kind=IdentityKind.phone,
                value="+79160000599",
                raw="+79160000599",
                created_at=world.clock.now,
            )
        )
    await together(
        hub, chat(1, PHONES[2]), chat(2, "+79160000599"), chat(3, PHONES[0]), chat(4, PHONES[1])
    )
    assert await texts_of(hub, conversations[0]) == ["hello 1", "Сообщение 2", "Сообщение 3"]
