"""Channel runtime: load configured channels, start their connectors, give them a context."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from connectors.base import Inbound, Receipt
from connectors.registry import ChannelConfigError
from connectors.runner import ChannelSpec, ConnectorRunner
from hub.core import Hub
from hub.models import Channel
from routing.ingest import Ingestor

log = logging.getLogger(__name__)


@dataclass
class ChannelContext:
    """The ConnectorContext the hub gives each connector instance."""

    channel_id: int
    channel_kind: str
    channel_name: str
    log: logging.Logger
    ingestor: Ingestor

    async def submit(self, item: Inbound) -> Receipt:
        return await self.ingestor.submit(item)


def context_factory(ingestor: Ingestor) -> type[ChannelContext] | object:
    def make(spec: ChannelSpec) -> ChannelContext:
        return ChannelContext(
            channel_id=spec.id,
            channel_kind=spec.kind,
            channel_name=spec.name,
            log=logging.getLogger(f"okno.channel.{spec.kind}.{spec.name}"),
            ingestor=ingestor,
        )

    return make


def spec_of(channel: Channel) -> ChannelSpec:
    return ChannelSpec(channel.id, channel.kind, channel.name, dict(channel.options), channel.enabled)


async def start_enabled_channels(hub: Hub, runner: ConnectorRunner) -> None:
    async with hub.db.sessions() as session:
        channels = (await session.execute(select(Channel).where(Channel.enabled))).scalars().all()
    for channel in channels:
        try:
            await runner.start_channel(spec_of(channel))
        except ChannelConfigError as exc:
            # One misconfigured channel must not keep the others (or the node) down.
            log.error("channel %s:%s not started: %s", channel.kind, channel.name, exc.errors)
