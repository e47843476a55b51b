"""Conversation writes: reply or note, assign, close, reopen.

Each runs in one unit of work with the conversation row locked, so two agents acting at once
are serialised: the second sees what the first did (and may then be refused). Assignment
goes through the routing engine's actions (offers, queue, recorded decisions), so the
sweeper never moves a conversation someone has taken.
"""

from __future__ import annotations

from hub.actions import conversations, messages, unit_of_work
from hub.actions import routing as routing_actions
from hub.actions.uow import UnitOfWork
from hub.models import Conversation, ConversationStatus, User
from hub.policy import DomainError, ensure_can_assign, ensure_can_write, takes_on_reply
from hub.queries import ConversationOut, MessageOut
from hub.reasons import Reason
from hub.reasons import reason as because
from hub.serialize import message_json
from routing import assignment, transfer

from .conversations import no_such_conversation, read_conversation
from .files import attachments_of_uploads
from .inputs import AssignIn, MessageIn
from .registry import ApiCall, RouteTable, invalid_input

routes = RouteTable("conversations")


async def locked_conversation(uow: UnitOfWork, conversation_id: int) -> Conversation:
    conversation = await conversations.get_for_update(uow, conversation_id)
    if conversation is None:
        raise no_such_conversation(conversation_id)
    return conversation


def _noted(note: str) -> Reason | None:
    """A hand-over note the person typed is the reason itself, shown as written."""
    return because("note", text=note) if note else None


async def take(uow: UnitOfWork, conversation: Conversation, user: User, reason: Reason) -> None:
    """The caller takes it: offered to themselves and accepted at once, leaving the queue."""
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


async def reopen(uow: UnitOfWork, conversation: Conversation, reason: str) -> None:
    await conversations.reopen(uow, conversation)
    await conversations.announce(uow, conversation, "reopened", reason)


async def route_if_unheld(uow: UnitOfWork, conversation: Conversation) -> None:
    # A reopened conversation nobody holds would otherwise sit outside the queue.
    if conversation.assignee_id is None and conversation.queued_at is None:
        await assignment.route(uow, conversation)


@routes.post(
    "/conversations/{id}/messages",
    summary="Reply to the client (through the outbox) or add an internal note",
    body=MessageIn,
    response=MessageOut,
    status=201,
)
async def post_message(call: ApiCall[None, MessageIn]) -> MessageOut:
    attached = attachments_of_uploads(
        call.hub.settings.secret_key, call.principal, call.body.attachments
    )
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, call.path_id())
        ensure_can_write(call.principal, conversation)
        author = await uow.session.get_one(User, call.principal.user_id)
        if call.body.kind == "note":
            message = await messages.add_note(uow, conversation, author, call.body.text)
        else:
            if conversation.status is ConversationStatus.closed:
                await reopen(uow, conversation, f"replied to by {author.name}")
            if takes_on_reply(call.principal, conversation):
                await take(uow, conversation, author, because("taken_by", name=author.name))
            else:
                await route_if_unheld(uow, conversation)
            # Answering also accepts a pending offer to the author.
            message, _ = await messages.queue_reply(
                uow, conversation, author, call.body.text, attached
            )
        return MessageOut.model_validate(message_json(message, author))


async def _target(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise invalid_input(
            [
                {
                    "field": "user_id",
                    "location": "body",
                    "type": "no-such-user",
                    "message": "There is no active user with this id.",
                }
            ]
        )
    return user


@routes.post(
    "/conversations/{id}/assign",
    summary=(
        "Take it or give it back to the queue (anyone on their own or queued work); "
        "hand it to someone else (supervisors)"
    ),
    body=AssignIn,
    response=ConversationOut,
    conflicts=True,
)
async def assign_conversation(call: ApiCall[None, AssignIn]) -> ConversationOut:
    conversation_id = call.path_id()
    target_id, note = call.body.user_id, call.body.note.strip()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        ensure_can_assign(call.principal, conversation, target_id)
        me = await uow.session.get_one(User, call.principal.user_id)
        if target_id is None:
            if conversation.assignee_id is not None:
                why = _noted(note) or because("returned_by", name=me.name)
                await routing_actions.enqueue(uow, conversation, "returned", why, by_user_id=me.id)
        elif target_id == me.id:
            if conversation.assignee_id == me.id:
                # Already offered to the caller: taking it is accepting the offer.
                await routing_actions.accept(uow, conversation, me.id)
            else:
                await take(uow, conversation, me, _noted(note) or because("taken_by", name=me.name))
        else:
            target = await _target(uow, target_id)
            try:
                await transfer.to_operator(uow, conversation, target, me, note)
            except transfer.TransferError as exc:
                raise DomainError(exc.error_id, 409, str(exc), {"user_id": target_id}) from exc
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/close",
    summary="Close the conversation",
    response=ConversationOut,
    conflicts=True,
)
async def close_conversation(call: ApiCall[None, None]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        ensure_can_write(call.principal, conversation)
        if conversation.status is ConversationStatus.closed:
            raise DomainError("already-closed", 409, "The conversation is closed already.")
        await conversations.close(uow, conversation)
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/reopen",
    summary="Reopen a closed conversation",
    response=ConversationOut,
    conflicts=True,
)
async def reopen_conversation(call: ApiCall[None, None]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        ensure_can_write(call.principal, conversation)
        if conversation.status is ConversationStatus.open:
            raise DomainError("already-open", 409, "The conversation is open already.")
        await reopen(uow, conversation, f"reopened by {call.principal.name}")
        await route_if_unheld(uow, conversation)
    return await read_conversation(call.hub, conversation_id)
