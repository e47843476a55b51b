"""Transferring a live call: who may, to which extension, blind or attended.

`order_transfer` checks the request (`policy.ensure_can_transfer_call`) and resolves the target
to an extension on the call's PBX; the caller hands the order to the PBX link, which only the
node holding that PBX's lease has (hub.host.pbx_control). Nothing is written here: the PBX's
own events record the transfer when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.core import Hub
from hub.models import Call, Channel, Contact, User
from hub.pbx import attended_transfers, extension_of
from hub.policy import Actor, Conflict, NotFound, ensure_can_transfer_call, on_the_call


@dataclass(frozen=True)
class TransferOrder:
    """A checked transfer for the PBX link to carry out."""

    call: Call
    contact: Contact | None
    answerer: User | None
    channel: str  # the PBX channel's name
    target: str  # the extension the call goes to
    attended: bool
    # The actor's own extension when they are on the call: an attended transfer rings from it.
    operator_extension: str | None


async def order_transfer(
    hub: Hub,
    actor: Actor,
    call_id: int,
    *,
    extension: str | None = None,
    user_id: int | None = None,
    attended: bool = False,
) -> TransferOrder:
    """To `extension`, or else to `user_id`'s extension on the call's PBX."""
    async with hub.db.sessions() as session:
        record = await session.get(Call, call_id)
        if record is None:
            raise NotFound("no-such-call", "There is no such call.", {"call_id": call_id})
        channel = await session.get_one(Channel, record.channel_id)
        me = await session.get(User, actor.user_id) if isinstance(actor, Principal) else None
        target = extension or await _extension_of_user(session, user_id, channel)
        contact = await session.get(Contact, record.contact_id) if record.contact_id else None
        answerer = (
            await session.get(User, record.answered_by_user_id)
            if record.answered_by_user_id
            else None
        )
    if record.ended_at is not None:
        raise Conflict("call-ended", "This call has ended.", {"call_id": call_id})
    mine = extension_of(me, channel) if me is not None else None
    ensure_can_transfer_call(actor, record, mine)
    if attended and not attended_transfers(channel):
        raise Conflict(
            "attended-not-supported",
            "This PBX is not set up for attended transfers; transfer blind.",
            {"channel": channel.name},
        )
    return TransferOrder(
        call=record,
        contact=contact,
        answerer=answerer,
        channel=channel.name,
        target=target,
        attended=attended,
        operator_extension=mine if on_the_call(record, mine) else None,
    )


async def _extension_of_user(session: AsyncSession, user_id: int | None, channel: Channel) -> str:
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise NotFound("no-such-user", "There is no such user.", {"user_id": user_id})
    extension = extension_of(user, channel)
    if extension is None:
        raise Conflict(
            "no-extension",
            f"{user.name} has no phone extension on this PBX.",
            {"user_id": user.id, "channel": channel.name},
        )
    return extension
