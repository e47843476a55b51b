"""Leads: the list with each lead's contact, and the lead's JSON the card shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Contact, Lead, LeadStatus, User
from hub.serialize import contact_brief, iso, user_brief

from .crm_access import SEES_ALL, CrmView
from .shapes import LeadListItem


def lead_json(lead: Lead, responsible: User | None) -> dict[str, Any]:
    """A lead as a `LeadOut`."""
    return {
        "id": lead.id,
        "title": lead.title,
        "status": lead.status.value,
        "source": lead.source,
        "source_detail": lead.source_detail or {},
        "responsible": user_brief(responsible),
        "created_at": iso(lead.created_at),
    }


async def list_leads(
    session: AsyncSession,
    status: LeadStatus | None,
    before_id: int | None,
    limit: int,
    view: CrmView = SEES_ALL,
) -> list[LeadListItem]:
    """Newest first, with contact and responsible manager, in one query; only the leads
    whose contact is in `view`."""
    stmt = (
        select(Lead, Contact, User)
        .join(Contact, Contact.id == Lead.contact_id)
        .outerjoin(User, User.id == Lead.responsible_user_id)
        .order_by(Lead.id.desc())
        .limit(limit)
    )
    stmt = stmt.where(view.where(Contact.responsible_user_id))
    if status is not None:
        stmt = stmt.where(Lead.status == status)
    if before_id is not None:
        stmt = stmt.where(Lead.id < before_id)
    return [
        LeadListItem.model_validate({**lead_json(lead, owner), "contact": contact_brief(contact)})
        for lead, contact, owner in await session.execute(stmt)
    ]
