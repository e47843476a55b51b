"""Durable per-channel values that connectors keep between runs (checkpoints)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hub.core import Hub
from hub.models import ChannelState


async def read(hub: Hub, channel_id: int, key: str) -> str | None:
    async with hub.db.sessions() as session:
        return (
            await session.execute(
                select(ChannelState.value).where(
                    ChannelState.channel_id == channel_id, ChannelState.key == key
                )
            )
        ).scalar_one_or_none()


async def write(hub: Hub, channel_id: int, key: str, value: str) -> None:
    insert = postgresql.insert if hub.db.dialect == "postgresql" else sqlite.insert
    now = hub.clock()
    stmt = insert(ChannelState).values(channel_id=channel_id, key=key, value=value, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel_id", "key"], set_={"value": value, "updated_at": now}
    )
    async with hub.db.sessions() as session, session.begin():
        await session.execute(stmt)
