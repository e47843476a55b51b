"""Recording inbound events (store before acknowledge) and tracking their processing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Table,
    and_,
    bindparam,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from hub.core import Hub
from hub.models import InboundEvent, InboundStatus, Lease

from .channels import origin_of
from .uow import UnitOfWork

# A node that claimed an event and died leaves it "processing"; after this the claim lapses
# and another node (or the same one, restarted) picks it up. Sooner when the claiming node
# is known gone: see `node_lease`.
PROCESSING_LEASE = timedelta(seconds=60)
# Each running node renews a lease of this name + its origin (hub/host/node_lease.py). An
# event stored or claimed by a node whose lease lapsed is any node's to take, at once.
NODE_LEASE_PREFIX = "node:"


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 600))


def node_lease(hub: Hub) -> str:
    return NODE_LEASE_PREFIX + origin_of(hub)


def _claimer_gone(hub: Hub) -> ColumnElement[bool]:
    """Stored or claimed by a node whose lease has lapsed (killed, crashed, powered off)."""
    alive = exists().where(
        Lease.name == literal(NODE_LEASE_PREFIX).concat(InboundEvent.claimed_by),
        Lease.expires_at > hub.clock(),
    )
    unfinished = InboundEvent.status.in_([InboundStatus.pending, InboundStatus.processing])
    return and_(unfinished, InboundEvent.claimed_by.is_not(None), ~alive)


@dataclass(frozen=True, kw_only=True)
class ClaimedEvent:
    """A stored event this node is processing: what processing needs of its row."""

    id: int
    source: str
    attempts: int
    payload: dict[str, Any]


_events = cast(Table, InboundEvent.__table__)


@cache
def _insert_once_statement(dialect: str) -> Insert:
    """Insert-once as a Core statement built once per dialect (SQLAlchemy compiles it once
    per set of columns given), run on the connection: no ORM unit of work on every event."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_events)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(_events.c.id)
    )


async def _insert_once(
    uow: UnitOfWork, source: str, external_id: str, payload: dict[str, Any], **state: Any
) -> int | None:
    """Insert the raw event in the given state; None when its source id is known already."""
    params = {
        "source": source,
        "external_id": external_id,
        "payload": payload,
        "attempts": 1,
        "received_at": uow.now(),
        "claimed_by": origin_of(uow.hub),
        **state,
    }
    connection = await uow.session.connection()
    result = await connection.execute(_insert_once_statement(uow.hub.db.dialect), params)
    new_id: int | None = result.scalar_one_or_none()
    return new_id


async def record_claimed(
    uow: UnitOfWork, source: str, external_id: str, payload: dict[str, Any]
) -> ClaimedEvent | None:
    """Insert the raw event once, already claimed by this node for its first attempt, in the
    unit of work that processes it: stored, processed and acknowledged in one commit. None
    for a repeat (the source's id is known); `recorded` then tells the first one's row."""
    new_id = await _insert_once(
        uow,
        source,
        external_id,
        payload,
        status=InboundStatus.processing,
        # Should the commit carry it as "processing" after all (it never does: the same
        # transaction ends it processed, ignored or failed), the claim lapses.
        next_attempt_at=uow.now() + PROCESSING_LEASE,
    )
    if new_id is None:
        return None
    return ClaimedEvent(id=new_id, source=source, attempts=1, payload=payload)


async def record_failed(
    uow: UnitOfWork, source: str, external_id: str, payload: dict[str, Any], error: str
) -> tuple[int, bool]:
    """Store an event whose first processing failed (and was undone), due again after the
    first backoff; return (id, created). A repeat stored meanwhile keeps the first row."""
    new_id = await _insert_once(
        uow,
        source,
        external_id,
        payload,
        status=InboundStatus.failed,
        last_error=error[:4000],
        next_attempt_at=uow.now() + _backoff(1),
    )
    if new_id is not None:
        return new_id, True
    return (await recorded(uow, source, external_id))[0], False


