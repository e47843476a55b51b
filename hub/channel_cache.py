"""The channels an inbound event names, kept per process between changes.

Every inbound event names its channel by kind and name; reading that row for each one was a
statement of the hot path for a table that changes a few times a year. The cache is
forgotten on every change: when the changing action emits its `channel.changed` (this
process), when the event is heard on the bus (another node; `channel_sync`), and when
`channel_watch` finds a change made by another process in `event_log` (the CLI on SQLite,
whose bus nobody hears). So after the change event no lookup serves the old row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel

_COLUMNS = tuple(Channel.__table__.columns)
# Built once with plain bind parameters: compiled once, then a round trip per miss.
_BY_KEY = select(*_COLUMNS).where(
    Channel.kind == bindparam("kind"), Channel.name == bindparam("name")
)


class ChannelCache:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        # Bumped by every `forget`: a row read while a change happened is not kept, as the
        # read may have seen the row before the change committed.
        self._generation = 0

    def forget(self) -> None:
        self._rows.clear()
        self._generation += 1

    async def find(self, session: AsyncSession, kind: str, name: str) -> Channel | None:
        """The channel as a new object detached from any session, each call its own, so no
        caller's change (there should be none) reaches another's; None if there is none
        (not kept: a channel created later is found at once)."""
        row = self._rows.get((kind, name))
        if row is None:
            generation = self._generation
            connection = await session.connection()
            found = (await connection.execute(_BY_KEY, {"kind": kind, "name": name})).first()
            if found is None:
                return None
            row = {column.key: value for column, value in zip(_COLUMNS, found, strict=True)}
            if generation == self._generation:
                self._rows[(kind, name)] = row
        # A copy of the options: a caller reading them can never alter the kept row.
        return Channel(**{**row, "options": dict(row["options"] or {})})
