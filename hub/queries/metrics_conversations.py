"""The conversation report: requests, handled, first/next response, resolution, queue wait,
handling time, reopen rate and SLA breaches; durations in calendar and working time
(formulas: docs/metrics.md).

Three set-based queries per report, whatever its size: the cohort of conversations, the
waits (a window over the cohort's messages pairs each wait with the response that ended
it), and the reopened ones from the event log. Durations, percentiles and grouping are then
worked out over those rows, the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import Conversation, ConversationStatus, Direction, EventLog, Message, SlaBreach

from .metrics_common import (
    Bucket,
    Buckets,
    Period,
    WorkingTime,
    duration_figures,
    load_working_time,
    share,
    time_key,
)

DURATIONS = ("frt", "frt_assigned", "nrt", "resolution", "queue_wait", "handling")


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    channel_id: int | None = None
    operator_id: int | None = None


@dataclass(frozen=True)
class CohortRow:
    id: int
    created_at: datetime
    closed_at: datetime | None
    first_assigned_at: datetime | None
    team_id: int | None
    channel_id: int
    assignee_id: int | None


@dataclass(frozen=True)
class Wait:
    """A wait of the customer: from `started_at` until a person answered (or not yet)."""

    conversation_id: int
    started_at: datetime
    answered_at: datetime | None
    answered_by: int | None
    first: bool


def _in_cohort(period: Period, filters: Filters) -> list[ColumnElement[bool]]:
    where = [Conversation.created_at >= period.start, Conversation.created_at < period.end]
    if filters.team_id is not None:
        where.append(Conversation.team_id == filters.team_id)
    if filters.channel_id is not None:
        where.append(Conversation.channel_id == filters.channel_id)
    return where


async def _cohort(session: AsyncSession, period: Period, filters: Filters) -> list[CohortRow]:
    stmt = select(
        Conversation.id,
        Conversation.created_at,
        # Only a conversation closed now is resolved (a reopened one at its next close).
        case(
            (Conversation.status == ConversationStatus.closed, Conversation.closed_at), else_=None
        ),
        Conversation.first_assigned_at,
        Conversation.team_id,
        Conversation.channel_id,
        Conversation.assignee_id,
    ).where(*_in_cohort(period, filters))
    return [CohortRow(*row) for row in (await session.execute(stmt)).all()]


async def _waits(session: AsyncSession, period: Period, filters: Filters) -> list[Wait]:
    """Every wait of the cohort: a customer message right after a response (or the first
    customer message), with the first response stored after it. Messages with no person as
    author (auto-replies, robots, bots) are left out before the window, so they never end a
    wait; notes and system lines are not part of it either."""
    is_out = case((Message.direction == Direction.outbound, 1), else_=0)
    by_conversation: dict[str, Any] = {
        "partition_by": Message.conversation_id,
        "order_by": Message.id,
    }
    counted = (
        select(
            Message.conversation_id,
            Message.id,
            Message.created_at,
            is_out.label("is_out"),
            func.lag(is_out).over(**by_conversation).label("previous_out"),
            func.min(case((Message.direction == Direction.outbound, Message.id), else_=None))
            .over(**by_conversation, rows=(1, None))
            .label("reply_id"),
        )
        .where(
            Message.conversation_id.in_(
                select(Conversation.id).where(*_in_cohort(period, filters))
            ),
            or_(
                Message.direction == Direction.inbound,
                and_(
                    Message.direction == Direction.outbound,
                    Message.author_user_id.is_not(None),
                ),
            ),
        )
        .subquery()
    )
    reply = aliased(Message)
    stmt = (
        select(
            counted.c.conversation_id,
            counted.c.id,
            counted.c.created_at,
            reply.created_at,
            reply.author_user_id,
        )
        .outerjoin(reply, reply.id == counted.c.reply_id)
        .where(
            counted.c.is_out == 0,
            or_(counted.c.previous_out.is_(None), counted.c.previous_out == 1),
        )
        .order_by(counted.c.conversation_id, counted.c.id)
    )
    waits: list[Wait] = []
    seen: set[int] = set()
    for conversation_id, _, started, answered, by in (await session.execute(stmt)).all():
        waits.append(Wait(conversation_id, started, answered, by, conversation_id not in seen))
        seen.add(conversation_id)
    return waits


async def _reopened(session: AsyncSession, period: Period) -> set[int]:
    """Conversations with a `reopened` change in the event log since the period began (a
    cohort conversation cannot be reopened before it was created)."""
    conversation_id = EventLog.payload[("conversation", "id")].as_integer()
    stmt = (
        select(conversation_id)
        .where(
            EventLog.created_at >= period.start,
            EventLog.kind == "conversation.changed",
            EventLog.payload["change"].as_string() == "reopened",
        )
        .distinct()
    )
    return {row[0] for row in (await session.execute(stmt)).all()}


KeyOf = Callable[[CohortRow, int | None], str]


async def _breaches(session: AsyncSession, period: Period, filters: Filters) -> dict[int, int]:
    """SLA breaches of the cohort's conversations (hub.actions.sla_breaches), per one."""
    stmt = (
        select(SlaBreach.conversation_id, func.count())
        .join(Conversation, Conversation.id == SlaBreach.conversation_id)
        .where(*_in_cohort(period, filters))
        .group_by(SlaBreach.conversation_id)
    )
    return {int(c): int(n) for c, n in (await session.execute(stmt)).all()}


