"""Assignment, first version: the least-loaded operator who is online and has room.

The full chain (responsible manager, team strategies, timeouts, queue) is its own issue.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hub.actions import conversations
from hub.actions.uow import UnitOfWork
from hub.models import Conversation, ConversationStatus, Presence, Role, User


async def pick_operator(uow: UnitOfWork) -> tuple[int, str] | None:
    """(user id, reason) of the online operator with the fewest open conversations."""
    load = (
        select(Conversation.assignee_id, func.count().label("open_count"))
        .where(
            Conversation.status == ConversationStatus.open, Conversation.assignee_id.is_not(None)
        )
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    open_count = func.coalesce(load.c.open_count, 0)
    stmt = (
        select(User.id, User.name, open_count)
        .outerjoin(load, load.c.assignee_id == User.id)
        .where(
            User.role == Role.operator,
            User.is_active,
            User.presence == Presence.online,
            open_count < User.max_conversations,
        )
        .order_by(open_count, User.presence_at, User.id)
        .limit(1)
    )
    row = (await uow.session.execute(stmt)).first()
    if row is None:
        return None
    return row[0], f"least-busy online operator ({row[2]} open)"


async def assign_if_possible(uow: UnitOfWork, conversation: Conversation) -> bool:
    choice = await pick_operator(uow)
    if choice is None:
        await conversations.announce(uow, conversation, "queued", "no operator online with room")
        return False
    user_id, reason = choice
    await conversations.assign(uow, conversation, user_id, reason)
    return True
