"""The event bus: one protocol, an in-process MemoryBus and a RedisBus for several nodes.
The one way to listen to it is `hub.listener.Listener`.

Publishers are the actions' unit of work, after commit. Subscribers are each node's websocket
fan-outs, its workers and the robots; each listens through a `Listener`, which turns
envelopes back into typed events and handles falling behind in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Protocol

import redis.asyncio as aioredis

from hub.envelope import Envelope, sender_head
from hub.outages import OUTAGES, REDIS, log_failure

log = logging.getLogger(__name__)

# A subscriber that falls this far behind is dropped rather than growing memory without
# bound; a websocket client then reconnects and resumes from its cursor.
SUBSCRIBER_BUFFER = 10_000
# A subscriber draining a full queue still lets the event loop run its other tasks after
# this many envelopes.
YIELD_EVERY = 100
# Re-subscribing after Redis comes back: quick first tries, never more than 2 s apart (every
# second of delay is a second the node's sockets hear nothing live).
RECONNECT_FIRST_S = 0.2
RECONNECT_MAX_S = 2.0
# The message a node publishes after it could not publish: "events were logged that nobody
# heard". It is no envelope (no cursor); every node that receives it catches its listeners up.
# A node's own marker says who sent it (`gap_marker`); the bare one is still understood.
GAP_MARKER = b'{"gap": true}'
# A batch publish (one unit of work's events) goes to Redis as JSON arrays of envelopes,
# several per message: one PUBLISH per array instead of one per event, all of them in one
# pipelined round trip. A robot's tick publishes twenty thousand at once; one by one, the
# command round trips and the reader's per-message work cost this node seconds of CPU.
# Bounded so that one message stays far below Redis's pub/sub output buffer limits (32 MB
# hard by default) and a receiving node decodes a slice at a time.
BATCH_EVENTS = 500
BATCH_BYTES = 512 * 1024


def gap_marker(sender: str) -> bytes:
    return json.dumps({"gap": True, "from": sender}).encode()


def _gap_sender(data: bytes) -> str | None:
    """Who sent this gap marker ("" when it does not say); None when it is no marker."""
    if data == GAP_MARKER:
        return ""
    if not data.startswith(b'{"gap"'):
        return None
    try:
        marker = json.loads(data)
    except ValueError:
        return None
    return str(marker.get("from", "")) if marker.get("gap") is True else None


class Subscription:
    def __init__(self, owner: _LocalFanout) -> None:
        self._owner = owner
        self.queue: asyncio.Queue[Envelope | None] = asyncio.Queue(SUBSCRIBER_BUFFER)
        # Set when the subscription ended because events passed it by (it fell behind, or
        # the bus itself missed some): its listener subscribes again and catches up.
        self.overflowed = False
        # ...and whether that was the bus's own gap (Redis away), not this subscriber's pace.
        self.bus_gap = False
        self._closed = asyncio.Event()

    def __aiter__(self) -> AsyncIterator[Envelope]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Envelope]:
        taken = 0
        while not self._closed.is_set():
            if not self.queue.empty():
                # Queued already (a batch arrives whole): no waiting, no tasks; but the loop's
                # other work gets a turn now and then.
                envelope = self.queue.get_nowait()
                taken += 1
                if taken % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            else:
                getter = asyncio.ensure_future(self.queue.get())
                closer = asyncio.ensure_future(self._closed.wait())
                try:
                    await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    closer.cancel()
                    if not getter.done():
                        getter.cancel()
                if not getter.done() or getter.cancelled():
                    continue
                envelope = getter.result()
            if envelope is None:
                return
            yield envelope

    def close(self) -> None:
        """Ends the iteration even when the queue is full (a subscriber that fell behind)."""
        self._owner.remove(self)
        self._closed.set()
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class _LocalFanout:
    """Delivers envelopes to this process's subscribers."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        self._subscriptions.add(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        self._subscriptions.discard(sub)

    def deliver(self, envelope: Envelope) -> None:
        for sub in list(self._subscriptions):
            try:
                sub.queue.put_nowait(envelope)
            except asyncio.QueueFull:
                log.warning("bus subscriber fell %d events behind; dropping it", SUBSCRIBER_BUFFER)
                sub.overflowed = True
                sub.close()

    def close_all(self) -> None:
        for sub in list(self._subscriptions):
            sub.close()

    def missed(self) -> None:
        """The bus missed events: each subscription ends as one that fell behind, so its
        listener subscribes again and catches up from event_log by cursor."""
        for sub in list(self._subscriptions):
            sub.overflowed = sub.bus_gap = True
            sub.close()


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None: ...

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        """Publish these envelopes in this order: every subscriber receives each of them,
        one by one, exactly as from as many `publish` calls."""
        ...

    def subscribe(self) -> Subscription: ...


class MemoryBus:
    """Single-process bus: the embedded default and the test double."""

    def __init__(self) -> None:
        self._local = _LocalFanout()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._local.close_all()

    async def publish(self, envelope: Envelope) -> None:
        self._local.deliver(envelope)

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            self._local.deliver(envelope)

    def subscribe(self) -> Subscription:
        return self._local.subscribe()


