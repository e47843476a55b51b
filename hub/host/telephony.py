"""The hub's side of telephony: the running call-control connector of a channel, an
operator's extension on it, and queue pauses that follow the operators' presence.

A channel is telephony when its connector offers the CallControl capability; the hub never
asks which connector that is. Presence events reach every node; only the node holding a PBX's
lease has a live link to it (`link_up`), so exactly one node sends each pause. Presence that
changed while the link was down is applied when it comes back (`on_linked`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connectors.capabilities import CallControl, CallControlError
from connectors.registry import ChannelConfigError, connector_class
from connectors.runner import ConnectorRunner
from hub.core import Hub
from hub.events import PresenceChanged
from hub.host.channels import ChannelContext
from hub.listener import listen, on
from hub.models import Channel, Presence, User
from hub.pbx import extension_of

log = logging.getLogger(__name__)

# away: paused in the PBX queues (calls go to others); back online: unpaused.
PAUSED_WHEN = {Presence.away.value: True, Presence.online.value: False}
PAUSE_REASON = "away"


def has_call_control(kind: str) -> bool:
    """Whether channels of this kind place and move calls (their connector is CallControl)."""
    try:
        return issubclass(connector_class(kind), CallControl)
    except ChannelConfigError:
        return False  # no such connector installed: nothing to control


async def pbx_channels(hub: Hub) -> list[Channel]:
    """The enabled channels with call control, oldest first."""
    async with hub.db.sessions() as session:
        stmt = select(Channel).where(Channel.enabled).order_by(Channel.id)
        channels = list((await session.execute(stmt)).scalars())
    return [channel for channel in channels if has_call_control(channel.kind)]


def connector_for(runner: ConnectorRunner, channel: Channel) -> CallControl | None:
    connector = runner.get(channel.kind, channel.name)
    return connector if isinstance(connector, CallControl) else None


def call_control_named(runner: ConnectorRunner, name: str) -> CallControl | None:
    """The call-control connector this node runs for the channel called `name`, of whatever
    kind (call control addresses a PBX by its channel's name)."""
    for (_, running_name), connector in runner.running():
        if running_name == name and isinstance(connector, CallControl):
            return connector
    return None


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
        if connector is None or not connector.link_up() or extension is None:
            continue
        sent += await _pause(connector, channel.name, user, extension, paused)
    return sent


async def _pause(
    connector: CallControl, channel_name: str, user: User, extension: str, paused: bool
) -> int:
    try:
        replies = await connector.pause(extension, paused, reason=PAUSE_REASON if paused else None)
    except (CallControlError, ValueError) as exc:
        log.warning(
            "queue pause %s of %s (%s) on %s failed: %s",
            "on" if paused else "off",
            user.login,
            extension,
            channel_name,
            exc,
        )
        return 0
    return len(replies)


async def on_linked(ctx: ChannelContext) -> None:
    """A connector's link to its source is up (again). For a PBX: every operator away is
    paused in its queues and every one online unpaused, whatever happened to their presence
    while it was down. Members the PBX already lists in the wanted state are left alone."""
    connector = ctx.runner.get(ctx.channel_kind, ctx.channel_name)
    if not isinstance(connector, CallControl):
        return
    hub = ctx.ingestor.hub
    async with hub.db.sessions() as session:
        channel = await session.get(Channel, ctx.channel_id)
        wanted = [Presence(value) for value in PAUSED_WHEN]
        stmt = select(User).where(User.is_active, User.presence.in_(wanted)).order_by(User.id)
        users = list((await session.execute(stmt)).scalars())
    if channel is None:
        return
    for user in users:
        extension = extension_of(user, channel)
        if extension is None or not connector.link_up():
            continue
        paused = PAUSED_WHEN[user.presence.value]
        listed = connector.queue_pause_states(extension)
        if listed and all(state == paused for state in listed):
            continue
        await _pause(connector, channel.name, user, extension, paused)


async def follow_presence(hub: Hub, runner: ConnectorRunner) -> None:
    """Runs for the node's lifetime: each presence change of an operator (un)pauses them."""

    async def on_presence(event: PresenceChanged) -> None:
        paused = PAUSED_WHEN.get(event.presence)
        if paused is not None:
            await pause_operator(hub, runner, event.user_id, paused)

    routes = [on(PresenceChanged, on_presence)]
    await listen(hub.bus, routes, db=hub.db, name="telephony-presence")
