"""Threading: which conversation an inbound joins.

In order: the conversation the source pointed at (`thread_hint`, e.g. an e-mail reply's
In-Reply-To or a "[#N]" subject marker) -> the sender's open conversation on this channel ->
their last one here if closed within the reopen window -> a new conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from hub.actions import conversations
from hub.actions.contacts import NormalisedIdentity
from hub.actions.uow import UnitOfWork
from hub.models import Channel, Conversation, ConversationStatus, Identity

from .assignment import weight_of


@dataclass(frozen=True)
class Thread:
    conversation: Conversation
    # "new", "open" (joined as it was) or "reopened": a new or reopened one needs routing.
    how: str


async def _latest(uow: UnitOfWork, contact_id: int, channel_id: int) -> Conversation | None:
    stmt = (
        select(Conversation)
        .where(Conversation.contact_id == contact_id, Conversation.channel_id == channel_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return (await uow.session.execute(stmt)).scalar_one_or_none()


_sender_conversations = aliased(Conversation, name="latest")
# The sender's latest conversation on the channel, by the owner of his one identity (unique
# kind + value, so one owner): what `_latest` finds, without a statement for the contact.
_LATEST_BY_IDENTITY = (
    select(_sender_conversations.id)
    .join(Identity, Identity.contact_id == _sender_conversations.contact_id)
    .where(
        Identity.kind == bindparam("sender_kind"),
        Identity.value == bindparam("sender_value"),
        _sender_conversations.channel_id == bindparam("on_channel"),
    )
    .order_by(_sender_conversations.id.desc())
    .limit(1)
    .scalar_subquery()
)
# Built once with plain bind parameters, so SQLAlchemy compiles it once.
_TOUCH_OPEN = (
    update(Conversation)
    .where(
        Conversation.id == _LATEST_BY_IDENTITY,
        Conversation.status == ConversationStatus.open,
    )
    .values(
        last_message_at=bindparam("written_at"),
        waiting_since=func.coalesce(Conversation.waiting_since, bindparam("written_at")),
    )
    .returning(Conversation)
)


async def touch_open(
    uow: UnitOfWork, sender: NormalisedIdentity, channel_id: int, now: datetime
) -> Conversation | None:
    """The hot path of a chat: the sender's conversation on this channel when his latest one
    is open, found by his only identity and written to in the same statement (the client
    wrote at `now`: `last_message_at`, and `waiting_since` unless he waits already). None
    when he has none open (or is unknown): nothing was written, `conversation_for` decides.

    On PostgreSQL the row stays locked to the end of the transaction, so two messages of
    one conversation are stored in the order they got here."""
    params = {
        "sender_kind": sender.kind.value,
        "sender_value": sender.value,
        "on_channel": channel_id,
        "written_at": now,
    }
    result = await uow.session.execute(_TOUCH_OPEN, params)
    conversation: Conversation | None = result.scalar_one_or_none()
    return conversation


async def hinted(uow: UnitOfWork, channel: Channel, hint: object) -> Conversation | None:
    """The conversation of this channel the source pointed at, if there is one."""
    if not isinstance(hint, int | str) or not str(hint).isdigit():
        return None
    conversation = await uow.session.get(Conversation, int(hint))
    if conversation is None or conversation.channel_id != channel.id:
        return None
    return conversation


async def conversation_for(
    uow: UnitOfWork,
    contact_id: int,
    channel: Channel,
    subject: str,
    lead_id: int | None,
    *,
    thread_hint: object = None,
    always_new: bool = False,
) -> Thread:
    """Each web-form submission is its own request (`always_new`), as in a helpdesk."""
    candidate = await hinted(uow, channel, thread_hint) if thread_hint is not None else None
    if candidate is None and not always_new:
        candidate = await _latest(uow, contact_id, channel.id)
        window = timedelta(seconds=uow.hub.settings.reopen_window_s)
        if (
            candidate is not None
            and candidate.status is ConversationStatus.closed
            and (candidate.closed_at is None or uow.now() - candidate.closed_at > window)
        ):
            candidate = None
    if candidate is not None:
        if candidate.status is ConversationStatus.open:
            return Thread(candidate, "open")
        await conversations.reopen(uow, candidate)
        return Thread(candidate, "reopened")
    conversation = await conversations.open_conversation(
        uow, contact_id, channel, subject, lead_id, weight=weight_of(channel.kind)
    )
    return Thread(conversation, "new")
