"""Leases for single consumers (ARCHITECTURE rule 6), kept in the shared database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from hub.core import Hub
from hub.db import WRITE_INTENT
from hub.models import Lease


async def acquire(hub: Hub, name: str, holder: str, ttl_s: float) -> bool:
    """Take or renew the lease; True while `holder` has it. One atomic upsert, so two nodes
    asking at once cannot both win."""
    insert = postgresql.insert if hub.db.dialect == "postgresql" else sqlite.insert
    now = hub.clock()
    expires = now + timedelta(seconds=ttl_s)
    stmt = (
        insert(Lease)
        .values(name=name, holder=holder, expires_at=expires)
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "expires_at": expires},
            where=or_(Lease.expires_at < now, Lease.holder == holder),
        )
        .returning(Lease.holder)
    )
    async with hub.db.sessions() as session, session.begin():
        await session.connection(execution_options={WRITE_INTENT: True})
        return (await session.execute(stmt)).scalar_one_or_none() == holder


async def release(hub: Hub, name: str, holder: str) -> None:
    async with hub.db.sessions() as session, session.begin():
        await session.connection(execution_options={WRITE_INTENT: True})
        await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


async def held_by_others(hub: Hub, prefix: str, holder: str) -> bool:
    """Whether someone other than `holder` holds an unexpired lease named `prefix...`."""
    stmt = (
        select(Lease.name)
        .where(
            Lease.name.startswith(prefix, autoescape=True),
            Lease.holder != holder,
            Lease.expires_at > hub.clock(),
        )
        .limit(1)
    )
    async with hub.db.sessions() as session:
        return (await session.execute(stmt)).first() is not None
