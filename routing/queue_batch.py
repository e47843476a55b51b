"""Draining the queue a batch at a time: which of the oldest queued conversations the free
capacity of the operators takes now, decided for the whole batch in one transaction.

The rules are those of `assignment.route`, except that a conversation nobody can take is
left where it waits: the team's business hours (else its after-hours team, else it waits),
the responsible manager first when online with room, then the team's strategy (manual: it
waits) among the team's online, active operators not on a call who have the skill it needs
and have not let it time out before, capacity by weight. Only the reads are set-based: the
batch (oldest first, locked, PostgreSQL SKIP LOCKED so another node takes the next ones),
every operator who may take one of them (locked, FOR UPDATE in id order, as
`assignment.candidates` locks them, so two nodes draining at once take their capacity one
after the other), their loads once they are locked, and the offers the batch's
conversations timed out, one statement each whatever the batch's size. The decisions are
then taken in queue order in memory, each offer adding its weight to the operator's load,
so capacity is taken exactly once; `hub.actions.queue_offers` writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from hub.actions.queue_offers import QueueOffer, TeamMove
from hub.actions.uow import UnitOfWork
from hub.models import (
    AssignmentOffer,
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
from hub.queries.activities import among
from hub.reasons import Reason, after
from hub.reasons import reason as because

from .assignment import DEFAULT_ACCEPT_TIMEOUT_S, Candidate, choose
from .hours import is_open

# A conversation's team and required skill: the queue's order holds within each.
Group = tuple[int | None, str | None]


@dataclass(frozen=True)
class Waiting:
    """A queued conversation as the drain reads it (plain values: nothing the ORM tracks)."""

    id: int
    team_id: int | None
    required_skill: str | None
    weight: float
    owner_id: int | None
    queued_at: datetime

    @property
    def group(self) -> Group:
        return (self.team_id, self.required_skill)


@dataclass(frozen=True)
class Operator:
    """An operator who may take work now, as locked; replaced with a later
    `last_assigned_at` at each offer of the batch, so round-robin and longest-idle go on
    turning within it."""

    id: int
    max_conversations: int
    last_assigned_at: datetime | None
    skills: frozenset[str]
    teams: frozenset[int]
    # As the events' cards name an assignee (`hub.serialize.user_brief`).
    login: str
    name: str
    role: Role


@dataclass
class Plan:
    moves: list[TeamMove] = field(default_factory=list)
    offers: list[QueueOffer] = field(default_factory=list)
    # The last conversation read, where the next batch starts.
    last: Waiting | None = None


@dataclass
class Staff:
    """The locked operators and the load each holds, growing as the batch offers work."""

    operators: dict[int, Operator]
    loads: dict[int, float]
    # Who may take the work of a (team, skill), worked out once per batch, not per decision.
    _eligible: dict[Group, list[int]] = field(default_factory=dict)

    def _of(self, team_id: int | None, skill: str | None) -> list[int]:
        found = self._eligible.get((team_id, skill))
        if found is None:
            found = [
                o.id
                for o in self.operators.values()
                if (team_id is None or team_id in o.teams) and (not skill or skill in o.skills)
            ]
            self._eligible[(team_id, skill)] = found
        return found

    def candidates(
        self,
        conversation: Waiting,
        team_id: int | None,
        excluded: set[int],
        only: int | None = None,
    ) -> list[Candidate]:
        """`assignment.candidates` over the rows already read: the responsible manager
        (`only`) need not be in the team; everyone else must be, when there is a team."""
        skill = conversation.required_skill
        if only is not None:
            operator = self.operators.get(only)
            if operator is None or only in excluded or (skill and skill not in operator.skills):
                return []
            return [Candidate(operator, self.loads.get(only, 0.0))]
        loads, operators = self.loads, self.operators
        return [
            Candidate(operators[i], loads.get(i, 0.0))
            for i in self._of(team_id, skill)
            if i not in excluded
        ]

    def take(self, operator: Operator, weight: float, turn: datetime) -> None:
        self.loads[operator.id] = self.loads.get(operator.id, 0.0) + weight
        self.operators[operator.id] = replace(operator, last_assigned_at=turn)


def decide(
    staff: Staff,
    conversation: Waiting,
    team: Team | None,
    excluded: set[int],
    context: Reason | None,
) -> tuple[Operator, Reason] | None:
    """`assignment.decide` for one queued conversation; None: it waits."""
    team_id = team.id if team is not None else None
    owner_id = conversation.owner_id
    if owner_id is not None and owner_id not in excluded:
        owner = staff.candidates(conversation, team_id, excluded, only=owner_id)
        if owner and owner[0].has_room(conversation.weight):
            return staff.operators[owner[0].user.id], after(context, because("owner_online"))
    strategy = team.strategy if team is not None else Strategy.least_busy
    if strategy is Strategy.manual:
        return None
    pool = staff.candidates(conversation, team_id, excluded)
    choice = choose(pool, strategy, conversation.weight)
    if choice is None:
        return None
    picked, reason = choice
    return staff.operators[picked.user.id], after(context, reason)


def why_waiting(staff: Staff, conversation: Waiting, team: Team | None) -> Reason:
    """Why `decide` found nobody, as `assignment.decide` words it: the team's queue is
    manual, nobody may take it is online, or all who may are busy."""
    if team is not None and team.strategy is Strategy.manual:
        return because("manual_queue")
    pool = staff.candidates(conversation, team.id if team is not None else None, set())
    return because("all_busy", online=len(pool)) if pool else because("nobody_online")


def plan(
    waiting: Iterable[Waiting],
    teams: dict[int, Team],
    staff: Staff,
    timed_out: dict[int, set[int]],
    now: datetime,
    stuck: set[Group],
) -> Plan:
    """Decide the batch in queue order. A group (team, skill) whose oldest conversation
    waits keeps all its later ones waiting too (`stuck`, carried from batch to batch), so
    the queue's order holds within it; other groups go on."""
    result = Plan()
    context = because("from_queue")
    for conversation in waiting:
        result.last = conversation
        if conversation.group in stuck:
            continue
        team = teams.get(conversation.team_id) if conversation.team_id is not None else None
        if team is not None and not is_open(team.business_hours, now):
            if team.after_hours_team_id is None:
                stuck.add(conversation.group)
                continue
            why = because("after_hours_team", team=team.name)
            result.moves.append(TeamMove(conversation.id, team.after_hours_team_id, why))
            team = teams[team.after_hours_team_id]
        decided = decide(staff, conversation, team, timed_out.get(conversation.id, set()), context)
        if decided is None:
            stuck.add(conversation.group)
            continue
        operator, reason = decided
        # The batch's offers are one moment apart by a microsecond each: the operators'
        # `last_assigned_at` keep the order they got work in, as offers made one by one
        # would, so round-robin goes on turning within the batch and after it.
        turn = now + timedelta(microseconds=len(result.offers))
        staff.take(operator, conversation.weight, turn)
        timeout = team.accept_timeout_s if team is not None else DEFAULT_ACCEPT_TIMEOUT_S
        result.offers.append(
            QueueOffer(
                conversation.id,
                team.id if team is not None else None,
                conversation.weight,
                operator.id,
                reason,
                timeout,
                turn,
            )
        )
    return result


