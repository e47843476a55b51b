"""Lead qualification and conversion of a lead into a client.

Qualifying and converting change the client's record, so they need what any edit of it
needs: the record in the actor's CRM view, and the right to edit it (its responsible manager,
his supervisor, an administrator, robots and the system; a record nobody holds is anyone's).
"""

from __future__ import annotations

from sqlalchemy import update

from hub.core import Hub
from hub.models import Contact, ContactStatus, Lead, LeadStatus
from hub.policy import (
    Actor,
    NotFound,
    ensure_can_edit_record,
    ensure_contact_in_view,
    user_id_of,
)
from hub.queries.crm_access import crm_view, mates_of

from . import lookup
from .contact_edits import announce_contact
from .uow import UnitOfWork, unit_of_work


async def qualify_lead(hub: Hub, actor: Actor, lead_id: int, status: LeadStatus) -> Lead:
    async with unit_of_work(hub) as uow:
        lead = await lookup.row(uow, Lead, lead_id, "lead")
        contact = await uow.session.get_one(Contact, lead.contact_id)
        view = await crm_view(uow.session, actor)
        if not view.sees(contact.responsible_user_id):
            raise NotFound("no-such-lead", "There is no such lead.", {"id": lead_id})
        # Qualifying changes the record as converting does: the same right to edit it.
        ensure_can_edit_record(
            actor, contact.responsible_user_id, await mates_of(uow.session, actor)
        )
        lead.status = status
    return lead


async def convert_contact(
    hub: Hub, actor: Actor, contact_id: int, responsible_user_id: int | None = None
) -> Contact:
    """The contact becomes a client, by default in the care of the user converting it."""
    async with unit_of_work(hub) as uow:
        contact = await lookup.visible_contact(uow, contact_id)
        view = await crm_view(uow.session, actor)
        ensure_contact_in_view(contact_id, view.sees(contact.responsible_user_id))
        mates = await mates_of(uow.session, actor)
        ensure_can_edit_record(actor, contact.responsible_user_id, mates)
        await convert(uow, contact, responsible_user_id or user_id_of(actor))
    return contact


async def convert(uow: UnitOfWork, contact: Contact, responsible_user_id: int | None) -> None:
    """The person becomes a client; their leads are closed as converted. Nothing moves:
    conversations, identities and history stay on the same contact. It is an edit of the
    contact like any other: a new version (an editor who started before gets a 409, not a
    silent overwrite of the status) and `contact.changed` to the old and new managers' sides."""
    before = contact.responsible_user_id
    contact.status = ContactStatus.client
    if responsible_user_id is not None:
        contact.responsible_user_id = responsible_user_id
    contact.version += 1
    contact.updated_at = uow.now()
    await uow.session.execute(
        update(Lead)
        .where(
            Lead.contact_id == contact.id,
            Lead.status.not_in([LeadStatus.junk, LeadStatus.converted]),
        )
        .values(status=LeadStatus.converted)
    )
    await uow.session.flush()
    await announce_contact(uow, contact, "converted", before)
