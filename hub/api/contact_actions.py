"""What is done to a contact as a whole: merge another one in, undo that, convert a lead,
accept or dismiss an address Okno proposed for it."""

from __future__ import annotations

from hub import queries
from hub.actions import identity_suggestions, leads, merge
from hub.models import ContactMerge, IdentitySuggestion, Role
from hub.queries import ContactCard
from hub.serialize import iso

from .identity_schemas import ConvertIn, MergeIn, MergeOut, UnmergeIn
from .registry import ApiCall, RouteTable

routes = RouteTable("contacts")


def _merge_out(record: ContactMerge) -> MergeOut:
    return MergeOut.model_validate(
        {
            "id": record.id,
            "survivor_id": record.survivor_id,
            "merged_id": record.merged_id,
            "moved": record.moved,
            "created_at": iso(record.created_at),
            "undone_at": iso(record.undone_at),
        }
    )


@routes.post(
    "/contacts/{id}/merge",
    summary="Merge another contact into this one (identities, conversations, deals, activities)",
    body=MergeIn,
    response=MergeOut,
    role=Role.supervisor,
    conflicts=True,
)
async def merge_contacts(call: ApiCall[None, MergeIn]) -> MergeOut:
    record = await merge.merge_contacts(
        call.hub, call.principal, call.path_id(), call.body.merge_id
    )
    return _merge_out(record)


@routes.post(
    "/contacts/{id}/unmerge",
    summary="Undo a merge into this contact, moving back exactly what it moved",
    body=UnmergeIn,
    response=MergeOut,
    role=Role.supervisor,
    conflicts=True,
)
async def unmerge_contacts(call: ApiCall[None, UnmergeIn]) -> MergeOut:
    record = await merge.unmerge_contact(
        call.hub, call.principal, call.path_id(), merge_record_id=call.body.merge_record_id
    )
    return _merge_out(record)


@routes.post(
    "/contacts/{id}/convert",
    summary="Turn a lead into a client; history, identities and conversations stay",
    body=ConvertIn,
    response=ContactCard,
)
async def convert_lead(call: ApiCall[None, ConvertIn]) -> ContactCard:
    contact = await leads.convert_contact(
        call.hub, call.principal, call.path_id(), call.body.responsible_user_id
    )
    async with call.hub.db.sessions() as session:
        card = await queries.contact_card(session, contact.id)
    assert card is not None  # converted just now, and a conversion merges nothing away
    return card


async def _card_of_suggestion(call: ApiCall[None, None], contact_id: int) -> ContactCard:
    async with call.hub.db.sessions() as session:
        card = await queries.contact_card(session, contact_id)
    assert card is not None  # decided just now on a contact that is in view
    return card


async def _contact_of(call: ApiCall[None, None]) -> int:
    async with call.hub.db.sessions() as session:
        suggestion = await session.get(IdentitySuggestion, call.path_id())
    return 0 if suggestion is None else suggestion.contact_id


@routes.post(
    "/identity-suggestions/{id}/accept",
    summary="Make a proposed address the client's own (his next mail from it finds him)",
    response=ContactCard,
    conflicts=True,
)
async def accept_suggestion(call: ApiCall[None, None]) -> ContactCard:
    contact_id = await _contact_of(call)
    await identity_suggestions.accept_suggestion(call.hub, call.principal, call.path_id())
    return await _card_of_suggestion(call, contact_id)


@routes.post(
    "/identity-suggestions/{id}/dismiss",
    summary="Leave a proposed address out; it is not proposed again for this client",
    response=ContactCard,
    conflicts=True,
)
async def dismiss_suggestion(call: ApiCall[None, None]) -> ContactCard:
    contact_id = await _contact_of(call)
    await identity_suggestions.dismiss_suggestion(call.hub, call.principal, call.path_id())
    return await _card_of_suggestion(call, contact_id)
