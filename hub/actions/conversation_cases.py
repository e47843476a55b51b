"""Use cases on one conversation: reply or note, close, reopen.

Each entry point takes the acting principal (`hub.policy.Actor`: a user, a robot or the
system), runs in one unit of work with the conversation row locked, checks `hub.policy`, writes
through the unit-of-work actions and leaves the events to be published after commit. Refusals
are `DomainError`s, rendered as they are by the API and the websocket.

Robots and the system may close and reopen. A message needs a person as its author, so a reply
or a note by a robot or the system is refused (403 `needs-a-person`) until robots have an
author identity of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, NamedTuple

from hub.core import Hub
from hub.models import Conversation, ConversationStatus, Message, User
from hub.policy import Actor, Conflict, ensure_can_write, person_of, takes_on_reply
from hub.reasons import Reason
from hub.reasons import reason as because
from routing import assignment

from . import conversations, messages, reply_via
from . import routing as routing_actions
from .uow import UnitOfWork, unit_of_work

MessageKind = Literal["reply", "note"]


class Posted(NamedTuple):
    message: Message
    author: User


@asynccontextmanager
async def writing(
    hub: Hub, actor: Actor, conversation_id: int
) -> AsyncIterator[tuple[UnitOfWork, Conversation]]:
    """A unit of work on the locked conversation, once `actor` may write on it."""
    async with unit_of_work(hub) as uow:
        conversation = await conversations.locked(uow, conversation_id)
        ensure_can_write(actor, conversation)
        yield uow, conversation


async def take(uow: UnitOfWork, conversation: Conversation, user: User, reason: Reason) -> None:
    """`user` takes it: offered to themselves and accepted at once, leaving the queue."""
    await routing_actions.offer(
        uow,
        conversation,
        user,
        reason,
        assignment.DEFAULT_ACCEPT_TIMEOUT_S,
        kind="assigned",
        by_user_id=user.id,
    )
    await routing_actions.accept(uow, conversation, user.id)


async def _reopen(uow: UnitOfWork, conversation: Conversation, reason: str) -> None:
    await conversations.reopen(uow, conversation)
    await conversations.announce(uow, conversation, "reopened", reason)


async def _route_if_unheld(uow: UnitOfWork, conversation: Conversation) -> None:
    # A reopened conversation nobody holds would otherwise sit outside the queue.
    if conversation.assignee_id is None and conversation.queued_at is None:
        await assignment.route(uow, conversation)


async def post_message(
    hub: Hub,
    actor: Actor,
    conversation_id: int,
    kind: MessageKind,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
    via_channel_id: int | None = None,
) -> Posted:
    """A note stays internal. A reply goes out through the outbox; it reopens a closed
    conversation, and an operator answering the shared queue takes it (no one else answers
    too); answering also accepts a pending offer to the author.

    `via_channel_id` answers through another channel of the same client (item 7 of #15);
    who may do it is who may reply here, and the channel must be one the client can be
    reached in (`hub.queries.reply_channels`), else nothing is written."""
    person = person_of(actor, "write in a conversation")
    async with writing(hub, person, conversation_id) as (uow, conversation):
        author = await uow.session.get_one(User, person.user_id)
        if kind == "note":
            return Posted(await messages.add_note(uow, conversation, author, text), author)
        via = await reply_via.chosen(uow, conversation, via_channel_id)
        if conversation.status is ConversationStatus.closed:
            await _reopen(uow, conversation, f"replied to by {author.name}")
        if takes_on_reply(person, conversation):
            await take(uow, conversation, author, because("taken_by", name=author.name))
        else:
            await _route_if_unheld(uow, conversation)
        message, _ = await messages.queue_reply(uow, conversation, author, text, attachments, via)
        return Posted(message, author)


async def close(hub: Hub, actor: Actor, conversation_id: int) -> None:
    async with writing(hub, actor, conversation_id) as (uow, conversation):
        if conversation.status is ConversationStatus.closed:
            raise Conflict("already-closed", "The conversation is closed already.")
        await conversations.close(uow, conversation)


async def reopen(hub: Hub, actor: Actor, conversation_id: int) -> None:
    """Open it again; if nobody holds it, the routing engine offers or queues it."""
    async with writing(hub, actor, conversation_id) as (uow, conversation):
        if conversation.status is ConversationStatus.open:
            raise Conflict("already-open", "The conversation is open already.")
        await _reopen(uow, conversation, f"reopened by {actor.name}")
        await _route_if_unheld(uow, conversation)
