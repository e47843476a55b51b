"""SLA breaches: the time-based check that records each clock that ran out, once.

`record_breaches` is called by the robots' scheduler tick (under its lease) with the system
as actor. Per enabled policy and measure, one statement finds the open conversations that
policy holds whose clock ran out and that have no breach for that episode yet; each becomes a
`sla_breaches` row and an `SlaBreached` event in the same transaction, so a report's count
and what robots and people heard never disagree. The unique (conversation, measure, episode)
key keeps a breach from being written twice, whoever checks.

A clock can also stop late between two ticks (answered or closed after its due instant): the
first response and resolution clocks that stopped within `LOOKBACK` are checked too, from the
stored first customer message, answer and close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select

from hub.core import Hub
from hub.events import SlaBreached, conversation_audience
from hub.models import Conversation, ConversationStatus, Direction, Message, SlaBreach
from hub.policy import Actor, Forbidden, is_supervisor
from hub.queries.sla import MEASURES, Policy, Setup, anchor, load_setup, running

from .uow import UnitOfWork, unit_of_work

# Breaches written per transaction at most; the rest are found by the next tick.
BATCH = 2000
# How far back a clock that stopped late is looked for (many ticks, so a scheduler that
# paused or changed hands still finds them).
LOOKBACK = timedelta(minutes=30)


def _recorded(measure: str, started: Any) -> Any:
    return exists(
        select(SlaBreach.id).where(
            SlaBreach.conversation_id == Conversation.id,
            SlaBreach.measure == measure,
            SlaBreach.episode_at == started,
        )
    )


async def _write(
    uow: UnitOfWork, policy: Policy, measure: str, row: Any, due: datetime, now: datetime
) -> None:
    seconds = policy.targets[measure]
    breach = SlaBreach(
        conversation_id=row.id,
        policy_id=policy.id,
        measure=measure,
        episode_at=row.started,
        target_s=seconds,
        working_time=policy.working_time,
        due_at=due,
        detected_at=now,
        team_id=row.team_id,
        channel_id=row.channel_id,
    )
    uow.session.add(breach)
    await uow.session.flush()
    uow.emit(
        SlaBreached(
            audience=conversation_audience(row.assignee_id),
            conversation_id=row.id,
            breach_id=breach.id,
            measure=measure,
            policy_id=policy.id,
            target_s=seconds,
            due_at=due.isoformat(),
            team_id=row.team_id,
            channel_id=row.channel_id,
        )
    )


def _columns(started: Any) -> tuple[Any, ...]:
    return (
        Conversation.id,
        started.label("started"),
        Conversation.team_id,
        Conversation.channel_id,
        Conversation.assignee_id,
    )


async def _running_out(uow: UnitOfWork, setup: Setup, now: datetime, room: int) -> int:
    """Clocks still running past their due instant."""
    written = 0
    for policy in setup.policies:
        for measure in MEASURES:
            seconds = policy.targets.get(measure)
            if seconds is None or written >= room:
                continue
            started = anchor(measure)
            stmt = (
                select(*_columns(started))
                .where(
                    running(measure),
                    setup.holds(policy),
                    setup.ran_out(policy, started, seconds, now),
                    ~_recorded(measure, started),
                )
                .order_by(Conversation.id)
                .limit(room - written)
            )
            for row in (await uow.session.execute(stmt)).all():
                due = setup.due_at(policy, row.team_id, row.started, seconds) or now
                await _write(uow, policy, measure, row, due, now)
                written += 1
    return written


async def _stopped_late(uow: UnitOfWork, setup: Setup, now: datetime, room: int) -> int:
    """First responses and closes of the last LOOKBACK that came after their due instant."""
    since = now - LOOKBACK
    first_in = (
        select(func.min(Message.created_at))
        .where(Message.conversation_id == Conversation.id, Message.direction == Direction.inbound)
        .correlate(Conversation)
        .scalar_subquery()
    )
    stopped = {
        "first_response": (
            first_in,
            Conversation.first_response_at,
            Conversation.first_response_at >= since,
        ),
        "resolution": (
            Conversation.created_at,
            Conversation.closed_at,
            and_(Conversation.status == ConversationStatus.closed, Conversation.closed_at >= since),
        ),
    }
    written = 0
    for policy in setup.policies:
        for measure, (started, ended, recent) in stopped.items():
            seconds = policy.targets.get(measure)
            if seconds is None or written >= room:
                continue
            stmt = (
                select(*_columns(started), ended.label("ended"))
                .where(recent, setup.holds(policy), ~_recorded(measure, started))
                .order_by(Conversation.id)
            )
            for row in (await uow.session.execute(stmt)).all():
                if row.started is None or written >= room:
                    continue
                due = setup.due_at(policy, row.team_id, row.started, seconds)
                if due is not None and row.ended > due:
                    await _write(uow, policy, measure, row, due, now)
                    written += 1
    return written


async def record_breaches(hub: Hub, actor: Actor) -> int:
    """Record the clocks that ran out since the last check; returns how many."""
    if not is_supervisor(actor):  # the system and robots only: nobody breaches by hand
        raise Forbidden("forbidden", "Only the system records SLA breaches.")
    async with unit_of_work(hub) as uow:
        setup = await load_setup(uow.session)
        if not setup.policies:
            return 0
        now = uow.now()
        written = await _running_out(uow, setup, now, BATCH)
        written += await _stopped_late(uow, setup, now, BATCH - written)
    return written
