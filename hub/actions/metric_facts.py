"""Keeping the metric facts (hub/models/metrics.py) in step with the rows they come from.

`refresh` runs in every unit of work just before its events are logged: the conversations
and calls its events name get their facts derived again from their rows (the same functions
a rebuild uses) and replaced, in the same transaction. Events that change no figure cost no
statement: a customer's message (it starts a wait; the answer that ends it is what is
measured), notes, flags, tags, snoozes. `rebuild` derives every fact since a date again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, time
from functools import cache
from typing import Any

from sqlalchemy import Executable, Select, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.db import WRITE_INTENT
from hub.events import CallChanged, ConversationChanged, Event, MessageCreated
from hub.models import (
    Call,
    CallDirection,
    CallOutcome,
    Conversation,
    MetricBin,
    MetricDay,
    MetricFact,
)
from hub.queries.activities import among_bound
from hub.queries.metric_call_sources import call_facts, went_through
from hub.queries.metric_reads import is_postgresql
from hub.queries.metric_sources import (
    CALL_KINDS,
    COLUMNS,
    CONVERSATION_KINDS,
    MISSED,
    Fact,
    KnownConversation,
    conversation_facts,
    conversation_facts_of,
    reopened_since,
)
from hub.queries.metrics_common import load_working_time
from hub.team_cache import TeamCache

from . import metric_days, metric_writes
from .metric_days import DaySums

log = logging.getLogger(__name__)

# Conversation changes that move no figure (a robot's scan may flag ten thousand at once).
_NO_FIGURE = frozenset({"flagged", "tagged", "snoozed", "woken"})
# Conversations or calls derived at a time by a rebuild: big reads (one window over 20,000
# conversations' messages), few round trips; memory stays some tens of megabytes.
_BATCH = 20_000
# Rows per executemany: bounds the parameter list held at once (a rebuild batch's facts).
_CHUNK = 5000


def _touched(events: Iterable[Event]) -> tuple[set[int], set[int], set[int]]:
    """Conversations whose figures may have moved, those of them reopened now, and calls."""
    conversations: set[int] = set()
    reopened: set[int] = set()
    calls: set[int] = set()
    for event in events:
        if isinstance(event, ConversationChanged) and event.change not in _NO_FIGURE:
            conversations.add(int(event.conversation["id"]))
            if event.change == "reopened":
                reopened.add(int(event.conversation["id"]))
        elif isinstance(event, MessageCreated):
            # Only a person's answer ends a wait; a customer's message starts one, measured
            # when it is answered (or the conversation closes).
            message = event.message
            if message.get("direction") == "outbound" and message.get("author") is not None:
                conversations.add(event.conversation_id)
        elif isinstance(event, CallChanged):
            # A ringing call has no outcome yet: no figure until it is answered or ends.
            calls.add(int(event.call["id"]))
    return conversations, reopened, calls


def _named(events: Iterable[Event]) -> set[int]:
    """Every conversation these events name, whatever changed in it."""
    named: set[int] = set()
    for event in events:
        if isinstance(event, ConversationChanged):
            named.add(int(event.conversation["id"]))
        else:
            # A message's, a read mark's, an alert's: those carry the id alone.
            conversation_id = getattr(event, "conversation_id", None)
            if isinstance(conversation_id, int):
                named.add(conversation_id)
    return named


def _still_known(
    events: Sequence[Event], known: Mapping[int, tuple[KnownConversation, int]]
) -> dict[int, KnownConversation]:
    """The known conversations no event after their knowing names: anything that happened
    to one later in the transaction is in its rows only, so those are read."""
    named_after = {at: _named(events[at:]) for at in {at for _, at in known.values()}}
    return {
        conversation_id: source
        for conversation_id, (source, at) in known.items()
        if conversation_id not in named_after[at]
    }


async def _insert(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """One Core executemany per chunk: the statement is compiled once and cached (PostgreSQL
    sends it as multi-row VALUES pages, SQLite runs the prepared statement per row in C). A
    multi-row `insert().values(rows)` was compiled afresh for every chunk, ten parameters a
    row: most of a rebuild's time."""
    if not facts:
        return
    connection = await session.connection()
    for start in range(0, len(facts), _CHUNK):
        rows = [fact.row() for fact in facts[start : start + _CHUNK]]
        await connection.execute(insert(MetricFact), rows)


async def _copy(
    session: AsyncSession, table: str, columns: Sequence[str], records: list[Any]
) -> None:
    """PostgreSQL's COPY through the session's own connection (so in its transaction): a
    rebuild's millions of rows at the speed the server takes them, no statement per page."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table, records=records, columns=list(columns))


async def _write_facts(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """A rebuild's facts: COPY on PostgreSQL, the executemany elsewhere."""
    if not facts:
        return
    if is_postgresql(session):
        await _copy(session, "metric_facts", COLUMNS, [fact.record() for fact in facts])
    else:
        await _insert(session, facts)


