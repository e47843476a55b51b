"""Lead qualification and conversion of a lead into a client."""

from __future__ import annotations

from sqlalchemy import update

from hub.models import Contact, ContactStatus, Lead, LeadStatus

from .uow import UnitOfWork


async def set_status(uow: UnitOfWork, lead: Lead, status: LeadStatus) -> None:
    lead.status = status


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
