"""Telephony views: the call log, click-to-call and transfers.

Click-to-call and transfers are actions on the PBX link (the channel's CallControl
connector), which only the node holding that PBX's lease has: a request on another node is
carried to it (hub.host.pbx_control), and refused with 503 (pbx-not-connected) only when no
node holds the link. A refusal by the PBX itself is a 502 (pbx-error) with its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from connectors.capabilities import (
    CallControlError,
    CallControlRefused,
    CallControlTimeout,
    CallControlUnavailable,
    CallNotLive,
)
from hub.actions import call_transfer
from hub.host.appkeys import PBX
from hub.host.telephony import pbx_channels
from hub.models import Call, Channel, Contact, Identity, IdentityKind, User
from hub.pbx import extension_of
from hub.policy import DomainError
from hub.serialize import call_json
from routing.identity import normalise_phone

from .call_schemas import (
    CallIn,
    CallListQuery,
    CallOut,
    CallPage,
    CallPlaced,
    TransferIn,
    TransferStarted,
)
from .contacts import ensure_visible
from .paging import one_more, page
from .registry import ApiCall, RouteTable, invalid_input

routes = RouteTable("calls")
T = TypeVar("T")


@routes.get("/calls", summary="Calls, newest first", query=CallListQuery, response=CallPage)
async def list_calls(call: ApiCall[CallListQuery, None]) -> CallPage:
    query = call.query
    answerer = aliased(User)
    stmt = (
        select(Call, Contact, answerer)
        .outerjoin(Contact, Contact.id == Call.contact_id)
        .outerjoin(answerer, answerer.id == Call.answered_by_user_id)
        .order_by(Call.id.desc())
        .limit(one_more(query.limit))
    )
    filters = [
        (Call.contact_id, query.contact_id),
        (Call.answered_by_user_id, query.user_id),
        (Call.outcome, query.outcome),
        (Call.direction, query.direction),
    ]
    stmt = stmt.where(*(column == value for column, value in filters if value is not None))
    if query.since is not None:
        stmt = stmt.where(Call.started_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(Call.started_at < query.until)
    if query.before_id is not None:
        stmt = stmt.where(Call.id < query.before_id)
    async with call.hub.db.sessions() as session:
        rows = [
            CallOut.model_validate(call_json(row, contact, user))
            for row, contact, user in await session.execute(stmt)
        ]
    items, cursor = page(rows, query.limit)
    return CallPage(items=items, next_cursor=cursor)


@routes.post(
    "/calls",
    summary="Click-to-call: ring the caller's phone, then dial the client",
    body=CallIn,
    response=CallPlaced,
    status=202,
    conflicts=True,
    missing=True,  # no such PBX channel, or no such contact to dial
)
async def place_call(call: ApiCall[None, CallIn]) -> CallPlaced:
    body = call.body
    async with call.hub.db.sessions() as session:
        user = await session.get_one(User, call.principal.user_id)
        number = await _number_to_dial(session, body, call.hub.settings.default_region)
    channel = await _pbx_for(call, body.channel, user)
    extension = extension_of(user, channel)
    if extension is None:
        raise DomainError(
            "no-extension",
            409,
            "You have no phone extension on this PBX.",
            {"channel": channel.name},
        )
    await _pbx(call.request.app[PBX].originate(channel.name, extension, number), channel.name)
    return CallPlaced(status="calling", channel=channel.name, extension=extension, number=number)


@routes.post(
    "/calls/{id}/transfer",
    summary="Transfer a live call: blind (Redirect) or attended (Atxfer)",
    body=TransferIn,
    response=TransferStarted,
    status=202,
    conflicts=True,
)
async def transfer_call(call: ApiCall[None, TransferIn]) -> TransferStarted:
    body = call.body
    order = await call_transfer.order_transfer(
        call.hub,
        call.principal,
        call.path_id(),
        extension=body.extension,
        user_id=body.user_id,
        attended=body.attended,
    )
    await _pbx(
        call.request.app[PBX].transfer(
            order.channel,
            order.call.linkedid,
            order.target,
            attended=order.attended,
            operator_extension=order.operator_extension,
        ),
        order.channel,
    )
    return TransferStarted(
        status="transferring",
        kind="attended" if order.attended else "blind",
        target=order.target,
        call=CallOut.model_validate(call_json(order.call, order.contact, order.answerer)),
    )


async def _number_to_dial(session: AsyncSession, body: CallIn, region: str) -> str:
    if body.number is not None:
        number = normalise_phone(body.number, region)
        if number is None:
            raise invalid_input(
                [
                    {
                        "field": "number",
                        "location": "body",
                        "type": "invalid-phone",
                        "message": "This is not a valid phone number.",
                    }
                ]
            )
        return number
    assert body.contact_id is not None  # the model allows nothing else
    await ensure_visible(session, body.contact_id)
    phone = (
        await session.execute(
            select(Identity.value)
            .where(Identity.contact_id == body.contact_id, Identity.kind == IdentityKind.phone)
            .order_by(Identity.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if phone is None:
        raise DomainError(
            "no-phone-number",
            409,
            "This contact has no phone number.",
            {"contact_id": body.contact_id},
        )
    return phone


async def _pbx_for(call: ApiCall[None, CallIn], name: str | None, user: User) -> Channel:
    """The named PBX, else the first one on which the caller has an extension."""
    channels = await pbx_channels(call.hub)
    if name is not None:
        channels = [channel for channel in channels if channel.name == name]
    if not channels:
        raise DomainError(
            "no-such-channel", 404, "No telephony channel is configured.", {"channel": name}
        )
    return next((c for c in channels if extension_of(user, c) is not None), channels[0])


def _not_connected(channel: str) -> DomainError:
    return DomainError(
        "pbx-not-connected",
        503,
        "This node has no connection to the PBX right now; try again shortly.",
        {"channel": channel},
    )


async def _pbx(action: Awaitable[T], channel: str) -> T:
    """Run a call-control action; its failures as API errors with their own ids."""
    try:
        return await action
    except CallControlUnavailable as exc:
        raise _not_connected(channel) from exc
    except CallControlTimeout as exc:
        raise DomainError("pbx-timeout", 504, str(exc), {"channel": channel}) from exc
    except CallControlRefused as exc:
        raise DomainError(
            "pbx-error",
            502,
            f"The PBX refused: {exc.reason}",
            {"channel": channel, "action": exc.action, "reason": exc.reason},
        ) from exc
    except CallNotLive as exc:
        raise DomainError("call-not-live", 409, str(exc), {"channel": channel}) from exc
    except CallControlError as exc:
        raise DomainError("pbx-error", 502, str(exc), {"channel": channel}) from exc
    except ValueError as exc:
        raise DomainError("not-diallable", 422, str(exc), {"channel": channel}) from exc
