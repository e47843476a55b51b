"""The cards of a batch's new conversations, built from what the batch wrote and decided.

An event carries its conversation as `hub.serialize.conversation_json` shows it, with its
robots' flags and tags. A conversation opened by a batch of first requests
(`hub.actions.first_requests`) and routed in the same transaction is exactly what the batch
wrote: its contact, lead, conversation and message rows, then either an offer
(`queue_offers.settle`: assignee, offer expiry, first assignment now) or a wait
(`queue_offers.queue_fresh`: queued now); it has no flag and no tag yet. So its card is built
here, through the same serialiser, from those values, instead of read back with a five-table
join per batch. tests/routing/test_first_requests.py compares these cards with the ones the
database gives for the same conversations afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from hub.models import (
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    User,
)
from hub.serialize import conversation_json

from .first_requests import Opened, contact_name, conversation_subject
from .queue_offers import QueueOffer, QueueWait, offer_expiry


def fresh_cards(
    opened: Sequence[Opened],
    offers: Sequence[QueueOffer],
    waits: Sequence[QueueWait],
    assignees: Mapping[int, User],
    now: datetime,
) -> dict[int, dict[str, object]]:
    """Per conversation offered or queued, its card. `assignees`: the offers' operators by
    id (transient users: id, login, name, role); `now`: the moment the routing was written
    at (`fresh_routing.settle_fresh`); each conversation's own creation is `Opened.at`."""
    offered = {o.conversation_id: o for o in offers}
    queued = {w.conversation_id for w in waits}
    cards: dict[int, dict[str, object]] = {}
    for o in opened:
        offer = offered.get(o.conversation_id)
        if offer is None and o.conversation_id not in queued:
            continue
        request = o.request
        conversation = Conversation(
            id=o.conversation_id,
            contact_id=o.contact_id,
            channel_id=request.channel.id,
            lead_id=o.lead_id,
            status=ConversationStatus.open,
            subject=conversation_subject(request),
            created_at=o.at,
            last_message_at=o.at,
            waiting_since=o.at,
            assignee_id=offer.user_id if offer else None,
            first_assigned_at=now if offer else None,
            offer_expires_at=offer_expiry(offer, now) if offer else None,
            queued_at=None if offer else now,
            snoozed=False,
        )
        contact = Contact(id=o.contact_id, name=contact_name(request), status=ContactStatus.lead)
        last = Message(id=o.message_id, direction=Direction.inbound, text=request.text)
        assignee = assignees[offer.user_id] if offer else None
        cards[o.conversation_id] = {
            **conversation_json(conversation, contact, request.channel, assignee, last),
            "flags": [],
            "tags": [],
        }
    return cards
