"""Creating, changing, disabling and enabling channels (connector instances).

A channel is never deleted: its conversations, messages and inbound events point at it, so
"delete" disables it and all of that history stays. Every change emits `ChannelChanged`, so
the other nodes start, restart or stop their connector for it.

Entry points taking the acting principal: `add_channel` and `change_channel` (admins and Okno
itself). `create_channel` and `update_channel` are the writes they build on.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connectors.base import ConnectorOptions
from connectors.registry import (
    SECRET_MASK,
    ChannelConfigError,
    available_kinds,
    connector_class,
    validate_options,
)
from hub.core import NODE_ID, Hub
from hub.events import STAFF_ROLES, Audience, ChannelChanged
from hub.models import Channel, Team
from hub.policy import (
    Actor,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    ensure_can_manage_channels,
)
from hub.serialize import channel_brief

from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work

# The name is part of the channel's URLs (/hooks/telegram/<name>, /forms/<name>): a slug.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


def _field_error(field: str, error_type: str, message: str) -> InvalidInput:
    return InvalidInput(
        [{"field": field, "location": "body", "type": error_type, "message": message}]
    )


class ChannelExistsError(Conflict):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(
            "channel-exists",
            f"A {kind} channel named {name!r} exists already.",
            {"kind": kind, "name": name},
        )


class InvalidOptions(DomainError):
    """Options that do not fit the connector's schema: details has a message per field."""

    def __init__(self, kind: str, errors: dict[str, str]) -> None:
        super().__init__(
            "invalid-options", 422, f"Some options do not fit a {kind} channel.", errors
        )
        self.kind = kind
        self.errors = errors


def no_such_channel(channel_id: int) -> NotFound:
    return NotFound("no-such-channel", f"There is no channel {channel_id}.")


def origin_of(hub: Hub) -> str:
    """Names this hub among all sharing the bus: the process's node id plus the hub object,
    as tests (and embedders) may run several nodes in one process."""
    return f"{NODE_ID}/{id(hub):x}"


def _announce(uow: UnitOfWork, channel: Channel) -> None:
    # This process's lookups read the channel afresh from here on; the bus (channel_sync)
    # and the event-log watch (channel_watch) forget it again once the change is committed.
    uow.hub.channels.forget()
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
        raise _field_error("team_id", "no-such-team", f"there is no team with id {team_id}")


def _validated(kind: str, options: dict[str, Any]) -> ConnectorOptions:
    try:
        return validate_options(kind, options)
    except ChannelConfigError as exc:
        raise InvalidOptions(exc.kind, dict(exc.errors)) from None


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
    """Raises InvalidOptions (per field), InvalidInput (name, team) or ChannelExistsError."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise _field_error(
            "name",
            "string_pattern_mismatch",
            f"{name!r} is not a channel name: lower-case letters, digits, _ and -, up to 63",
        )
    validated = _validated(kind, options)
    if team_id is not None:
        await _ensure_team(uow, team_id)
    exists = await uow.session.execute(
        select(Channel.id).where(Channel.kind == kind, Channel.name == name)
    )
    if exists.first() is not None:
        raise ChannelExistsError(kind, name)
    channel = Channel(
        kind=kind,
        name=name,
        title=title.strip() or name,
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
        raise ChannelExistsError(kind, name) from None
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
    team_id: int | Keep | None = KEEP,
) -> Channel:
    """Change what is given; `options` is partial: what is left out (secrets included) keeps
    its stored value, an explicit null clears it. Raises InvalidOptions, InvalidInput (team)."""
    if options is not None:
        merged = {**channel.options, **_without_masks(channel.kind, options)}
        channel.options = _validated(channel.kind, merged).model_dump(mode="json")
    if title is not None:
        channel.title = title.strip()
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


async def add_channel(
    hub: Hub,
    actor: Actor,
    kind: str,
    name: str,
    options: dict[str, Any],
    *,
    title: str = "",
    team_id: int | None = None,
    enabled: bool = True,
) -> Channel:
    """A new channel of an installed connector kind; it runs once the caller applies it."""
    ensure_can_manage_channels(actor)
    if kind not in available_kinds():
        kinds = ", ".join(available_kinds())
        raise _field_error("kind", "unknown-kind", f"Unknown channel kind; one of: {kinds}.")
    async with unit_of_work(hub) as uow:
        channel = await create_channel(
            uow, kind, name, options, title=title, team_id=team_id, enabled=enabled
        )
    return channel


async def change_channel(
    hub: Hub,
    actor: Actor,
    channel_id: int,
    *,
    options: dict[str, Any] | None = None,
    title: str | None = None,
    enabled: bool | None = None,
    team_id: int | Keep | None = KEEP,
) -> Channel:
    """`update_channel` on the channel, locked; `enabled=False` is how a channel is removed."""
    ensure_can_manage_channels(actor)
    async with unit_of_work(hub) as uow:
        channel = await get_for_update(uow, channel_id)
        if channel is None:
            raise no_such_channel(channel_id)
        await update_channel(
            uow, channel, options=options, title=title, enabled=enabled, team_id=team_id
        )
    return channel
