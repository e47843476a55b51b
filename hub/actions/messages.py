"""Writing messages: a client's inbound, an operator's reply (via the outbox) or note."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from hub.events import MessageCreated, MessageUpdated, conversation_audience
from hub.models import (
    Channel,
    Conversation,
    Direction,
    Identity,
    Message,
    OutboxItem,
    OutboxStatus,
    User,
)
from hub.serialize import channel_brief, message_json

from . import conversations, files, routing
from .uow import UnitOfWork


def _emit_created(
    uow: UnitOfWork, conversation: Conversation, message: Message, author: User | None
) -> None:
    uow.emit(
        MessageCreated(
            audience=conversation_audience(conversation.assignee_id),
            conversation_id=conversation.id,
            message=message_json(message, author),
        )
    )


def _answered(conversation: Conversation, now: datetime) -> None:
    """The client got an answer: no longer waiting; the first one times the response."""
    conversation.last_message_at = now
    conversation.waiting_since = None
    if conversation.first_response_at is None:
        conversation.first_response_at = now


# The client's message as one Core statement built once (compiled once), not an ORM unit
# of work: every inbound message goes through it.
_messages = cast(Table, Message.__table__)
_INSERT_INBOUND = insert(_messages).returning(_messages.c.id)


async def receive(
    uow: UnitOfWork,
    conversation: Conversation,
    text: str,
    meta: dict[str, Any],
    external_id: str | None,
    *,
    touched: bool = False,
) -> Message:
    """Store the client's message. `touched`: the statement that found the conversation
    wrote its `last_message_at` and `waiting_since` already (conversations.touch_open),
    so the message takes that moment and the conversation needs no UPDATE of its own."""
    if touched:
        now = conversation.last_message_at
    else:
        now = uow.now()
        conversation.last_message_at = now
        if conversation.waiting_since is None:
            conversation.waiting_since = now
    session = uow.session
    # What the ORM holds goes first (a conversation opened or reopened just now); the
    # message itself goes on the connection, around the ORM.
    await session.flush()
    connection = await session.connection()
    params = {
        "conversation_id": conversation.id,
        "direction": Direction.inbound,
        "text": text,
        "meta": meta,
        "external_id": external_id,
        "created_at": now,
    }
    message_id = (await connection.execute(_INSERT_INBOUND, params)).scalar_one()
    # Not in the session: nothing changes it in this transaction, and a session object
    # would only be a second copy to flush.
    message = Message(
        id=message_id,
        conversation_id=conversation.id,
        direction=Direction.inbound,
        text=text,
        meta=meta,
        external_id=external_id,
        created_at=now,
    )
    await files.link_files(uow, message, new=True)
    _emit_created(uow, conversation, message, None)
    if conversation.snoozed:
        # Put aside until the client writes (or a time): he wrote, so it is back in «Мои».
        await conversations.wake(uow, conversation)
    return message


async def add_note(uow: UnitOfWork, conversation: Conversation, author: User, text: str) -> Message:
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.note,
        author_user_id=author.id,
        text=text,
        meta={},
        created_at=uow.now(),
    )
    uow.session.add(message)
    await uow.session.flush()
    _emit_created(uow, conversation, message, author)
    return message


async def add_robot_note(
    uow: UnitOfWork, conversation: Conversation, robot: dict[str, Any], text: str
) -> Message:
    """A note a robot leaves: no person is its author; `meta.robot` ({id, name}) names the
    rule, so the history shows «Робот "…"»."""
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.note,
        author_user_id=None,
        text=text,
        meta={"robot": robot},
        created_at=uow.now(),
    )
    uow.session.add(message)
    await uow.session.flush()
    _emit_created(uow, conversation, message, None)
    return message


async def queue_reply(
    uow: UnitOfWork,
    conversation: Conversation,
    author: User,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
    via: tuple[Channel, Identity] | None = None,
) -> tuple[Message, OutboxItem]:
    """The operator's answer: a message plus an outbox row the runner will deliver (rule 4).

    `attachments` are file-store references ({kind, name, mime_type, size, file_id}); the
    outbox loads their bytes when it delivers. `via` sends it through another channel of the
    client (Telegram for a web-form request) to that identity: the outbox row is that
    channel's, and `meta.via` records the channel and the address, so the thread shows it and
    the outbox knows whom to send it to."""
    now = uow.now()
    meta: dict[str, Any] = {"delivery": {"status": OutboxStatus.queued.value}}
    if attachments:
        meta["attachments"] = attachments
    channel_id = conversation.channel_id
    if via is not None:
        channel, identity = via
        channel_id = channel.id
        meta["via"] = {
            **channel_brief(channel),
            "identity": {"kind": identity.kind.value, "value": identity.value},
        }
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.outbound,
        author_user_id=author.id,
        text=text,
        meta=meta,
        created_at=now,
    )
    uow.session.add(message)
    await files.link_files(uow, message, new=True)
    item = OutboxItem(
        message_id=message.id,
        conversation_id=conversation.id,
        channel_id=channel_id,
        status=OutboxStatus.queued,
        created_at=now,
        next_attempt_at=now,
    )
    uow.session.add(item)
    _answered(conversation, now)
    await uow.session.flush()
    _emit_created(uow, conversation, message, author)
    # Answering is accepting: the offer no longer times out.
    await routing.accept(uow, conversation, author.id)
    return message, item


async def queue_robot_reply(
    uow: UnitOfWork, conversation: Conversation, robot: dict[str, Any], text: str
) -> tuple[Message, OutboxItem]:
    """A robot's message to the client: like an operator's reply, a message plus an outbox
    row delivered through the conversation's channel (rule 4), but no person is its author:
    `meta.robot` ({id, name}) names the rule, so the history shows «Робот "…"». It does not
    take or accept the conversation (a robot holds no work)."""
    now = uow.now()
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.outbound,
        author_user_id=None,
        text=text,
        meta={"delivery": {"status": OutboxStatus.queued.value}, "robot": robot},
        created_at=now,
    )
    uow.session.add(message)
    await uow.session.flush()
    item = OutboxItem(
        message_id=message.id,
        conversation_id=conversation.id,
        channel_id=conversation.channel_id,
        status=OutboxStatus.queued,
        created_at=now,
        next_attempt_at=now,
    )
    uow.session.add(item)
    # Not an answer: the client still waits for a person (no first response is timed, and
    # «Нет первого ответа» still watches it).
    conversation.last_message_at = now
    await uow.session.flush()
    _emit_created(uow, conversation, message, None)
    return message, item


async def record_delivery(
    uow: UnitOfWork,
    item: OutboxItem,
    status: OutboxStatus,
    external_id: str | None = None,
    error: str | None = None,
) -> None:
    """Move an outbox row to sent or failed and tell the agents watching the conversation."""
    now = uow.now()
    item.status = status
    item.error = error
    item.external_id = external_id
    item.next_attempt_at = None
    if status is OutboxStatus.sent:
        item.sent_at = now
    message = await uow.session.get_one(Message, item.message_id)
    delivery: dict[str, Any] = {"status": status.value, "at": now.isoformat()}
    if error:
        delivery["error"] = error
    message.meta = {**(message.meta or {}), "delivery": delivery}
    conversation = await uow.session.get_one(Conversation, item.conversation_id)
    author = await uow.session.get(User, message.author_user_id) if message.author_user_id else None
    await uow.session.flush()
    uow.emit(
        MessageUpdated(
            audience=conversation_audience(conversation.assignee_id),
            conversation_id=conversation.id,
            message=message_json(message, author),
        )
    )


async def schedule_retry(uow: UnitOfWork, item: OutboxItem, delay_s: float, error: str) -> None:
    item.error = error
    item.next_attempt_at = uow.now() + timedelta(seconds=delay_s)


async def apply_edit(
    uow: UnitOfWork, message: Message, text: str, attachments: list[dict[str, Any]] | None
) -> None:
    """The client edited a message: show the new text, keep the old one in its history."""
    meta = dict(message.meta or {})
    meta["edits"] = [
        *meta.get("edits", []),
        {"text": message.text, "replaced_at": uow.now().isoformat()},
    ]
    if attachments is not None:
        meta["attachments"] = attachments
    message.meta = meta
    message.text = text
    message.edited_at = uow.now()
    conversation = await uow.session.get_one(Conversation, message.conversation_id)
    if attachments is not None:
        await files.link_files(uow, message)
    await uow.session.flush()
    uow.emit(
        MessageUpdated(
            audience=conversation_audience(conversation.assignee_id),
            conversation_id=conversation.id,
            message=message_json(message),
        )
    )


async def record_sent_elsewhere(
    uow: UnitOfWork,
    conversation: Conversation,
    text: str,
    meta: dict[str, Any],
    external_id: str,
    sent_at: datetime | None,
) -> Message:
    """A reply someone sent outside Okno (VK's own interface): shown in the thread as sent.

    It answers the client as any reply does, so the conversation stops waiting.
    """
    now = uow.now()
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.outbound,
        author_user_id=None,
        text=text,
        meta={**meta, "delivery": {"status": OutboxStatus.sent.value, "at": now.isoformat()}},
        external_id=external_id,
        created_at=min(sent_at, now) if sent_at is not None else now,
    )
    uow.session.add(message)
    _answered(conversation, now)
    await files.link_files(uow, message, new=True)
    _emit_created(uow, conversation, message, None)
    return message
