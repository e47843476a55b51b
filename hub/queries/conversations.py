"""Conversations as the API lists them and as events carry them: one joined query each.

No per-row look-ups: a page of 50 conversations (with contact, channel, assignee and last
message) costs the same single query as a page of 5, and the summary an event carries is
one query too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import (
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    ConversationTag,
    Message,
    Tag,
    User,
)
from hub.models.crm import search_key
from hub.serialize import conversation_json

from .activities import among_bound
from .flags import open_flags
from .shapes import ConversationOut
from .tags import tags_of

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


def _out(
    row: Any, flags: list[dict[str, Any]] | None = None, tags: list[str] | None = None
) -> ConversationOut:
    return ConversationOut.model_validate(
        {**conversation_json(*row), "flags": flags or [], "tags": tags or []}
    )


async def _outs(session: AsyncSession, rows: list[Any]) -> list[ConversationOut]:
    """The conversations with their robots' flags and their tags: one more query each for
    the whole page."""
    ids = [row[0].id for row in rows]
    flags = await open_flags(session, "conversation", ids)
    tags = await tags_of(session, ids)
    return [_out(row, flags.get(row[0].id), tags.get(row[0].id)) for row in rows]


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


def narrowing(
    tag: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """The list's filters beyond a view and a channel: a tag (a name, any case) and the
    period of the last activity [since, until). The views' counts apply the same ones, so a
    tab's count is what the filtered tab shows."""
    where: list[ColumnElement[bool]] = []
    if tag is not None:
        tagged = (
            select(ConversationTag.conversation_id)
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(Tag.name_key == search_key(tag))
        )
        where.append(Conversation.id.in_(tagged))
    if since is not None:
        where.append(Conversation.last_message_at >= since)
    if until is not None:
        where.append(Conversation.last_message_at < until)
    return where


async def list_conversations(
    session: AsyncSession,
    *,
    status: Literal["open", "closed", "all"],
    assignee: AssigneeFilter,
    me: int,
    channel_kind: str | None,
    before_id: int | None,
    limit: int,
    where: ColumnElement[bool] | None = None,
    tag: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ConversationOut]:
    """Newest activity first; `before_id` continues after that conversation's position.
    `where` narrows further (a workspace view); `tag` (a name, any case) and the period of
    the last activity [since, until) too."""
    stmt = _statement()
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.where(*narrowing(tag, since, until))
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
    return await _outs(session, list((await session.execute(stmt)).all()))


async def get_conversation(session: AsyncSession, conversation_id: int) -> ConversationOut | None:
    row = (
        await session.execute(_statement().where(Conversation.id == conversation_id))
    ).one_or_none()
    return (await _outs(session, [row]))[0] if row is not None else None


async def conversation_summary(
    session: AsyncSession, conversation: Conversation
) -> dict[str, object]:
    """The conversation as events carry it (the JSON of a `ConversationOut`), as flushed.

    One query for its contact, channel, assignee and last message, the conversation itself
    taken as loaded, since this runs on every routing step; one more (by index) for the
    robots' flags standing on it. A plain dict rather than the
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
    flags = await open_flags(session, "conversation", [conversation.id])
    tags = await tags_of(session, [conversation.id])
    return {
        **conversation_json(conversation, contact, channel, assignee, last),
        "flags": flags.get(conversation.id, []),
        "tags": tags.get(conversation.id, []),
    }


async def conversation_contact_id(session: AsyncSession, conversation_id: int) -> int | None:
    return (
        await session.execute(
            select(Conversation.contact_id).where(Conversation.id == conversation_id)
        )
    ).scalar_one_or_none()


@cache
def _summaries_of(dialect: str) -> Select[Conversation, Contact, Channel, User, Message]:
    """The rows of `conversation_summaries`, built once: every routed message reads them."""
    return (
        _statement().where(among_bound(Conversation.id, "ids", dialect)).order_by(Conversation.id)
    )


async def conversation_summaries(
    session: AsyncSession, ids: Sequence[int], dialect: str
) -> list[tuple[int | None, dict[str, object]]]:
    """`conversation_summary` of many conversations at once (their assignee id with each):
    one query for the rows, one for their flags and one for their tags, whatever their
    number."""
    rows = list((await session.execute(_summaries_of(dialect), {"ids": list(ids)})).all())
    found = [row[0].id for row in rows]
    flags = await open_flags(session, "conversation", found)
    tags = await tags_of(session, found)
    return [
        (
            row[0].assignee_id,
            {
                **conversation_json(*row),
                "flags": flags.get(row[0].id, []),
                "tags": tags.get(row[0].id, []),
            },
        )
        for row in rows
    ]
