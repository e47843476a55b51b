"""SLA breaches: the time-based check that records each clock that ran out, once.

`record_breaches` is called by the robots' scheduler tick (under its lease) with the system
as actor. Per enabled policy and measure, one statement finds the open conversations that
policy holds whose clock ran out and that have no breach for that episode yet; each becomes a
`sla_breaches` row and an `SlaBreached` event in the same transaction, so a report's count
and what robots and people heard never disagree. The unique (conversation, measure, episode)
key keeps a breach from being written twice, whoever checks.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from hub.core import Hub
from hub.events import SlaBreached, conversation_audience
from hub.models import Conversation, SlaBreach
from hub.policy import Actor, Forbidden, is_supervisor
from hub.queries.sla import MEASURES, anchor, load_setup, running

from .uow import unit_of_work

# Breaches written per transaction at most; the rest are found by the next tick.
BATCH = 2000


async def record_breaches(hub: Hub, actor: Actor) -> int:
    """Record the clocks that ran out since the last check; returns how many."""
    if not is_supervisor(actor):  # the system and robots only: nobody breaches by hand
        raise Forbidden("forbidden", "Only the system records SLA breaches.")
    async with unit_of_work(hub) as uow:
        session = uow.session
        setup = await load_setup(session)
        now = uow.now()
        written = 0
        for policy in setup.policies:
            for measure in MEASURES:
                seconds = policy.targets.get(measure)
                if seconds is None or written >= BATCH:
                    continue
                started = anchor(measure)
                recorded = exists(
                    select(SlaBreach.id).where(
                        SlaBreach.conversation_id == Conversation.id,
                        SlaBreach.measure == measure,
                        SlaBreach.episode_at == started,
                    )
                )
                stmt = (
                    select(
                        Conversation.id,
                        started.label("started"),
                        Conversation.team_id,
                        Conversation.channel_id,
                        Conversation.assignee_id,
                    )
                    .where(
                        running(measure),
                        setup.holds(policy),
                        setup.ran_out(policy, started, seconds, now),
                        ~recorded,
                    )
                    .order_by(Conversation.id)
                    .limit(BATCH - written)
                )
                for row in (await session.execute(stmt)).all():
                    due = setup.due_at(policy, row.team_id, row.started, seconds) or now
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
                    session.add(breach)
                    await session.flush()
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
                    written += 1
    return written
