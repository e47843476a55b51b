"""Channel runtime: load configured channels, start their connectors, give them a context."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from connectors.base import ConnectorContext, Inbound, Receipt, StorageUnavailable
from connectors.registry import ChannelConfigError
from connectors.runner import ChannelSpec, ConnectorRunner
from hub.actions import channel_state
from hub.actions.channels import origin_of
from hub.core import Hub
from hub.host.leased import run_leased
from hub.models import Channel
from hub.outages import OUTAGES, dependency_of
from routing.ingest import Ingestor

log = logging.getLogger(__name__)


LinkHook = Callable[["ChannelContext"], Awaitable[None]]
# Told (kind, name, state) when a connector's link to its source changes: True up, False
# lost, None when this node no longer reads the source (the channel stopped, the lease went
# to another node), so the gauge is dropped rather than showing a down link that is not ours.
LinkStateHook = Callable[[str, str, bool | None], None]


@dataclass
class ChannelContext:
    """The ConnectorContext the hub gives each connector instance."""

    channel_id: int
    channel_kind: str
    channel_name: str
    log: logging.Logger
    ingestor: Ingestor
    runner: ConnectorRunner
    # Run when the connector's source link is (re)established (see `linked`).
    on_linked: LinkHook | None = field(default=None)
    on_link_state: LinkStateHook | None = field(default=None)

    async def submit(self, item: Inbound) -> Receipt:
        try:
            return await self.ingestor.submit(item)
        except Exception as exc:
            dependency = dependency_of(exc)
            if dependency is None:
                raise
            # Counted in the outage (one log line for all of it), not a traceback per input.
            where = f"storing an input of {self.channel_kind}:{self.channel_name}"
            OUTAGES[dependency].failed(exc, where)
            raise StorageUnavailable(f"{dependency} unavailable") from exc

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        # Whatever a connector runs in the background reads a source that must be read
        # once (a poll, a mailbox, a PBX socket): it runs on the node holding the lease.
        task_name = f"{self.channel_kind}:{self.channel_name}:{name}"
        hub = self.ingestor.hub

        async def reading() -> None:
            try:
                await run()
            except asyncio.CancelledError:
                # The lease went to another node, or the channel stopped: not our link now.
                self._report_link(None)
                raise
            except Exception:
                # A crash is a lost link until the restart brings it up again.
                self._report_link(False)
                raise
            self._report_link(None)

        def leased() -> Awaitable[None]:
            # Held per hub, not per process: tests and embedders run several nodes in one.
            return run_leased(hub, task_name, reading, origin_of(hub))

        self.runner.supervise_for((self.channel_kind, self.channel_name), task_name, leased)

    async def linked(self) -> None:
        """The connector's link to its source is up again: the hub brings the source in step
        with what changed meanwhile (an operator's presence -> their PBX queue pause)."""
        if self.on_linked is not None:
            await self.on_linked(self)

    def link_changed(self, up: bool) -> None:
        self._report_link(up)

    def _report_link(self, state: bool | None) -> None:
        if self.on_link_state is not None:
            self.on_link_state(self.channel_kind, self.channel_name, state)

    async def checkpoint_get(self, key: str) -> str | None:
        return await channel_state.read(self.ingestor.hub, self.channel_id, key)

    async def checkpoint_set(self, key: str, value: str) -> None:
        await channel_state.write(self.ingestor.hub, self.channel_id, key, value)


def context_factory(
    ingestor: Ingestor,
    on_linked: LinkHook | None = None,
    on_link_state: LinkStateHook | None = None,
) -> Callable[[ConnectorRunner, ChannelSpec], ConnectorContext]:
    """`on_linked`: what to do each time a connector's link to its source (re)connects; it
    looks at the connector's capabilities to know whether there is anything to do.
    `on_link_state`: told every change of that link (the node's metrics)."""

    def make(runner: ConnectorRunner, spec: ChannelSpec) -> ChannelContext:
        return ChannelContext(
            channel_id=spec.id,
            channel_kind=spec.kind,
            channel_name=spec.name,
            log=logging.getLogger(f"okno.channel.{spec.kind}.{spec.name}"),
            ingestor=ingestor,
            runner=runner,
            on_linked=on_linked,
            on_link_state=on_link_state,
        )

    return make


def spec_of(channel: Channel) -> ChannelSpec:
    return ChannelSpec(
        channel.id, channel.kind, channel.name, dict(channel.options), channel.enabled
    )


async def start_enabled_channels(hub: Hub, runner: ConnectorRunner) -> None:
    async with hub.db.sessions() as session:
        channels = (await session.execute(select(Channel).where(Channel.enabled))).scalars().all()
    for channel in channels:
        try:
            await runner.start_channel(spec_of(channel))
        except ChannelConfigError as exc:
            # One misconfigured channel must not keep the others (or the node) down.
            log.error("channel %s:%s not started: %s", channel.kind, channel.name, exc.errors)
