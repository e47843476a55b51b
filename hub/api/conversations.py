"""Conversation views: list, open one, read its messages."""

from __future__ import annotations

from hub import queries
from hub.core import Hub
from hub.policy import DomainError, is_supervisor
from hub.queries import ConversationOut

from .inputs import ConversationListQuery, MessageListQuery
from .paging import one_more, page
from .registry import ApiCall, RouteTable
from .schemas import ConversationDetail, ConversationPage, MessagePage

routes = RouteTable("conversations")


def no_such_conversation(conversation_id: int) -> DomainError:
    return DomainError(
        "no-such-conversation",
        404,
        "There is no such conversation.",
        {"conversation_id": conversation_id},
    )


@routes.get(
    "/conversations",
    summary="Conversations, newest activity first",
    query=ConversationListQuery,
    response=ConversationPage,
)
async def list_conversations(call: ApiCall[ConversationListQuery, None]) -> ConversationPage:
    query = call.query
    # Operators see their own work plus the shared queue unless they ask for more.
    default = "any" if is_supervisor(call.principal) else "mine-or-none"
    async with call.hub.db.sessions() as session:
        rows = await queries.list_conversations(
            session,
            status=query.status,
            assignee=query.assignee or default,
            me=call.principal.user_id,
            channel_kind=query.channel,
            before_id=query.before_id,
            limit=one_more(query.limit),
        )
    items, cursor = page(rows, query.limit)
    return ConversationPage(items=items, next_cursor=cursor)


async def read_conversation(hub: Hub, conversation_id: int) -> ConversationOut:
    async with hub.db.sessions() as session:
        conversation = await queries.get_conversation(session, conversation_id)
    if conversation is None:
        raise no_such_conversation(conversation_id)
    return conversation


@routes.get(
    "/conversations/{id}",
    summary="One conversation with the client's full card",
    response=ConversationDetail,
)
async def get_conversation(call: ApiCall[None, None]) -> ConversationDetail:
    conversation_id = call.path_id()
    async with call.hub.db.sessions() as session:
        conversation = await queries.get_conversation(session, conversation_id)
        if conversation is None:
            raise no_such_conversation(conversation_id)
        card = await queries.contact_card(session, conversation.contact.id)
    assert card is not None  # the foreign key guarantees the contact
    return ConversationDetail(**{**dict(conversation), "contact": card})


@routes.get(
    "/conversations/{id}/messages",
    summary="Messages of a conversation, oldest first",
    query=MessageListQuery,
    response=MessagePage,
)
async def list_messages(call: ApiCall[MessageListQuery, None]) -> MessagePage:
    conversation_id = call.path_id()
    async with call.hub.db.sessions() as session:
        if await queries.conversation_contact_id(session, conversation_id) is None:
            raise no_such_conversation(conversation_id)
        rows = await queries.list_messages(
            session, conversation_id, call.query.after_id, one_more(call.query.limit)
        )
    items, cursor = page(rows, call.query.limit)
    return MessagePage(items=items, next_cursor=cursor)