async def lock_waiting(uow: UnitOfWork, size: int, after_row: Waiting | None) -> list[Waiting]:
    """The oldest `size` queued conversations after `after_row`, locked; on PostgreSQL those
    another node holds are skipped (it is deciding them)."""
    stmt = (
        select(
            Conversation.id,
            Conversation.team_id,
            Conversation.required_skill,
            Conversation.weight,
            Contact.responsible_user_id,
            Conversation.queued_at,
        )
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.status == ConversationStatus.open, Conversation.queued_at.is_not(None))
        .order_by(Conversation.queued_at, Conversation.id)
        .limit(size)
    )
    if after_row is not None:
        stmt = stmt.where(
            or_(
                Conversation.queued_at > after_row.queued_at,
                and_(
                    Conversation.queued_at == after_row.queued_at,
                    Conversation.id > after_row.id,
                ),
            )
        )
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update(of=Conversation, skip_locked=True)
    rows = (await uow.session.execute(stmt)).all()
    # queued_at is not null: the WHERE says so.
    return [Waiting(i, t, s, float(w), o, q) for i, t, s, w, o, q in rows if q is not None]


async def all_teams(uow: UnitOfWork) -> dict[int, Team]:
    """Every team (a handful): the batch's, and the after-hours teams they hand over to;
    kept by the process between changes (hub/team_cache.py), detached copies."""
    return await uow.hub.teams.teams(uow.session)


