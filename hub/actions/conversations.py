"""Opening, assigning, closing and reopening conversations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from hub.events import ALL_ROLES, Audience, ConversationChanged, conversation_audience
from hub.models import (
    AssignmentOffer,
    Channel,
    Conversation,
    ConversationStatus,
    Identity,
)
from hub.policy import NotFound
from hub.queries import conversation_summary
from hub.queries.activities import among

from . import work_history
from .uow import UnitOfWork

if TYPE_CHECKING:
    from .contacts import NormalisedIdentity


async def summary(uow: UnitOfWork, conversation: Conversation) -> dict[str, object]:
    """The conversation as events carry it (the read model's one shape)."""
    return await conversation_summary(uow.session, conversation)


async def announce(
    uow: UnitOfWork,
    conversation: Conversation,
    change: str,
    reason: str = "",
    audience: Audience | None = None,
) -> None:
    await uow.session.flush()
    uow.emit(
        ConversationChanged(
            audience=audience or conversation_audience(conversation.assignee_id),
            conversation=await summary(uow, conversation),
            change=change,
            reason=reason,
        )
    )


async def open_conversation(
    uow: UnitOfWork,
    contact_id: int,
    channel: Channel,
    subject: str,
    lead_id: int | None,
    weight: float = 1.0,
) -> Conversation:
    now = uow.now()
    conversation = Conversation(
        contact_id=contact_id,
        channel_id=channel.id,
        team_id=channel.team_id,
        required_skill=channel.required_skill,
        weight=weight,
        lead_id=lead_id,
        subject=subject[:500],
        status=ConversationStatus.open,
        created_at=now,
        last_message_at=now,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    uow.opened.add(conversation.id)
    return conversation


async def reopen(uow: UnitOfWork, conversation: Conversation) -> None:
    conversation.status = ConversationStatus.open
    conversation.closed_at = None
    await work_history.follow_holder(uow, conversation)


async def assign(
    uow: UnitOfWork, conversation: Conversation, user_id: int | None, reason: str
) -> None:
    previous = conversation.assignee_id
    never_held = work_history.never_offered(conversation)
    conversation.assignee_id = user_id
    if user_id is not None and conversation.first_assigned_at is None:
        conversation.first_assigned_at = uow.now()
    await work_history.follow_holder(uow, conversation, never_held=never_held)
    audience = conversation_audience(user_id, previous)
    if previous is None:
        # It leaves the shared queue every operator was shown.
        audience = Audience(users=audience.users, roles=ALL_ROLES)
    await announce(uow, conversation, "assigned", reason, audience)


async def release_open_offers(uow: UnitOfWork, conversation: Conversation, outcome: str) -> None:
    """End the pending offer, if any, as timed out or released (transfer, close, offline)."""
    await release_offers_of(uow, [conversation.id], outcome)


async def release_offers_of(uow: UnitOfWork, ids: Sequence[int], outcome: str) -> None:
    """`release_open_offers` for these conversations, in one statement. The session's copies
    are matched by the ids the UPDATE returns ("fetch"), not by scanning every object it
    holds: a transaction that hands back hundreds holds hundreds."""
    column = "timed_out_at" if outcome == "timed_out" else "released_at"
    await uow.session.execute(
        update(AssignmentOffer)
        .where(
            among(AssignmentOffer.conversation_id, ids, uow.hub.db.dialect),
            AssignmentOffer.accepted_at.is_(None),
            AssignmentOffer.timed_out_at.is_(None),
            AssignmentOffer.released_at.is_(None),
        )
        .values({column: uow.now()})
        .execution_options(synchronize_session="fetch")
    )


async def close(uow: UnitOfWork, conversation: Conversation) -> None:
    await release_open_offers(uow, conversation, "released")
    conversation.status = ConversationStatus.closed
    conversation.closed_at = uow.now()
    conversation.waiting_since = None
    conversation.queued_at = None
    conversation.offer_expires_at = None
    await work_history.follow_holder(uow, conversation)
    await announce(uow, conversation, "closed")


async def wake(uow: UnitOfWork, conversation: Conversation) -> None:
    """A snoozed conversation is back in its operator's «Мои» (conversation_marks.py)."""
    conversation.snoozed, conversation.snoozed_until = False, None
    await announce(uow, conversation, "woken")


async def get_for_update(uow: UnitOfWork, conversation_id: int) -> Conversation | None:
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    return (await uow.session.execute(stmt)).scalar_one_or_none()


def no_such_conversation(conversation_id: int) -> NotFound:
    return NotFound(
        "no-such-conversation",
        "There is no such conversation.",
        {"conversation_id": conversation_id},
    )


async def locked(uow: UnitOfWork, conversation_id: int) -> Conversation:
    """The conversation, locked for this unit of work: two people acting on it at once are
    serialised, and the second sees what the first did (and may then be refused)."""
    conversation = await get_for_update(uow, conversation_id)
    if conversation is None:
        raise no_such_conversation(conversation_id)
    return conversation


_sender_conversations = aliased(Conversation, name="latest")
# The sender's latest conversation on the channel, by the owner of his one identity (unique
# kind + value, so one owner): what `_latest` finds, without a statement for the contact.
LATEST_BY_IDENTITY = (
    select(_sender_conversations.id)
    .join(Identity, Identity.contact_id == _sender_conversations.contact_id)
    .where(
        Identity.kind == bindparam("sender_kind"),
        Identity.value == bindparam("sender_value"),
        _sender_conversations.channel_id == bindparam("on_channel"),
    )
    .order_by(_sender_conversations.id.desc())
    .limit(1)
    .scalar_subquery()
)
# Built once with plain bind parameters, so SQLAlchemy compiles it once.
_TOUCH_OPEN = (
    update(Conversation)
    .where(
        Conversation.id == LATEST_BY_IDENTITY,
        Conversation.status == ConversationStatus.open,
    )
    .values(
        last_message_at=bindparam("written_at"),
        waiting_since=func.coalesce(Conversation.waiting_since, bindparam("written_at")),
    )
    .returning(Conversation)
)


async def touch_open(
    uow: UnitOfWork, sender: NormalisedIdentity, channel_id: int, now: datetime
) -> Conversation | None:
    """The hot path of a chat: the sender's conversation on this channel when his latest one
    is open, found by his only identity and written to in the same statement (the client
    wrote at `now`: `last_message_at`, and `waiting_since` unless he waits already). None
    when he has none open (or is unknown): nothing was written, `conversation_for` decides.

    On PostgreSQL the row stays locked to the end of the transaction, so two messages of
    one conversation are stored in the order they got here."""
    params = {
        "sender_kind": sender.kind.value,
        "sender_value": sender.value,
        "on_channel": channel_id,
        "written_at": now,
    }
    result = await uow.session.execute(_TOUCH_OPEN, params)
    conversation: Conversation | None = result.scalar_one_or_none()
    return conversation
