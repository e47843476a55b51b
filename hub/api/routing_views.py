"""A conversation's routing: transfer, accept and the decisions taken on it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from hub.actions import routing as routing_actions
from hub.actions import unit_of_work
from hub.models import RoutingDecision, Team, User
from hub.policy import DomainError, ensure_can_write
from hub.serialize import iso, user_brief
from routing import transfer

from .conversation_actions import locked_conversation
from .conversations import read_conversation
from .registry import ApiCall, RouteTable
from .routing_schemas import DecisionList, DecisionOut, TransferIn
from .schemas import ConversationOut

routes = RouteTable("routing")


def _not_found(what: str, row_id: int) -> DomainError:
    return DomainError(f"no-such-{what}", 404, f"There is no such {what}.", {"id": row_id})


@routes.post(
    "/conversations/{id}/transfer",
    summary="Hand the conversation to an operator or a team, with a note saying why",
    body=TransferIn,
    response=ConversationOut,
    conflicts=True,
)
async def transfer_conversation(call: ApiCall[None, TransferIn]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        ensure_can_write(call.principal, conversation)
        me = await uow.session.get_one(User, call.principal.user_id)
        note = call.body.note.strip()
        try:
            if call.body.user_id is not None:
                target = await uow.session.get(User, call.body.user_id)
                if target is None:
                    raise _not_found("user", call.body.user_id)
                await transfer.to_operator(uow, conversation, target, me, note)
            else:
                assert call.body.team_id is not None  # the model demands one of the two
                team = await uow.session.get(Team, call.body.team_id)
                if team is None:
                    raise _not_found("team", call.body.team_id)
                await transfer.to_team(uow, conversation, team, me, note)
        except transfer.TransferError as exc:
            raise DomainError(exc.error_id, 409, str(exc)) from exc
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/accept",
    summary="Accept a conversation offered to you, so it does not move on after the timeout",
    response=ConversationOut,
    conflicts=True,
)
async def accept_conversation(call: ApiCall[None, None]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        if conversation.assignee_id != call.principal.user_id:
            raise DomainError("not-offered-to-you", 409, "This conversation is not offered to you.")
        await routing_actions.accept(uow, conversation, call.principal.user_id)
    return await read_conversation(call.hub, conversation_id)


@routes.get(
    "/conversations/{id}/routing",
    summary="Every routing decision taken on the conversation, with its reason, oldest first",
    response=DecisionList,
)
async def routing_history(call: ApiCall[None, None]) -> DecisionList:
    conversation_id = call.path_id()
    from_user, to_user, by_user = aliased(User), aliased(User), aliased(User)
    async with call.hub.db.sessions() as session:
        await read_conversation(call.hub, conversation_id)  # 404 when absent
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
