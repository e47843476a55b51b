"""Conversation writes: reply or note, assign, accept, transfer, close, reopen.

Each view parses its input, calls one use case in `hub.actions` with the caller as the actor
and serialises the result; who may do what, and every refusal, is the use case's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.actions import conversation_cases, conversation_handover
from hub.core import Hub
from hub.policy import Actor
from hub.queries import ConversationOut, MessageOut
from hub.serialize import message_json

from .conversations import read_conversation
from .files import attachments_of_uploads
from .inputs import AssignIn, MessageIn
from .registry import ApiCall, RouteTable
from .routing_schemas import TransferIn

routes = RouteTable("conversations")


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
    body = call.body
    posted = await conversation_cases.post_message(
        call.hub,
        call.principal,
        call.path_id(),
        body.kind,
        body.text,
        attached,
        via_channel_id=body.via_channel_id,
    )
    return MessageOut.model_validate(message_json(posted.message, posted.author))


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
    await conversation_handover.assign(
        call.hub, call.principal, conversation_id, call.body.user_id, call.body.note
    )
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/transfer",
    summary="Hand the conversation to an operator or a team, with a note saying why",
    body=TransferIn,
    response=ConversationOut,
    conflicts=True,
)
async def transfer_conversation(call: ApiCall[None, TransferIn]) -> ConversationOut:
    conversation_id, body = call.path_id(), call.body
    if body.user_id is not None:
        await conversation_handover.transfer_to_operator(
            call.hub, call.principal, conversation_id, body.user_id, body.note
        )
    else:
        assert body.team_id is not None  # the model demands one of the two
        await conversation_handover.transfer_to_team(
            call.hub, call.principal, conversation_id, body.team_id, body.note
        )
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/accept",
    summary="Accept a conversation offered to you, so it does not move on after the timeout",
    response=ConversationOut,
    conflicts=True,
)
async def accept_conversation(call: ApiCall[None, None]) -> ConversationOut:
    return await _changed(call, conversation_handover.accept)


@routes.post(
    "/conversations/{id}/close",
    summary="Close the conversation",
    response=ConversationOut,
    conflicts=True,
)
async def close_conversation(call: ApiCall[None, None]) -> ConversationOut:
    return await _changed(call, conversation_cases.close)


@routes.post(
    "/conversations/{id}/reopen",
    summary="Reopen a closed conversation",
    response=ConversationOut,
    conflicts=True,
)
async def reopen_conversation(call: ApiCall[None, None]) -> ConversationOut:
    return await _changed(call, conversation_cases.reopen)


async def _changed(
    call: ApiCall[None, None], change: Callable[[Hub, Actor, int], Awaitable[None]]
) -> ConversationOut:
    """A change that takes no input: the use case, then the conversation as it is now."""
    conversation_id = call.path_id()
    await change(call.hub, call.principal, conversation_id)
    return await read_conversation(call.hub, conversation_id)