async def _write(
    session: AsyncSession,
    facts: Sequence[Fact],
    sums: DaySums,
    pending: metric_writes.PendingFigures | None,
) -> None:
    """The refreshed facts and the roll-ups' differences: one statement on PostgreSQL
    (hub/actions/metric_writes.py), or held in `pending` to ride with the event log; the
    facts' and the two upserts elsewhere."""
    if pending is not None:
        pending.add(facts, sums)
        return
    if is_postgresql(session):
        await metric_writes.write_together(session, facts, sums)
        return
    await _insert(session, facts)
    await metric_days.apply(session, sums)


def _old_facts(rows: Iterable[Any]) -> DaySums:
    """The roll-up sums of the facts a refresh deleted, to take away."""
    taken = DaySums()
    for kind, cohort_at, team_id, channel_id, operator_id, flags, value_s, work_s in rows:
        taken.add(kind, cohort_at, team_id, channel_id, operator_id, flags, value_s, work_s, -1)
    return taken


_RETURNED = (
    MetricFact.kind, MetricFact.cohort_at, MetricFact.team_id, MetricFact.channel_id,
    MetricFact.operator_id, MetricFact.flags, MetricFact.value_s, MetricFact.work_s,
)  # fmt: skip


@cache
def _forget_conversations(dialect: str) -> Executable:
    """The conversations' facts taken away to be derived again: built once, as every inbound
    message's commit runs it."""
    return (
        delete(MetricFact)
        .where(
            among_bound(MetricFact.subject_id, "ids", dialect),
            MetricFact.kind.in_(CONVERSATION_KINDS),
        )
        .returning(MetricFact.subject_id, *_RETURNED)
    )


async def _refresh_conversations(
    session: AsyncSession,
    ids: set[int],
    reopened_now: set[int],
    teams: TeamCache,
    opened: AbstractSet[int],
    known: Mapping[int, KnownConversation],
    pending: metric_writes.PendingFigures | None,
) -> None:
    # Whether a conversation was ever reopened is kept in its facts: the event log holds
    # the rest of its history, but is no place to look it up per conversation.
    dialect = session.get_bind().dialect.name
    older = sorted(ids - opened)
    gone = (
        (await session.execute(_forget_conversations(dialect), {"ids": older})).all()
        if older
        else []
    )
    reopened = reopened_now | {row[0] for row in gone if row[1] == "reopened"}
    facts = await conversation_facts_of(session, ids, reopened, teams, known)
    sums = _old_facts(row[1:] for row in gone)
    sums.add_facts(facts)
    await _write(session, facts, sums, pending)


def _through(events: Iterable[Event]) -> set[int]:
    """Calls of these events that went through (our call, or an answered one): only they
    can be the call back of an earlier lost call."""
    return {
        int(event.call["id"])
        for event in events
        if isinstance(event, CallChanged)
        and (event.call.get("direction") == "outbound" or event.call.get("outcome") == "answered")
    }


async def _lost_before(session: AsyncSession, ids: set[int]) -> set[int]:
    """Earlier lost calls of the same numbers whose call back these calls may be: those
    since the number's previous call that went through (older ones were called back by it
    or before it)."""
    found: set[int] = set()
    rows = await session.execute(
        select(Call.client_number, Call.started_at).where(
            Call.id.in_(ids),
            Call.client_number.is_not(None),
            went_through(),
        )
    )
    for number, started in rows.all():
        previous = (
            select(func.max(Call.started_at))
            .where(Call.client_number == number, Call.started_at < started, went_through())
            .scalar_subquery()
        )
        stmt = select(Call.id).where(
            Call.client_number == number,
            Call.started_at < started,
            or_(previous.is_(None), Call.started_at >= previous),
            Call.direction == CallDirection.inbound,
            Call.outcome.in_([*MISSED, CallOutcome.abandoned]),
        )
        found |= set((await session.execute(stmt)).scalars())
    return found


async def _refresh_calls(
    session: AsyncSession,
    ids: set[int],
    through: set[int],
    pending: metric_writes.PendingFigures | None,
) -> None:
    if through:
        ids = ids | await _lost_before(session, through)
    gone = await session.execute(
        delete(MetricFact)
        .where(MetricFact.subject_id.in_(ids), MetricFact.kind.in_(CALL_KINDS))
        .returning(*_RETURNED)
    )
    sums = _old_facts(gone.all())
    facts = await call_facts(session, [Call.id.in_(ids)])
    sums.add_facts(facts)
    await _write(session, facts, sums, pending)


