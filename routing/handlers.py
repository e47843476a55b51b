"""What each kind of stored inbound event does to the domain; ingest dispatches here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.base import (
    DeliveryReport,
    InboundEdit,
    InboundMessage,
    ReachabilityChange,
    SenderNamed,
)
from hub.actions import (
    contacts,
    conversations,
    files,
    identity_suggestions,
    inbound,
    merge,
    messages,
    outbox,
    visitors,
)
from hub.actions.contacts import NormalisedIdentity
from hub.actions.uow import UnitOfWork
from hub.models import (
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    Message,
    OutboxStatus,
)
from hub.reasons import reason as because

from . import assignment, identity, threads

LEAD_SOURCE_KEYS = (
    "form_id",
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    # VK's referral of a first message (vk.me/…?ref=…&ref_source=…): its UTM.
    "ref",
    "ref_source",
)


async def apply_message(
    uow: UnitOfWork, event_id: int, channel: Channel, item: InboundMessage
) -> int:
    region = uow.hub.settings.default_region
    ids = identity.normalise_claims(item.sender.identities, region)
    if may_join_open(channel, item, ids):
        touched = await conversations.touch_open(uow, ids[0], channel.id, uow.now())
        if touched is not None:
            return await _into_open(uow, event_id, touched, item, region)
    contact_id = await identity.find_contact(uow.session, ids)
    # One identity has one owner (unique kind + value): when it found the contact, no other
    # contact shares the sender and nothing is missing from him. A chat message's common
    # case, so it skips two queries.
    found_by_sole_identity = contact_id is not None and len(ids) == 1
    if contact_id is not None and not found_by_sole_identity:
        await _link_leads(uow, contact_id, ids)
    lead_id: int | None = None
    joined = None if contact_id is not None else await _answered_in_thread(uow, channel, item)
    if joined is not None:
        # An unknown address answered in a client's thread (a colleague in Cc, his personal
        # mailbox): a participant of that conversation, proposed as the client's address,
        # never a new lead of its own nor silently the client's identity.
        contact_id = joined.contact_id
        for claimed in ids:
            await identity_suggestions.suggest(
                uow, contact_id, claimed.kind, claimed.value, item.sender.name, joined.id
            )
    elif contact_id is None:
        contact, lead = await contacts.create_lead(
            uow,
            name=item.sender.name,
            identities=ids,
            source=channel.kind,
            source_detail={k: item.meta[k] for k in LEAD_SOURCE_KEYS if item.meta.get(k)},
            title=item.subject or item.text[:80],
        )
        contact_id, lead_id = contact.id, lead.id
    elif joined is None:
        if not found_by_sole_identity:
            await contacts.add_missing_identities(uow, contact_id, ids)
        stand_in = item.meta.get("sender_stand_in")
        if isinstance(stand_in, str):
            await contacts.replace_stand_in_name(uow, contact_id, item.sender.name, stand_in)
        if channel.kind == "widget":
            await visitors.name_if_unnamed(uow, contact_id, item.sender.name)
    await contacts.note_unparsed_phones(
        uow, contact_id, identity.unparsed_phones(item.sender.identities, region)
    )
    # A website chat continues only the visitor's own conversation (the widget passes it as
    # the hint); without one it starts anew, never joining another visitor's chat.
    visitor = item.meta.get("widget_visitor") if channel.kind == "widget" else None
    thread = await threads.conversation_for(
        uow,
        contact_id,
        channel,
        subject=item.subject or item.text[:120] or item.sender.name,
        lead_id=lead_id,
        thread_hint=item.meta.get("thread_hint"),
        # A contact created just now has no conversation to join: no lookup for one.
        always_new=channel.kind == "webform"
        or lead_id is not None
        or (visitor is not None and item.meta.get("thread_hint") is None),
    )
    conversation = thread.conversation
    if isinstance(visitor, str) and thread.how == "new":
        visitors.bind_visitor(uow, conversation, visitor)
    meta: dict[str, Any] = {**item.meta, "request_number": event_id}
    if joined is not None:
        meta["participant"] = {"name": item.sender.name, "address": ids[0].value}
    if item.attachments:
        meta["attachments"] = await files.attachments_meta(uow, item.attachments)
    message = await messages.receive(uow, conversation, item.text, meta, item.message_ref)
    if thread.how != "open" or (
        conversation.assignee_id is None and conversation.queued_at is None
    ):
        await assignment.route(
            uow, conversation, context=because("reopened") if thread.how == "reopened" else None
        )
    await inbound.mark_processed(uow, event_id, conversation.id, message.id)
    return conversation.id


def may_join_open(channel: Channel, item: InboundMessage, ids: list[NormalisedIdentity]) -> bool:
    """A chat message the steady state answers in one statement (`conversations.touch_open`): a
    sender with one identity (its owner is the contact, nobody to link) and no thread the
    source points at, on a channel where he continues his open conversation (a web form
    opens a request each time; a website chat continues only the visitor's own)."""
    return (
        len(ids) == 1
        and item.meta.get("thread_hint") is None
        and channel.kind not in ("webform", "widget")
    )


async def _into_open(
    uow: UnitOfWork,
    event_id: int,
    conversation: Conversation,
    item: InboundMessage,
    region: str,
) -> int:
    """`apply_message` for a known sender joining his open conversation, which
    `conversations.touch_open` found and wrote to: what the general path does in that case."""
    contact_id = conversation.contact_id
    stand_in = item.meta.get("sender_stand_in")
    if isinstance(stand_in, str):
        await contacts.replace_stand_in_name(uow, contact_id, item.sender.name, stand_in)
    await contacts.note_unparsed_phones(
        uow, contact_id, identity.unparsed_phones(item.sender.identities, region)
    )
    meta: dict[str, Any] = {**item.meta, "request_number": event_id}
    if item.attachments:
        meta["attachments"] = await files.attachments_meta(uow, item.attachments)
    message = await messages.receive(
        uow, conversation, item.text, meta, item.message_ref, touched=True
    )
    if conversation.assignee_id is None and conversation.queued_at is None:
        await assignment.route(uow, conversation)
    await inbound.mark_processed(uow, event_id, conversation.id, message.id)
    return conversation.id


async def _answered_in_thread(
    uow: UnitOfWork, channel: Channel, item: InboundMessage
) -> Conversation | None:
    """The client's e-mail conversation an unknown sender answered in, by its headers."""
    if channel.kind != "email" or not item.sender.identities:
        return None
    return await threads.hinted(uow, channel, item.meta.get("thread_hint"))


async def _link_leads(uow: UnitOfWork, contact_id: int, ids: list[NormalisedIdentity]) -> None:
    """One sender, several contacts: a Telegram user sharing the phone of a known client.

    Leads among them are merged into the matched contact (undoably); two clients are never
    merged behind anyone's back, they show up in the duplicates list instead.
    """
    for other_id, status in (await identity.owners(uow.session, ids)).items():
        if other_id != contact_id and status is ContactStatus.lead:
            survivor = await uow.session.get_one(Contact, contact_id)
            merged = await uow.session.get_one(Contact, other_id)
            await merge.merge(uow, survivor, merged, by_user_id=None)


async def apply_edit(
    uow: UnitOfWork, event_id: int, channel: Channel, item: InboundEdit
) -> int | None:
    stmt = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.channel_id == channel.id, Message.external_id == item.message_ref)
        .order_by(Message.id.desc())
        .limit(1)
    )
    message = (await uow.session.execute(stmt)).scalar_one_or_none()
    if message is None:
        await inbound.mark_ignored(uow, event_id, f"edit of unknown message {item.message_ref}")
        return None
    attachments = await files.attachments_meta(uow, item.attachments) if item.attachments else None
    await messages.apply_edit(uow, message, item.text, attachments)
    await inbound.mark_processed(uow, event_id, message.conversation_id, message.id)
    return message.conversation_id


