"""One call, and whom its operator can transfer it to (the workspace's on-call bar)."""

from __future__ import annotations

from sqlalchemy import case, select

from hub.models import Call, Channel, Contact, Presence, User
from hub.pbx import attended_transfers, extension_of
from hub.policy import DomainError
from hub.serialize import call_json, user_brief

from .call_schemas import CallOut, TransferTarget, TransferTargets
from .registry import ApiCall, RouteTable

routes = RouteTable("calls")

_PRESENCE_ORDER = case(
    (User.presence == Presence.online, 0), (User.presence == Presence.away, 1), else_=2
)


@routes.get("/calls/{id}", summary="One call: live (ended_at null) or finished", response=CallOut)
async def get_call(call: ApiCall[None, None]) -> CallOut:
    call_id = call.path_id()
    async with call.hub.db.sessions() as session:
        record = await session.get(Call, call_id)
        if record is None:
            raise DomainError("no-such-call", 404, "There is no such call.", {"call_id": call_id})
        contact = await session.get(Contact, record.contact_id) if record.contact_id else None
        answerer = (
            await session.get(User, record.answered_by_user_id)
            if record.answered_by_user_id
            else None
        )
    return CallOut.model_validate(call_json(record, contact, answerer))


@routes.get(
    "/calls/{id}/transfer-targets",
    summary="Operators with an extension on this call's PBX, with their presence",
    response=TransferTargets,
)
async def transfer_targets(call: ApiCall[None, None]) -> TransferTargets:
    call_id = call.path_id()
    async with call.hub.db.sessions() as session:
        record = await session.get(Call, call_id)
        if record is None:
            raise DomainError("no-such-call", 404, "There is no such call.", {"call_id": call_id})
        channel = await session.get_one(Channel, record.channel_id)
        users = (
            await session.execute(
                select(User)
                .where(User.is_active, User.id != call.principal.user_id)
                .order_by(_PRESENCE_ORDER, User.name, User.id)
            )
        ).scalars()
        items = [
            TransferTarget.model_validate(
                {
                    "user": user_brief(user),
                    "extension": extension,
                    "presence": user.presence,
                    "on_call": user.on_call,
                }
            )
            for user in users
            if (extension := extension_of(user, channel)) is not None
        ]
    return TransferTargets(channel=channel.name, attended=attended_transfers(channel), items=items)
