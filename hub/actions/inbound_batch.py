"""Recording a group commit's inbound events together: what `inbound.record_claimed` and
`inbound.mark_processed` do for one event, for a batch, one statement each.

A batch's events are stored before any of them is processed, in the batch's order; a source
repeating itself (stored before, or twice in the batch) gets no row of its own, as with
`record_claimed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.models import InboundStatus

from .bulk_insert import insert_once_returning
from .channels import origin_of
from .inbound import (
    _MARK_PROCESSED,
    PROCESSING_LEASE,
    ClaimedEvent,
    _events,
    _insert_once_statement,
)
from .uow import UnitOfWork


@dataclass(frozen=True)
class Arrival:
    """An inbound event to store: its source, its id there, its storable JSON."""

    source: str
    key: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Done:
    """A stored event processed into a conversation (and a message of it, if it brought one)."""

    event_id: int
    conversation_id: int | None
    message_id: int | None


# SQLite: `record_claimed`'s insert-once, returning each stored row's key as well.
_STORE_SQLITE = _insert_once_statement("sqlite").returning(_events.c.source, _events.c.external_id)


async def record_claimed_many(
    uow: UnitOfWork, arrivals: Sequence[Arrival]
) -> list[ClaimedEvent | None]:
    """Store each arrival once, claimed by this node for its first attempt; per arrival its
    claimed event, or None for a repeat (`inbound.recorded` then tells the first one's row).
    Within the batch the first of two arrivals with one key is the one stored."""
    if not arrivals:
        return []
    now = uow.now()
    origin = origin_of(uow.hub)
    rows = [
        {
            "source": a.source,
            "external_id": a.key,
            "payload": a.payload,
            "status": InboundStatus.processing,
            "attempts": 1,
            "received_at": now,
            # Should the commit carry it as "processing" after all (it never does: the same
            # transaction ends it processed, ignored or failed), the claim lapses.
            "next_attempt_at": now + PROCESSING_LEASE,
            "claimed_by": origin,
        }
        for a in arrivals
    ]
    returned = ("id", "source", "external_id")
    if uow.hub.db.dialect == "postgresql":
        # One statement whatever the batch's size (hub/actions/bulk_insert.py).
        result = await insert_once_returning(
            uow, _events, rows, conflict=("source", "external_id"), returning=returned
        )
    else:
        connection = await uow.session.connection()
        result = [tuple(r) for r in await connection.execute(_STORE_SQLITE, rows)]
    # Keyed by the source's key, not by position: the rows of repeats are not returned.
    stored = {(source, key): event_id for event_id, source, key in result}
    claimed: list[ClaimedEvent | None] = []
    for a in arrivals:
        event_id = stored.pop((a.source, a.key), None)
        claimed.append(
            None
            if event_id is None
            else ClaimedEvent(id=event_id, source=a.source, attempts=1, payload=a.payload)
        )
    return claimed


# PostgreSQL: every event's outcome as arrays unnested side by side, one statement; the unit
# of work sends it as a part of its event log's insert (`UnitOfWork.mark_processed`), or
# alone when something reads the marks first.
MARK_PROCESSED_PG = (
    "UPDATE inbound_events AS e SET status = 'processed', processed_at = :marked_at,"
    " conversation_id = v.conversation_id, message_id = v.message_id,"
    " last_error = NULL, next_attempt_at = NULL"
    " FROM unnest(CAST(:marked_events AS bigint[]), CAST(:marked_conversations AS bigint[]),"
    " CAST(:marked_messages AS bigint[])) AS v(id, conversation_id, message_id)"
    " WHERE e.id = v.id"
)


async def mark_processed_many(uow: UnitOfWork, done: Sequence[Done]) -> None:
    """`inbound.mark_processed` for each: processed now, into its conversation and message
    (on PostgreSQL with the unit of work's event log: `UnitOfWork.mark_processed`)."""
    if not done:
        return
    if uow.hub.db.dialect == "postgresql":
        uow.mark_processed([(d.event_id, d.conversation_id, d.message_id) for d in done])
        return
    # SQLite runs in process: one prepared statement per row costs no round trip.
    connection = await uow.session.connection()
    now = uow.now()
    await connection.execute(
        _MARK_PROCESSED,
        [
            {
                "event": d.event_id,
                "at": now,
                "into_conversation": d.conversation_id,
                "as_message": d.message_id,
            }
            for d in done
        ],
    )
