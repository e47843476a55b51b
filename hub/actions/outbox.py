"""Claiming outbox rows for delivery and recording what the connector reported."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import Attachment, Delivery
from hub.core import Hub
from hub.models import (
    Channel,
    Conversation,
    Direction,
    Identity,
    Message,
    OutboxItem,
    OutboxStatus,
    StoredFile,
    User,
)
from hub.queries.reply_channels import RECIPIENT_IDENTITY

from . import messages
from .uow import UnitOfWork, unit_of_work

# While a node delivers a row, other nodes leave it alone for this long.
DELIVERY_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10

# Pictures a channel shows as photos; any other file (an SVG too) goes as a document.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class ClaimedDelivery:
    outbox_id: int
    attempts: int
    conversation_id: int
    channel_kind: str
    channel_name: str
    text: str
    author_name: str
    recipient: str
    # The client blocked us in this channel: fail without calling the source.
    unreachable_reason: str | None = None
    # Threading context for the connector: message_id, subject, in_reply_to, references.
    meta: Mapping[str, Any] = field(default_factory=dict)
    # The reply's files, bytes included (loaded from the file store for this attempt).
    attachments: tuple[Attachment, ...] = ()
    # Why the reply cannot be sent at all (a file gone from the store): fail at once.
    undeliverable: str | None = None


async def due_ids(hub: Hub, limit: int = 50) -> list[int]:
    async with hub.db.sessions() as session:
        stmt = (
            select(OutboxItem.id)
            .where(
                OutboxItem.status == OutboxStatus.queued, OutboxItem.next_attempt_at <= hub.clock()
            )
            .order_by(OutboxItem.id)
            .limit(limit)
        )
        return list((await session.execute(stmt)).scalars())


async def claim(hub: Hub, outbox_id: int) -> ClaimedDelivery | None:
    now = hub.clock()
    async with hub.db.sessions() as session, session.begin():
        claimed = (
            await session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == outbox_id,
                    OutboxItem.status == OutboxStatus.queued,
                    OutboxItem.next_attempt_at <= now,
                )
                .values(attempts=OutboxItem.attempts + 1, next_attempt_at=now + DELIVERY_LEASE)
                .returning(OutboxItem)
            )
        ).scalar_one_or_none()
        if claimed is None:
            return None
        row = (
            await session.execute(
                select(Message, Conversation, Channel, User)
                .join(Conversation, Conversation.id == Message.conversation_id)
                # The row's channel: the conversation's, or the one the reply was sent via.
                .join(Channel, Channel.id == claimed.channel_id)
                .outerjoin(User, User.id == Message.author_user_id)
                .where(Message.id == claimed.message_id)
            )
        ).one()
        message, conversation, channel, author = row
        via = _via_identity(message)
        if via is None:
            recipient, unreachable = await _recipient(session, conversation, channel)
            context = await _reply_context(session, conversation, message)
        else:
            recipient, unreachable = await _via_recipient(session, conversation, via)
            # Nothing of the conversation's own channel threads a message in another one.
            context = {"message_id": message.id, "subject": conversation.subject}
        attachments, missing = await _attachments(session, message)
    return ClaimedDelivery(
        outbox_id=claimed.id,
        attempts=claimed.attempts,
        conversation_id=conversation.id,
        channel_kind=channel.kind,
        channel_name=channel.name,
        text=message.text,
        author_name=author.name if author else _robot_name(message),
        recipient=recipient,
        unreachable_reason=unreachable,
        meta=context,
        attachments=attachments,
        undeliverable=f"file {missing!r} is no longer stored" if missing else None,
    )


async def _attachments(
    session: AsyncSession, message: Message
) -> tuple[tuple[Attachment, ...], str | None]:
    """The reply's files with their bytes, and the name of one that is missing, if any."""
    result: list[Attachment] = []
    for entry in (message.meta or {}).get("attachments") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("file_id"), int):
            continue
        stored = await session.get(StoredFile, entry["file_id"])
        name = str(entry.get("name") or "")
        if stored is None:
            return (), name or str(entry["file_id"])
        mime = str(entry.get("mime_type") or stored.mime_type)
        result.append(
            Attachment(
                kind="photo" if mime in PHOTO_TYPES else "document",
                name=name,
                mime_type=mime,
                size=stored.size,
                content_b64=base64.b64encode(stored.data).decode("ascii"),
                file_id=stored.id,
            )
        )
    return tuple(result), None


