"""A connector's thread hint (meta "thread_hint": an e-mail's [#N] or In-Reply-To) wins."""

from __future__ import annotations

from sqlalchemy import func, select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import unit_of_work
from hub.actions.conversations import close
from hub.core import Hub
from hub.models import Conversation, ConversationStatus, Message
from routing.ingest import Ingestor
from tests.conftest import add_channel


def mail(key: str, sender: str, subject: str, hint: object = None) -> InboundMessage:
    return InboundMessage(
        channel_kind="email",
        channel_name="sales",
        external_id=key,
        sender=Sender(sender.split("@")[0], (IdentityClaim("email", sender),)),
        text=f"text of {key}",
        subject=subject,
        meta={} if hint is None else {"thread_hint": hint},
        message_ref=key,
    )


async def conversation(hub: Hub, conversation_id: int | None) -> Conversation:
    assert conversation_id is not None
    async with hub.db.sessions() as session:
        return await session.get_one(Conversation, conversation_id)


async def test_hint_joins_the_named_conversation_and_reopens_it(hub: Hub) -> None:
    await add_channel(hub, "email", "sales")
    ingestor = Ingestor(hub)
    first = await ingestor.submit(mail("<1@a.ru>", "anna@a.ru", "Замер"))
    async with unit_of_work(hub) as uow:
        await close(uow, await uow.session.get_one(Conversation, first.conversation_id))

    # Someone else (a colleague) answers with the marker: it joins, and the conversation
    # is open again, keeping its subject.
    joined = await ingestor.submit(
        mail("<2@b.ru>", "boris@b.ru", "Re: [#n] Замер", first.conversation_id)
    )
    assert joined.conversation_id == first.conversation_id
    reopened = await conversation(hub, joined.conversation_id)
    assert reopened.status is ConversationStatus.open and reopened.subject == "Замер"
    async with hub.db.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == first.conversation_id)
        )
    assert count == 2


async def test_hint_to_another_channel_or_nowhere_is_ignored(hub: Hub) -> None:
    await add_channel(hub, "email", "sales")
    await add_channel(hub, "email", "support")
    ingestor = Ingestor(hub)
    elsewhere = await ingestor.submit(
        InboundMessage(
            channel_kind="email",
            channel_name="support",
            external_id="<s@a.ru>",
            sender=Sender("Anna", (IdentityClaim("email", "anna@a.ru"),)),
            text="support request",
            subject="Поддержка",
        )
    )
    # A hint naming another channel's conversation (or none at all) is not followed:
    # the usual choice applies and a new conversation opens with the mail's subject.
    other = await ingestor.submit(mail("<3@c.ru>", "carl@c.ru", "Новый", elsewhere.conversation_id))
    assert other.conversation_id != elsewhere.conversation_id
    assert (await conversation(hub, other.conversation_id)).subject == "Новый"
    missing = await ingestor.submit(mail("<4@c.ru>", "dina@d.ru", "Ещё", 999_999))
    assert missing.conversation_id not in (None, 999_999)
    assert (await conversation(hub, missing.conversation_id)).subject == "Ещё"
