"""The managers' report: per person, occupancy and answers per hour (from the stored
presence history and conversation holdings), activities done, overdue activities, deals won
against the supervisor's monthly plan and the average deal (formulas: docs/metrics.md,
«Managers»). A handful of set-based queries, each bounded by the period; the arithmetic is
then done the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    ActivityKind,
    Role,
    TeamMember,
    User,
)

from .metrics_common import Bucket, Period, share
from .metrics_manager_work import (
    activities_done,
    answered_calls,
    deals_won,
    overdue_activities,
    plans_of,
    responses_by,
)
from .metrics_occupancy import busy_seconds, presence_and_busy

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


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: Role
    capacity: int


async def people_of(session: AsyncSession, filters: ManagerFilters) -> list[Person]:
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
    people = {person.id: person for person in await people_of(session, filters)}
    ids = list(people)
    # Time online and busy counts only up to now: the rest of today has not happened yet.
    high = max(min(period.end, now), period.start)
    capacities = {person.id: person.capacity for person in people.values()}
    times = await presence_and_busy(session, capacities, period.start, high) if ids else {}
    responses = await responses_by(session, ids, period) if ids else {}
    calls = await answered_calls(session, ids, period) if ids else {}
    done = await activities_done(session, ids, period) if ids else {}
    overdue = await overdue_activities(session, ids, period, now) if ids else {}
    won = await deals_won(session, ids, period) if ids else {}
    plans = await plans_of(session, ids, period) if ids else {}
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
