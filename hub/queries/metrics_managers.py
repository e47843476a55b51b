"""The managers' report: per person, occupancy and answers per hour (from the stored
presence history and conversation holdings), activities done, overdue activities, deals won
against the supervisor's monthly plan and the average deal (formulas: docs/metrics.md,
«Managers»). A handful of set-based queries, each bounded by the period; the arithmetic is
then done the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Call,
    CallOutcome,
    Channel,
    Conversation,
    Deal,
    Direction,
    ManagerPlan,
    Message,
    Role,
    Stage,
    StageOutcome,
    TeamMember,
    User,
)

from .metrics_common import Bucket, Period, share
from .metrics_occupancy import busy_seconds, presence_and_busy, rows

# The columns of the report, in the page's order.
MANAGER_COLUMNS: tuple[str, ...] = (
    "online_h", "busy_h", "occupancy", "responses", "answers_per_hour", "emails_sent",
    "calls", "call_activities", "meetings", "email_activities", "activities_done", "overdue",
    "deals_won", "won_sum", "plan_sum", "plan_done", "avg_deal", "plan_deals",
)  # fmt: skip
# Activity kinds with a column of their own; the rest (tasks, reminders) count in the total.
_KIND_COLUMNS = {
    ActivityKind.call.value: "call_activities",
    ActivityKind.meeting.value: "meetings",
    ActivityKind.email.value: "email_activities",
}


@dataclass(frozen=True)
class ManagerFilters:
    team_id: int | None = None
    operator_id: int | None = None


@dataclass
class Tally:
    """What one person did in the period, before the ratios are worked out."""

    online_s: float = 0.0
    busy_s: float = 0.0
    responses: int = 0
    emails_sent: int = 0
    calls: int = 0
    activities: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    won: list[Decimal] = field(default_factory=list)
    plan: Decimal | None = None
    plan_deals: float | None = None
    members: dict[str, set[int]] = field(default_factory=dict)

    def add_member(self, figure: str, item_id: int) -> None:
        self.members.setdefault(figure, set()).add(item_id)

    def absorb(self, other: Tally) -> None:
        self.online_s += other.online_s
        self.busy_s += other.busy_s
        self.responses += other.responses
        self.emails_sent += other.emails_sent
        self.calls += other.calls
        for kind, count in other.activities.items():
            self.activities[kind] = self.activities.get(kind, 0) + count
        self.overdue += other.overdue
        self.won.extend(other.won)
        if other.plan is not None:
            self.plan = (self.plan or Decimal("0")) + other.plan
        if other.plan_deals is not None:
            self.plan_deals = (self.plan_deals or 0.0) + other.plan_deals
        for figure, ids in other.members.items():
            self.members.setdefault(figure, set()).update(ids)


def _months(period: Period) -> list[tuple[date, float]]:
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


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: Role
    capacity: int


async def _people(session: AsyncSession, filters: ManagerFilters) -> list[Person]:
    stmt = select(User.id, User.name, User.role, User.max_conversations).where(
        User.is_active.is_(True)
    )
    if filters.team_id is not None:
        stmt = stmt.where(
            User.id.in_(select(TeamMember.user_id).where(TeamMember.team_id == filters.team_id))
        )
    if filters.operator_id is not None:
        stmt = stmt.where(User.id == filters.operator_id)
    return [Person(*row) for row in (await session.execute(stmt.order_by(User.id))).all()]


async def _responses(
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
            Message.author_user_id.in_(ids),
            Message.direction == Direction.outbound,
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
        .group_by(Message.author_user_id)
    )
    return {
        user_id: (int(count), int(email or 0))
        for user_id, count, email in await rows(session, stmt)
    }


async def _calls(session: AsyncSession, ids: list[int], period: Period) -> dict[int, set[int]]:
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


async def _activities_done(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, dict[str, int]]:
    stmt = (
        select(Activity.user_id, Activity.kind, func.count())
        .where(
            Activity.user_id.in_(ids),
            Activity.status == ActivityStatus.done.value,
            Activity.done_at >= period.start,
            Activity.done_at < period.end,
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


async def _overdue(
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


async def _deals_won(
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


async def _plans(
    session: AsyncSession, ids: list[int], period: Period
) -> dict[int, tuple[Decimal, float | None]]:
    """The plan of the period: each month's plan times the share of its days inside it."""
    months = dict(_months(period))
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


