"""Read-only queries behind the visitor pages: the form's channel and a request's thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub.core import Hub
from hub.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    InboundEvent,
    Message,
    User,
)

WEBFORM = "webform"
# The visitor sees what they wrote and what the operators answered; never notes.
VISIBLE_DIRECTIONS = (Direction.inbound, Direction.outbound)


@dataclass(frozen=True)
class VisitorMessage:
    mine: bool
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class RequestStatus:
    number: int
    received_at: datetime
    closed: bool
    # Empty until the request has been processed into a conversation.
    messages: tuple[VisitorMessage, ...]


async def webform_channel(hub: Hub, slug: str) -> Channel | None:
    async with hub.db.sessions() as session:
        return (
            await session.execute(
                select(Channel).where(
                    Channel.kind == WEBFORM, Channel.name == slug, Channel.enabled
                )
            )
        ).scalar_one_or_none()


async def request_status(hub: Hub, slug: str, token: str) -> RequestStatus | None:
    async with hub.db.sessions() as session:
        event = (
            await session.execute(
                select(InboundEvent).where(
                    InboundEvent.source == f"{WEBFORM}:{slug}", InboundEvent.external_id == token
                )
            )
        ).scalar_one_or_none()
        if event is None:
            return None
        if event.conversation_id is None:
            return RequestStatus(event.id, event.received_at, False, ())
        conversation = await session.get_one(Conversation, event.conversation_id)
        rows = (
            await session.execute(
                select(Message, User)
                .outerjoin(User, User.id == Message.author_user_id)
                .where(
                    Message.conversation_id == conversation.id,
                    Message.direction.in_(VISIBLE_DIRECTIONS),
                )
                .order_by(Message.id)
            )
        ).all()
    messages = tuple(
        VisitorMessage(
            mine=message.direction is Direction.inbound,
            text=message.text,
            author=author.name if author is not None else "",
            created_at=message.created_at,
        )
        for message, author in rows
        # A reply sent to the client through another channel (Telegram, e-mail) is not
        # shown on the request page, which anyone holding its link may open.
        if not (message.direction is Direction.outbound and (message.meta or {}).get("via"))
    )
    return RequestStatus(
        event.id, event.received_at, conversation.status is ConversationStatus.closed, messages
    )
