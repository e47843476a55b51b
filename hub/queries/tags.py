"""Tags: the names on a page of conversations (one query), and every tag with how many open
conversations carry it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Conversation, ConversationStatus, ConversationTag, Tag


async def tags_of(session: AsyncSession, conversation_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(conversation_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ConversationTag.conversation_id, Tag.name)
        .join(Tag, Tag.id == ConversationTag.tag_id)
        .where(ConversationTag.conversation_id.in_(ids))
        .order_by(Tag.name_key)
    )
    found: dict[int, list[str]] = {}
    for conversation_id, name in rows:
        found.setdefault(conversation_id, []).append(name)
    return found


async def list_tags(session: AsyncSession) -> list[tuple[Tag, int]]:
    open_count = (
        select(ConversationTag.tag_id, func.count().label("n"))
        .join(Conversation, Conversation.id == ConversationTag.conversation_id)
        .where(Conversation.status == ConversationStatus.open)
        .group_by(ConversationTag.tag_id)
        .subquery()
    )
    rows = await session.execute(
        select(Tag, func.coalesce(open_count.c.n, 0))
        .outerjoin(open_count, open_count.c.tag_id == Tag.id)
        .order_by(Tag.name_key)
    )
    return [(tag, int(n)) for tag, n in rows]
