"""Contact and lead views: search, the full card, history across channels, leads."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub import queries
from hub.policy import ensure_contact_visible
from hub.queries import ContactCard
from routing.identity import normalise_phone

from .inputs import ContactSearchQuery, LeadListQuery, PageQuery
from .paging import one_more, page
from .registry import ApiCall, RouteTable, invalid_input
from .schemas import ContactPage, HistoryPage, LeadPage

routes = RouteTable("contacts")


async def ensure_visible(session: AsyncSession, contact_id: int) -> None:
    exists, merged_into_id = await queries.merged_into(session, contact_id)
    ensure_contact_visible(contact_id, exists, merged_into_id)


@routes.get(
    "/contacts",
    summary="Find contacts by phone (any format), e-mail or part of the name",
    query=ContactSearchQuery,
    response=ContactPage,
)
async def search_contacts(call: ApiCall[ContactSearchQuery, None]) -> ContactPage:
    query = call.query
    phone = None
    if query.phone is not None:
        phone = normalise_phone(query.phone, call.hub.settings.default_region)
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
    email = query.email.strip().lower() if query.email is not None else None
    name = query.q.strip() if query.q is not None else None
    async with call.hub.db.sessions() as session:
        found = await queries.search_contacts(
            session,
            dialect=call.hub.db.dialect,
            phone=phone,
            email=email,
            name=name or None,
            before_id=query.before_id,
            limit=one_more(query.limit),
        )
    items, cursor = page(found, query.limit)
    return ContactPage(items=items, next_cursor=cursor)


@routes.get("/contacts/{id}", summary="The contact's full card", response=ContactCard)
async def get_contact(call: ApiCall[None, None]) -> ContactCard:
    contact_id = call.path_id()
    async with call.hub.db.sessions() as session:
        await ensure_visible(session, contact_id)
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
        await ensure_visible(session, contact_id)
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
        rows = await queries.list_leads(
            session, call.query.status, call.query.before_id, one_more(call.query.limit)
        )
    items, cursor = page(rows, call.query.limit)
    return LeadPage(items=items, next_cursor=cursor)