def key_function(group_by: str, tz: str) -> KeyOf:
    """The group key of a conversation; the operator given is the one a figure credits."""
    if group_by in ("day", "week"):
        return lambda row, _: time_key(row.created_at, group_by, tz)
    if group_by == "operator":
        return lambda _, operator: "none" if operator is None else str(operator)
    if group_by == "team":
        return lambda row, _: "none" if row.team_id is None else str(row.team_id)
    if group_by == "channel":
        return lambda row, _: str(row.channel_id)
    return lambda _, __: "all"


def _both(
    bucket: Bucket,
    work: WorkingTime,
    name: str,
    row: CohortRow,
    start: datetime,
    end: datetime,
) -> None:
    bucket.add(name, row.id, max(0.0, (end - start).total_seconds()))
    bucket.add(f"{name}_work", row.id, work.seconds(row.team_id, start, end))


def _fill(
    cohort: list[CohortRow],
    waits: list[Wait],
    reopened: set[int],
    work: WorkingTime,
    key_of: KeyOf,
    operator_id: int | None,
    breaches: dict[int, int] | None = None,
) -> Buckets:
    buckets = Buckets()
    rows = {row.id: row for row in cohort}
    first_in: dict[int, datetime] = {}
    handled: set[int] = set()
    for wait in waits:
        row = rows.get(wait.conversation_id)
        if row is None:
            continue
        if wait.first:
            first_in[row.id] = wait.started_at
            if wait.answered_at is not None:
                handled.add(row.id)
        if wait.answered_at is None or (operator_id not in (None, wait.answered_by)):
            continue
        bucket = buckets(key_of(row, wait.answered_by))
        if wait.first:
            _both(bucket, work, "frt", row, wait.started_at, wait.answered_at)
            if row.first_assigned_at is not None:
                assigned = min(row.first_assigned_at, wait.answered_at)
                _both(bucket, work, "frt_assigned", row, assigned, wait.answered_at)
        else:
            _both(bucket, work, "nrt", row, wait.started_at, wait.answered_at)
    for row in cohort:
        if operator_id is not None and row.assignee_id != operator_id:
            continue
        bucket = buckets(key_of(row, row.assignee_id))
        bucket.add("requests", row.id)
        if row.id in handled:
            bucket.add("handled", row.id)
        if row.first_assigned_at is not None:
            _both(bucket, work, "queue_wait", row, row.created_at, row.first_assigned_at)
        if row.closed_at is not None:
            _both(
                bucket, work, "resolution", row, first_in.get(row.id, row.created_at), row.closed_at
            )
            if row.first_assigned_at is not None:
                _both(bucket, work, "handling", row, row.first_assigned_at, row.closed_at)
        if row.closed_at is not None or row.id in reopened:
            bucket.add("closed_once", row.id)
        if row.id in reopened:
            bucket.add("reopened", row.id)
        if breaches and breaches.get(row.id):
            bucket.add("sla_breached", row.id, float(breaches[row.id]))
    return buckets


def figures_of(bucket: Bucket) -> dict[str, Any]:
    count = {name: len(bucket.members.get(name, ())) for name in ("requests", "handled")}
    reopened = len(bucket.members.get("reopened", ()))
    closed_once = len(bucket.members.get("closed_once", ()))
    found: dict[str, Any] = {
        **count,
        "handled_share": share(count["handled"], count["requests"]),
        "reopened": reopened,
        "reopen_rate": share(reopened, closed_once),
        "sla_breached": len(bucket.members.get("sla_breached", ())),
        "sla_breaches": int(sum(bucket.values.get("sla_breached", ()))),
    }
    for name in DURATIONS:
        found.update(duration_figures(name, bucket.values.get(name, [])))
        found.update(duration_figures(f"{name}_work", bucket.values.get(f"{name}_work", [])))
    return found


@dataclass(frozen=True)
class ConversationReport:
    rows: list[Bucket]
    total: Bucket


async def conversation_report(
    session: AsyncSession, period: Period, group_by: str, filters: Filters
) -> ConversationReport:
    cohort = await _cohort(session, period, filters)
    waits = await _waits(session, period, filters)
    reopened = await _reopened(session, period)
    work = await load_working_time(session)
    breaches = await _breaches(session, period, filters)
    grouped = _fill(
        cohort,
        waits,
        reopened,
        work,
        key_function(group_by, period.tz),
        filters.operator_id,
        breaches,
    )
    total = _fill(
        cohort,
        waits,
        reopened,
        work,
        key_function("none", period.tz),
        filters.operator_id,
        breaches,
    )
    rows = total.rows()
    return ConversationReport(grouped.rows(), rows[0] if rows else Bucket("all", {}, {}))
