"""The ingest pipeline: raw event stored once -> identity -> conversation -> message -> assignment.

`submit` is what connectors call (through their context). It returns as soon as the event
is durably recorded, with processing already attempted; a processing failure is recorded on
the event and retried by `retry_due`, so nothing a source delivered is ever dropped.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from connectors.base import (
    INBOUND_ADAPTER,
    CallEvent,
    DeliveryReport,
    Inbound,
    InboundEdit,
    InboundMessage,
    OutgoingMessage,
    ReachabilityChange,
    Receipt,
    SenderNamed,
    UnreadableInput,
    inbound_from_json,
    inbound_to_json,
)
from connectors.text import is_storable, storable
from hub.actions import files, inbound
from hub.actions.uow import UnitOfWork, unit_of_work
from hub.core import Hub
from hub.models import Channel
from hub.outages import log_failure

from . import calls, handlers, outgoing

log = logging.getLogger(__name__)

# A concurrent request from the same new sender can win the race to create its identity;
# the loser's transaction is rolled back and resolved again, finding the winner's contact.
IDENTITY_RACE_RETRIES = 3
# inbound_events.external_id is VARCHAR(300).
MAX_EXTERNAL_ID = 300


def source_of(item: Inbound) -> str:
    return f"{item.channel_kind}:{item.channel_name}"


def storable_key(external_id: str) -> str:
    """The source's id as given, or a digest when no backend could keep it as a key (too
    long, NUL, a lone surrogate): a client's message must never fail on its id alone."""
    if len(external_id) <= MAX_EXTERNAL_ID and is_storable(external_id):
        return external_id
    digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def storable_payload(item: Inbound) -> dict[str, Any]:
    """The item as JSON that every backend can keep."""
    try:
        payload: dict[str, Any] = storable(inbound_to_json(item))
    except UnicodeEncodeError:
        # A lone surrogate (in a key, say) cannot even be serialised: clean the Python
        # values first. Rare, so the common path serialises once.
        clean = storable(INBOUND_ADAPTER.dump_python(item, mode="python"))
        payload = inbound_to_json(inbound_from_json(clean))
    return payload


class Ingestor:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        # Failures of a retry that the database could not take either (it was the failure):
        # recorded at the next retry pass, so the event is tried again after its backoff
        # rather than when its claim lapses, a minute later.
        self._failures_to_record: dict[int, tuple[inbound.ClaimedEvent, str]] = {}

    async def submit(self, item: Inbound) -> Receipt:
        # Bytes go to the file store first: the raw event keeps a reference, not the file.
        item = await files.externalise(self.hub, item)
        # What PostgreSQL cannot hold (NUL, lone surrogates) is made storable here, once for
        # every channel, so the same input is kept alike on both backends.
        payload = storable_payload(item)
        payload["external_id"] = storable_key(item.external_id)
        source = source_of(item)
        key = payload["external_id"]
        for _ in range(IDENTITY_RACE_RETRIES):
            try:
                return await self._store_and_apply(source, key, payload)
            except IntegrityError as exc:
                log.info(
                    "inbound %s %s: concurrent identity creation, again (%s)", source, key, exc.orig
                )
            except Exception as exc:
                log_failure(
                    log, exc, "inbound %s %s failed to process; stored to retry", source, key
                )
                return await self._store_failed(source, key, payload, repr(exc))
        return await self._store_failed(source, key, payload, "identity race did not settle")

    async def _store_and_apply(self, source: str, key: str, payload: dict[str, Any]) -> Receipt:
        """Store the event and process it in one transaction (one commit, one connection):
        the source is acknowledged only after it, so what it acknowledges is stored."""
        async with unit_of_work(self.hub) as uow:
            event = await inbound.record_claimed(uow, source, key, payload)
            if event is None:
                event_id, conversation_id = await inbound.recorded(uow, source, key)
                return Receipt(event_id, duplicate=True, conversation_id=conversation_id)
            conversation_id = await self._apply(uow, event)
        return Receipt(event.id, duplicate=False, conversation_id=conversation_id)

    async def _store_failed(
        self, source: str, key: str, payload: dict[str, Any], error: str
    ) -> Receipt:
        """Processing failed and was undone: the event is stored alone, as a failed first
        attempt the retry loop takes up. A database that cannot store it raises: the source
        then gets no acknowledgement and sends again."""
        async with unit_of_work(self.hub) as uow:
            event_id, created = await inbound.record_failed(uow, source, key, payload, error)
            conversation_id = None if created else (await inbound.recorded(uow, source, key))[1]
        return Receipt(event_id, duplicate=not created, conversation_id=conversation_id)

    async def process(self, event_id: int) -> int | None:
        """Process one stored event again; returns its conversation id, or None if not (yet)
        done."""
        event = await inbound.claim(self.hub, event_id)
        if event is None:
            return None  # processed already, or another worker holds it
        for _ in range(IDENTITY_RACE_RETRIES):
            try:
                async with unit_of_work(self.hub) as uow:
                    return await self._apply(uow, event)
            except IntegrityError as exc:
                log.info("inbound %d: concurrent identity creation, again (%s)", event_id, exc.orig)
            except Exception as exc:
                log_failure(
                    log,
                    exc,
                    "inbound %d (%s) failed to process; will retry",
                    event_id,
                    event.source,
                )
                await self._mark_failed(event, repr(exc))
                return None
        await self._mark_failed(event, "identity race did not settle")
        return None

    async def _mark_failed(self, event: inbound.ClaimedEvent, error: str) -> None:
        try:
            async with unit_of_work(self.hub) as uow:
                await inbound.mark_failed(uow, event, error)
        except Exception:
            self._failures_to_record[event.id] = (event, error)
            raise
        self._failures_to_record.pop(event.id, None)

    async def retry_due(self) -> int:
        """Process events left pending or failed (crash, bug, database hiccup)."""
        # Raises while the database is still away: the pass is tried again later.
        for event, error in list(self._failures_to_record.values()):
            await self._mark_failed(event, error)
        done = 0
        for event_id in await inbound.due_for_retry(self.hub):
            if await self.process(event_id) is not None:
                done += 1
        return done

    async def _apply(self, uow: UnitOfWork, event: inbound.ClaimedEvent) -> int | None:
        item = inbound_from_json(event.payload)
        channel = await self._channel(uow, item)
        if channel is None:
            await inbound.mark_ignored(uow, event.id, "channel not configured")
            return None
        match item:
            case InboundMessage():
                return await handlers.apply_message(uow, event.id, channel, item)
            case InboundEdit():
                return await handlers.apply_edit(uow, event.id, channel, item)
            case ReachabilityChange():
                await handlers.apply_reachability(uow, event.id, item)
            case DeliveryReport():
                await handlers.apply_delivery(uow, event.id, item)
            case OutgoingMessage():
                return await outgoing.apply_outgoing(uow, event.id, channel, item)
            case CallEvent():
                return await calls.apply_call(uow, event.id, channel, item)
            case SenderNamed():
                await handlers.apply_naming(uow, event.id, item)
            case UnreadableInput():
                # Kept raw for a person to look at (payload.raw); nothing to process.
                await inbound.mark_ignored(
                    uow, event.id, f"unreadable ({item.kind}): {item.reason}"
                )
        return None

    async def _channel(self, uow: UnitOfWork, item: Inbound) -> Channel | None:
        # Kept per process until the channel changes (hub/channel_cache.py): no statement.
        return await self.hub.channels.find(uow.session, item.channel_kind, item.channel_name)
