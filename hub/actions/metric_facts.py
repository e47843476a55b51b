"""Keeping the metric facts (hub/models/metrics.py) in step with the rows they come from.

`refresh` runs in every unit of work just before its events are logged: the conversations
and calls its events name get their facts derived again from their rows (the same functions
a rebuild uses) and replaced, in the same transaction. Events that change no figure cost no
statement: a customer's message (it starts a wait; the answer that ends it is what is
measured), notes, flags, tags, snoozes. `rebuild` derives every fact since a date again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.db import WRITE_INTENT
from hub.events import CallChanged, ConversationChanged, Event, MessageCreated
from hub.models import Call, CallDirection, CallOutcome, Conversation, MetricFact
from hub.queries.metric_sources import (
    CALL_KINDS,
    CONVERSATION_KINDS,
    MISSED,
    Fact,
    call_facts,
    conversation_facts,
    reopened_since,
    went_through,
)

log = logging.getLogger(__name__)

# Conversation changes that move no figure (a robot's scan may flag ten thousand at once).
_NO_FIGURE = frozenset({"flagged", "tagged", "snoozed", "woken"})
# Conversations or calls derived at a time by a rebuild.
_BATCH = 2000
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


async def _refresh_conversations(
    session: AsyncSession, ids: set[int], reopened_now: set[int]
) -> None:
    # Whether a conversation was ever reopened is kept in its facts: the event log holds
    # the rest of its history, but is no place to look it up per conversation.
    gone = await session.execute(
        delete(MetricFact)
        .where(MetricFact.subject_id.in_(ids), MetricFact.kind.in_(CONVERSATION_KINDS))
        .returning(MetricFact.subject_id, MetricFact.kind)
    )
    reopened = reopened_now | {subject for subject, kind in gone.all() if kind == "reopened"}
    await _insert(session, await conversation_facts(session, [Conversation.id.in_(ids)], reopened))


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


async def _refresh_calls(session: AsyncSession, ids: set[int], through: set[int]) -> None:
    if through:
        ids = ids | await _lost_before(session, through)
    await session.execute(
        delete(MetricFact).where(MetricFact.subject_id.in_(ids), MetricFact.kind.in_(CALL_KINDS))
    )
    await _insert(session, await call_facts(session, [Call.id.in_(ids)]))


async def refresh(session: AsyncSession, events: Sequence[Event]) -> None:
    """Replace the facts of what these events changed (called inside their transaction)."""
    conversations, reopened, calls = _touched(events)
    if not conversations and not calls:
        return
    await session.flush()
    if conversations:
        await _refresh_conversations(session, conversations, reopened)
    if calls:
        await _refresh_calls(session, calls, _through(events))


async def _ids(session: AsyncSession, stmt: Select[int]) -> list[int]:
    return list((await session.execute(stmt)).scalars())


async def rebuild(hub: Hub, since: datetime) -> tuple[int, int]:
    """Derive again the facts of every conversation created and every call started since
    `since`, in one transaction (a formula fix applied to history), a batch of rows at a
    time so memory stays flat. Returns how many conversations and calls have facts."""
    async with hub.db.writing(), hub.db.sessions() as session, session.begin():
        # A writer from its first statement (SQLite: BEGIN IMMEDIATE), as a unit of work is:
        # a read transaction that writes later fails when another writer came in between.
        await session.connection(execution_options={WRITE_INTENT: True})
        reopened = await reopened_since(session, since)
        await session.execute(
            delete(MetricFact).where(
                MetricFact.cohort_at >= since, MetricFact.kind.in_(CONVERSATION_KINDS)
            )
        )
        ids = await _ids(
            session,
            select(Conversation.id)
            .where(Conversation.created_at >= since)
            .order_by(Conversation.id),
        )
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            facts = await conversation_facts(session, [Conversation.id.in_(batch)], reopened)
            await _insert(session, facts)
        await session.execute(
            delete(MetricFact).where(MetricFact.cohort_at >= since, MetricFact.kind.in_(CALL_KINDS))
        )
        call_ids = await _ids(
            session, select(Call.id).where(Call.started_at >= since).order_by(Call.id)
        )
        counted = 0
        for start in range(0, len(call_ids), _BATCH):
            facts = await call_facts(session, [Call.id.in_(call_ids[start : start + _BATCH])])
            counted += len({f.subject_id for f in facts})
            await _insert(session, facts)
    log.info("metric facts rebuilt since %s: %d conversations, %d calls", since, len(ids), counted)
    return len(ids), counted
