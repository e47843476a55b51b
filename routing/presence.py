"""Presence and its routing consequences: who can take work, and what happens when they leave."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from hub.actions import presence as presence_actions
from hub.actions import routing as routing_actions
from hub.actions import users
from hub.actions.uow import UnitOfWork, unit_of_work
from hub.core import Hub
from hub.models import Conversation, ConversationStatus, Presence, User
from hub.reasons import reason as because


async def change(hub: Hub, user_id: int, presence: Presence, silent: bool = False) -> bool:
    """Set an operator's presence; leaving returns their unanswered work to the queue.

    Returns True when presence changed. The caller (the sweeper, or the websocket layer)
    then drains the queue so returned and waiting work is offered to whoever is free.
    """
    async with unit_of_work(hub) as uow:
        changed = await users.set_presence(uow, user_id, presence)
        if changed and presence is Presence.offline:
            user = await uow.session.get_one(User, user_id)
            why = because("went_silent" if silent else "went_offline", name=user.name)
            # Back in the queue, each at the place its client started waiting.
            returned = [
                (conversation, conversation.waiting_since or uow.now())
                for conversation in await _unanswered(uow, user_id)
            ]
            await routing_actions.enqueue_many(uow, returned, "returned", why)
    return changed


async def _unanswered(uow: UnitOfWork, user_id: int) -> list[Conversation]:
    """The operator's open work still offered to them or waiting for their reply."""
    return list(
        (
            await uow.session.execute(
                select(Conversation)
                .where(
                    Conversation.assignee_id == user_id,
                    Conversation.status == ConversationStatus.open,
                    or_(
                        Conversation.offer_expires_at.is_not(None),
                        Conversation.waiting_since.is_not(None),
                    ),
                )
                .order_by(Conversation.id)
            )
        ).scalars()
    )


async def heartbeat(hub: Hub, user_id: int) -> None:
    """The operator's browser is alive: keep presence_at fresh (no event)."""
    async with unit_of_work(hub) as uow:
        await presence_actions.heartbeat(uow, user_id)


async def expire_silent(hub: Hub) -> list[int]:
    """Take offline everyone whose browser stopped sending heartbeats."""
    cutoff = hub.clock() - timedelta(seconds=hub.settings.presence_timeout_s)
    async with hub.db.sessions() as session:
        silent = list(
            (
                await session.execute(
                    select(User.id).where(
                        User.presence != Presence.offline,
                        or_(User.presence_at.is_(None), User.presence_at < cutoff),
                    )
                )
            ).scalars()
        )
    for user_id in silent:
        await change(hub, user_id, Presence.offline, silent=True)
    return silent
