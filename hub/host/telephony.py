"""The hub's side of telephony: the running PBX connector of a channel, an operator's
extension on it, and queue pauses that follow the operators' presence.

Presence events reach every node; only the node holding a PBX's AMI lease has a live link
to it (`connected`), so exactly one node sends each QueuePause. Presence that changed while
the link was down is applied when it comes back (`on_linked`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connectors.asterisk import AmiError, AsteriskConnector
from connectors.runner import ConnectorRunner
from hub.bus import listen, on
from hub.core import Hub
from hub.events import PresenceChanged
from hub.host.channels import ChannelContext
from hub.models import Channel, Presence, User

log = logging.getLogger(__name__)

KIND = "asterisk"
# away: paused in the PBX queues (calls go to others); back online: unpaused.
PAUSED_WHEN = {Presence.away.value: True, Presence.online.value: False}
PAUSE_REASON = "away"


async def pbx_channels(hub: Hub) -> list[Channel]:
    async with hub.db.sessions() as session:
        stmt = select(Channel).where(Channel.kind == KIND, Channel.enabled).order_by(Channel.id)
        return list((await session.execute(stmt)).scalars())


def connector_for(runner: ConnectorRunner, channel: Channel) -> AsteriskConnector | None:
    connector = runner.get(KIND, channel.name)
    return connector if isinstance(connector, AsteriskConnector) else None


def extension_of(user: User, channel: Channel) -> str | None:
    """The operator's extension on this PBX: its own map first, else the user's profile
    (unless the map gives that extension to someone else)."""
    mapping: dict[str, str] = (channel.options or {}).get("extensions", {})
    for extension, login in mapping.items():
        if login == user.login:
            return extension
    if user.extension and user.extension not in mapping:
        return user.extension
    return None


def attended_transfers(channel: Channel) -> bool:
    """Whether the PBX is set up for attended transfers (AsteriskOptions.attended_transfer)."""
    return bool((channel.options or {}).get("attended_transfer", True))


async def pause_operator(hub: Hub, runner: ConnectorRunner, user_id: int, paused: bool) -> int:
    """(Un)pause the operator on every PBX this node reads; returns the actions sent."""
    async with hub.db.sessions() as session:
        user = await session.get(User, user_id)
    if user is None:
        return 0
    sent = 0
    for channel in await pbx_channels(hub):
        connector = connector_for(runner, channel)
        extension = extension_of(user, channel)
        if connector is None or not connector.connected or extension is None:
            continue
        sent += await _pause(connector, user, extension, paused)
    return sent


async def _pause(connector: AsteriskConnector, user: User, extension: str, paused: bool) -> int:
    try:
        replies = await connector.pause(extension, paused, reason=PAUSE_REASON if paused else None)
    except (AmiError, ValueError) as exc:
        log.warning(
            "QueuePause %s of %s (%s) on %s failed: %s",
            "on" if paused else "off",
            user.login,
            extension,
            connector.ctx.channel_name,
            exc,
        )
        return 0
    return len(replies)


async def on_linked(ctx: ChannelContext) -> None:
    """The AMI link to this PBX is up (again): every operator away is paused in its queues
    and every one online unpaused, whatever happened to their presence while it was down.
    Members the PBX already lists in the wanted state are left alone."""
    hub = ctx.ingestor.hub
    async with hub.db.sessions() as session:
        channel = await session.get(Channel, ctx.channel_id)
        wanted = [Presence(value) for value in PAUSED_WHEN]
        stmt = select(User).where(User.is_active, User.presence.in_(wanted)).order_by(User.id)
        users = list((await session.execute(stmt)).scalars())
    connector = connector_for(ctx.runner, channel) if channel is not None else None
    if channel is None or connector is None:
        return
    for user in users:
        extension = extension_of(user, channel)
        if extension is None or not connector.connected:
            continue
        paused = PAUSED_WHEN[user.presence.value]
        listed = [s for s in connector.agents.members.values() if s.extension == extension]
        if listed and all(state.paused == paused for state in listed):
            continue
        await _pause(connector, user, extension, paused)


async def follow_presence(hub: Hub, runner: ConnectorRunner) -> None:
    """Runs for the node's lifetime: each presence change of an operator (un)pauses them."""

    async def on_presence(event: PresenceChanged) -> None:
        paused = PAUSED_WHEN.get(event.presence)
        if paused is not None:
            await pause_operator(hub, runner, event.user_id, paused)

    routes = [on(PresenceChanged, on_presence)]
    await listen(hub.bus, routes, db=hub.db, name="telephony-presence")
