"""Creating, changing, disabling and enabling channels (connector instances).

A channel is never deleted: its conversations, messages and inbound events point at it, so
"delete" disables it and all of that history stays. Every change emits `ChannelChanged`, so
the other nodes start, restart or stop their connector for it.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connectors.registry import SECRET_MASK, connector_class, validate_options
from hub.core import NODE_ID, Hub
from hub.events import STAFF_ROLES, Audience, ChannelChanged
from hub.models import Channel, Team
from hub.serialize import channel_brief

from .uow import UnitOfWork

# The name is part of the channel's URLs (/hooks/telegram/<name>, /forms/<name>): a slug.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class ChannelExistsError(ValueError):
    pass


class BadChannelNameError(ValueError):
    pass


class NoSuchTeamError(ValueError):
    pass


class _Keep(enum.Enum):
    KEEP = "keep"


# "Leave it as it is", where None is a value (no team).
KEEP = _Keep.KEEP


def origin_of(hub: Hub) -> str:
    """Names this hub among all sharing the bus: the process's node id plus the hub object,
    as tests (and embedders) may run several nodes in one process."""
    return f"{NODE_ID}/{id(hub):x}"


def _announce(uow: UnitOfWork, channel: Channel) -> None:
    uow.emit(
        ChannelChanged(
            audience=Audience(roles=STAFF_ROLES),
            channel=channel_brief(channel),
            enabled=channel.enabled,
            origin=origin_of(uow.hub),
        )
    )


async def _ensure_team(uow: UnitOfWork, team_id: int) -> None:
    if await uow.session.get(Team, team_id) is None:
        raise NoSuchTeamError(f"there is no team with id {team_id}")


async def get_for_update(uow: UnitOfWork, channel_id: int) -> Channel | None:
    stmt = select(Channel).where(Channel.id == channel_id).with_for_update()
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def create_channel(
    uow: UnitOfWork,
    kind: str,
    name: str,
    options: dict[str, Any],
    title: str = "",
    team_id: int | None = None,
    enabled: bool = True,
) -> Channel:
    """Raises ChannelConfigError (per field), BadChannelNameError, ChannelExistsError or
    NoSuchTeamError."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise BadChannelNameError(
            f"{name!r} is not a channel name: lower-case letters, digits, _ and -, up to 63"
        )
    validated = validate_options(kind, options)
    if team_id is not None:
        await _ensure_team(uow, team_id)
    exists = await uow.session.execute(
        select(Channel.id).where(Channel.kind == kind, Channel.name == name)
    )
    if exists.first() is not None:
        raise ChannelExistsError(f"a {kind} channel named {name!r} exists already")
    channel = Channel(
        kind=kind,
        name=name,
        title=title or name,
        options=validated.model_dump(mode="json"),
        enabled=enabled,
        team_id=team_id,
        created_at=uow.now(),
    )
    uow.session.add(channel)
    try:
        await uow.session.flush()
    except IntegrityError:
        # Someone created the same (kind, name) between our check and our insert.
        raise ChannelExistsError(f"a {kind} channel named {name!r} exists already") from None
    _announce(uow, channel)
    return channel


def _without_masks(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    # A form filled from what the API showed sends the mask back for an untouched secret.
    secret = connector_class(kind).secret_fields
    return {k: v for k, v in options.items() if not (k in secret and v == SECRET_MASK)}


async def update_channel(
    uow: UnitOfWork,
    channel: Channel,
    options: dict[str, Any] | None = None,
    title: str | None = None,
    enabled: bool | None = None,
    team_id: int | _Keep | None = KEEP,
) -> Channel:
    """Change what is given; `options` is partial: what is left out (secrets included) keeps
    its stored value, an explicit null clears it. Raises ChannelConfigError, NoSuchTeamError."""
    if options is not None:
        merged = {**channel.options, **_without_masks(channel.kind, options)}
        channel.options = validate_options(channel.kind, merged).model_dump(mode="json")
    if title is not None:
        channel.title = title
    if enabled is not None:
        channel.enabled = enabled
    if team_id is not KEEP:
        if team_id is not None:
            await _ensure_team(uow, team_id)
        channel.team_id = team_id
    await uow.session.flush()
    _announce(uow, channel)
    return channel


async def disable_channel(uow: UnitOfWork, channel: Channel) -> Channel:
    """Stops taking anything from the channel; its history stays and it can be enabled."""
    return await update_channel(uow, channel, enabled=False)


async def enable_channel(uow: UnitOfWork, channel: Channel) -> Channel:
    return await update_channel(uow, channel, enabled=True)
