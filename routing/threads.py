"""Threading: which conversation an inbound joins.

In order: the conversation the source pointed at (`thread_hint`, e.g. an e-mail reply's
In-Reply-To or a "[#N]" subject marker) -> the sender's open conversation on this channel ->
their last one here if closed within the reopen window -> a new conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from hub.actions import conversations
from hub.actions.uow import UnitOfWork
from hub.models import Channel, Conversation, ConversationStatus

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
