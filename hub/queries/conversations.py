"""Conversations as the API lists them and as events carry them: one joined query each.

No per-row look-ups: a page of 50 conversations (with contact, channel, assignee and last
message) costs the same single query as a page of 5, and the summary an event carries is
one query too.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import Channel, Contact, Conversation, ConversationStatus, Message, User
from hub.serialize import conversation_json

from .shapes import ConversationOut

AssigneeFilter = str  # "me", "none", "mine-or-none", "any" or a user id


def _statement() -> Select[Conversation, Contact, Channel, User, Message]:
    """Conversations with contact, channel, assignee and last message, in one statement."""
    assignee = aliased(User)
    last = aliased(Message)
    last_id = (
        select(func.max(Message.id))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        select(Conversation, Contact, Channel, assignee, last)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .outerjoin(last, last.id == last_id)
    )


def _out(row: Any) -> ConversationOut:
    return ConversationOut.model_validate(conversation_json(*row))


def _assignee_filter(assignee: AssigneeFilter, me: int) -> ColumnElement[bool] | None:
    if assignee == "me":
        return Conversation.assignee_id == me
    if assignee == "none":
        return Conversation.assignee_id.is_(None)
    if assignee == "mine-or-none":
        return or_(Conversation.assignee_id == me, Conversation.assignee_id.is_(None))
    if assignee == "any":
        return None
    return Conversation.assignee_id == int(assignee)


async def list_conversations(
    session: AsyncSession,
    *,
    status: Literal["open", "closed", "all"],
    assignee: AssigneeFilter,
    me: int,
    channel_kind: str | None,
    before_id: int | None,
    limit: int,
) -> list[ConversationOut]:
    """Newest activity first; `before_id` continues after that conversation's position."""
    stmt = _statement()
    if status != "all":
        stmt = stmt.where(Conversation.status == ConversationStatus(status))
    who = _assignee_filter(assignee, me)
    if who is not None:
        stmt = stmt.where(who)
    if channel_kind is not None:
        stmt = stmt.where(Channel.kind == channel_kind)
    if before_id is not None:
        # Keyset on (last_message_at, id), anchored at the given conversation.
        anchor_row = aliased(Conversation)
        anchor = (
            select(anchor_row.last_message_at).where(anchor_row.id == before_id).scalar_subquery()
        )
        stmt = stmt.where(
            or_(
                Conversation.last_message_at < anchor,
                and_(Conversation.last_message_at == anchor, Conversation.id < before_id),
            )
        )
    stmt = stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    return [_out(row) for row in await session.execute(stmt)]


async def get_conversation(session: AsyncSession, conversation_id: int) -> ConversationOut | None:
    row = (
        await session.execute(_statement().where(Conversation.id == conversation_id))
    ).one_or_none()
    return _out(row) if row is not None else None


async def conversation_summary(
    session: AsyncSession, conversation: Conversation
) -> dict[str, object]:
    """The conversation as events carry it (the JSON of a `ConversationOut`), as flushed.

    One query for its contact, channel, assignee and last message, the conversation itself
    taken as loaded, since this runs on every routing step. A plain dict rather than the
    model: events are dumped to JSON as they are, and validating here would cost the hot
    path for nothing."""
    last_id = (
        select(func.max(Message.id))
        .where(Message.conversation_id == conversation.id)
        .scalar_subquery()
    )
    contact, channel, assignee, last = (
        await session.execute(
            select(Contact, Channel, User, Message)
            .select_from(Contact)
            .join(Channel, Channel.id == conversation.channel_id)
            .outerjoin(User, User.id == conversation.assignee_id)
            .outerjoin(Message, Message.id == last_id)
            .where(Contact.id == conversation.contact_id)
        )
    ).one()
    return conversation_json(conversation, contact, channel, assignee, last)


async def conversation_contact_id(session: AsyncSession, conversation_id: int) -> int | None:
    return (
        await session.execute(
            select(Conversation.contact_id).where(Conversation.id == conversation_id)
        )
    ).scalar_one_or_none()
