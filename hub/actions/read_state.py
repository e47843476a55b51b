"""Read state of a conversation: how far each side has seen the other's messages.

Markers are message ids and only move forward, so a late or replayed "read" from a second
tab or a reconnecting socket never un-reads anything. Each move is a logged event
(`conversation.read`) the workspace and the visitor's widget both follow.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select

from hub.core import Hub
from hub.events import ConversationRead, conversation_audience
from hub.models import Conversation, Direction, Message

from .conversations import get_for_update
from .uow import UnitOfWork, unit_of_work

Reader = Literal["client", "agent"]
# What each side reads: the client reads our replies, the agents read the client's messages.
_READS = {"client": Direction.outbound, "agent": Direction.inbound}


async def mark_read(hub: Hub, conversation_id: int, by: Reader, up_to: int) -> int | None:
    """Move `by`'s marker to the newest message of the other side at or below `up_to`.

    Returns the new marker, or None when it did not move (nothing new, unknown ids, or an
    older position than the one stored).
    """
    async with unit_of_work(hub) as uow:
        conversation = await get_for_update(uow, conversation_id)
        if conversation is None:
            return None
        return await advance(uow, conversation, by, up_to)


async def advance(
    uow: UnitOfWork, conversation: Conversation, by: Reader, up_to: int
) -> int | None:
    """`mark_read` on a conversation already locked by the caller's unit of work."""
    newest = (
        await uow.session.execute(
            select(func.max(Message.id)).where(
                Message.conversation_id == conversation.id,
                Message.direction == _READS[by],
                Message.id <= up_to,
            )
        )
    ).scalar_one_or_none()
    current = _marker(conversation, by)
    if newest is None or (current is not None and newest <= current):
        return None
    if by == "client":
        conversation.client_read_up_to = newest
    else:
        conversation.agent_read_up_to = newest
    uow.emit(
        ConversationRead(
            audience=conversation_audience(conversation.assignee_id),
            conversation_id=conversation.id,
            by=by,
            up_to=newest,
        )
    )
    return int(newest)


def _marker(conversation: Conversation, by: Reader) -> int | None:
    return conversation.client_read_up_to if by == "client" else conversation.agent_read_up_to