async def refresh(
    session: AsyncSession,
    events: Sequence[Event],
    teams: TeamCache,
    opened: AbstractSet[int] = frozenset(),
    known: Mapping[int, tuple[KnownConversation, int]] | None = None,
    pending: metric_writes.PendingFigures | None = None,
) -> None:
    """Replace the facts of what these events changed (called inside their transaction);
    durations are counted in the business hours and calendar `teams` keeps; `opened`: the
    conversations the transaction opened, which have no facts to replace yet; `known`:
    conversations whose source rows the transaction knows (`UnitOfWork.know`); `pending`
    (PostgreSQL): the new facts and roll-ups are held there, to be written by the caller,
    instead of written now."""
    conversations, reopened, calls = _touched(events)
    if not conversations and not calls:
        return
    await session.flush()
    if conversations:
        still = _still_known(events, known) if known else {}
        await _refresh_conversations(
            session, conversations, reopened, teams, opened, still, pending
        )
    if calls:
        await _refresh_calls(session, calls, _through(events), pending)


async def _ids(session: AsyncSession, stmt: Select[int]) -> list[int]:
    return list((await session.execute(stmt)).scalars())


def _ranges(ids: list[int]) -> Iterator[tuple[int, int]]:
    """The first and last id of each batch of sorted ids: a batch is read as an id range
    (an index range scan), not as a list of thousands of parameters."""
    for start in range(0, len(ids), _BATCH):
        yield ids[start], ids[min(start + _BATCH, len(ids)) - 1]


async def rebuild(hub: Hub, since: datetime) -> tuple[int, int]:
    """Derive again the facts of every conversation created and every call started since
    `since`, and the roll-ups of the days from `since`'s, in one transaction (a formula fix
    applied to history), a batch of rows at a time so memory stays flat: each batch is two
    set-based reads (the conversations, and their waits with one window over their
    messages), worked out here, and written by COPY. Returns how many conversations and
    calls have facts."""
    async with hub.db.writing(), hub.db.sessions() as session, session.begin():
        # A writer from its first statement (SQLite: BEGIN IMMEDIATE), as a unit of work is:
        # a read transaction that writes later fails when another writer came in between.
        await session.connection(execution_options={WRITE_INTENT: True})
        reopened = await reopened_since(session, since)
        await session.execute(delete(MetricFact).where(MetricFact.cohort_at >= since))
        # The roll-ups of since's day and later are summed again: from the facts kept before
        # `since` on its first day, and from everything derived here.
        first_day = metric_days.local_day(since)
        first_midnight = datetime.combine(first_day, time(), metric_days.ZONE)
        sums = await metric_days.facts_before(session, first_midnight, since)
        await metric_days.forget_since(session, first_day)
        work = await load_working_time(session)
        ids = await _ids(
            session,
            select(Conversation.id)
            .where(Conversation.created_at >= since)
            .order_by(Conversation.id),
        )
        for done, (low, high) in enumerate(_ranges(ids), 1):
            where = [Conversation.id.between(low, high), Conversation.created_at >= since]
            facts = await conversation_facts(session, where, reopened, work)
            work.forget_durations()
            sums.add_facts(facts)
            await _write_facts(session, facts)
            # A year of history takes minutes: say how far it got.
            log.info("metric facts: %d of %d conversations", min(done * _BATCH, len(ids)), len(ids))
        call_ids = await _ids(
            session, select(Call.id).where(Call.started_at >= since).order_by(Call.id)
        )
        counted = 0
        for done, (low, high) in enumerate(_ranges(call_ids), 1):
            facts = await call_facts(
                session, [Call.id.between(low, high), Call.started_at >= since]
            )
            counted += len({f.subject_id for f in facts})
            sums.add_facts(facts)
            await _write_facts(session, facts)
            log.info(
                "metric facts: %d of %d calls", min(done * _BATCH, len(call_ids)), len(call_ids)
            )
        rows, bins = sums.rows(), sums.bin_rows()
        if is_postgresql(session):
            await _copy(session, "metric_days", metric_days.KEY + metric_days.SUMS,
                        [tuple(row.values()) for row in rows])  # fmt: skip
            await _copy(session, "metric_bins", (*metric_days.BIN_KEY, "facts"),
                        [tuple(row.values()) for row in bins])  # fmt: skip
        else:
            if rows:
                await session.execute(insert(MetricDay), rows)
            if bins:
                await session.execute(insert(MetricBin), bins)
    log.info("metric facts rebuilt since %s: %d conversations, %d calls", since, len(ids), counted)
    return len(ids), counted