async def apply_reachability(uow: UnitOfWork, event_id: int, item: ReachabilityChange) -> None:
    known = False
    for claim in identity.normalise_claims(item.sender.identities, uow.hub.settings.default_region):
        known = await contacts.set_reachability(uow, claim, item.reachable, item.reason) or known
    if known:
        await inbound.mark_processed(uow, event_id, None, None)
    else:
        await inbound.mark_ignored(uow, event_id, "reachability change for an unknown client")


async def apply_delivery(uow: UnitOfWork, event_id: int, item: DeliveryReport) -> None:
    status = OutboxStatus.sent if item.status == "sent" else OutboxStatus.failed
    if await outbox.report_by_wire_ref(uow, item.outbox_ref, status, item.error):
        await inbound.mark_processed(uow, event_id, None, None)
    else:
        await inbound.mark_ignored(uow, event_id, f"no reply of ours matches {item.outbox_ref}")


async def apply_naming(uow: UnitOfWork, event_id: int, item: SenderNamed) -> None:
    region = uow.hub.settings.default_region
    contact_id = await identity.find_contact(
        uow.session, identity.normalise_claims(item.sender.identities, region)
    )
    if contact_id is None:
        await inbound.mark_ignored(uow, event_id, "a name for a sender Okno does not know")
        return
    await contacts.replace_stand_in_name(uow, contact_id, item.sender.name, item.stand_in)
    await inbound.mark_processed(uow, event_id, None, None)
