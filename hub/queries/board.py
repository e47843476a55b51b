"""The supervisor's live board: the queue now, today's response times, conversations past or
near their wait target, the operators in rotation with their load, and today's lost calls.

A handful of set-based queries per refresh, whatever the number of operators: the queue,
the waiting conversations with their SLA or team target, the rotation with its load (one grouped
query over open conversations), last replies (one grouped query over today's messages), and
today's figures from the report modules (docs/metrics.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Call,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    Presence,
    Role,
    Team,
    TeamMember,
    User,
)

from .metric_reads import FactFilter
from .metric_rollups import bin_stats, day_sums, merged, rollup_days
from .metric_sources import CALL_KINDS, CONVERSATION_KINDS
from .metrics_calls import (
    CallSettings,
    call_figures_of,
    call_report,
    call_stats_bucket,
    thresholds,
)
from .metrics_common import DEFAULT_TZ, Period, period_of
from .metrics_conversations import Filters, conversation_report, figures_of, stats_bucket
from .shapes import Shape, Timestamp
from .sla import load_setup

# A conversation whose wait reached this share of its target is "about to breach".
SOON_SHARE = 0.8
# The target of conversations outside any team: the teams' default queue wait limit.
DEFAULT_TARGET_S = 300


class QueueNow(Shape):
    length: int
    longest_since: Timestamp | None


class ResponsesToday(Shape):
    requests: int
    handled: int
    frt_p50: float | None
    frt_p90: float | None
    frt_work_p50: float | None
    frt_work_p90: float | None


class WaitTarget(Shape):
    conversation_id: int
    waiting_since: Timestamp
    target_s: int
    breached: bool
    # When the target runs out (working time skips the closed hours).
    due_at: Timestamp | None = None


class OperatorNow(Shape):
    id: int
    name: str
    presence: Presence
    on_call: bool
    conversations: int
    load: float
    max_conversations: int
    last_reply_at: Timestamp | None
    # Holding nothing since (the later of the last reply and the last assignment).
    idle_since: Timestamp | None


class CallsToday(Shape):
    calls: int
    missed: int
    abandoned: int
    called_back: int


class BoardOut(Shape):
    at: Timestamp
    queue: QueueNow
    responses_today: ResponsesToday
    waits: list[WaitTarget]
    operators: list[OperatorNow]
    # Online operators in rotation: what they may hold, and what they hold.
    capacity: int
    load: float
    calls_today: CallsToday


def _scope(team_id: int | None, channel_id: int | None) -> list[ColumnElement[bool]]:
    where = [Conversation.status == ConversationStatus.open]
    if team_id is not None:
        where.append(Conversation.team_id == team_id)
    if channel_id is not None:
        where.append(Conversation.channel_id == channel_id)
    return where


async def _queue(session: AsyncSession, where: list[ColumnElement[bool]]) -> QueueNow:
    stmt = select(func.count(), func.min(Conversation.queued_at)).where(
        *where, Conversation.queued_at.is_not(None), Conversation.assignee_id.is_(None)
    )
    count, since = (await session.execute(stmt)).one()
    return QueueNow(length=count, longest_since=since.isoformat() if since else None)


async def _waits(
    session: AsyncSession, where: list[ColumnElement[bool]], now: datetime
) -> list[WaitTarget]:
    """Waiting conversations at or past SOON_SHARE of their target, longest first. The
    target is the response target (first or next) of the SLA policy holding the
    conversation, in its working or calendar time (hub.queries.sla); where none sets one,
    the team's wait limit in calendar time."""
    setup = await load_setup(session)
    stmt = (
        select(
            Conversation.id,
            Conversation.waiting_since,
            Conversation.first_response_at,
            Conversation.team_id,
            Conversation.channel_id,
            Team.wait_limit_s,
        )
        .outerjoin(Team, Team.id == Conversation.team_id)
        .where(*where, Conversation.waiting_since.is_not(None))
        .order_by(Conversation.waiting_since, Conversation.id)
    )
    found = []
    for conversation_id, since, answered, team_id, channel_id, limit in (
        await session.execute(stmt)
    ).all():
        assert since is not None  # the query's own condition
        policy = setup.policy_for(team_id, channel_id)
        measure = "first_response" if answered is None else "next_response"
        target = policy.targets.get(measure) if policy is not None else None
        if policy is not None and target is not None:
            due = setup.due_at(policy, team_id, since, target)
            soon = setup.due_at(policy, team_id, since, SOON_SHARE * target)
        else:
            target = limit or DEFAULT_TARGET_S
            due = since + timedelta(seconds=target)
            soon = since + timedelta(seconds=SOON_SHARE * target)
        if soon is not None and now >= soon:
            found.append(
                WaitTarget(
                    conversation_id=conversation_id,
                    waiting_since=since.isoformat(),
                    target_s=target,
                    breached=due is not None and now >= due,
                    due_at=due.isoformat() if due else None,
                )
            )
    return found


