"""The ingest pipeline: raw event stored once -> identity -> conversation -> message -> assignment.

`submit` is what connectors call (through their context). It returns as soon as the event
is durably recorded, with processing already attempted; a processing failure is recorded on
the event and retried by `retry_due`, so nothing a source delivered is ever dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
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
from hub.actions import files, inbound, inbound_batch
from hub.actions.uow import UnitOfWork, unit_of_work
from hub.core import Hub
from hub.models import Channel
from hub.outages import log_failure

from . import calls, first_requests, handlers, open_messages, outgoing
from .group_commit import GroupCommit

log = logging.getLogger(__name__)

# A concurrent request from the same new sender can win the race to create its identity;
# the loser's transaction is rolled back and resolved again, finding the winner's contact.
IDENTITY_RACE_RETRIES = 3
# inbound_events.external_id is VARCHAR(300).
MAX_EXTERNAL_ID = 300
# Group commit (routing/group_commit.py): one writer per process. Every new request locks
# the operators it may be offered to until its transaction ends, so concurrent batches in one
# process would mostly wait for each other, and could deadlock on those locks in different
# orders; the process's other work goes on while the writer waits for the database.
INGEST_WRITERS = 1
# A batch's transaction holds the operators' locks while it lasts: bounded, so that a node
# under a flood still commits (and answers) every few dozen events.
MAX_BATCH = 32


@dataclass(frozen=True)
class Submission:
    """An inbound event ready to store: its source, its key there, its storable JSON."""

    source: str
    key: str
    payload: dict[str, Any]


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
        self._group: GroupCommit[Submission, Receipt] = GroupCommit(
            self._write_batch, writers=INGEST_WRITERS, max_batch=MAX_BATCH
        )

    async def submit(self, item: Inbound) -> Receipt:
        # Bytes go to the file store first: the raw event keeps a reference, not the file.
        item = await files.externalise(self.hub, item)
        # What PostgreSQL cannot hold (NUL, lone surrogates) is made storable here, once for
        # every channel, so the same input is kept alike on both backends.
        payload = storable_payload(item)
        payload["external_id"] = storable_key(item.external_id)
        submission = Submission(source_of(item), payload["external_id"], payload)
        if self.hub.db.in_write_turn():
            # Called inside a unit of work holding SQLite's writer turn: a batch's writer
            # would wait for that turn behind its own caller.
            return await self._submit_alone(submission)
        return await self._group.submit(submission)

    async def _write_batch(self, batch: Sequence[Submission]) -> list[Receipt | Exception]:
        """Store and process the batch in one transaction; if anything in it fails (a bug
        in one event's processing, a lost identity race, a deadlock), nothing of it is kept
        and each is written again alone, with the single event's handling of failures."""
        if len(batch) > 1:
            try:
                return list(await self._store_and_apply_together(batch))
            except Exception as exc:
                log.info(
                    "a batch of %d inbound events failed; each again alone (%r)", len(batch), exc
                )
        outcomes: list[Receipt | Exception] = []
        for submission in batch:
            try:
                outcomes.append(await self._submit_alone(submission))
            except Exception as exc:  # not stored: that source gets no acknowledgement
                outcomes.append(exc)
        return outcomes

    async def _store_and_apply_together(self, batch: Sequence[Submission]) -> list[Receipt]:
        """The whole batch stored first (one statement), then its first requests processed
        together (routing/first_requests.py), then its chat messages into open conversations
        (routing/open_messages.py), then every other event in order, each as alone; repeats
        last, when the event they repeat has been processed."""
        async with unit_of_work(self.hub) as uow:
            claimed = await inbound_batch.record_claimed_many(
                uow, [inbound_batch.Arrival(s.source, s.key, s.payload) for s in batch]
            )
            arrived = [await self._arrived(uow, event) for event in claimed if event is not None]
            into: dict[int, int | None] = dict(await first_requests.open_and_route(uow, arrived))
            rest = [each for each in arrived if each.event.id not in into]
            into.update(await open_messages.join_open(uow, rest))
            for each in arrived:
                if each.event.id not in into:
                    into[each.event.id] = await self._dispatch_item(
                        uow, each.event, each.item, each.channel
                    )
            receipts: list[Receipt] = []
            for submission, event in zip(batch, claimed, strict=True):
                if event is None:
                    # Stored before, or earlier in the same batch (a source repeating itself).
                    event_id, conversation_id = await inbound.recorded(
                        uow, submission.source, submission.key
                    )
                    receipts.append(
                        Receipt(event_id, duplicate=True, conversation_id=conversation_id)
                    )
                else:
                    receipts.append(
                        Receipt(event.id, duplicate=False, conversation_id=into[event.id])
                    )
        return receipts

    async def _arrived(
        self, uow: UnitOfWork, event: inbound.ClaimedEvent
    ) -> first_requests.Arrived:
        item = inbound_from_json(event.payload)
        return first_requests.Arrived(event, item, await self._channel(uow, item))

    async def _submit_alone(self, submission: Submission) -> Receipt:
        source, key, payload = submission.source, submission.key, submission.payload
        for _ in range(IDENTITY_RACE_RETRIES):
            try:
                return await self._store_and_apply(submission)
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

    async def _store_and_apply(self, submission: Submission) -> Receipt:
        """Store the event and process it in one transaction (one commit, one connection):
        the source is acknowledged only after it, so what it acknowledges is stored."""
        async with unit_of_work(self.hub) as uow:
            return await self._store_and_apply_in(uow, submission, self._apply)

    async def _store_and_apply_in(
        self,
        uow: UnitOfWork,
        submission: Submission,
        apply: Callable[[UnitOfWork, inbound.ClaimedEvent], Awaitable[int | None]],
    ) -> Receipt:
        source, key = submission.source, submission.key
        event = await inbound.record_claimed(uow, source, key, submission.payload)
        if event is None:
            # Stored before, or earlier in the same batch (a source repeating itself at once).
            event_id, conversation_id = await inbound.recorded(uow, source, key)
            return Receipt(event_id, duplicate=True, conversation_id=conversation_id)
        conversation_id = await apply(uow, event)
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
        """Process one stored event on its own: what a subclass may watch (metrics count its
        failures). A batch calls `_dispatch` instead: a failure there is not yet the event's,
        since the event is then processed again alone."""
        return await self._dispatch(uow, event)

    async def _dispatch(self, uow: UnitOfWork, event: inbound.ClaimedEvent) -> int | None:
        arrived = await self._arrived(uow, event)
        if first_requests.opens_anew(arrived):
            # A web form's first request costs a lookup either way: written set-based even
            # alone, it takes a dozen ORM statements less.
            into = await first_requests.open_and_route(uow, [arrived])
            if event.id in into:
                return into[event.id]
        return await self._dispatch_item(uow, event, arrived.item, arrived.channel)

    async def _dispatch_item(
        self, uow: UnitOfWork, event: inbound.ClaimedEvent, item: Inbound, channel: Channel | None
    ) -> int | None:
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
