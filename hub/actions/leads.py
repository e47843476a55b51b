"""Lead qualification and conversion of a lead into a client.

Anyone who works with clients may qualify and convert: operators, supervisors, robots.
"""

from __future__ import annotations

from sqlalchemy import update

from hub.core import Hub
from hub.models import Contact, ContactStatus, Lead, LeadStatus
from hub.policy import Actor, user_id_of

from . import lookup
from .uow import UnitOfWork, unit_of_work


async def qualify_lead(hub: Hub, actor: Actor, lead_id: int, status: LeadStatus) -> Lead:
    async with unit_of_work(hub) as uow:
        lead = await lookup.row(uow, Lead, lead_id, "lead")
        lead.status = status
    return lead


async def convert_contact(
    hub: Hub, actor: Actor, contact_id: int, responsible_user_id: int | None = None
) -> Contact:
    """The contact becomes a client, by default in the care of the user converting it."""
    async with unit_of_work(hub) as uow:
        contact = await lookup.visible_contact(uow, contact_id)
        await convert(uow, contact, responsible_user_id or user_id_of(actor))
    return contact


async def convert(uow: UnitOfWork, contact: Contact, responsible_user_id: int | None) -> None:
    """The person becomes a client; their leads are closed as converted. Nothing moves:
    conversations, identities and history stay on the same contact."""
    contact.status = ContactStatus.client
    if responsible_user_id is not None:
        contact.responsible_user_id = responsible_user_id
    await uow.session.execute(
        update(Lead)
        .where(
            Lead.contact_id == contact.id,
            Lead.status.not_in([LeadStatus.junk, LeadStatus.converted]),
        )
        .values(status=LeadStatus.converted)
    )