class RedisBus:
    """Redis pub/sub across nodes; each node re-fans received envelopes to its subscribers.

    A node's own envelopes go to its own subscribers at once, as published, and to Redis
    for the others, marked with the node's token: heard back, they are known by their first
    bytes and dropped undecoded. Decoding its own events again cost a node CPU for each
    one (the whole of a one-node deployment's events), and its sockets the round trip.
    """

    def __init__(self, url: str, prefix: str = "okno:") -> None:
        self._client: aioredis.Redis = aioredis.from_url(url)
        self.channel = f"{prefix}events"
        self._local = _LocalFanout()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # A publish failed since the last gap marker went out: no node heard that event.
        self._unpublished = False
        self._token = uuid.uuid4().hex
        # How this node's own messages begin (one envelope, or a batch of them).
        head = sender_head(self._token)
        self._own = (head.encode(), f"[{head}".encode())

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-bus-reader")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _read_forever(self) -> None:
        backoff = RECONNECT_FIRST_S
        lost = False  # the subscription was up and went down: events may have passed by
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    OUTAGES.recovered(REDIS)
                    self._ready.set()
                    backoff = RECONNECT_FIRST_S
                    if lost:
                        # Subscribed again: whatever was published while we were away is
                        # in event_log; every listener catches up from its cursor.
                        lost = False
                        self._local.missed()
                    if self._unpublished:
                        await self._publish_gap()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        self._deliver_raw(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a Redis restart must not end the node's live updates
                lost = lost or self._ready.is_set()
                log_failure(log, exc, "the bus subscription")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)

    def _deliver_raw(self, data: bytes) -> None:
        if data.startswith(self._own):
            return  # delivered here as it was published
        sender = _gap_sender(data)
        if sender is not None:
            if sender == self._token:
                # Its own subscribers had every event it could not publish.
                return
            log.info("a node could not publish some events; catching up from the log")
            self._local.missed()
            return
        try:
            decoded = json.loads(data)
        except ValueError:
            log.warning("ignoring malformed bus message %r", data[:200])
            return
        # A batch (`publish_many`) is a list of envelopes, delivered one by one in its order.
        for item in decoded if isinstance(decoded, list) else (decoded,):
            try:
                envelope = Envelope.from_json(item)
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("ignoring malformed bus envelope %r", str(item)[:200])
                continue
            self._local.deliver(envelope)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._local.close_all()
        await self._client.aclose()

    async def publish(self, envelope: Envelope) -> None:
        self._local.deliver(envelope)
        try:
            # The payload's text as the unit of work logged it (encoded once), when it has it.
            await self._client.publish(self.channel, envelope.to_json_text(self._token))
        except Exception:
            self._unpublished = True
            raise
        OUTAGES.recovered(REDIS)
        if self._unpublished:
            await self._publish_gap()

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        if len(envelopes) <= 1:
            for envelope in envelopes:
                await self.publish(envelope)
            return
        for envelope in envelopes:
            self._local.deliver(envelope)
        messages = batch_messages(envelopes, self._token)
        try:
            if len(messages) == 1:
                await self._client.publish(self.channel, messages[0])
            else:
                # One round trip; Redis takes the publications in the pipeline's order.
                async with self._client.pipeline(transaction=False) as pipe:
                    for message in messages:
                        pipe.publish(self.channel, message)
                    await pipe.execute()
        except Exception:
            self._unpublished = True
            raise
        OUTAGES.recovered(REDIS)
        if self._unpublished:
            await self._publish_gap()

    async def _publish_gap(self) -> None:
        """Tells every other node that events went unpublished: catch up."""
        self._unpublished = False
        try:
            await self._client.publish(self.channel, gap_marker(self._token))
        except Exception:
            self._unpublished = True
            raise

    def subscribe(self) -> Subscription:
        return self._local.subscribe()


def batch_messages(envelopes: Iterable[Envelope], sender: str = "") -> list[str]:
    """The envelopes as JSON arrays of at most `BATCH_EVENTS` envelopes and (but for a
    single larger one) `BATCH_BYTES` characters, in order; each envelope encoded once,
    `sender` on each (`Envelope.to_json_text`)."""
    messages: list[str] = []
    part: list[str] = []
    size = 0
    for envelope in envelopes:
        encoded = envelope.to_json_text(sender)
        if part and (len(part) >= BATCH_EVENTS or size + len(encoded) > BATCH_BYTES):
            messages.append("[" + ",".join(part) + "]")
            part, size = [], 0
        part.append(encoded)
        size += len(encoded) + 1
    if part:
        messages.append("[" + ",".join(part) + "]")
    return messages


def create_bus(redis_url: str | None, prefix: str) -> MemoryBus | RedisBus:
    return RedisBus(redis_url, prefix) if redis_url else MemoryBus()
