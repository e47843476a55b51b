"""The hub's side of telephony: the running PBX connector of a channel, an operator's
extension on it, and queue pauses that follow the operators' presence.

Presence events reach every node; only the node holding a PBX's AMI lease has a live link
to it (`connected`), so exactly one node sends each QueuePause.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connectors.asterisk import AmiError, AsteriskConnector
from connectors.runner import ConnectorRunner
from hub.core import Hub
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
        try:
            replies = await connector.pause(
                extension, paused, reason=PAUSE_REASON if paused else None
            )
            sent += len(replies)
        except (AmiError, ValueError) as exc:
            log.warning(
                "QueuePause %s of %s (%s) on %s failed: %s",
                "on" if paused else "off",
                user.login,
                extension,
                channel.name,
                exc,
            )
    return sent


async def follow_presence(hub: Hub, runner: ConnectorRunner) -> None:
    """Runs for the node's lifetime: each presence change of an operator (un)pauses them."""
    while True:
        subscription = hub.bus.subscribe()
        try:
            async for envelope in subscription:
                if envelope.kind != "presence.changed":
                    continue
                paused = PAUSED_WHEN.get(str(envelope.payload.get("presence")))
                if paused is not None:
                    await pause_operator(hub, runner, int(envelope.payload["user_id"]), paused)
        finally:
            subscription.close()
        if not subscription.overflowed:
            return  # the bus itself closed: the node is shutting down
        # It fell too far behind and was dropped: listen again from now on.
        log.warning("presence follower fell behind; subscribing again")
