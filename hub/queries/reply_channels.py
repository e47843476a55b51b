"""Which channels a reply in a conversation may go through (issue #15, item 7).

The conversation's own channel comes first; then the client's other channels, each either
available (with the identity it would address) or refused with a reason id the workspace
shows in the user's language:

- `no-outbound`: the channel cannot start a message to anyone (a web form has no way back
  but its own request page; a phone line carries no text);
- `own-chat-only`: a website chat shows only the visitor's own chat, so a reply elsewhere
  would never reach it;
- `never-wrote`: Telegram and VK let a bot or a community write only to people who wrote to
  it first, so the client must have written to this very bot or community;
- `unreachable`: the client blocked us there (the identity's `unreachable_reason` says how).

The same list is what the reply action checks (under the conversation's lock), so the box
and the refusal can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel, Conversation, Direction, Identity, Message
from hub.serialize import channel_brief

from .shapes import ChannelBrief, Shape

# Which identity kind addresses a client in each channel kind (the outbox's recipient).
RECIPIENT_IDENTITY = {"telegram": "telegram", "vk": "vk", "email": "email", "widget": "web_visitor"}
# Channels that may carry a reply begun in another channel's conversation, and whether the
# client must have written to that channel first (bots and communities may not write first).
CROSS_CHANNEL_KINDS = {"email": False, "telegram": True, "vk": True}

Refusal = Literal["no-outbound", "own-chat-only", "never-wrote", "unreachable"]


@dataclass(frozen=True)
class ReplyRoute:
    channel: Channel
    own: bool
    identity: Identity | None = None
    refusal: Refusal | None = None

    @property
    def available(self) -> bool:
        return self.refusal is None


class IdentityRef(Shape):
    kind: str
    value: str


class ReplyChannelOut(Shape):
    channel: ChannelBrief
    # The conversation's own channel (the default, listed first).
    own: bool
    # Whom the reply would address there (null for the own channel: as always).
    identity: IdentityRef | None
    available: bool
    # Why not, when not available: no-outbound, own-chat-only, never-wrote, unreachable.
    reason: Refusal | None
    # The client's own word for a block (the identity's unreachable reason).
    reason_detail: str | None


class ReplyChannels(Shape):
    items: list[ReplyChannelOut]


def route_json(route: ReplyRoute) -> ReplyChannelOut:
    identity = route.identity
    return ReplyChannelOut.model_validate(
        {
            "channel": channel_brief(route.channel),
            "own": route.own,
            "identity": {"kind": identity.kind.value, "value": identity.value}
            if identity is not None
            else None,
            "available": route.available,
            "reason": route.refusal,
            "reason_detail": identity.unreachable_reason
            if route.refusal == "unreachable" and identity is not None
            else None,
        }
    )


async def _wrote_through(session: AsyncSession, contact_id: int) -> set[int]:
    """The channels the client has written to (an inbound message in one of his
    conversations there)."""
    inbound = exists().where(
        Message.conversation_id == Conversation.id, Message.direction == Direction.inbound
    )
    stmt = (
        select(Conversation.channel_id)
        .where(Conversation.contact_id == contact_id, inbound)
        .distinct()
    )
    return set((await session.execute(stmt)).scalars())


def _refusal(
    channel: Channel, identity: Identity | None, wrote: set[int]
) -> tuple[Refusal | None, bool]:
    """(refusal, listed): whether and why a channel other than the conversation's own can
    carry the reply; channels the client has nothing to do with are not listed at all."""
    first = CROSS_CHANNEL_KINDS.get(channel.kind)
    if first is None:
        refusal: Refusal = "own-chat-only" if channel.kind == "widget" else "no-outbound"
        return refusal, channel.id in wrote
    if identity is None:
        return None, False
    if identity.unreachable_reason:
        return "unreachable", True
    if first and channel.id not in wrote:
        return "never-wrote", True
    return None, True


async def reply_routes(session: AsyncSession, conversation: Conversation) -> list[ReplyRoute]:
    """The conversation's channel first, then the client's other channels (by kind, title)."""
    own = await session.get_one(Channel, conversation.channel_id)
    identities = (
        (
            await session.execute(
                select(Identity)
                .where(Identity.contact_id == conversation.contact_id)
                .order_by(Identity.id)
            )
        )
        .scalars()
        .all()
    )
    by_kind: dict[str, Identity] = {}
    for identity in identities:
        # The first usable one of a kind: a blocked address only if there is no other.
        held = by_kind.get(identity.kind.value)
        if held is None or (held.unreachable_reason and not identity.unreachable_reason):
            by_kind[identity.kind.value] = identity
    wrote = await _wrote_through(session, conversation.contact_id)
    channels = (
        (
            await session.execute(
                select(Channel)
                .where(Channel.enabled.is_(True), Channel.id != own.id)
                .order_by(Channel.kind, Channel.title, Channel.id)
            )
        )
        .scalars()
        .all()
    )
    routes = [ReplyRoute(own, own=True)]
    for channel in channels:
        kind = RECIPIENT_IDENTITY.get(channel.kind)
        address = by_kind.get(kind) if kind is not None else None
        refusal, listed = _refusal(channel, address, wrote)
        if listed:
            routes.append(ReplyRoute(channel, own=False, identity=address, refusal=refusal))
    return routes
