"""SLA clocks: which policy holds a conversation, which of its clocks run, and when each
runs out (docs/metrics.md, «SLA»).

Three measures, each a clock with an anchor (its episode) and the policy's target:
- first response: the client waits and nobody has answered yet (`first_response_at` null),
  from the first unanswered customer message (`waiting_since`);
- next response: the client waits again after a first response, from `waiting_since`;
- resolution: the conversation is open, from its creation.
A target in working time runs only in the team's business hours on the production calendar
(the company's hours outside any team); a team without hours is always open.

The most specific enabled policy holds a conversation: team and channel, then team, then
channel, then the company-wide one. `Setup.holds(policy)` says it in SQL, as constants, so a
check over every open conversation is one statement per policy and measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Conversation, ConversationStatus, SlaPolicy, Team
from hub.models.base import UtcDateTime
from hub.worktime import COMPANY_HOURS, ProductionCalendar, cutoff, deadline, load_calendar

from .shapes import Shape, Timestamp

MEASURES = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class Policy:
    id: int
    name: str
    team_id: int | None
    channel_id: int | None
    targets: dict[str, int]  # measure -> seconds, only the measures it sets
    working_time: bool

    @property
    def rank(self) -> int:
        return (2 if self.team_id is not None else 0) + (1 if self.channel_id is not None else 0)

    def covers(self, team_id: int | None, channel_id: int | None) -> bool:
        return self.team_id in (None, team_id) and self.channel_id in (None, channel_id)

    def matches(self) -> ColumnElement[bool]:
        """Its scope as a condition on `Conversation`."""
        # "team_id IS NOT NULL AND team_id = x": false, never NULL, for a conversation
        # without a team, so `NOT matches()` holds for it (three-valued logic).
        team = (
            true()
            if self.team_id is None
            else and_(Conversation.team_id.is_not(None), Conversation.team_id == self.team_id)
        )
        channel = true() if self.channel_id is None else Conversation.channel_id == self.channel_id
        return and_(team, channel)


def policy_of(row: SlaPolicy) -> Policy:
    targets = {
        measure: seconds
        for measure, seconds in (
            ("first_response", row.first_response_s),
            ("next_response", row.next_response_s),
            ("resolution", row.resolution_s),
        )
        if seconds is not None
    }
    return Policy(row.id, row.name, row.team_id, row.channel_id, targets, row.working_time)


class Clock(Shape):
    """One running SLA clock of an open conversation."""

    conversation_id: int
    measure: str
    policy_id: int
    started_at: Timestamp
    target_s: int
    working_time: bool
    # When the target runs out (null: no working time ahead in reach).
    due_at: Timestamp | None
    breached: bool


@dataclass(frozen=True)
class Setup:
    """Everything a deadline needs, read once per check or request."""

    policies: list[Policy]
    calendar: ProductionCalendar = field(default_factory=ProductionCalendar)
    # Every team's business hours (None: always open).
    hours: dict[int, dict[str, Any] | None] = field(default_factory=dict)

    def policy_for(self, team_id: int | None, channel_id: int | None) -> Policy | None:
        found = [p for p in self.policies if p.covers(team_id, channel_id)]
        return max(found, key=lambda p: p.rank) if found else None

    def holds(self, policy: Policy) -> ColumnElement[bool]:
        """The conversations this policy is the most specific one for."""
        closer = [p.matches() for p in self.policies if p.rank > policy.rank]
        return and_(policy.matches(), ~or_(false(), *closer)) if closer else policy.matches()

    def hours_of(self, policy: Policy, team_id: int | None) -> dict[str, Any] | None:
        if not policy.working_time:
            return None
        if team_id is None:
            return COMPANY_HOURS
        return self.hours.get(team_id)

    def due_at(
        self, policy: Policy, team_id: int | None, started_at: datetime, seconds: float
    ) -> datetime | None:
        return deadline(self.hours_of(policy, team_id), self.calendar, started_at, seconds)

    def ran_out(
        self, policy: Policy, anchor: Any, seconds: float, now: datetime
    ) -> ColumnElement[bool]:
        """`anchor` lies at least `seconds` (of the policy's time) before now: one cutoff per
        team as constants (hub.worktime.cutoff), so the database compares a column."""

        def before(moment: datetime) -> ColumnElement[bool]:
            found: ColumnElement[bool] = anchor <= literal(moment, UtcDateTime())
            return found

        if not policy.working_time:
            return before(now - timedelta(seconds=seconds))
        if policy.team_id is not None:
            hours = self.hours.get(policy.team_id)
            return before(cutoff(hours, self.calendar, now, seconds))
        per_team = [
            and_(Conversation.team_id == team_id, before(cutoff(h, self.calendar, now, seconds)))
            for team_id, h in sorted(self.hours.items())
        ]
        company = cutoff(COMPANY_HOURS, self.calendar, now, seconds)
        return or_(and_(Conversation.team_id.is_(None), before(company)), *per_team)


async def load_setup(session: AsyncSession) -> Setup:
    rows = (
        await session.scalars(
            select(SlaPolicy).where(SlaPolicy.enabled.is_(True)).order_by(SlaPolicy.id)
        )
    ).all()
    if not rows:
        return Setup([])
    hours: dict[int, dict[str, Any] | None] = {
        team_id: team_hours
        for team_id, team_hours in (await session.execute(select(Team.id, Team.business_hours)))
    }
    return Setup([policy_of(r) for r in rows], await load_calendar(session), hours)


def running(measure: str) -> ColumnElement[bool]:
    """The open conversations whose clock for `measure` runs."""
    is_open = Conversation.status == ConversationStatus.open
    if measure == "first_response":
        return and_(
            is_open,
            Conversation.first_response_at.is_(None),
            Conversation.waiting_since.is_not(None),
        )
    if measure == "next_response":
        return and_(
            is_open,
            Conversation.first_response_at.is_not(None),
            Conversation.waiting_since.is_not(None),
        )
    return is_open


def anchor(measure: str) -> Any:
    """When the measure's clock started: its episode."""
    return Conversation.created_at if measure == "resolution" else Conversation.waiting_since


def clocks_of(
    setup: Setup,
    now: datetime,
    conversation: Conversation,
) -> list[Clock]:
    """The running clocks of one conversation, soonest due first."""
    if conversation.status is not ConversationStatus.open:
        return []
    policy = setup.policy_for(conversation.team_id, conversation.channel_id)
    if policy is None:
        return []
    started: dict[str, datetime | None] = {
        "first_response": conversation.waiting_since
        if conversation.first_response_at is None
        else None,
        "next_response": conversation.waiting_since
        if conversation.first_response_at is not None
        else None,
        "resolution": conversation.created_at,
    }
    found = []
    for measure, seconds in policy.targets.items():
        since = started[measure]
        if since is None:
            continue
        due = setup.due_at(policy, conversation.team_id, since, seconds)
        found.append(
            Clock(
                conversation_id=conversation.id,
                measure=measure,
                policy_id=policy.id,
                started_at=since.isoformat(),
                target_s=seconds,
                working_time=policy.working_time,
                due_at=due.isoformat() if due else None,
                breached=due is not None and due <= now,
            )
        )
    far = datetime.max.replace(tzinfo=UTC).isoformat()
    return sorted(found, key=lambda c: (c.due_at or far, c.measure))


async def clocks_for(
    session: AsyncSession, now: datetime, ids: Iterable[int], where: ColumnElement[bool]
) -> list[Clock]:
    """The running clocks of these conversations (those `where` lets the reader see)."""
    wanted = sorted(set(ids))
    setup = await load_setup(session)
    if not wanted or not setup.policies:
        return []
    rows = (
        await session.scalars(select(Conversation).where(Conversation.id.in_(wanted), where))
    ).all()
    return [clock for row in rows for clock in clocks_of(setup, now, row)]
