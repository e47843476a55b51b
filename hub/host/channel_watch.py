"""Channel changes made by another process, seen through the database.

`okno channel …` (the CLI) runs in its own process with its own bus: on one SQLite node with
the in-memory bus nobody hears its `channel.changed`, and a CLI run without `OKNO_REDIS_URL`
is not heard by Redis nodes either. But every change is written to `event_log` in the same
transaction as the channel row, so that table is the change counter: every
`POLL_INTERVAL_S` the node reads `max(id)` (the primary key's last entry, a single index
probe) and, only when it moved, the new `channel.changed` rows by a primary-key range scan,
then reloads those channels. A change made by this very hub (the API) was applied already
and is skipped; applying twice would be harmless anyway (`channel_sync.apply` leaves a
connector with unchanged options alone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from connectors.runner import ConnectorRunner
from hub.actions.channels import origin_of
from hub.core import Hub
from hub.events import ChannelChanged
from hub.models import EventLog

from .channel_sync import reload_channel

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 2.0
# On PostgreSQL ids are handed out before commit, so a transaction that took an id just
# below the last one seen may commit a moment later: each poll looks this far back again.
_OVERLAP = 200


async def _last_id(hub: Hub) -> int:
    async with hub.db.sessions() as session:
        return int((await session.execute(select(func.max(EventLog.id)))).scalar() or 0)


async def _changed_since(hub: Hub, after: int, upto: int) -> list[tuple[int, dict[str, object]]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(EventLog.id, EventLog.payload)
            .where(
                EventLog.id > after,
                EventLog.id <= upto,
                EventLog.kind == ChannelChanged.kind,
            )
            .order_by(EventLog.id)
        )
        return [(int(event_id), dict(payload)) for event_id, payload in rows]


async def watch_channel_changes(
    hub: Hub,
    runner: ConnectorRunner,
    interval: float = POLL_INTERVAL_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Runs for the node's lifetime (supervised: a failed poll restarts it with backoff)."""
    me = origin_of(hub)
    # Changes before the watch began were read with the table at start-up; never look back
    # past that (an old change would restart a connector started since).
    floor = cursor = await _last_id(hub)
    seen: set[int] = set()
    while True:
        await sleep(interval)
        top = await _last_id(hub)
        if top <= cursor:
            continue
        for event_id, payload in await _changed_since(hub, max(floor, cursor - _OVERLAP), top):
            if event_id in seen:
                continue
            seen.add(event_id)
            channel = payload.get("channel")
            if payload.get("origin") == me or not isinstance(channel, dict):
                continue
            # A change nobody may have heard on the bus (the CLI's): inbound lookups of
            # this process read the channel afresh.
            hub.channels.forget()
            log.info("channel %s changed by another process: applying", channel.get("name"))
            await reload_channel(hub, runner, int(channel["id"]))
        cursor = top
        # Only ids inside the look-back window can come round again.
        seen = {i for i in seen if i > cursor - _OVERLAP}
