"""Keeping the work history as it happens: a person's presence intervals and who holds each
open conversation. Reports (occupancy, answers per hour: hub/queries/metrics_managers.py)
read them afterwards; the users and conversations rows only know the present."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from hub.models import (
    Conversation,
    ConversationHolding,
    ConversationStatus,
    Presence,
    PresenceInterval,
)

from .uow import UnitOfWork


async def presence_changed(uow: UnitOfWork, user_id: int, presence: Presence) -> None:
    """End the person's current presence interval now and open one for `presence`."""
    now = uow.now()
    await uow.session.execute(
        update(PresenceInterval)
        .where(PresenceInterval.user_id == user_id, PresenceInterval.ended_at.is_(None))
        .values(ended_at=now)
    )
    uow.session.add(PresenceInterval(user_id=user_id, presence=presence, started_at=now))


def never_offered(conversation: Conversation) -> bool:
    """Whether the conversation has never been offered to anyone, so has no offer and no
    holding to read or end. Every assignment sets `first_assigned_at` (`conversations.assign`,
    the queue drain's batch) and nothing clears it: while it is None, neither table holds a
    row of it. A new request's routing skips those reads on the strength of it (issue #16's
    hot path: three statements of a new request's two dozen)."""
    return conversation.first_assigned_at is None


async def follow_holder(
    uow: UnitOfWork, conversation: Conversation, *, never_held: bool = False
) -> None:
    """Make the stored holdings agree with the conversation as it is now: the open holding
    belongs to its assignee while it is open; any other is ended at this moment. Called after
    every change of holder or status (assign, queue, close, reopen); idempotent.
    `never_held`: the caller knows it had no holding before (`never_offered`)."""
    now = uow.now()
    holder = conversation.assignee_id
    if conversation.status is not ConversationStatus.open:
        holder = None
    current: Iterable[ConversationHolding] = ()
    if not never_held:
        current = (
            await uow.session.execute(
                select(ConversationHolding).where(
                    ConversationHolding.conversation_id == conversation.id,
                    ConversationHolding.ended_at.is_(None),
                )
            )
        ).scalars()
    kept = False
    for holding in current:
        if holding.user_id == holder and not kept:
            kept = True
        else:
            holding.ended_at = now
    if holder is not None and not kept:
        uow.session.add(
            ConversationHolding(
                conversation_id=conversation.id,
                user_id=holder,
                weight=conversation.weight,
                started_at=now,
            )
        )
