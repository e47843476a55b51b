"""Read side of conversations, messages, leads and users: one joined query per list.

No per-row look-ups: a page of 50 conversations (with contact, channel, assignee and last
message) costs the same single query as a page of 5.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import (
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    Lead,
    LeadStatus,
    Message,
    TeamMember,
    User,
)
from hub.serialize import channel_brief, contact_brief, conversation_json, iso, message_json

from .contact_queries import lead_json
from .schemas import ConversationOut, HistoryMessage, LeadListItem, MessageOut, UserRow

ConversationRow = tuple[Conversation, Contact, Channel, User | None, Message | None]


def conversations_statement() -> Select[Conversation, Contact, Channel, User, Message]:
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


def conversation_out(row: Any) -> ConversationOut:
    conversation, contact, channel, assignee, last = row
    return ConversationOut.model_validate(
        conversation_json(conversation, contact, channel, assignee, last)
    )


def assignee_filter(assignee: str, me: int) -> ColumnElement[bool] | None:
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
    assignee: str,
    me: int,
    channel_kind: str | None,
    before_id: int | None,
    limit: int,
) -> list[ConversationOut]:
    """Newest activity first; `before_id` continues after that conversation's position."""
    stmt = conversations_statement()
    if status != "all":
        stmt = stmt.where(Conversation.status == ConversationStatus(status))
    who = assignee_filter(assignee, me)
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
    return [conversation_out(row) for row in await session.execute(stmt)]


async def get_conversation(session: AsyncSession, conversation_id: int) -> ConversationOut | None:
    row = (
        await session.execute(conversations_statement().where(Conversation.id == conversation_id))
    ).one_or_none()
    return conversation_out(row) if row is not None else None


async def conversation_contact_id(session: AsyncSession, conversation_id: int) -> int | None:
    return (
        await session.execute(
            select(Conversation.contact_id).where(Conversation.id == conversation_id)
        )
    ).scalar_one_or_none()


async def list_messages(
    session: AsyncSession, conversation_id: int, after_id: int | None, limit: int
) -> list[MessageOut]:
    """Oldest first, from after `after_id`."""
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


async def list_leads(
    session: AsyncSession, status: LeadStatus | None, before_id: int | None, limit: int
) -> list[LeadListItem]:
    stmt = (
        select(Lead, Contact, User)
        .join(Contact, Contact.id == Lead.contact_id)
        .outerjoin(User, User.id == Lead.responsible_user_id)
        .order_by(Lead.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(Lead.status == status)
    if before_id is not None:
        stmt = stmt.where(Lead.id < before_id)
    return [
        LeadListItem.model_validate({**lead_json(lead, owner), "contact": contact_brief(contact)})
        for lead, contact, owner in await session.execute(stmt)
    ]


async def list_users(session: AsyncSession) -> list[UserRow]:
    """Every user with their count of open conversations (one grouped subquery)."""
    load = (
        select(Conversation.assignee_id, func.count().label("open_count"))
        .where(
            Conversation.status == ConversationStatus.open, Conversation.assignee_id.is_not(None)
        )
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    stmt = (
        select(User, func.coalesce(load.c.open_count, 0))
        .outerjoin(load, load.c.assignee_id == User.id)
        .order_by(User.name, User.id)
    )
    teams: dict[int, list[int]] = {}
    memberships = select(TeamMember.user_id, TeamMember.team_id).order_by(TeamMember.team_id)
    for user_id, team_id in await session.execute(memberships):
        teams.setdefault(user_id, []).append(team_id)
    return [
        UserRow(
            id=user.id,
            login=user.login,
            name=user.name,
            role=user.role,
            is_active=user.is_active,
            presence=user.presence,
            presence_at=iso(user.presence_at),
            max_conversations=user.max_conversations,
            open_conversations=int(open_count),
            locale=user.locale,
            extension=user.extension,
            skills=list(user.skills or []),
            team_ids=teams.get(user.id, []),
        )
        for user, open_count in await session.execute(stmt)
    ]
