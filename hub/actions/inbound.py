"""Recording inbound events (store before acknowledge) and tracking their processing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

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
# A new event is processed by the request that stored it; the retry loop leaves it alone
# this long so the two do not race for it.
FIRST_ATTEMPT_GRACE = timedelta(seconds=30)


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


async def record(
    hub: Hub, source: str, external_id: str, payload: dict[str, Any]
) -> tuple[int, bool]:
    """Insert the raw event once; return (id, created). A repeat returns the first id."""
    insert = postgresql.insert if hub.db.dialect == "postgresql" else sqlite.insert
    now = hub.clock()
    stmt = (
        insert(InboundEvent)
        .values(
            source=source,
            external_id=external_id,
            payload=payload,
            status=InboundStatus.pending,
            attempts=0,
            received_at=now,
            next_attempt_at=now + FIRST_ATTEMPT_GRACE,
            claimed_by=origin_of(hub),  # the storing request processes it first
        )
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(InboundEvent.id)
    )
    async with hub.db.sessions() as session, session.begin():
        new_id = (await session.execute(stmt)).scalar_one_or_none()
        if new_id is not None:
            return new_id, True
        existing = await session.execute(
            select(InboundEvent.id).where(
                InboundEvent.source == source, InboundEvent.external_id == external_id
            )
        )
        return existing.scalar_one(), False


async def claim(hub: Hub, event_id: int) -> InboundEvent | None:
    """Atomically take an event for processing, so two workers never process it together."""
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
        .returning(InboundEvent)
    )
    async with hub.db.sessions() as session, session.begin():
        return (await session.execute(stmt)).scalar_one_or_none()


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
        return int(getattr(await session.execute(stmt), "rowcount", 0) or 0)


async def mark_processed(
    uow: UnitOfWork, event_id: int, conversation_id: int | None, message_id: int | None
) -> None:
    await uow.session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id)
        .values(
            status=InboundStatus.processed,
            processed_at=uow.now(),
            conversation_id=conversation_id,
            message_id=message_id,
            last_error=None,
            next_attempt_at=None,
        )
    )


async def mark_ignored(uow: UnitOfWork, event_id: int, reason: str) -> None:
    await uow.session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id)
        .values(status=InboundStatus.ignored, processed_at=uow.now(), last_error=reason)
    )


async def mark_failed(hub: Hub, event_id: int, attempts: int, error: str) -> None:
    """Record a processing failure; the retry loop tries again after a growing pause."""
    async with hub.db.sessions() as session, session.begin():
        await session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == event_id)
            .values(
                status=InboundStatus.failed,
                last_error=error[:4000],
                next_attempt_at=hub.clock() + _backoff(attempts),
            )
        )
