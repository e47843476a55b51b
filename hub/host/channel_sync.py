"""Keeps this node's running connectors in step with the channels table.

The node that changes a channel (the API) applies the change itself at once; every other
node hears `channel.changed` on the bus and reloads the channel from the database, so a
disabled web form stops answering on all nodes, not only on the one that disabled it. With
the in-memory bus (one SQLite node) a change made by another process (`okno channel ...`)
is not heard on the bus: `channel_watch` finds it in `event_log` within seconds.
"""

from __future__ import annotations

import asyncio
import logging
from weakref import WeakKeyDictionary

from sqlalchemy import select

from connectors.registry import ChannelConfigError, validate_options
from connectors.runner import ChannelSpec, ConnectorRunner
from hub.actions.channels import origin_of
from hub.core import Hub
from hub.events import ChannelChanged
from hub.host.channels import spec_of
from hub.listener import listen, on
from hub.models import Channel

log = logging.getLogger(__name__)

# One change at a time per runner: the API and the follower may both apply the same channel,
# and two overlapping starts would leave one connector running unsupervised.
_locks: WeakKeyDictionary[ConnectorRunner, asyncio.Lock] = WeakKeyDictionary()


def _lock(runner: ConnectorRunner) -> asyncio.Lock:
    return _locks.setdefault(runner, asyncio.Lock())


async def apply(runner: ConnectorRunner, spec: ChannelSpec) -> bool:
    """Start, restart or stop the channel's connector to match `spec`; True if it runs.

    A connector already running with these very options is left alone (a new title does
    not drop a PBX link). Raises ChannelConfigError or whatever the connector's start raises.
    """
    async with _lock(runner):
        running = runner.get(spec.kind, spec.name)
        if not spec.enabled:
            if running is not None:
                await runner.stop_channel(spec.kind, spec.name)
                log.info("channel %s:%s stopped (disabled)", spec.kind, spec.name)
            return False
        if running is not None and running.options == validate_options(spec.kind, spec.options):
            return True
        await runner.start_channel(spec)
        return True


async def apply_logged(runner: ConnectorRunner, spec: ChannelSpec) -> bool:
    """`apply`, with a failure logged rather than raised: the change is stored either way."""
    try:
        return await apply(runner, spec)
    except ChannelConfigError as exc:
        log.error("channel %s:%s not started: %s", spec.kind, spec.name, exc.errors)
    except Exception:
        log.exception("channel %s:%s failed to start", spec.kind, spec.name)
    return runner.get(spec.kind, spec.name) is not None


async def reload_channel(hub: Hub, runner: ConnectorRunner, channel_id: int) -> None:
    async with hub.db.sessions() as session:
        channel = await session.get(Channel, channel_id)
    if channel is not None:
        await apply_logged(runner, spec_of(channel))


async def reload_all(hub: Hub, runner: ConnectorRunner) -> None:
    async with hub.db.sessions() as session:
        channels = (await session.execute(select(Channel).order_by(Channel.id))).scalars().all()
    for channel in channels:
        await apply_logged(runner, spec_of(channel))


async def follow_channel_changes(hub: Hub, runner: ConnectorRunner) -> None:
    """Runs for the node's lifetime: applies the channel changes other hubs made."""
    me = origin_of(hub)

    async def on_changed(event: ChannelChanged) -> None:
        # Whoever changed it: inbound lookups of this process must read it afresh.
        hub.channels.forget()
        if event.origin != me:
            await reload_channel(hub, runner, int(event.channel["id"]))

    async def catch_up() -> None:
        # The table holds every channel's state: reloading each once beats replaying changes.
        hub.channels.forget()
        await reload_all(hub, runner)

    routes = [on(ChannelChanged, on_changed)]
    await listen(hub.bus, routes, on_gap=catch_up, name="channel-follower")
