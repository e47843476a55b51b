"""The ingest pipeline: raw event stored once -> identity -> conversation -> message -> assignment.

`submit` is what connectors call (through their context). It returns as soon as the event
is durably recorded, with processing already attempted; a processing failure is recorded on
the event and retried by `retry_due`, so nothing a source delivered is ever dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connectors.base import CallEvent, Inbound, InboundMessage, Receipt, inbound_from_json, inbound_to_json
from hub.actions import contacts, inbound, messages
from hub.actions.uow import UnitOfWork, unit_of_work
from hub.core import Hub
from hub.models import Channel, InboundEvent

from . import assignment, identity, threads

log = logging.getLogger(__name__)

# A concurrent request from the same new sender can win the race to create its identity;
# the loser's transaction is rolled back and resolved again, finding the winner's contact.
IDENTITY_RACE_RETRIES = 3


def source_of(item: Inbound) -> str:
    return f"{item.channel_kind}:{item.channel_name}"


class Ingestor:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def submit(self, item: Inbound) -> Receipt:
        event_id, created = await inbound.record(
            self.hub, source_of(item), item.external_id, inbound_to_json(item)
        )
        if not created:
            return Receipt(event_id, duplicate=True, conversation_id=await self._conversation_of(event_id))
        conversation_id = await self.process(event_id)
        return Receipt(event_id, duplicate=False, conversation_id=conversation_id)

    async def _conversation_of(self, event_id: int) -> int | None:
        async with self.hub.db.sessions() as session:
            return (
                await session.execute(
                    select(InboundEvent.conversation_id).where(InboundEvent.id == event_id)
                )
            ).scalar_one_or_none()

    async def process(self, event_id: int) -> int | None:
        """Process one stored event; returns its conversation id, or None if not (yet) done."""
        event = await inbound.claim(self.hub, event_id)
        if event is None:
            return None  # processed already, or another worker holds it
        for _ in range(IDENTITY_RACE_RETRIES):
            try:
                async with unit_of_work(self.hub) as uow:
                    return await self._apply(uow, event)
            except IntegrityError as exc:
                log.info("inbound %d: concurrent identity creation, resolving again (%s)",
                         event_id, exc.orig)
            except Exception as exc:
                log.exception("inbound %d (%s) failed to process; will retry", event_id, event.source)
                await inbound.mark_failed(self.hub, event_id, event.attempts, repr(exc))
                return None
        await inbound.mark_failed(self.hub, event_id, event.attempts, "identity race did not settle")
        return None

    async def retry_due(self) -> int:
        """Process events left pending or failed (crash, bug, database hiccup)."""
        done = 0
        for event_id in await inbound.due_for_retry(self.hub):
            if await self.process(event_id) is not None:
                done += 1
        return done

    async def _apply(self, uow: UnitOfWork, event: InboundEvent) -> int | None:
        item = inbound_from_json(event.payload)
        channel = await self._channel(uow, item)
        if channel is None:
            await inbound.mark_ignored(uow, event.id, "channel not configured")
            return None
        if isinstance(item, CallEvent):
            await inbound.mark_ignored(uow, event.id, "calls are handled by the telephony issue")
            return None
        return await self._apply_message(uow, event.id, channel, item)

    async def _apply_message(
        self, uow: UnitOfWork, event_id: int, channel: Channel, item: InboundMessage
    ) -> int:
        region = self.hub.settings.default_region
        ids = identity.normalise_claims(item.sender.identities, region)
        contact_id = await identity.find_contact(uow.session, ids)
        lead_id: int | None = None
        if contact_id is None:
            contact, lead = await contacts.create_lead(
                uow,
                name=item.sender.name,
                identities=ids,
                source=channel.kind,
                source_detail=_source_detail(item),
                title=item.subject or item.text[:80],
            )
            contact_id, lead_id = contact.id, lead.id
        else:
            await contacts.add_missing_identities(uow, contact_id, ids)
        conversation, _ = await threads.conversation_for(
            uow,
            contact_id,
            channel,
            subject=item.subject or item.text[:120],
            lead_id=lead_id,
            always_new=channel.kind == "webform",
        )
        meta: dict[str, Any] = {**item.meta, "request_number": event_id}
        if item.attachments:
            meta["attachments"] = inbound_to_json(item)["attachments"]
        message = await messages.receive(uow, conversation, item.text, meta, item.message_ref)
        if conversation.assignee_id is None:
            await assignment.assign_if_possible(uow, conversation)
        await inbound.mark_processed(uow, event_id, conversation.id, message.id)
        return conversation.id

    async def _channel(self, uow: UnitOfWork, item: Inbound) -> Channel | None:
        stmt = select(Channel).where(
            Channel.kind == item.channel_kind, Channel.name == item.channel_name
        )
        return (await uow.session.execute(stmt)).scalar_one_or_none()


def _source_detail(item: InboundMessage) -> dict[str, Any]:
    keys = ("form_id", "page_url", "referrer", "utm_source", "utm_medium", "utm_campaign",
            "utm_content", "utm_term")
    return {k: item.meta[k] for k in keys if item.meta.get(k)}