async def recorded(uow: UnitOfWork, source: str, external_id: str) -> tuple[int, int | None]:
    """The first row of a repeated event: its id and the conversation it went to."""
    # Its first may have been processed a moment ago in this very transaction.
    await uow.flush_marks()
    row = (
        await uow.session.execute(
            select(InboundEvent.id, InboundEvent.conversation_id).where(
                InboundEvent.source == source, InboundEvent.external_id == external_id
            )
        )
    ).one()
    return row[0], row[1]


async def claim(hub: Hub, event_id: int) -> ClaimedEvent | None:
    """Atomically take a stored event for another attempt, so two workers never process it
    together."""
    now = hub.clock()
    claimable = or_(
        InboundEvent.status.in_([InboundStatus.pending, InboundStatus.failed]),
        and_(InboundEvent.status == InboundStatus.processing, InboundEvent.next_attempt_at < now),
        _claimer_gone(hub),
    )
    stmt = (
        update(InboundEvent)
        .where(InboundEvent.id == event_id, claimable)
        .values(
            status=InboundStatus.processing,
            attempts=InboundEvent.attempts + 1,
            next_attempt_at=now + PROCESSING_LEASE,
            claimed_by=origin_of(hub),
        )
        .returning(
            InboundEvent.id, InboundEvent.source, InboundEvent.attempts, InboundEvent.payload
        )
    )
    async with hub.db.sessions() as session, session.begin():
        row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    return ClaimedEvent(id=row[0], source=row[1], attempts=row[2], payload=row[3])


async def due_for_retry(hub: Hub, limit: int = 100) -> list[int]:
    now = hub.clock()
    stmt = (
        select(InboundEvent.id)
        .where(
            InboundEvent.status.in_(
                [InboundStatus.pending, InboundStatus.failed, InboundStatus.processing]
            ),
            or_(InboundEvent.next_attempt_at <= now, _claimer_gone(hub)),
            InboundEvent.attempts < hub.settings.inbound_max_attempts,
        )
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    async with hub.db.sessions() as session:
        return list((await session.execute(stmt)).scalars())


async def take_back_all(hub: Hub) -> int:
    """At the start of a single node (SQLite): every unfinished claim in its database was its
    own, made before it stopped, so they are all due now rather than when they would lapse."""
    stmt = (
        update(InboundEvent)
        .where(InboundEvent.status.in_([InboundStatus.pending, InboundStatus.processing]))
        .values(status=InboundStatus.pending, next_attempt_at=hub.clock(), claimed_by=None)
    )
    async with hub.db.sessions() as session, session.begin():
        # An UPDATE's result always counts its rows (both drivers): no default to fall back on.
        result = cast(CursorResult[Any], await session.execute(stmt))
        return result.rowcount


# Every processed event ends with it: built once, run on the connection (Core).
_MARK_PROCESSED = (
    update(_events)
    .where(_events.c.id == bindparam("event"))
    .values(
        status=InboundStatus.processed,
        processed_at=bindparam("at"),
        conversation_id=bindparam("into_conversation"),
        message_id=bindparam("as_message"),
        last_error=None,
        next_attempt_at=None,
    )
)


async def mark_processed(
    uow: UnitOfWork, event_id: int, conversation_id: int | None, message_id: int | None
) -> None:
    params = {
        "event": event_id,
        "at": uow.now(),
        "into_conversation": conversation_id,
        "as_message": message_id,
    }
    connection = await uow.session.connection()
    await connection.execute(_MARK_PROCESSED, params)


async def mark_ignored(uow: UnitOfWork, event_id: int, reason: str) -> None:
    await uow.session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id)
        .values(status=InboundStatus.ignored, processed_at=uow.now(), last_error=reason)
    )


async def mark_failed(uow: UnitOfWork, event: ClaimedEvent, error: str) -> None:
    """Record a processing failure; the retry loop tries again after a growing pause. Only
    while the claim is still this attempt's: a failure recorded late (the database was away)
    must not undo what another node did with the event after the claim lapsed."""
    await uow.session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.id == event.id,
            InboundEvent.status == InboundStatus.processing,
            InboundEvent.attempts == event.attempts,
            InboundEvent.claimed_by == origin_of(uow.hub),
        )
        .values(
            status=InboundStatus.failed,
            last_error=error[:4000],
            next_attempt_at=uow.now() + _backoff(event.attempts),
        )
    )
