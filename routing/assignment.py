"""Assignment: who gets a conversation, and why.

The chain: the client's responsible manager if online with room -> else the team's strategy
(least-busy, round-robin, longest-idle; manual means the queue) -> else the team queue, in
order. Capacity is checked and taken under a lock on the candidates' rows (PostgreSQL
FOR UPDATE in id order; SQLite units of work hold the write lock), so two nodes never
overfill one operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select

from hub.actions import routing as routing_actions
from hub.actions import work_history
from hub.actions.uow import UnitOfWork
from hub.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Presence,
    Role,
    Strategy,
    Team,
    TeamMember,
    User,
)
from hub.reasons import Reason, after
from hub.reasons import reason as because

from .hours import is_open

# Share of an operator's capacity per channel kind; a call takes the operator whole.
CHANNEL_WEIGHTS = {"asterisk": 1000.0, "email": 0.5}
DEFAULT_ACCEPT_TIMEOUT_S = 45


def weight_of(channel_kind: str) -> float:
    return CHANNEL_WEIGHTS.get(channel_kind, 1.0)


class Seat(Protocol):
    """What choosing among operators reads of one: a `User`, or the queue drain's row of
    one (routing/queue_batch.py), which must not be a live ORM object it could write."""

    @property
    def id(self) -> int: ...
    @property
    def max_conversations(self) -> int: ...
    @property
    def last_assigned_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Candidate:
    user: Seat
    load: float

    def has_room(self, weight: float) -> bool:
        # An idle operator can always take one item, even one heavier than their capacity.
        return self.load == 0 or self.load + weight <= self.user.max_conversations


async def _team(uow: UnitOfWork, team_id: int | None) -> Team | None:
    return await uow.session.get(Team, team_id) if team_id is not None else None


async def candidates(
    uow: UnitOfWork, conversation: Conversation, exclude: set[int], only_user: int | None = None
) -> list[Candidate]:
    """Online operators who may take this conversation, locked, with their current load."""
    stmt = select(User).where(
        User.role == Role.operator,
        User.is_active,
        User.presence == Presence.online,
        ~User.on_call,
    )
    if only_user is not None:
        stmt = stmt.where(User.id == only_user)
    elif conversation.team_id is not None:
        stmt = stmt.where(
            User.id.in_(
                select(TeamMember.user_id).where(TeamMember.team_id == conversation.team_id)
            )
        )
    if exclude:
        stmt = stmt.where(User.id.not_in(exclude))
    stmt = stmt.order_by(User.id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update(of=User)
    users = [
        u
        for u in (await uow.session.execute(stmt)).scalars()
        if not conversation.required_skill or conversation.required_skill in (u.skills or [])
    ]
    if not users:
        return []
    loads = dict(
        (
            await uow.session.execute(
                select(Conversation.assignee_id, func.sum(Conversation.weight))
                .where(
                    Conversation.status == ConversationStatus.open,
                    Conversation.assignee_id.in_([u.id for u in users]),
                    Conversation.id != conversation.id,
                )
                .group_by(Conversation.assignee_id)
            )
        ).all()
    )
    return [Candidate(u, float(loads.get(u.id) or 0)) for u in users]


def choose(
    pool: list[Candidate], strategy: Strategy, weight: float
) -> tuple[Candidate, Reason] | None:
    free = [c for c in pool if c.has_room(weight)]
    if not free:
        return None

    def idle_key(c: Candidate) -> tuple[int, float, int]:
        last = c.user.last_assigned_at
        return (0 if last is None else 1, last.timestamp() if last else 0.0, c.user.id)

    if strategy is Strategy.round_robin:
        pick = min(free, key=idle_key)
        return pick, because("round_robin", free=len(free))
    if strategy is Strategy.longest_idle:
        idle = [c for c in free if c.load == 0] or free
        pick = min(idle, key=idle_key)
        return pick, because("longest_idle", free=len(free))
    pick = min(free, key=lambda c: (c.load, *idle_key(c)))
    return pick, because("least_busy", free=len(free), load=f"{pick.load:g}")


@dataclass(frozen=True)
class OfferTo:
    """Decided: offer the conversation to `user`, who has `accept_timeout_s` to accept."""

    user: User
    reason: Reason
    accept_timeout_s: int


@dataclass(frozen=True)
class Queue:
    """Decided: nobody can take it now; it waits in its team's queue."""

    reason: Reason


