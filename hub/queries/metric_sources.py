"""Metric facts derived from the source rows (formulas: docs/metrics.md).

The one place the formulas are applied: the live refresh (hub/actions/metric_facts.py, in
the transaction of the change) and `okno metrics rebuild` both call these functions, over
one conversation or call or over everything since a date, so what is stored live and what a
rebuild stores cannot differ. Reports then only count and rank the stored facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import (
    CallOutcome,
    Conversation,
    ConversationStatus,
    Direction,
    EventLog,
    Message,
)

from .activities import among_bound
from .metrics_common import WorkingTime, load_working_time

if TYPE_CHECKING:
    from hub.team_cache import TeamCache

# Count-only kinds: a conversation is in the figure or not.
CONVERSATION_COUNTS = ("requests", "handled", "closed_once", "reopened")
# Duration kinds: seconds in calendar time (value_s) and in working time (work_s).
DURATIONS = ("frt", "frt_assigned", "nrt", "resolution", "queue_wait", "handling")
CONVERSATION_KINDS = (*CONVERSATION_COUNTS, *DURATIONS)
# Call kinds. `wait`, `answered` and `abandoned` carry the call's wait_s, `talk` its talk_s,
# `lost` (missed or abandoned) the seconds until the next call with the number went through
# (null: none yet): the thresholds a report is asked with apply to these values.
CALL_KINDS = ("calls", "inexact", "wait", "answered", "talk", "missed", "abandoned", "lost")
MISSED = (CallOutcome.missed, CallOutcome.busy, CallOutcome.failed)


# Bind values of a statement built once; None: the statement is built from its `where`.
Params = dict[str, Any] | None


@dataclass(slots=True)
class Fact:
    kind: str
    subject_id: int
    cohort_at: datetime
    occurred_at: datetime
    team_id: int | None
    channel_id: int
    operator_id: int | None
    value_s: float | None = None
    work_s: float | None = None
    flags: int = 0
    # The interval whose working time work_s is (worked out once all facts are known).
    span: tuple[datetime, datetime] | None = None

    def record(self) -> tuple[Any, ...]:
        """The row as a tuple in COLUMNS order (a rebuild's COPY)."""
        return (
            self.kind, self.subject_id, self.cohort_at, self.occurred_at, self.team_id,
            self.channel_id, self.operator_id, self.value_s, self.work_s, self.flags,
        )  # fmt: skip

    def row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject_id": self.subject_id,
            "cohort_at": self.cohort_at,
            "occurred_at": self.occurred_at,
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "operator_id": self.operator_id,
            "value_s": self.value_s,
            "work_s": self.work_s,
            "flags": self.flags,
        }


# The stored columns of a fact, in `Fact.record` order.
COLUMNS = (
    "kind", "subject_id", "cohort_at", "occurred_at", "team_id", "channel_id", "operator_id",
    "value_s", "work_s", "flags",
)  # fmt: skip


@dataclass(frozen=True)
class SourceConversation:
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


@dataclass(frozen=True)
class KnownConversation:
    """A conversation's source rows as the transaction that wrote them knows them (a batch's
    new conversations, hub/actions/fresh_sources.py): its facts need no read back."""

    row: SourceConversation
    waits: tuple[Wait, ...]


async def _conversations(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], params: Params = None
) -> list[SourceConversation]:
    stmt = _conversations_statement(where) if params is None else _by_ids(_dialect(session))[0]
    return [SourceConversation(*row) for row in (await session.execute(stmt, params)).all()]


def _conversations_statement(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return select(
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
    ).where(*where)


async def _waits(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], params: Params = None
) -> list[Wait]:
    stmt = _waits_statement(where) if params is None else _by_ids(_dialect(session))[1]
    waits: list[Wait] = []
    seen: set[int] = set()
    for conversation_id, _, started, answered, by in (await session.execute(stmt, params)).all():
        waits.append(Wait(conversation_id, started, answered, by, conversation_id not in seen))
        seen.add(conversation_id)
    return waits


