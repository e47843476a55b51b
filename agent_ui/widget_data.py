"""Read-only queries behind the widget socket: the channel, the visitor's chats, who is on.

What a visitor is shown is reshaped here (`visitor_message`): their own messages and the
operators' replies, with the operator's display name only; never notes, system lines or
the internal meta (IP, routing, delivery errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, select

from hub.core import Hub
from hub.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    Presence,
    TeamMember,
    User,
)
from hub.serialize import message_json

WIDGET = "widget"
HISTORY_LIMIT = 200
VISIBLE = (Direction.inbound.value, Direction.outbound.value)


@dataclass
class History:
    conversation_ids: list[int] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    # The furthest each side has read, over the visitor's conversations (ids are global).
    client_read_up_to: int = 0
    agent_read_up_to: int = 0


def visitor_message(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A message as the visitor may see it (from `hub.serialize.message_json`), else None."""
    direction = message.get("direction")
    if direction not in VISIBLE:
        return None
    meta = message.get("meta") or {}
    if direction == Direction.outbound.value and meta.get("via"):
        return None  # sent to the client through another channel (Telegram, e-mail), not here
    author = message.get("author") or {}
    shaped: dict[str, Any] = {
        "id": message.get("id"),
        "conversation_id": message.get("conversation_id"),
        "mine": direction == Direction.inbound.value,
        "text": message.get("text") or "",
        "author": (author.get("name") or "") if direction == Direction.outbound.value else "",
        "at": message.get("created_at"),
    }
    if direction == Direction.inbound.value:
        shaped["client_id"] = meta.get("client_id")
        if isinstance(meta.get("contact_details"), dict):
            shaped["contact_details"] = dict(meta["contact_details"])
    return shaped


async def widget_channel(hub: Hub, name: str) -> Channel | None:
    async with hub.db.sessions() as session:
        return (
            await session.execute(
                select(Channel).where(Channel.kind == WIDGET, Channel.name == name, Channel.enabled)
            )
        ).scalar_one_or_none()


async def continue_hint(hub: Hub, channel_id: int, visitor_id: str) -> int | None:
    """The visitor's conversation a new message continues: their latest, if open or closed
    within the reopen window; None starts a new one."""
    async with hub.db.sessions() as session:
        latest = (
            await session.execute(
                select(Conversation)
                .where(
                    Conversation.channel_id == channel_id,
                    Conversation.widget_visitor == visitor_id,
                )
                .order_by(Conversation.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
    if latest is None:
        return None
    if latest.status is ConversationStatus.open:
        return latest.id
    window = timedelta(seconds=hub.settings.reopen_window_s)
    if latest.closed_at is not None and hub.clock() - latest.closed_at <= window:
        return latest.id
    return None


async def history(hub: Hub, channel_id: int, visitor_id: str) -> History:
    """The visitor's conversations on this channel and their latest visible messages."""
    async with hub.db.sessions() as session:
        conversations = (
            (
                await session.execute(
                    select(Conversation).where(
                        Conversation.channel_id == channel_id,
                        Conversation.widget_visitor == visitor_id,
                    )
                )
            )
            .scalars()
            .all()
        )
        ids = [c.id for c in conversations]
        if not ids:
            return History()
        rows = (
            await session.execute(
                select(Message, User)
                .outerjoin(User, User.id == Message.author_user_id)
                .where(
                    Message.conversation_id.in_(ids),
                    Message.direction.in_((Direction.inbound, Direction.outbound)),
                )
                .order_by(Message.id.desc())
                .limit(HISTORY_LIMIT)
            )
        ).all()
    shaped = [visitor_message(message_json(m, u)) for m, u in reversed(rows)]
    return History(
        conversation_ids=ids,
        messages=[m for m in shaped if m is not None],
        client_read_up_to=max((c.client_read_up_to or 0) for c in conversations),
        agent_read_up_to=max((c.agent_read_up_to or 0) for c in conversations),
    )


async def stored_message(hub: Hub, conversation_id: int, external_id: str) -> dict[str, Any] | None:
    """The visitor's message as stored (for the ack of a send)."""
    async with hub.db.sessions() as session:
        message = (
            await session.execute(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.external_id == external_id,
                )
                .order_by(Message.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    if message is None:
        return None
    return visitor_message(message_json(message))


async def owned_conversation_of(
    hub: Hub, channel_id: int, visitor_id: str, message_id: int
) -> int | None:
    """The conversation holding `message_id`, if it is one of this visitor's chats."""
    async with hub.db.sessions() as session:
        return (
            await session.execute(
                select(Conversation.id)
                .join(Message, Message.conversation_id == Conversation.id)
                .where(
                    Message.id == message_id,
                    Conversation.channel_id == channel_id,
                    Conversation.widget_visitor == visitor_id,
                )
            )
        ).scalar_one_or_none()


async def conversation_assignee(hub: Hub, conversation_id: int) -> tuple[bool, int | None]:
    """(exists, assignee id) for addressing a visitor's typing to the right agents."""
    async with hub.db.sessions() as session:
        row = (
            await session.execute(
                select(Conversation.assignee_id).where(Conversation.id == conversation_id)
            )
        ).first()
    return (row is not None, row[0] if row is not None else None)


async def anyone_online(hub: Hub, channel_id: int) -> bool:
    """Whether someone who could take this channel's chats is online: an active user with
    presence "online" (away does not count), a member of the channel's team if it has one."""
    async with hub.db.sessions() as session:
        team_id = (
            await session.execute(select(Channel.team_id).where(Channel.id == channel_id))
        ).scalar_one_or_none()
        stmt = (
            select(func.count())
            .select_from(User)
            .where(User.is_active, User.presence == Presence.online)
        )
        if team_id is not None:
            stmt = stmt.where(
                exists().where(TeamMember.team_id == team_id, TeamMember.user_id == User.id)
            )
        return bool((await session.execute(stmt.limit(1))).scalar_one())
