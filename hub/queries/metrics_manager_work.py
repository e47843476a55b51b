"""What each person did in a period, for the managers' report (docs/metrics.md, «Managers»):
responses written, calls talked on, activities done and overdue, deals won, and the plan of
the period. The report counts these; its drill-down (manager_drill.py) lists the same rows
through the same conditions, so a listed count always equals the number shown."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Activity,
    ActivityStatus,
    Call,
    CallOutcome,
    Channel,
    Conversation,
    Deal,
    Direction,
    ManagerPlan,
    Message,
    Stage,
    StageOutcome,
)

from .metrics_common import Period
from .metrics_occupancy import rows


def response_conditions(ids: list[int], period: Period) -> list[ColumnElement[bool]]:
    """A response: a message the person wrote to a client in the period."""
    return [
        Message.author_user_id.in_(ids),
        Message.direction == Direction.outbound,
        Message.created_at >= period.start,
        Message.created_at < period.end,
    ]


def done_conditions(ids: list[int], period: Period) -> list[ColumnElement[bool]]:
    """An activity of the person's marked done in the period."""
    return [
        Activity.user_id.in_(ids),
        Activity.status == ActivityStatus.done.value,
        Activity.done_at >= period.start,
        Activity.done_at < period.end,
    ]


def months_of(period: Period) -> list[tuple[date, float]]:
    """Each calendar month the period touches, with the share of its days inside the
    period (days counted in the report's zone)."""
    zone = ZoneInfo(period.tz)
    first = period.start.astimezone(zone).date()
    last = (period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    found: list[tuple[date, float]] = []
    month = first.replace(day=1)
    while month <= last:
        days = calendar.monthrange(month.year, month.month)[1]
        month_end = month + timedelta(days=days - 1)
        inside = (min(month_end, last) - max(month, first)).days + 1
        found.append((month, inside / days))
        month = month_end + timedelta(days=1)
    return found


async def responses_by(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, tuple[int, int]]:
    """Responses written by each person in the period, and how many of them were e-mails."""
    stmt = (
        select(
            Message.author_user_id,
            func.count(),
            func.sum(case((Channel.kind == "email", 1), else_=0)),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(
            *response_conditions(ids, period),
        )
        .group_by(Message.author_user_id)
    )
    return {
        user_id: (int(count), int(email or 0))
        for user_id, count, email in await rows(session, stmt)
    }


async def answered_calls(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, set[int]]:
    """Calls each person talked on: answered by them, started in the period."""
    stmt = select(Call.answered_by_user_id, Call.id).where(
        Call.answered_by_user_id.in_(ids),
        Call.outcome == CallOutcome.answered,
        Call.started_at >= period.start,
        Call.started_at < period.end,
    )
    found: dict[int, set[int]] = defaultdict(set)
    for user_id, call_id in await rows(session, stmt):
        found[user_id].add(call_id)
    return found


async def activities_done(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, dict[str, int]]:
    stmt = (
        select(Activity.user_id, Activity.kind, func.count())
        .where(
            *done_conditions(ids, period),
        )
        .group_by(Activity.user_id, Activity.kind)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, kind, count in await rows(session, stmt):
        found[user_id][kind] = int(count)
    return found


def deadline_of(due_at: datetime, all_day: bool) -> datetime:
    """An all-day activity (due_at: its date's midnight UTC) is due by the end of that day."""
    return due_at + timedelta(days=1) if all_day else due_at


async def overdue_activities(
    session: AsyncSession, ids: list[int], period: Period, now: datetime
) -> dict[int, set[int]]:
    """Activities whose deadline fell in the period (and has passed) that were not done by
    it: still planned, or done late. Cancelled ones are not overdue."""
    high = min(period.end, now)
    stmt = select(
        Activity.id, Activity.user_id, Activity.due_at, Activity.all_day, Activity.status,
        Activity.done_at,
    ).where(
        Activity.user_id.in_(ids),
        Activity.status != ActivityStatus.cancelled.value,
        Activity.due_at >= period.start - timedelta(days=1),
        Activity.due_at < high,
    )  # fmt: skip
    found: dict[int, set[int]] = defaultdict(set)
    for activity_id, user_id, due_at, all_day, status, done_at in await rows(session, stmt):
        deadline = deadline_of(due_at, all_day)
        if not (period.start <= deadline < high):
            continue
        late = status == ActivityStatus.planned.value or (
            done_at is not None and done_at > deadline
        )
        if late:
            found[user_id].add(activity_id)
    return found


async def deals_won(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, list[tuple[int, Decimal]]]:
    stmt = (
        select(Deal.responsible_user_id, Deal.id, Deal.amount)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.responsible_user_id.in_(ids),
            Stage.outcome == StageOutcome.won,
            Deal.closed_at >= period.start,
            Deal.closed_at < period.end,
        )
    )
    found: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for user_id, deal_id, amount in await rows(session, stmt):
        found[user_id].append((deal_id, Decimal(amount)))
    return found


async def plans_of(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, tuple[Decimal, float | None]]:
    """The plan of the period: each month's plan times the share of its days inside it."""
    months = dict(months_of(period))
    stmt = select(ManagerPlan.user_id, ManagerPlan.month, ManagerPlan.amount, ManagerPlan.deals)
    stmt = stmt.where(ManagerPlan.user_id.in_(ids), ManagerPlan.month.in_(list(months)))
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    deals: dict[int, float | None] = {}
    for user_id, month, amount, count in await rows(session, stmt):
        part = months[month]
        amounts[user_id] += Decimal(amount) * Decimal(str(part))
        if count is not None:
            deals[user_id] = (deals.get(user_id) or 0.0) + count * part
        else:
            deals.setdefault(user_id, None)
    return {user_id: (amounts[user_id], deals.get(user_id)) for user_id in amounts}