async def route(
    uow: UnitOfWork,
    conversation: Conversation,
    *,
    exclude: frozenset[int] = frozenset(),
    context: Reason | None = None,
) -> bool:
    """Offer the conversation to the best operator, else queue it. True when assigned.

    `context` prefixes the recorded reason ("timeout after 45 s"). Routing decides
    (`decide`); the actions of `hub.actions.routing` write the outcome. The queue drain
    decides the same way for a batch at once (routing/queue_batch.py).
    """
    team = await _team(uow, conversation.team_id)
    if team is not None and not is_open(team.business_hours, uow.now()):
        if team.after_hours_team_id is None:
            why = after(context, because("outside_hours", team=team.name))
            await routing_actions.enqueue(uow, conversation, "queued", why)
            return False
        await routing_actions.move_to_team(uow, conversation, team.after_hours_team_id)
        await routing_actions.record_decision(
            uow, conversation, "after_hours", because("after_hours_team", team=team.name)
        )
        team = await _team(uow, conversation.team_id)
    decision = await decide(uow, conversation, team, exclude=exclude, context=context)
    if isinstance(decision, OfferTo):
        await routing_actions.offer(
            uow, conversation, decision.user, decision.reason, decision.accept_timeout_s
        )
        return True
    await routing_actions.enqueue(uow, conversation, "queued", decision.reason)
    return False


async def decide(
    uow: UnitOfWork,
    conversation: Conversation,
    team: Team | None,
    *,
    exclude: frozenset[int] = frozenset(),
    context: Reason | None = None,
) -> OfferTo | Queue:
    """Who should get the conversation of `team` now, or why it waits. Writes nothing; the
    candidates' rows stay locked until the unit of work ends, so the decision holds."""
    timeout = team.accept_timeout_s if team is not None else DEFAULT_ACCEPT_TIMEOUT_S
    excluded = set(exclude)
    if not work_history.never_offered(conversation):  # else nobody let it time out
        excluded |= await routing_actions.timed_out_user_ids(uow, conversation.id)

    owner_id = await _responsible_manager(uow, conversation)
    if owner_id is not None and owner_id not in excluded:
        owner = await candidates(uow, conversation, excluded, only_user=owner_id)
        if owner and owner[0].has_room(conversation.weight):
            user = await _user(uow, owner[0])
            return OfferTo(user, after(context, because("owner_online")), timeout)

    strategy = team.strategy if team is not None else Strategy.least_busy
    if strategy is Strategy.manual:
        return Queue(after(context, because("manual_queue")))
    pool = await candidates(uow, conversation, excluded)
    choice = choose(pool, strategy, conversation.weight)
    if choice is None:
        why = because("all_busy", online=len(pool)) if pool else because("nobody_online")
        return Queue(after(context, why))
    picked, reason = choice
    return OfferTo(await _user(uow, picked), after(context, reason), timeout)


async def _user(uow: UnitOfWork, candidate: Candidate) -> User:
    # `candidates` loaded (and locked) the User: the session's identity map hands it back
    # without a statement.
    return await uow.session.get_one(User, candidate.user.id)


async def _responsible_manager(uow: UnitOfWork, conversation: Conversation) -> int | None:
    return (
        await uow.session.execute(
            select(Contact.responsible_user_id).where(Contact.id == conversation.contact_id)
        )
    ).scalar_one_or_none()
