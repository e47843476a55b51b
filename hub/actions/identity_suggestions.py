"""Addresses proposed as the client's: noticed by routing, confirmed or dismissed by a person.

`suggest` runs inside the ingest's unit of work: an unknown sender who answered in a
client's e-mail thread is proposed once per client and address (a repeat is a no-op, also a
dismissed one: nobody is asked twice). `accept_suggestion` makes the address one of the
client's identities, so his next mail from it finds him; `dismiss_suggestion` leaves it
out. Both need the right to edit the client (`ensure_can_edit_record`) and emit
`contact.changed` with a new version, like any edit of the card.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hub.core import Hub
from hub.models import Identity, IdentityKind, IdentitySuggestion, SuggestionStatus
from hub.policy import (
    Actor,
    Conflict,
    NotFound,
    ensure_can_edit_record,
    ensure_contact_in_view,
    user_id_of,
)
from hub.queries.crm_access import crm_view, mates_of
from hub.text import one_line

from . import lookup
from .contact_edits import announce_contact
from .uow import UnitOfWork, unit_of_work

REPLIED_IN_CONVERSATION = "replied_in_conversation"


async def suggest(
    uow: UnitOfWork,
    contact_id: int,
    kind: IdentityKind,
    value: str,
    name: str,
    conversation_id: int,
) -> None:
    insert = postgresql.insert if uow.hub.db.dialect == "postgresql" else sqlite.insert
    await uow.session.execute(
        insert(IdentitySuggestion)
        .values(
            contact_id=contact_id,
            kind=kind,
            value=value,
            name=one_line(name)[:300],
            reason=REPLIED_IN_CONVERSATION,
            conversation_id=conversation_id,
            status=SuggestionStatus.open,
            created_at=uow.now(),
        )
        .on_conflict_do_nothing(index_elements=["contact_id", "kind", "value"])
    )


async def _decidable(uow: UnitOfWork, actor: Actor, suggestion_id: int) -> IdentitySuggestion:
    suggestion = await uow.session.get(IdentitySuggestion, suggestion_id, with_for_update=True)
    if suggestion is None:
        raise NotFound("no-such-suggestion", "There is no such suggestion.", {"id": suggestion_id})
    contact = await lookup.visible_contact(uow, suggestion.contact_id)
    view = await crm_view(uow.session, actor)
    if not view.sees(contact.responsible_user_id):
        # Answered like a missing one: nobody learns of a client outside his view.
        ensure_contact_in_view(contact.id, False)
    ensure_can_edit_record(actor, contact.responsible_user_id, await mates_of(uow.session, actor))
    if suggestion.status is not SuggestionStatus.open:
        raise Conflict(
            "suggestion-decided",
            "Someone has already decided on this suggestion.",
            {"status": suggestion.status.value},
        )
    return suggestion


async def accept_suggestion(hub: Hub, actor: Actor, suggestion_id: int) -> int:
    """The address becomes the client's; returns the contact's new version."""
    async with unit_of_work(hub) as uow:
        suggestion = await _decidable(uow, actor, suggestion_id)
        owner = (
            await uow.session.execute(
                select(Identity.contact_id).where(
                    Identity.kind == suggestion.kind, Identity.value == suggestion.value
                )
            )
        ).scalar_one_or_none()
        if owner is not None and owner != suggestion.contact_id:
            # Meanwhile the address became someone else's (a contact created by hand):
            # two clients never share one, merging them is a supervisor's decision.
            raise Conflict(
                "identity-taken",
                "This address already belongs to another contact.",
                {"contact_id": owner},
            )
        if owner is None:
            uow.session.add(
                Identity(
                    contact_id=suggestion.contact_id,
                    kind=suggestion.kind,
                    value=suggestion.value,
                    raw=suggestion.value,
                    created_at=uow.now(),
                )
            )
        return await _decide(uow, actor, suggestion, SuggestionStatus.accepted)


async def dismiss_suggestion(hub: Hub, actor: Actor, suggestion_id: int) -> int:
    async with unit_of_work(hub) as uow:
        suggestion = await _decidable(uow, actor, suggestion_id)
        return await _decide(uow, actor, suggestion, SuggestionStatus.dismissed)


async def _decide(
    uow: UnitOfWork, actor: Actor, suggestion: IdentitySuggestion, status: SuggestionStatus
) -> int:
    suggestion.status = status
    suggestion.decided_at = uow.now()
    suggestion.decided_by_id = user_id_of(actor)
    contact = await lookup.visible_contact(uow, suggestion.contact_id)
    contact.version += 1
    contact.updated_at = uow.now()
    await uow.session.flush()
    await announce_contact(uow, contact, "suggestion-" + status.value, None)
    return contact.version
