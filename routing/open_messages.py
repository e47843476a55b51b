"""A group commit's chat messages into open conversations, processed together: the steady
state of a chat (a known client writing on in the conversation he has open).

One by one each costs a touch of the conversation, the message, the event's "processed" and
its log entry (`handlers._into_open`); here a batch's are one statement each: the senders'
conversations found and touched at once (`hub.actions.chat_batch`), the messages inserted at
once, the events marked at once.

Taken: an `InboundMessage` that `handlers` would try on the open conversation (one identity,
no thread hinted, a channel where the sender continues his conversation) with nothing else to
do (no attachment, no stand-in name, no unreadable phone), whose sender has no other kind of
event in the batch. A sender whose latest conversation on the channel is not open, snoozed or
in nobody's hands and queue is left, with all his events, to the one-by-one path, which
reopens, wakes or routes; so each sender's events stay in the order they came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import InboundMessage
from hub.actions import chat_batch
from hub.actions.chat_batch import ChatMessage, Sender
from hub.actions.inbound_batch import Done, mark_processed_many
from hub.actions.uow import UnitOfWork

from . import identity
from .first_requests import Arrived
from .handlers import may_join_open


async def join_open(uow: UnitOfWork, batch: Sequence[Arrived]) -> dict[int, int]:
    """Process the batch's messages into open conversations; per event processed, its
    conversation's id."""
    region = uow.hub.settings.default_region
    taken: list[tuple[Arrived, Sender]] = []
    # Identities other events of the batch claim (on any channel): their senders' events
    # all go one by one, in order.
    others: set[tuple[str, str]] = set()
    for arrived in batch:
        sender = _sender(arrived, region)
        if sender is None:
            others.update(_claims(arrived, region))
        else:
            taken.append((arrived, sender))
    taken = [(a, s) for a, s in taken if (s[0], s[1]) not in others]
    if not taken:
        return {}
    now = uow.now()
    joined = await chat_batch.touch_open_many(uow, sorted({s for _, s in taken}), now)
    into = [(a, joined[s]) for a, s in taken if s in joined]
    messages = []
    for arrived, conversation in into:
        item = arrived.item
        assert isinstance(item, InboundMessage)  # _sender
        meta: dict[str, Any] = {**item.meta, "request_number": arrived.event.id}
        messages.append(ChatMessage(conversation, item.text, meta, item.message_ref))
    message_ids = await chat_batch.receive_many(uow, messages, now)
    await mark_processed_many(
        uow,
        [
            Done(a.event.id, c.conversation_id, m)
            for (a, c), m in zip(into, message_ids, strict=True)
        ],
    )
    return {a.event.id: c.conversation_id for a, c in into}


def _sender(arrived: Arrived, region: str) -> Sender | None:
    """Who writes, if this event may join his open conversation in the batch."""
    item, channel = arrived.item, arrived.channel
    if not isinstance(item, InboundMessage) or channel is None:
        return None
    if item.attachments or "sender_stand_in" in item.meta:
        return None
    ids = identity.normalise_claims(item.sender.identities, region)
    if not may_join_open(channel, item, ids):
        return None
    if identity.unparsed_phones(item.sender.identities, region):
        return None
    return (ids[0].kind.value, ids[0].value, channel.id)


def _claims(arrived: Arrived, region: str) -> list[tuple[str, str]]:
    """The identities an event not taken here claims."""
    sender = getattr(arrived.item, "sender", None)
    if sender is None:
        return []
    return [(i.kind.value, i.value) for i in identity.normalise_claims(sender.identities, region)]
