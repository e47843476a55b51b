"""What a PBX call event does: the call record, the client it belongs to, screen-pops,
assignment to the operator who answered, on-call presence and callback tasks.

Every event is applied on its own and in any order: a call first seen when it ends (the
link was down while it rang) still gets its client, conversation and record, and a late live
event never undoes the finished one. A call with an outside number belongs to the client
with that number (an unknown number becomes a lead); it gets a conversation of its own on
the PBX channel, assigned to whoever answered and closed when the call ends, holding the
call as an item of the client's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connectors.base import CallEvent
from hub.actions import calls, contacts, conversations, inbound
from hub.actions import routing as routing_actions
from hub.actions.contacts import NormalisedIdentity
from hub.actions.uow import UnitOfWork
from hub.models import (
    Call,
    CallDirection,
    CallOutcome,
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    IdentityKind,
    User,
)
from hub.queries import contact_card
from hub.reasons import Reason
from hub.reasons import reason as because

from . import assignment, identity

UNANSWERED = frozenset({CallOutcome.missed, CallOutcome.abandoned})


async def apply_call(
    uow: UnitOfWork, event_id: int, channel: Channel, item: CallEvent
) -> int | None:
    meta: Mapping[str, Any] = item.meta
    direction = CallDirection(meta.get("direction") or "inbound")
    at = item.occurred_at or uow.now()
    call = await calls.find(uow, channel.id, item.call_id)
    if call is None:
        call = await calls.start(uow, channel.id, item.call_id, direction, at)
    # The finished record, once: a late or repeated one never writes the history twice.
    finished = item.state in ("ended", "missed") and "outcome" in meta and call.ended_at is None
    if call.ended_at is None:
        calls.note_live(call, direction, item.caller or None, meta.get("callee"), item.queue)
    conversation = await _client_conversation(uow, channel, call, meta.get("client_number"))
    extensions = {item.extension, *call.agents_rung, *meta.get("agents_rung", [])}
    operators = await operators_by_extension(uow, channel, extensions)
    message_id: int | None = None
    if item.state == "ringing" and item.extension:
        await _ringing(uow, call, item.extension, operators.get(item.extension))
    elif item.state == "answered":
        await _answered(uow, call, conversation, item.extension, operators, at)
    elif item.state == "transferred":
        await _transferred(uow, call, meta, operators, at)
    elif finished:
        message_id = await _finished(uow, call, conversation, meta, operators)
    await inbound.mark_processed(uow, event_id, call.conversation_id, message_id)
    return call.conversation_id


async def operators_by_extension(
    uow: UnitOfWork, channel: Channel, extensions: Iterable[str | None]
) -> dict[str, User]:
    """Who answers each extension: this PBX's own map (extension -> login) first, else the
    operator whose profile carries that extension."""
    wanted = {ext for ext in extensions if ext}
    if not wanted:
        return {}
    mapped: dict[str, str] = {
        ext: login
        for ext, login in (channel.options or {}).get("extensions", {}).items()
        if ext in wanted
    }
    found: dict[str, User] = {}
    if mapped:
        users = await uow.session.execute(select(User).where(User.login.in_(mapped.values())))
        by_login = {user.login: user for user in users.scalars()}
        found = {ext: by_login[login] for ext, login in mapped.items() if login in by_login}
    rest = wanted - set(mapped)
    if rest:
        users = await uow.session.execute(select(User).where(User.extension.in_(rest)))
        found.update({user.extension: user for user in users.scalars() if user.extension})
    return {ext: user for ext, user in found.items() if user.is_active}


async def _client_conversation(
    uow: UnitOfWork, channel: Channel, call: Call, raw_number: object
) -> Conversation | None:
    """The conversation of this call, in the history of the client with its number."""
    if call.conversation_id is not None:
        return await uow.session.get(Conversation, call.conversation_id)
    if not isinstance(raw_number, str) or not raw_number:
        return None  # internal, or the number is withheld
    number = identity.normalise_phone(raw_number, uow.hub.settings.default_region)
    if number is None:
        return None
    ids = [NormalisedIdentity(IdentityKind.phone, number, raw_number)]
    contact_id = await identity.find_contact(uow.session, ids)
    lead_id: int | None = None
    if contact_id is None:
        detail = {"number": raw_number, "queue": call.queue, "dialled": call.callee}
        contact, lead = await contacts.create_lead(
            uow,
            name="",
            identities=ids,
            source=channel.kind,
            source_detail={key: value for key, value in detail.items() if value},
            title=f"Звонок {number}",
        )
        contact_id, lead_id = contact.id, lead.id
    conversation = await conversations.open_conversation(
        uow,
        contact_id,
        channel,
        subject=f"Звонок {number}",
        lead_id=lead_id,
        weight=assignment.weight_of(channel.kind),
    )
    calls.link_client(call, contact_id, conversation.id, number)
    return conversation


async def _ringing(uow: UnitOfWork, call: Call, extension: str, operator: User | None) -> None:
    calls.note_ring(call, extension)
    if call.ended_at is not None or operator is None:
        return
    card = await contact_card(uow.session, call.contact_id) if call.contact_id else None
    # The event carries the card's JSON: the same as GET /contacts/{id} sends.
    payload = card.model_dump(mode="json") if card is not None else None
    await calls.ring(uow, call, extension, operator.id, payload)


async def _answered(
    uow: UnitOfWork,
    call: Call,
    conversation: Conversation | None,
    extension: str | None,
    operators: Mapping[str, User],
    at: datetime,
) -> None:
    if call.ended_at is not None or call.answered_at is not None:
        return
    operator = operators.get(extension or "")
    await calls.answer(uow, call, extension, operator.id if operator else None, at)
    if operator is not None and conversation is not None:
        await _assign(
            uow, conversation, operator, because("answered_call", extension=extension or "")
        )
    if call.contact_id is not None:
        await calls.close_callbacks(uow, call.contact_id)
    await calls.announce(uow, call, "answered", _audience(call, operators))


async def _transferred(
    uow: UnitOfWork,
    call: Call,
    meta: Mapping[str, Any],
    operators: Mapping[str, User],
    at: datetime,
) -> None:
    """The operator who answered handed the live call on: free for work at once."""
    if call.ended_at is not None or call.transferred_to is not None:
        return
    calls.note_transfer(call, meta.get("transferred_to"), meta.get("transfer_kind"), at)
    user_id = call.answered_by_user_id
    if user_id is not None and not await calls.on_another_call(uow, user_id, call.id):
        await calls.set_on_call(uow, user_id, False)
    await calls.announce(uow, call, "transferred", _audience(call, operators))


async def _finished(
    uow: UnitOfWork,
    call: Call,
    conversation: Conversation | None,
    record: Mapping[str, Any],
    operators: Mapping[str, User],
) -> int | None:
    was_on_call = call.answered_by_user_id
    answered_by = record.get("answered_by")
    operator = operators.get(answered_by) if isinstance(answered_by, str) else None
    calls.finish(call, record, operator.id if operator else None)
    for user_id in {u for u in (was_on_call, call.answered_by_user_id) if u is not None}:
        if not await calls.on_another_call(uow, user_id, call.id):
            await calls.set_on_call(uow, user_id, False)
    message_id: int | None = None
    if conversation is not None:
        if operator is not None and conversation.assignee_id is None:
            # Answered while Okno did not hear it ring (the link was down): still theirs.
            await _assign(
                uow, conversation, operator, because("answered_call", extension=str(answered_by))
            )
        message_id = (await calls.add_history_line(uow, call, conversation)).id
        await calls.end_conversation(uow, conversation)
    if call.contact_id is not None and call.client_number is not None:
        if call.outcome is CallOutcome.answered:
            await calls.close_callbacks(uow, call.contact_id)
        elif call.outcome in UNANSWERED and call.direction is CallDirection.inbound:
            contact = await uow.session.get_one(Contact, call.contact_id)
            await calls.open_callback(uow, call, contact, call.client_number)
    await calls.announce(uow, call, "ended", _audience(call, operators))
    return message_id


async def _assign(
    uow: UnitOfWork, conversation: Conversation, operator: User, reason: Reason
) -> None:
    """The operator who answered holds the call's conversation, taken at once (no offer
    timeout: the phone was answered)."""
    if conversation.status is not ConversationStatus.open:
        return
    await routing_actions.offer(
        uow, conversation, operator, reason, assignment.DEFAULT_ACCEPT_TIMEOUT_S
    )
    await routing_actions.accept(uow, conversation, operator.id)


def _audience(call: Call, operators: Mapping[str, User]) -> list[int]:
    """Everyone whose phone rang for it, and who answered it."""
    users = [operators[ext].id for ext in call.agents_rung or [] if ext in operators]
    if call.answered_by_user_id is not None:
        users.append(call.answered_by_user_id)
    return users
