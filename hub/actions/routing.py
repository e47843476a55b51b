"""Writing routing outcomes: offers, acceptance, timeouts, queueing, decisions with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import insert, select, update

from hub.events import (
    STAFF_ROLES,
    Audience,
    ConversationChanged,
    QueueAlert,
    conversation_audience,
)
from hub.models import AssignmentOffer, Conversation, ConversationHolding, RoutingDecision, User
from hub.queries.activities import among
from hub.queries.conversations import conversation_summaries
from hub.reasons import Reason
from hub.reasons import reason as because

from . import conversations, work_history
from .uow import UnitOfWork


async def record_decision(
    uow: UnitOfWork,
    conversation: Conversation,
    kind: str,
    reason: Reason,
    *,
    from_user_id: int | None = None,
    to_user_id: int | None = None,
    by_user_id: int | None = None,
) -> None:
    uow.session.add(
        RoutingDecision(
            conversation_id=conversation.id,
            created_at=uow.now(),
            kind=kind,
            reason=reason.text(),
            reason_parts=reason.to_json(),
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            team_id=conversation.team_id,
            by_user_id=by_user_id,
        )
    )


async def move_to_team(uow: UnitOfWork, conversation: Conversation, team_id: int) -> None:
    """Make `team_id` the conversation's team; whoever decided records why (route, transfer)."""
    conversation.team_id = team_id


async def offer(
    uow: UnitOfWork,
    conversation: Conversation,
    user: User,
    reason: Reason,
    accept_timeout_s: int | None,
    kind: str = "assigned",
    by_user_id: int | None = None,
) -> None:
    """Give the conversation to `user`; unless accepted in time it moves on (the sweeper)."""
    now = uow.now()
    previous = conversation.assignee_id
    if not work_history.never_offered(conversation):
        await conversations.release_open_offers(uow, conversation, "released")
    uow.session.add(
        AssignmentOffer(conversation_id=conversation.id, user_id=user.id, offered_at=now)
    )
    conversation.queued_at = None
    conversation.wait_alerted_at = None
    conversation.offer_expires_at = (
        now + timedelta(seconds=accept_timeout_s) if accept_timeout_s else None
    )
    user.last_assigned_at = now
    await record_decision(
        uow,
        conversation,
        kind,
        reason,
        from_user_id=previous,
        to_user_id=user.id,
        by_user_id=by_user_id,
    )
    await conversations.assign(uow, conversation, user.id, reason.text())


async def accept(uow: UnitOfWork, conversation: Conversation, user_id: int) -> bool:
    """The assignee opened or answered it: the offer stands, no timeout any more."""
    if conversation.assignee_id != user_id or conversation.offer_expires_at is None:
        return False
    await uow.session.execute(
        update(AssignmentOffer)
        .where(
            AssignmentOffer.conversation_id == conversation.id,
            AssignmentOffer.user_id == user_id,
            AssignmentOffer.accepted_at.is_(None),
            AssignmentOffer.timed_out_at.is_(None),
            AssignmentOffer.released_at.is_(None),
        )
        .values(accepted_at=uow.now())
    )
    conversation.offer_expires_at = None
    await record_decision(uow, conversation, "accepted", because("accepted"), to_user_id=user_id)
    await conversations.announce(uow, conversation, "accepted")
    return True


async def time_out(uow: UnitOfWork, conversation: Conversation) -> None:
    await conversations.release_open_offers(uow, conversation, "timed_out")
    conversation.offer_expires_at = None


async def enqueue(
    uow: UnitOfWork,
    conversation: Conversation,
    kind: str,
    reason: Reason,
    by_user_id: int | None = None,
    place: datetime | None = None,
) -> None:
    """Put it (back) in its team's queue; it keeps its place if it was already waiting,
    unless `place` (the moment to queue it at) is given."""
    await enqueue_many(uow, [(conversation, place)], kind, reason, by_user_id)


async def enqueue_many(
    uow: UnitOfWork,
    queued: Sequence[tuple[Conversation, datetime | None]],
    kind: str,
    reason: Reason,
    by_user_id: int | None = None,
) -> None:
    """`enqueue` for many conversations at once (an operator going offline hands back all
    his work): a fixed number of statements whatever their number. One by one, every
    bulk UPDATE also scanned the session's growing identity map, and 1,500 conversations
    took over ten seconds."""
    if not queued:
        return
    now = uow.now()
    ids = [conversation.id for conversation, _ in queued]
    dialect = uow.hub.db.dialect
    await conversations.release_offers_of(uow, ids, "released")
    # Open and held by nobody now: every open holding of theirs ends (`follow_holder`).
    await uow.session.execute(
        update(ConversationHolding)
        .where(
            among(ConversationHolding.conversation_id, ids, dialect),
            ConversationHolding.ended_at.is_(None),
        )
        .values(ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
    previous: dict[int, int | None] = {}
    for conversation, place in queued:
        previous[conversation.id] = conversation.assignee_id
        conversation.assignee_id = None
        conversation.offer_expires_at = None
        if place is not None:
            conversation.queued_at = place
        elif conversation.queued_at is None:
            conversation.queued_at = now
    connection = await uow.session.connection()
    await connection.execute(
        insert(RoutingDecision),
        [
            {
                "conversation_id": conversation.id,
                "created_at": now,
                "kind": kind,
                "reason": reason.text(),
                "reason_parts": reason.to_json(),
                "from_user_id": previous[conversation.id],
                "to_user_id": None,
                "team_id": conversation.team_id,
                "by_user_id": by_user_id,
            }
            for conversation, _ in queued
        ],
    )
    await uow.session.flush()
    summaries = {
        cast(int, summary["id"]): summary
        for _, summary in await conversation_summaries(uow.session, ids, dialect)
    }
    for conversation_id in ids:
        uow.emit(
            ConversationChanged(
                audience=conversation_audience(None, previous[conversation_id]),
                conversation=summaries[conversation_id],
                change="queued",
                reason=reason.text(),
            )
        )


async def alert_waiting(uow: UnitOfWork, conversation: Conversation, waited_s: int) -> None:
    conversation.wait_alerted_at = uow.now()
    await record_decision(uow, conversation, "alerted", because("queue_alert", seconds=waited_s))
    uow.emit(
        QueueAlert(
            audience=Audience(roles=STAFF_ROLES),
            conversation_id=conversation.id,
            team_id=conversation.team_id,
            waited_s=waited_s,
        )
    )


async def timed_out_user_ids(uow: UnitOfWork, conversation_id: int) -> set[int]:
    """Operators who already let this conversation time out: not offered it again."""
    rows = await uow.session.execute(
        select(AssignmentOffer.user_id).where(
            AssignmentOffer.conversation_id == conversation_id,
            AssignmentOffer.timed_out_at.is_not(None),
        )
    )
    return set(rows.scalars())