@dataclass(frozen=True)
class ManagerReport:
    rows: list[tuple[Person, Tally]]
    total: Tally


def _takes_part(person: Person, tally: Tally) -> bool:
    """Operators are always listed; others only when they did something or have a plan."""
    return (
        person.role is Role.operator
        or tally.online_s > 0
        or tally.responses > 0
        or tally.calls > 0
        or bool(tally.activities)
        or tally.overdue > 0
        or bool(tally.won)
        or tally.plan is not None
    )


async def manager_report(
    session: AsyncSession, period: Period, filters: ManagerFilters, now: datetime
) -> ManagerReport:
    people = {person.id: person for person in await _people(session, filters)}
    ids = list(people)
    # Time online and busy counts only up to now: the rest of today has not happened yet.
    high = max(min(period.end, now), period.start)
    capacities = {person.id: person.capacity for person in people.values()}
    times = await presence_and_busy(session, capacities, period.start, high) if ids else {}
    responses = await _responses(session, ids, period) if ids else {}
    calls = await _calls(session, ids, period) if ids else {}
    done = await _activities_done(session, ids, period) if ids else {}
    overdue = await _overdue(session, ids, period, now) if ids else {}
    won = await _deals_won(session, ids, period) if ids else {}
    plans = await _plans(session, ids, period) if ids else {}
    rows: list[tuple[Person, Tally]] = []
    total = Tally()
    for user_id, person in people.items():
        online_s, busy_s = times.get(user_id, (0.0, 0.0))
        count, emails = responses.get(user_id, (0, 0))
        plan = plans.get(user_id)
        tally = Tally(
            online_s=online_s,
            busy_s=busy_s,
            responses=count,
            emails_sent=emails,
            calls=len(calls.get(user_id, ())),
            activities=done.get(user_id, {}),
            overdue=len(overdue.get(user_id, ())),
            won=[amount for _, amount in won.get(user_id, [])],
            plan=None if plan is None else plan[0],
            plan_deals=None if plan is None else plan[1],
        )
        tally.members["calls"] = set(calls.get(user_id, ()))
        tally.members["overdue"] = set(overdue.get(user_id, ()))
        tally.members["deals_won"] = {deal_id for deal_id, _ in won.get(user_id, [])}
        if _takes_part(person, tally):
            rows.append((person, tally))
            total.absorb(tally)
    return ManagerReport(rows, total)


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def manager_figures(tally: Tally) -> dict[str, Any]:
    won_sum = sum(tally.won, Decimal("0"))
    done = sum(tally.activities.values())
    return {
        "online_h": _hours(tally.online_s),
        "busy_h": _hours(tally.busy_s),
        "occupancy": None if tally.online_s == 0 else round(tally.busy_s / tally.online_s, 4),
        "responses": tally.responses,
        "answers_per_hour": (
            None if tally.online_s == 0 else round(tally.responses / (tally.online_s / 3600), 2)
        ),
        "emails_sent": tally.emails_sent,
        "calls": tally.calls,
        **{column: tally.activities.get(kind, 0) for kind, column in _KIND_COLUMNS.items()},
        "activities_done": done,
        "overdue": tally.overdue,
        "deals_won": len(tally.won),
        "won_sum": float(round(won_sum, 2)),
        "plan_sum": None if tally.plan is None else float(round(tally.plan, 2)),
        "plan_done": (
            None if tally.plan is None or tally.plan == 0 else round(float(won_sum / tally.plan), 4)
        ),
        "avg_deal": float(round(won_sum / len(tally.won), 2)) if tally.won else None,
        "plan_deals": None if tally.plan_deals is None else round(tally.plan_deals, 1),
    }


def as_bucket(key: str, tally: Tally) -> Bucket:
    """The report's drill-downs read members from buckets, as the other reports'."""
    return Bucket(key, {}, {name: set(ids) for name, ids in tally.members.items()})


__all__ = [
    "MANAGER_COLUMNS",
    "ManagerFilters",
    "ManagerReport",
    "Tally",
    "as_bucket",
    "busy_seconds",
    "manager_figures",
    "manager_report",
    "share",
]
