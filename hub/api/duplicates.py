"""Contacts that look like the same person, for a supervisor to merge or leave apart."""

from __future__ import annotations

from sqlalchemy import select

from hub.models import Contact, Role
from hub.serialize import contact_brief
from routing import duplicates

from .identity_schemas import DuplicateList, DuplicateOut
from .registry import ApiCall, RouteTable

routes = RouteTable("contacts")


@routes.get(
    "/duplicates",
    summary="Contacts that look like the same person, with the reason",
    response=DuplicateList,
    role=Role.supervisor,
)
async def list_duplicates(call: ApiCall[None, None]) -> DuplicateList:
    async with call.hub.db.sessions() as session:
        found = await duplicates.find(session)
        ids = {i for d in found for i in d.contact_ids}
        contacts = {
            c.id: c for c in (await session.scalars(select(Contact).where(Contact.id.in_(ids))))
        }
    return DuplicateList(
        items=[
            DuplicateOut.model_validate(
                {
                    "contacts": [contact_brief(contacts[i]) for i in d.contact_ids],
                    "reason": d.reason,
                    "detail": d.detail,
                }
            )
            for d in found
        ]
    )
