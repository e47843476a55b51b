"""Messages the company sent to a client outside Okno (a VK community admin in VK itself).

They belong in the conversation so operators see the whole dialogue, but never twice: not
when the source reports one again, and not when it is only the echo of a reply Okno sent
(the outbox row carries the channel's id of what it sent).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connectors.base import OutgoingMessage
from hub.actions import files, inbound, messages
from hub.actions.uow import UnitOfWork
from hub.models import Channel, Conversation, Direction, Message, OutboxItem, OutboxStatus

from . import identity

log = logging.getLogger(__name__)


async def _our_reply(uow: UnitOfWork, channel: Channel, ref: str) -> OutboxItem | None:
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.channel_id == channel.id, OutboxItem.external_id == ref)
        .limit(1)
    )
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def _stored(uow: UnitOfWork, channel: Channel, ref: str) -> Message | None:
    stmt = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.channel_id == channel.id,
            Message.external_id == ref,
            Message.direction == Direction.outbound,
        )
        .limit(1)
    )
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def _conversation(uow: UnitOfWork, channel: Channel, contact_id: int) -> Conversation | None:
    """The client's latest conversation here, open or not: an admin's message neither opens
    nor reopens one (that would queue work nobody asked for)."""
    stmt = (
        select(Conversation)
        .where(Conversation.contact_id == contact_id, Conversation.channel_id == channel.id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def apply_outgoing(
    uow: UnitOfWork, event_id: int, channel: Channel, item: OutgoingMessage
) -> int | None:
    ours = await _our_reply(uow, channel, item.message_ref)
    if ours is not None:
        if ours.status is not OutboxStatus.sent:
            await messages.record_delivery(uow, ours, OutboxStatus.sent, item.message_ref)
        await inbound.mark_processed(uow, event_id, ours.conversation_id, ours.message_id)
        return ours.conversation_id
    stored = await _stored(uow, channel, item.message_ref)
    if stored is not None:
        await inbound.mark_processed(uow, event_id, stored.conversation_id, stored.id)
        return stored.conversation_id
    ids = identity.normalise_claims(item.recipient.identities, uow.hub.settings.default_region)
    contact_id = await identity.find_contact(uow.session, ids)
    conversation = None if contact_id is None else await _conversation(uow, channel, contact_id)
    if conversation is None:
        log.info(
            "%s:%s: message %s sent outside Okno to a client without a conversation here",
            channel.kind,
            channel.name,
            item.message_ref,
        )
        await inbound.mark_ignored(uow, event_id, "sent outside Okno to an unknown client")
        return None
    meta = {**item.meta, "sent_from": channel.kind}
    if item.attachments:
        meta["attachments"] = await files.attachments_meta(uow, item.attachments)
    message = await messages.record_sent_elsewhere(
        uow, conversation, item.text, meta, item.message_ref, item.occurred_at
    )
    await inbound.mark_processed(uow, event_id, conversation.id, message.id)
    return conversation.id
