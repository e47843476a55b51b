"""Contact and lead views: the registry, the card (read, create, edit), history across
channels, leads. Everything is filtered by the caller's CRM view (hub/queries/crm_access)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub import queries
from hub.actions import contact_edits, contact_lists
from hub.actions.contact_edits import UNSET
from hub.auth import Principal
from hub.models import CrmEntity
from hub.policy import ensure_contact_in_view, ensure_contact_visible
from hub.queries import ContactCard
from hub.queries.crm_access import crm_view
from hub.queries.custom_fields import field_rules
from hub.queries.custom_filters import clean_filters, custom_params
from routing.identity import normalise_phone

from .contact_schemas import (
    ContactIn,
    ContactListQuery,
    ContactPatch,
    ContactRegistryPage,
    ContactSaved,
    OrganisationLinkIn,
    created_range,
)
from .inputs import LeadListQuery, PageQuery
from .paging import one_more, page
from .registry import ApiCall, RouteTable, invalid_input
from .schemas import HistoryPage, LeadPage

routes = RouteTable("contacts")


async def ensure_visible(session: AsyncSession, contact_id: int) -> None:
    """404 for a contact that is missing or merged away (click-to-call: an operator may ring
    the client of a conversation he holds, whoever is responsible for it)."""
    exists, merged_into_id = await queries.merged_into(session, contact_id)
    ensure_contact_visible(contact_id, exists, merged_into_id)


async def ensure_in_view(session: AsyncSession, principal: Principal, contact_id: int) -> None:
    """404 for a contact that is missing, merged away or outside the caller's CRM view."""
    exists, merged_into_id, responsible_id = await queries.contact_access(session, contact_id)
    ensure_contact_visible(contact_id, exists, merged_into_id)
    view = await crm_view(session, principal)
    ensure_contact_in_view(contact_id, view.sees(responsible_id))


def _normalised_phone(raw: str | None, region: str) -> str | None:
    if raw is None:
        return None
    phone = normalise_phone(raw, region)
    if phone is None:
        raise invalid_input(
            [
                {
                    "field": "phone",
                    "location": "query",
                    "type": "invalid-phone",
                    "message": "This is not a valid phone number.",
                }
            ]
        )
    return phone


def _paging(query: ContactListQuery) -> tuple[str | None, int | None]:
    """(cursor, before_id): `before_id` is a contact id, or a cursor passed the old way."""
    if query.cursor is not None:
        return query.cursor, None
    given = query.before_id
    if given is not None and given.isdigit():
        return None, min(int(given), 2**63 - 1)
    return given, None


@routes.get(
    "/contacts",
    summary="The contacts registry: search (name, any phone, e-mail, INN), filters, sorting",
    query=ContactListQuery,
    response=ContactRegistryPage,
)
async def search_contacts(call: ApiCall[ContactListQuery, None]) -> ContactRegistryPage:
    query = call.query
    region = call.hub.settings.default_region
    cursor, before_id = _paging(query)
    created_from, created_to = created_range(query)
    async with call.hub.db.sessions() as session:
        custom = clean_filters(
            await field_rules(session, CrmEntity.contact), custom_params(call.request.query)
        )
        view = await crm_view(session, call.principal)
        flt = queries.ContactFilter(
            q=query.q,
            match=query.match,
            phone=_normalised_phone(query.phone, region),
            email=query.email.strip().lower() if query.email is not None else None,
            status=query.status,
            responsible_id=query.responsible_id,
            organisation_id=query.organisation_id,
            source=query.source,
            created_from=created_from,
            created_to=created_to,
            custom=custom,
            before_id=before_id,
        )
        order = query.order or ("desc" if queries.default_descending(query.sort) else "asc")
        items, next_cursor = await queries.list_contacts(
            session,
            flt,
            view,
            region=region,
            dialect=call.hub.db.dialect,
            sort=query.sort,
            descending=order == "desc",
            cursor=cursor,
            limit=query.limit,
        )
    return ContactRegistryPage(items=items, next_cursor=next_cursor)