def _waits_statement(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Every wait of the chosen conversations: a customer message right after a response (or
    the first customer message), with the first response stored after it. Messages with no
    person as author (auto-replies, robots, bots) are left out before the window, so they
    never end a wait; notes and system lines are not part of it either."""
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
            Message.conversation_id.in_(select(Conversation.id).where(*where)),
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
    return (
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


# The conversations refreshed after a unit of work, chosen by id: the refresh's two reads
# built once (SQLAlchemy then compiles each once), not on every inbound message's commit.
_IDS = "conversation_ids"


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@cache
def _by_ids(dialect: str) -> tuple[Select[Any], Select[Any]]:
    where = [among_bound(Conversation.id, _IDS, dialect)]
    return _conversations_statement(where), _waits_statement(where)


async def conversation_facts_of(
    session: AsyncSession,
    ids: Iterable[int],
    reopened: set[int],
    teams: TeamCache,
    known: Mapping[int, KnownConversation] | None = None,
) -> list[Fact]:
    """`conversation_facts` of these conversations, through statements built once, in the
    business hours and calendar this process keeps (`teams`); those `known` from their own
    transaction's writes are not read."""
    known = known or {}
    wanted = set(ids)
    rows = [known[i].row for i in sorted(wanted & known.keys())]
    waits = [wait for row in rows for wait in known[row.id].waits]
    read = sorted(wanted - known.keys())
    if read:
        params = {_IDS: read}
        found = await _conversations(session, (), params)
        if found:
            rows += found
            waits += await _waits(session, (), params)
    if not rows:
        return []
    facts = _conversation_facts(rows, waits, reopened)
    if not any(fact.span is not None for fact in facts):
        return facts
    return await _with_working_time(session, facts, await teams.working_time(session))


async def reopened_since(session: AsyncSession, since: datetime) -> set[int]:
    """Conversations with a `reopened` change in the event log since `since` (a conversation
    created since then cannot have been reopened before)."""
    conversation_id = EventLog.payload[("conversation", "id")].as_integer()
    stmt = (
        select(conversation_id)
        .where(
            EventLog.created_at >= since,
            EventLog.kind == "conversation.changed",
            EventLog.payload["change"].as_string() == "reopened",
        )
        .distinct()
    )
    return {row[0] for row in (await session.execute(stmt)).all()}


def _duration(
    kind: str, row: SourceConversation, start: datetime, end: datetime, operator: int | None
) -> Fact:
    return Fact(
        kind, row.id, row.created_at, end, row.team_id, row.channel_id, operator,
        value_s=max(0.0, (end - start).total_seconds()), span=(start, end),
    )  # fmt: skip


def _conversation_facts(
    rows: list[SourceConversation], waits: list[Wait], reopened: set[int]
) -> list[Fact]:
    by_id = {row.id: row for row in rows}
    facts: list[Fact] = []
    first_in: dict[int, datetime] = {}
    handled: set[int] = set()
    for wait in waits:
        row = by_id.get(wait.conversation_id)
        if row is None:
            continue
        if wait.first:
            first_in[row.id] = wait.started_at
            if wait.answered_at is not None:
                handled.add(row.id)
        if wait.answered_at is None:
            continue
        # A response is credited to who wrote it.
        if wait.first:
            facts.append(_duration("frt", row, wait.started_at, wait.answered_at, wait.answered_by))
            if row.first_assigned_at is not None:
                assigned = min(row.first_assigned_at, wait.answered_at)
                facts.append(
                    _duration("frt_assigned", row, assigned, wait.answered_at, wait.answered_by)
                )
        else:
            facts.append(_duration("nrt", row, wait.started_at, wait.answered_at, wait.answered_by))
    for row in rows:
        # Everything else is the current holder's.
        holder = row.assignee_id

        def counted(kind: str, at: datetime, row: SourceConversation = row) -> None:
            facts.append(
                Fact(kind, row.id, row.created_at, at, row.team_id, row.channel_id, row.assignee_id)
            )

        counted("requests", row.created_at)
        if row.id in handled:
            counted("handled", row.created_at)
        if row.first_assigned_at is not None:
            facts.append(
                _duration("queue_wait", row, row.created_at, row.first_assigned_at, holder)
            )
        if row.closed_at is not None:
            start = first_in.get(row.id, row.created_at)
            facts.append(_duration("resolution", row, start, row.closed_at, holder))
            if row.first_assigned_at is not None:
                facts.append(
                    _duration("handling", row, row.first_assigned_at, row.closed_at, holder)
                )
        if row.closed_at is not None or row.id in reopened:
            counted("closed_once", row.closed_at or row.created_at)
        if row.id in reopened:
            counted("reopened", row.created_at)
    return facts


async def _with_working_time(
    session: AsyncSession, facts: list[Fact], work: WorkingTime | None
) -> list[Fact]:
    """Each duration's working time, in its conversation's team's hours (loaded only when
    there is a duration: a new conversation nobody holds yet needs none; a rebuild loads
    them once and passes them in)."""
    if not any(fact.span is not None for fact in facts):
        return facts
    if work is None:
        work = await load_working_time(session)
    # New facts, not the old ones changed: this module only reads (the write guard holds
    # every assignment to a column's name outside hub/actions).
    return [
        fact if fact.span is None else replace(fact, work_s=work.seconds(fact.team_id, *fact.span))
        for fact in facts
    ]


async def conversation_facts(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    reopened: set[int],
    work: WorkingTime | None = None,
) -> list[Fact]:
    """The facts of the conversations `where` selects; `reopened`: which of them were
    reopened at least once; `work`: the business hours and calendar, if loaded already."""
    rows = await _conversations(session, where)
    if not rows:
        return []
    waits = await _waits(session, where)
    return await _with_working_time(session, _conversation_facts(rows, waits, reopened), work)
