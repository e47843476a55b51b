"""Writing the CRM: organisations, client contacts, their links, activities.

Pipelines and deals are written by `hub.actions.pipelines` and `hub.actions.deals`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hub.models import (
    Activity,
    Contact,
    ContactOrganisation,
    ContactStatus,
    Deal,
    Identity,
    Organisation,
)

from .contacts import NormalisedIdentity
from .uow import UnitOfWork


async def create_organisation(
    uow: UnitOfWork, name: str, inn: str | None = None, responsible_user_id: int | None = None
) -> Organisation:
    organisation = Organisation(
        name=name.strip(), inn=inn, responsible_user_id=responsible_user_id, created_at=uow.now()
    )
    uow.session.add(organisation)
    await uow.session.flush()
    return organisation


async def create_contact(
    uow: UnitOfWork,
    name: str,
    identities: Iterable[NormalisedIdentity] = (),
    responsible_user_id: int | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    status: ContactStatus = ContactStatus.client,
    source: str = "",
    next_contact_at: datetime | None = None,
) -> Contact:
    """A known person (a client by default) with the ways to reach them.

    Identities are inserted plainly: the caller checks for duplicates first, and one held by
    another contact fails the transaction rather than silently moving to this one.
    """
    now = uow.now()
    contact = Contact(
        name=name.strip(),
        status=status,
        responsible_user_id=responsible_user_id,
        custom_fields=dict(custom_fields or {}),
        source=source,
        next_contact_at=next_contact_at,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(contact)
    await uow.session.flush()
    uow.session.add_all(
        Identity(contact_id=contact.id, kind=i.kind, value=i.value, raw=i.raw[:320], created_at=now)
        for i in identities
    )
    await uow.session.flush()
    return contact


async def set_custom_fields(uow: UnitOfWork, contact: Contact, fields: Mapping[str, Any]) -> None:
    """Merge fields into the contact's custom fields; a None value removes that field."""
    merged = {**(contact.custom_fields or {}), **fields}
    # A new dict, so the JSON column is seen as changed.
    contact.custom_fields = {k: v for k, v in merged.items() if v is not None}
    contact.updated_at = uow.now()
    await uow.session.flush()


async def link_contact_organisation(
    uow: UnitOfWork, contact_id: int, organisation_id: int, position: str = ""
) -> ContactOrganisation:
    """Say the contact works for the organisation; repeating it updates the position."""
    link = await uow.session.get(ContactOrganisation, (contact_id, organisation_id))
    if link is None:
        link = ContactOrganisation(
            contact_id=contact_id, organisation_id=organisation_id, position=position.strip()
        )
        uow.session.add(link)
    else:
        link.position = position.strip()
    await uow.session.flush()
    return link


async def log_activity(
    uow: UnitOfWork,
    kind: str,
    subject: str,
    body: str = "",
    status: str = "planned",
    contact_id: int | None = None,
    deal_id: int | None = None,
    user_id: int | None = None,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
) -> Activity:
    """A call, meeting, task, reminder or letter against a contact or deal, written as the
    system writes it (missed-call callbacks, the demo): an ordinary activity in every list and
    calendar. It freshens the deal."""
    now = uow.now()
    activity = Activity(
        kind=kind,
        subject=subject.strip(),
        body=body,
        status=status,
        contact_id=contact_id,
        deal_id=deal_id,
        user_id=user_id,
        due_at=due_at,
        remind_at=remind_at,
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(activity)
    if deal_id is not None:
        deal = await uow.session.get_one(Deal, deal_id)
        deal.last_activity_at = now
    await uow.session.flush()
    return activity
