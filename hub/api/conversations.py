"""Conversation reads: list, open one, read its messages, its routing decisions and the
channels a reply may go through.
(Writes are in conversation_writes.py.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub import queries
from hub.actions.conversations import no_such_conversation
from hub.core import Hub
from hub.models import Conversation, RoutingDecision, User
from hub.policy import Forbidden, is_supervisor
from hub.queries import ConversationOut
from hub.queries.reply_channels import ReplyChannels, reply_routes, route_json
from hub.serialize import iso, user_brief

from .inputs import ConversationListQuery, MessageListQuery
from .paging import one_more, page
from .registry import ApiCall, RouteTable
from .routing_schemas import DecisionList, DecisionOut
from .schemas import ConversationDetail, ConversationPage, MessagePage

routes = RouteTable("conversations")


@routes.get(
    "/conversations",
    summary="Conversations, newest activity first",
    query=ConversationListQuery,
    response=ConversationPage,
)
async def list_conversations(call: ApiCall[ConversationListQuery, None]) -> ConversationPage:
    query = call.query
    supervisor = is_supervisor(call.principal)
    # Operators see their own work plus the shared queue unless they ask for more.
    default = "any" if supervisor else "mine-or-none"
    if query.view == "all" and not supervisor:
        raise Forbidden("forbidden", "Only supervisors see every conversation.")
    async with call.hub.db.sessions() as session:
        where = None
        if query.view is not None:
            me = call.principal.user_id
            teams = await queries.team_ids_of(session, me)
            where = queries.view_filter(query.view, me, teams, supervisor)
        rows = await queries.list_conversations(
            session,
            # A view says which status and holder it wants by itself.
            status="all" if query.view is not None else query.status,
            assignee="any" if query.view is not None else (query.assignee or default),
            where=where,
            me=call.principal.user_id,
            channel_kind=query.channel,
            tag=query.tag,
            since=query.since,
            until=query.until,
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
        await _ensure_exists(session, conversation_id)
        rows = await queries.list_messages(
            session, conversation_id, call.query.after_id, one_more(call.query.limit)
        )
    items, cursor = page(rows, call.query.limit)
    return MessagePage(items=items, next_cursor=cursor)


@routes.get(
    "/conversations/{id}/routing",
    summary="Every routing decision taken on the conversation, with its reason, oldest first",
    response=DecisionList,
)
async def routing_history(call: ApiCall[None, None]) -> DecisionList:
    conversation_id = call.path_id()
    from_user, to_user, by_user = aliased(User), aliased(User), aliased(User)
    async with call.hub.db.sessions() as session:
        await _ensure_exists(session, conversation_id)
        rows = await session.execute(
            select(RoutingDecision, from_user, to_user, by_user)
            .outerjoin(from_user, from_user.id == RoutingDecision.from_user_id)
            .outerjoin(to_user, to_user.id == RoutingDecision.to_user_id)
            .outerjoin(by_user, by_user.id == RoutingDecision.by_user_id)
            .where(RoutingDecision.conversation_id == conversation_id)
            .order_by(RoutingDecision.id)
        )
        items = [
            DecisionOut.model_validate(
                {
                    "id": d.id,
                    "kind": d.kind,
                    "reason": d.reason,
                    "reason_parts": d.reason_parts,
                    "created_at": iso(d.created_at),
                    "from_user": user_brief(f),
                    "to_user": user_brief(t),
                    "by_user": user_brief(b),
                    "team_id": d.team_id,
                }
            )
            for d, f, t, b in rows
        ]
    return DecisionList(items=items)


@routes.get(
    "/conversations/{id}/reply-channels",
    summary=(
        "Channels a reply may go through: the conversation's own first, then the client's "
        "others, each available or refused with a reason"
    ),
    response=ReplyChannels,
)
async def reply_channels(call: ApiCall[None, None]) -> ReplyChannels:
    conversation_id = call.path_id()
    async with call.hub.db.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise no_such_conversation(conversation_id)
        routes_ = await reply_routes(session, conversation)
    return ReplyChannels(items=[route_json(route) for route in routes_])


async def _ensure_exists(session: AsyncSession, conversation_id: int) -> None:
    if await queries.conversation_contact_id(session, conversation_id) is None:
        raise no_such_conversation(conversation_id)