async def lock_staff(uow: UnitOfWork, waiting: list[Waiting], teams: dict[int, Team]) -> Staff:
    """Everyone who may take one of `waiting`, locked in id order, with the load they hold
    as of the lock (read after it, so what another node committed meanwhile is counted)."""
    dialect = uow.hub.db.dialect
    team_ids: set[int] = set()
    for w in waiting:
        if w.team_id is not None:
            team_ids.add(w.team_id)
            after_hours = teams[w.team_id].after_hours_team_id if w.team_id in teams else None
            if after_hours is not None:
                team_ids.add(after_hours)
    stmt = select(
        User.id,
        User.max_conversations,
        User.last_assigned_at,
        User.skills,
        User.login,
        User.name,
        User.role,
    ).where(
        User.role == Role.operator,
        User.is_active,
        User.presence == Presence.online,
        ~User.on_call,
    )
    if all(w.team_id is not None for w in waiting):
        owners = sorted({w.owner_id for w in waiting if w.owner_id is not None})
        members = select(TeamMember.user_id).where(
            among(TeamMember.team_id, sorted(team_ids), dialect)
        )
        stmt = stmt.where(or_(User.id.in_(members), among(User.id, owners, dialect)))
    stmt = stmt.order_by(User.id)
    if dialect == "postgresql":
        stmt = stmt.with_for_update(of=User)
    rows = (await uow.session.execute(stmt)).all()
    if not rows:
        return Staff({}, {})
    ids = [r[0] for r in rows]
    # The teams of the locked operators, as kept between changes (hub/team_cache.py).
    membership = await uow.hub.teams.teams_of(uow.session, ids)
    loads = dict(
        (
            await uow.session.execute(
                select(Conversation.assignee_id, func.sum(Conversation.weight))
                .where(
                    Conversation.status == ConversationStatus.open,
                    among(Conversation.assignee_id, ids, dialect),
                )
                .group_by(Conversation.assignee_id)
            )
        ).all()
    )
    operators = {
        i: Operator(
            i,
            cap,
            last,
            frozenset(skills or ()),
            frozenset(membership.get(i, ())),
            login,
            name,
            role,
        )
        for i, cap, last, skills, login, name, role in rows
    }
    return Staff(operators, {i: float(load) for i, load in loads.items() if i is not None})


async def timed_out_by(uow: UnitOfWork, waiting: list[Waiting]) -> dict[int, set[int]]:
    """Per conversation, the operators who let it time out: not offered it again."""
    found: dict[int, set[int]] = {}
    rows = await uow.session.execute(
        select(AssignmentOffer.conversation_id, AssignmentOffer.user_id).where(
            among(AssignmentOffer.conversation_id, [w.id for w in waiting], uow.hub.db.dialect),
            AssignmentOffer.timed_out_at.is_not(None),
        )
    )
    for conversation_id, user_id in rows:
        found.setdefault(conversation_id, set()).add(user_id)
    return found
