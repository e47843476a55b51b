"""The client card a screen-pop carries: who is calling, their companies, their manager, open
deals and the last few contacts in any channel. A fixed handful of queries per card."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Channel,
    Contact,
    ContactOrganisation,
    Conversation,
    Deal,
    Identity,
    IdentityKind,
    Message,
    Organisation,
    Stage,
    User,
)
from hub.serialize import channel_brief, contact_brief, iso, user_brief

LAST_CONTACTS = 5


async def client_card(session: AsyncSession, contact_id: int) -> dict[str, Any] | None:
    head = (
        await session.execute(
            select(Contact, User)
            .outerjoin(User, User.id == Contact.responsible_user_id)
            .where(Contact.id == contact_id)
        )
    ).one_or_none()
    if head is None:
        return None
    contact, responsible = head
    phones = await session.execute(
        select(Identity.value)
        .where(Identity.contact_id == contact_id, Identity.kind == IdentityKind.phone)
        .order_by(Identity.id)
    )
    organisations = await session.execute(
        select(Organisation.id, Organisation.name, ContactOrganisation.position)
        .join(ContactOrganisation, ContactOrganisation.organisation_id == Organisation.id)
        .where(ContactOrganisation.contact_id == contact_id)
        .order_by(Organisation.name, Organisation.id)
    )
    deals = await session.execute(
        select(Deal, Stage.name)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(Deal.contact_id == contact_id, Deal.closed_at.is_(None), Stage.outcome == "open")
        .order_by(Deal.id.desc())
    )
    recent = await session.execute(
        select(Message, Channel)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Conversation.contact_id == contact_id)
        .order_by(Message.id.desc())
        .limit(LAST_CONTACTS)
    )
    return {
        **contact_brief(contact),
        "phones": list(phones.scalars()),
        "responsible": user_brief(responsible),
        "organisations": [
            {"id": org_id, "name": name, "position": position}
            for org_id, name, position in organisations
        ],
        "open_deals": [
            {
                "id": deal.id,
                "title": deal.title,
                "amount": str(deal.amount),
                "currency": deal.currency,
                "stage": stage,
            }
            for deal, stage in deals
        ],
        "last_contacts": [
            {
                "message_id": message.id,
                "conversation_id": message.conversation_id,
                "channel": channel_brief(channel),
                "direction": message.direction.value,
                "text": message.text[:200],
                "created_at": iso(message.created_at),
            }
            for message, channel in recent
        ],
    }
