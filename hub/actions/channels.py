"""Creating, changing and disabling channels (connector instances)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.registry import validate_options
from hub.models import Channel

from .uow import UnitOfWork


class ChannelExistsError(ValueError):
    pass


async def create_channel(
    uow: UnitOfWork,
    kind: str,
    name: str,
    options: dict[str, Any],
    title: str = "",
    team_id: int | None = None,
) -> Channel:
    validated = validate_options(kind, options)
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
        enabled=True,
        team_id=team_id,
        created_at=uow.now(),
    )
    uow.session.add(channel)
    await uow.session.flush()
    return channel


async def update_channel(
    uow: UnitOfWork,
    channel: Channel,
    options: dict[str, Any] | None = None,
    title: str | None = None,
    enabled: bool | None = None,
) -> Channel:
    if options is not None:
        # A partial update keeps the stored secrets the caller cannot see.
        merged = {**channel.options, **options}
        channel.options = validate_options(channel.kind, merged).model_dump(mode="json")
    if title is not None:
        channel.title = title
    if enabled is not None:
        channel.enabled = enabled
    await uow.session.flush()
    return channel