async def _reply_context(
    session: AsyncSession, conversation: Conversation, reply: Message
) -> dict[str, Any]:
    """What a threaded channel (e-mail) needs to file the reply under the client's mail:
    the reply's own id, the conversation's subject, and the channel id (`external_id`) and
    `references` of the latest inbound message before it."""
    latest = (
        await session.execute(
            select(Message.external_id, Message.meta)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.inbound,
                Message.id < reply.id,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
    ).first()
    in_reply_to: str | None = None
    references: list[Any] = []
    if latest is not None:
        in_reply_to = latest.external_id
        found = (latest.meta or {}).get("references")
        references = list(found) if isinstance(found, list) else []
    return {
        "message_id": reply.id,
        "subject": conversation.subject,
        "in_reply_to": in_reply_to,
        "references": references,
    }


async def _recipient(
    session: AsyncSession, conversation: Conversation, channel: Channel
) -> tuple[str, str | None]:
    """(address, unreachable reason) of the client in this channel: their identity of the
    channel's kind, else the channel's own reference from the first inbound message (a
    web-form submission token)."""
    kind = RECIPIENT_IDENTITY.get(channel.kind)
    if kind is not None:
        identity = (
            await session.execute(
                select(Identity)
                .where(Identity.contact_id == conversation.contact_id, Identity.kind == kind)
                .order_by(Identity.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if identity is not None:
            return identity.value, identity.unreachable_reason
    first_ref = (
        await session.execute(
            select(Message.external_id)
            .where(
                Message.conversation_id == conversation.id, Message.direction == Direction.inbound
            )
            .order_by(Message.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return first_ref or "", None


def _robot_name(message: Message) -> str:
    """The rule's name on a robot's message (no person wrote it)."""
    robot = (message.meta or {}).get("robot")
    return str(robot.get("name") or "") if isinstance(robot, dict) else ""


def _via_identity(message: Message) -> tuple[str, str] | None:
    """(kind, value) of the identity a reply sent through another channel addresses."""
    via = (message.meta or {}).get("via")
    identity = via.get("identity") if isinstance(via, dict) else None
    if not isinstance(identity, dict):
        return None
    kind, value = identity.get("kind"), identity.get("value")
    return (kind, value) if isinstance(kind, str) and isinstance(value, str) else None


async def _via_recipient(
    session: AsyncSession, conversation: Conversation, via: tuple[str, str]
) -> tuple[str, str | None]:
    """The address chosen in the reply box, and whether the client has blocked it since."""
    kind, value = via
    identity = (
        await session.execute(
            select(Identity).where(
                Identity.contact_id == conversation.contact_id,
                Identity.kind == kind,
                Identity.value == value,
            )
        )
    ).scalar_one_or_none()
    if identity is None:
        # Removed from the client (or moved to another one by a merge) since it was chosen.
        return value, f"the client no longer has the address {value}"
    return identity.value, identity.unreachable_reason


async def report_by_wire_ref(
    uow: UnitOfWork, wire_ref: str, status: OutboxStatus, error: str | None
) -> bool:
    """A later word from the source on a reply (a bounce, an echo); False if none matches."""
    item = (
        await uow.session.execute(
            select(OutboxItem).where(OutboxItem.external_id == wire_ref).limit(1)
        )
    ).scalar_one_or_none()
    if item is None:
        return False
    await messages.record_delivery(uow, item, status, wire_ref, error)
    return True


async def record(hub: Hub, claimed: ClaimedDelivery, delivery: Delivery) -> None:
    async with unit_of_work(hub) as uow:
        item = await uow.session.get_one(OutboxItem, claimed.outbox_id)
        if delivery.status == "sent":
            await messages.record_delivery(uow, item, OutboxStatus.sent, delivery.external_id)
        elif delivery.status == "retry" and claimed.attempts < MAX_ATTEMPTS:
            delay = delivery.retry_after or min(2**claimed.attempts, 300)
            await messages.schedule_retry(uow, item, delay, delivery.error or "retrying")
        else:
            error = delivery.error or "delivery failed"
            await messages.record_delivery(uow, item, OutboxStatus.failed, error=error)