async def _operators(
    session: AsyncSession, team_id: int | None, day_start: datetime
) -> list[OperatorNow]:
    """The people routing gives work to (routing.assignment.candidates): active operators,
    of the team when one is chosen. Supervisors and admins take no routed work, so they are
    no capacity. On a call: the flag, or a live answered call of theirs (one probe of the
    live calls' index per person, in the same statement)."""
    rotation = [User.is_active.is_(True), User.role == Role.operator]
    if team_id is not None:
        rotation.append(
            User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id == team_id))
        )
    held = (
        select(
            Conversation.assignee_id.label("user_id"),
            func.count().label("count"),
            func.sum(Conversation.weight).label("load"),
        )
        # Spelt as a literal, not a parameter: a prepared statement's generic plan could not
        # prove the partial index's `status = 'open'` and would read every conversation.
        .where(Conversation.status == literal_column("'open'"))
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    # Per person, one backward step of their replies' index (not a pass over the day's
    # messages of everyone).
    replied = (
        select(func.max(Message.created_at))
        .where(
            Message.author_user_id == User.id,
            Message.author_user_id.is_not(None),
            Message.direction == Direction.outbound,
            Message.created_at >= day_start,
        )
        .scalar_subquery()
    )
    talking = (
        select(Call.id)
        .where(
            Call.answered_by_user_id == User.id,
            Call.answered_at.is_not(None),
            Call.ended_at.is_(None),
            # Handed on (transferred): the operator who answered has left it.
            Call.transferred_to.is_(None),
        )
        .exists()
    )
    stmt = (
        select(
            User.id, User.name, User.presence, or_(User.on_call, talking),
            User.max_conversations, User.last_assigned_at, func.coalesce(held.c.count, 0),
            func.coalesce(held.c.load, 0.0), replied,
        )
        .outerjoin(held, held.c.user_id == User.id)
        .where(*rotation)
        .order_by(User.name, User.id)
    )  # fmt: skip
    found = []
    for row in (await session.execute(stmt)).all():
        user_id, name, presence, on_call, most, assigned, count, load, replied = row
        moments = [m for m in (replied, assigned) if m is not None]
        idle = max(moments) if count == 0 and moments else None
        found.append(
            OperatorNow(
                id=user_id,
                name=name,
                presence=presence,
                on_call=bool(on_call),
                conversations=count,
                load=float(load),
                max_conversations=most,
                last_reply_at=replied.isoformat() if replied else None,
                idle_since=idle.isoformat() if idle else None,
            )
        )
    return found


async def _today(
    session: AsyncSession, today: Period, team_id: int | None, channel_id: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Today's conversation and call figures, as the two reports' totals give them. Over a
    roll-up day (the default zone) both come from two statements: the day's roll-ups of
    every kind at once, and the histograms of the only kinds the board ranks (first
    responses, and the lost calls' call-back times); no SLA breach figure. In another zone,
    the reports themselves (from the facts)."""
    filters, settings = Filters(team_id, channel_id), CallSettings(team_id, channel_id)
    days = rollup_days(today)
    if days is None:
        conversations = await conversation_report(
            session, today, "none", filters, ranked=("frt",), with_breaches=False
        )
        lost = await call_report(session, today, "none", settings, ranked=("lost",))
        return figures_of(conversations.total), call_figures_of(lost.total)
    chosen = FactFilter(team_id, channel_id)
    sums = await day_sums(session, days, (*CONVERSATION_KINDS, *CALL_KINDS), chosen, "none")
    _, ranks = await bin_stats(
        session, days, ("frt", "lost"), chosen, "none", True, thresholds(settings)
    )
    of_conversations = {k: v for k, v in sums.total.items() if k in CONVERSATION_KINDS}
    of_calls = {k: v for k, v in sums.total.items() if k in CALL_KINDS}
    return (
        figures_of(stats_bucket("all", merged(of_conversations, ranks, with_work=True))),
        call_figures_of(call_stats_bucket("all", merged(of_calls, ranks, with_work=False))),
    )


async def board_state(
    session: AsyncSession,
    now: datetime,
    team_id: int | None = None,
    channel_id: int | None = None,
    tz: str = DEFAULT_TZ,
) -> BoardOut:
    today = period_of("today", now, tz)
    where = _scope(team_id, channel_id)
    responses, calls = await _today(session, today, team_id, channel_id)
    operators = await _operators(session, team_id, today.start)
    online = [o for o in operators if o.presence is Presence.online]
    return BoardOut(
        at=now.isoformat(),
        queue=await _queue(session, where),
        responses_today=ResponsesToday(**{k: responses[k] for k in ResponsesToday.model_fields}),
        waits=await _waits(session, where, now),
        operators=operators,
        capacity=sum(o.max_conversations for o in online),
        load=sum(o.load for o in online),
        calls_today=CallsToday(**{k: calls[k] for k in CallsToday.model_fields}),
    )