async def _card(call: ApiCall[Any, Any], contact_id: int) -> ContactCard:
    """The card just written (read after the commit: a merge may have hidden it since)."""
    async with call.hub.db.sessions() as session:
        await ensure_visible(session, contact_id)
        card = await queries.contact_card(session, contact_id)
    assert card is not None  # seen just above, in the same transaction
    return card


def _saved(card: ContactCard, saved: contact_edits.Saved) -> ContactSaved:
    return ContactSaved.model_validate({**card.model_dump(), "warnings": saved.warnings})


def _links(given: list[OrganisationLinkIn] | None) -> list[contact_lists.OrganisationLink] | None:
    if given is None:
        return None
    return [contact_lists.OrganisationLink(link.id, link.position) for link in given]


@routes.post(
    "/contacts",
    summary="Create a contact; phones and e-mails another contact holds come back as warnings",
    body=ContactIn,
    response=ContactSaved,
    status=201,
)
async def create_contact(call: ApiCall[None, ContactIn]) -> ContactSaved:
    body = call.body
    given = body.model_fields_set
    edit = contact_edits.ContactEdit(
        name=body.name,
        status=body.status,
        phones=body.phones,
        emails=body.emails,
        organisations=_links(body.organisations) or [],
        responsible_id=body.responsible_id if "responsible_id" in given else UNSET,
        source=body.source,
        next_contact_at=body.next_contact_at,
        custom_fields=body.custom_fields,
    )
    saved = await contact_edits.create_contact(call.hub, call.principal, edit)
    return _saved(await _card(call, saved.contact_id), saved)


@routes.patch(
    "/contacts/{id}",
    summary="Edit a contact from the version it was read at; lists given replace the old ones",
    body=ContactPatch,
    response=ContactSaved,
    conflicts=True,
)
async def update_contact(call: ApiCall[None, ContactPatch]) -> ContactSaved:
    body = call.body
    given = body.model_fields_set

    def sent(name: str, value: Any) -> Any:
        return value if name in given else UNSET

    links = _links(body.organisations)
    edit = contact_edits.ContactEdit(
        name=body.name if body.name is not None else UNSET,
        status=body.status if body.status is not None else UNSET,
        phones=body.phones if body.phones is not None else UNSET,
        emails=body.emails if body.emails is not None else UNSET,
        organisations=links if links is not None else UNSET,
        responsible_id=sent("responsible_id", body.responsible_id),
        source=body.source if body.source is not None else UNSET,
        next_contact_at=sent("next_contact_at", body.next_contact_at),
        custom_fields=body.custom_fields if body.custom_fields is not None else UNSET,
    )
    saved = await contact_edits.update_contact(
        call.hub, call.principal, call.path_id(), body.version, edit
    )
    return _saved(await _card(call, saved.contact_id), saved)


@routes.get("/contacts/{id}", summary="The contact's full card", response=ContactCard)
async def get_contact(call: ApiCall[None, None]) -> ContactCard:
    contact_id = call.path_id()
    async with call.hub.db.sessions() as session:
        await ensure_in_view(session, call.principal, contact_id)
        card = await queries.contact_card(session, contact_id)
    assert card is not None  # seen just above, in the same transaction
    return card


@routes.get(
    "/contacts/{id}/history",
    summary="The contact's messages across all conversations and channels, newest first",
    query=PageQuery,
    response=HistoryPage,
)
async def contact_history(call: ApiCall[PageQuery, None]) -> HistoryPage:
    contact_id = call.path_id()
    async with call.hub.db.sessions() as session:
        await ensure_in_view(session, call.principal, contact_id)
        rows = await queries.contact_history(
            session, contact_id, call.query.before_id, one_more(call.query.limit)
        )
    items, cursor = page(rows, call.query.limit)
    return HistoryPage(items=items, next_cursor=cursor)


@routes.get(
    "/leads",
    summary="Leads, newest first, with where they came from",
    query=LeadListQuery,
    response=LeadPage,
)
async def list_leads(call: ApiCall[LeadListQuery, None]) -> LeadPage:
    async with call.hub.db.sessions() as session:
        view = await crm_view(session, call.principal)
        rows = await queries.list_leads(
            session, call.query.status, call.query.before_id, one_more(call.query.limit), view
        )
    items, cursor = page(rows, call.query.limit)
    return LeadPage(items=items, next_cursor=cursor)
