"""Checking the channel an operator chose to answer through (issue #15, item 7).

The choices and their refusals are the read model's (`hub.queries.reply_channels`), read
under the conversation's lock, so what the reply box offers and what is accepted agree.
"""

from __future__ import annotations

from hub.models import Channel, Conversation, Identity
from hub.policy import DomainError
from hub.queries.reply_channels import reply_routes

from .uow import UnitOfWork

# Refusal -> (error id, message); the workspace shows its own catalog's words for the id.
REFUSALS = {
    "no-outbound": (
        "reply-via-no-outbound",
        "This channel cannot start a message to the client.",
    ),
    "own-chat-only": (
        "reply-via-own-chat-only",
        "A website chat shows only the visitor's own chat; answer in that conversation.",
    ),
    "never-wrote": (
        "reply-via-never-wrote",
        "The client never wrote to this channel, and it may not write first.",
    ),
    "unreachable": ("reply-via-unreachable", "The client blocked us in this channel."),
}


async def chosen(
    uow: UnitOfWork, conversation: Conversation, channel_id: int | None
) -> tuple[Channel, Identity] | None:
    """The other channel and identity to send through; None for the conversation's own."""
    if channel_id is None or channel_id == conversation.channel_id:
        return None
    for route in await reply_routes(uow.session, conversation):
        if route.channel.id != channel_id:
            continue
        if route.refusal is not None:
            error_id, message = REFUSALS[route.refusal]
            details = {"channel_id": channel_id, "reason": route.refusal}
            raise DomainError(error_id, 409, message, details)
        assert route.identity is not None  # an available other channel names its address
        return route.channel, route.identity
    raise DomainError(
        "reply-via-no-identity",
        422,
        "The client has no address in this channel.",
        {"channel_id": channel_id},
    )
