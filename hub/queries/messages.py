"""Messages: a conversation's, oldest first, and a contact's across every channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel, Conversation, Message, User
from hub.serialize import channel_brief, message_json

from .shapes import HistoryMessage, MessageOut


async def list_messages(
    session: AsyncSession, conversation_id: int, after_id: int | None, limit: int
) -> list[MessageOut]:
    """Oldest first, from after `after_id`, with their authors (one query)."""
    stmt = (
        select(Message, User)
        .outerjoin(User, User.id == Message.author_user_id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(Message.id > after_id)
    return [
        MessageOut.model_validate(message_json(message, author))
        for message, author in await session.execute(stmt)
    ]


async def contact_history(
    session: AsyncSession, contact_id: int, before_id: int | None, limit: int
) -> list[HistoryMessage]:
    """The contact's messages across every conversation and channel, newest first."""
    stmt = (
        select(Message, User, Channel)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(User, User.id == Message.author_user_id)
        .where(Conversation.contact_id == contact_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(Message.id < before_id)
    return [
        HistoryMessage.model_validate(
            {**message_json(message, author), "channel": channel_brief(channel)}
        )
        for message, author, channel in await session.execute(stmt)
    ]
