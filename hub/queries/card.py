"""The client card: who the client is, how to reach them, their companies, their manager,
open deals, leads and the last few contacts in any channel.

One query and one shape for every reader: the API (`GET /contacts/{id}`, a conversation's
detail, a converted lead) returns it, the screen-pop (`call.ringing`) carries its JSON dump,
and one script (`agent_ui/static/client-card.js`) renders it. Set-based: eight queries per
card (nine when a form request came under another name), whatever the number of
identities, companies, deals, leads or messages.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Channel,
    Contact,
    Conversation,
    Deal,
    Direction,
    IdentitySuggestion,
    Lead,
    Message,
    Pipeline,
    Stage,
    SuggestionStatus,
    User,
)
from hub.serialize import channel_brief, iso, user_brief

from .contacts import identities_of, organisations_of, row_json
from .introduced import IntroducedName, introduced_names
from .leads import lead_json
from .shapes import ChannelBrief, ContactRow, LeadOut, Shape, Timestamp, UserBrief

# How many of the latest messages a card shows, and how much of each.
LAST_CONTACTS = 5
LAST_CONTACT_TEXT = 200


class NamedRef(Shape):
    id: int
    name: str


class DealOut(Shape):
    id: int
    title: str
    amount: Decimal
    currency: str
    pipeline: NamedRef
    stage: NamedRef
    responsible: UserBrief | None
    stage_entered_at: Timestamp


class LastContact(Shape):
    """One of the client's latest messages, in whichever channel (calls included)."""

    message_id: int
    conversation_id: int
    channel: ChannelBrief
    direction: Direction
    text: str
    created_at: Timestamp


class SuggestionOut(Shape):
    """An address Okno noticed for this client; a person accepts or dismisses it."""

    id: int
    kind: str
    value: str
    name: str
    # replied_in_conversation: the sender answered in the client's thread `conversation_id`.
    reason: str
    conversation_id: int | None
    created_at: Timestamp


class ContactCard(ContactRow):
    """Everything an operator needs about the client: ways to reach (phones nobody could parse
    among them, marked `unparsed`: a PATCH of `phones` with the corrected number replaces
    one), companies with positions, custom fields, the manager, the next-contact date, the
    `version` an edit must name, deals, leads, what was said last, and the other names
    visitors typed in this client's form requests (`introduced_as`)."""

    open_deals: list[DealOut]
    leads: list[LeadOut]
    last_contacts: list[LastContact]
    suggestions: list[SuggestionOut]
    introduced_as: list[IntroducedName]


async def contact_card(session: AsyncSession, contact_id: int) -> ContactCard | None:
    """The card of this contact (merged or not), or None when there is no such contact."""
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
    identities = await identities_of(session, [contact_id])
    organisations = await organisations_of(session, [contact_id])
    deals = await session.execute(
        select(Deal, Pipeline, Stage, User)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .outerjoin(User, User.id == Deal.responsible_user_id)
        .where(Deal.contact_id == contact_id, Deal.closed_at.is_(None), Stage.outcome == "open")
        .order_by(Deal.id.desc())
    )
    leads = await session.execute(
        select(Lead, User)
        .outerjoin(User, User.id == Lead.responsible_user_id)
        .where(Lead.contact_id == contact_id)
        .order_by(Lead.id.desc())
    )
    recent = await session.execute(
        select(Message, Channel)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Conversation.contact_id == contact_id)
        .order_by(Message.id.desc())
        .limit(LAST_CONTACTS)
    )
    suggestions = await session.scalars(
        select(IdentitySuggestion)
        .where(
            IdentitySuggestion.contact_id == contact_id,
            IdentitySuggestion.status == SuggestionStatus.open,
        )
        .order_by(IdentitySuggestion.id)
    )
    introduced = await introduced_names(
        session, contact, [org["id"] for org in organisations[contact_id]]
    )
    return ContactCard.model_validate(
        {
            **row_json(contact, responsible, identities[contact_id], organisations[contact_id]),
            "suggestions": [
                {
                    "id": s.id,
                    "kind": s.kind.value,
                    "value": s.value,
                    "name": s.name,
                    "reason": s.reason,
                    "conversation_id": s.conversation_id,
                    "created_at": iso(s.created_at),
                }
                for s in suggestions
            ],
            "open_deals": [
                {
                    "id": deal.id,
                    "title": deal.title,
                    "amount": deal.amount,
                    "currency": deal.currency,
                    "pipeline": {"id": pipeline.id, "name": pipeline.name},
                    "stage": {"id": stage.id, "name": stage.name},
                    "responsible": user_brief(owner),
                    "stage_entered_at": iso(deal.stage_entered_at),
                }
                for deal, pipeline, stage, owner in deals
            ],
            "leads": [lead_json(lead, owner) for lead, owner in leads],
            "last_contacts": [
                {
                    "message_id": message.id,
                    "conversation_id": message.conversation_id,
                    "channel": channel_brief(channel),
                    "direction": message.direction.value,
                    "text": message.text[:LAST_CONTACT_TEXT],
                    "created_at": iso(message.created_at),
                }
                for message, channel in recent
            ],
            "introduced_as": introduced,
        }
    )
