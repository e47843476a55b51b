"""Threading: which conversation an inbound joins."""

from __future__ import annotations

from sqlalchemy import select

from hub.actions import conversations
from hub.actions.uow import UnitOfWork
from hub.models import Channel, Conversation, ConversationStatus


async def find_open(uow: UnitOfWork, contact_id: int, channel_id: int) -> Conversation | None:
    stmt = (
        select(Conversation)
        .where(
            Conversation.contact_id == contact_id,
            Conversation.channel_id == channel_id,
            Conversation.status == ConversationStatus.open,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def conversation_for(
    uow: UnitOfWork,
    contact_id: int,
    channel: Channel,
    subject: str,
    lead_id: int | None,
    *,
    always_new: bool = False,
) -> tuple[Conversation, bool]:
    """Join the sender's open conversation on this channel, else open one. Returns (conv, new).

    Each web-form submission is its own request (`always_new`), as in a helpdesk.
    """
    if not always_new:
        existing = await find_open(uow, contact_id, channel.id)
        if existing is not None:
            return existing, False
    return await conversations.open_conversation(uow, contact_id, channel, subject, lead_id), True
