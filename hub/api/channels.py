"""Channels: the connector instances (bots, communities, mailboxes, forms, PBXs).

Admins create and change them, supervisors read them. Options are checked against the
connector's own schema (one message per field); secrets are stored but never shown back.
A change is applied on this node at once, after the commit, and on the other nodes when
they hear `channel.changed`. Deleting disables: the history stays and the channel's URLs
answer 404 until it is enabled again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.base import BaseConnector
from connectors.registry import (
    SECRET_MASK,
    ChannelConfigError,
    connector_class,
    connector_classes,
    public_options,
)
from hub.actions import channels as channel_actions
from hub.actions.keep import KEEP
from hub.host import channel_sync
from hub.host.appkeys import RUNNER
from hub.host.channels import spec_of
from hub.models import Channel, Role
from hub.serialize import iso
from hub.settings import Settings

from .inputs import ChannelIn, ChannelPatch
from .registry import ApiCall, RouteTable
from .schemas import ChannelKind, ChannelKindList, ChannelList, ChannelOut

routes = RouteTable("channels")


def _has_webhook(cls: type[BaseConnector]) -> bool:
    return cls.handle_webhook is not BaseConnector.handle_webhook


def webhook_url(settings: Settings, kind: str, name: str) -> str | None:
    try:
        if not _has_webhook(connector_class(kind)):
            return None
    except ChannelConfigError:
        return None  # its plug-in is not installed on this node
    path = f"/forms/{name}" if kind == "webform" else f"/hooks/{kind}/{name}"
    return settings.public_url.rstrip("/") + path


def shown_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    try:
        return public_options(kind, options)
    except ChannelConfigError:
        # Without the connector nobody knows which options are secret: hide every value.
        return dict.fromkeys(options, SECRET_MASK)


def channel_out(call: ApiCall[Any, Any], channel: Channel) -> ChannelOut:
    running = call.request.app[RUNNER].get(channel.kind, channel.name) is not None
    return ChannelOut(
        id=channel.id,
        kind=channel.kind,
        name=channel.name,
        title=channel.title,
        enabled=channel.enabled,
        team_id=channel.team_id,
        options=shown_options(channel.kind, channel.options or {}),
        webhook_url=webhook_url(call.hub.settings, channel.kind, channel.name),
        status="running" if running else "stopped",
        created_at=iso(channel.created_at) or "",
    )


async def _read(call: ApiCall[Any, Any], channel_id: int) -> ChannelOut:
    async with call.hub.db.sessions() as session:
        channel = await session.get(Channel, channel_id)
    if channel is None:
        raise channel_actions.no_such_channel(channel_id)
    return channel_out(call, channel)


async def _apply(call: ApiCall[Any, Any], channel: Channel) -> ChannelOut:
    # After the commit: a connector never runs on options that were rolled back.
    await channel_sync.apply_logged(call.request.app[RUNNER], spec_of(channel))
    return await _read(call, channel.id)


@routes.get(
    "/channels",
    summary="Every channel, enabled or not, with its (secret-free) options and status",
    response=ChannelList,
    role=Role.supervisor,
)
async def list_channels(call: ApiCall[None, None]) -> ChannelList:
    async with call.hub.db.sessions() as session:
        channels = (await session.scalars(select(Channel).order_by(Channel.id))).all()
    return ChannelList(items=[channel_out(call, channel) for channel in channels])


@routes.get(
    "/channels/kinds",
    summary="Connector kinds installed on this node with their option schemas",
    response=ChannelKindList,
    role=Role.supervisor,
)
async def list_channel_kinds(call: ApiCall[None, None]) -> ChannelKindList:
    return ChannelKindList(
        items=[
            ChannelKind(
                kind=kind,
                options_schema=cls.options_model.model_json_schema(),
                secret_fields=sorted(cls.secret_fields),
                has_webhook=_has_webhook(cls),
            )
            for kind, cls in connector_classes().items()
        ]
    )


@routes.get("/channels/{id}", summary="One channel", response=ChannelOut, role=Role.supervisor)
async def get_channel(call: ApiCall[None, None]) -> ChannelOut:
    return await _read(call, call.path_id())


@routes.post(
    "/channels",
    summary="Add a channel; its options are checked by its connector, then it starts",
    body=ChannelIn,
    response=ChannelOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_channel(call: ApiCall[None, ChannelIn]) -> ChannelOut:
    body = call.body
    channel = await channel_actions.add_channel(
        call.hub,
        call.principal,
        body.kind,
        body.name,
        body.options,
        title=body.title,
        team_id=body.team_id,
        enabled=body.enabled,
    )
    return await _apply(call, channel)


@routes.patch(
    "/channels/{id}",
    summary="Change title, team, options (partial; secrets kept) or enable/disable",
    body=ChannelPatch,
    response=ChannelOut,
    role=Role.admin,
)
async def update_channel(call: ApiCall[None, ChannelPatch]) -> ChannelOut:
    body = call.body
    channel = await channel_actions.change_channel(
        call.hub,
        call.principal,
        call.path_id(),
        options=body.options,
        title=body.title,
        enabled=body.enabled,
        # An absent team_id keeps the team; null takes the channel off its team.
        team_id=body.team_id if "team_id" in body.model_fields_set else KEEP,
    )
    return await _apply(call, channel)


@routes.delete(
    "/channels/{id}",
    summary="Disable the channel: it stops, its conversations and messages stay",
    response=ChannelOut,
    role=Role.admin,
)
async def delete_channel(call: ApiCall[None, None]) -> ChannelOut:
    channel = await channel_actions.change_channel(
        call.hub, call.principal, call.path_id(), enabled=False
    )
    return await _apply(call, channel)
