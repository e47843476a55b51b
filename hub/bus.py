"""The event bus: one protocol, an in-process MemoryBus and a RedisBus for several nodes,
and the one way to listen to it (`Listener`).

Publishers are the actions' unit of work, after commit. Subscribers are each node's websocket
fan-outs, its workers and the robots; each listens through a `Listener`, which turns
envelopes back into typed events and handles falling behind in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

import redis.asyncio as aioredis
from sqlalchemy import func, select

from hub.db import Database
from hub.events import Audience, Envelope, Event, MalformedEnvelope
from hub.models.comms import EventLog

log = logging.getLogger(__name__)

# A subscriber that falls this far behind is dropped rather than growing memory without
# bound; a websocket client then reconnects and resumes from its cursor.
SUBSCRIBER_BUFFER = 10_000


class Subscription:
    def __init__(self, owner: _LocalFanout) -> None:
        self._owner = owner
        self.queue: asyncio.Queue[Envelope | None] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.overflowed = False
        self._closed = asyncio.Event()

    def __aiter__(self) -> AsyncIterator[Envelope]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Envelope]:
        while not self._closed.is_set():
            getter = asyncio.ensure_future(self.queue.get())
            closer = asyncio.ensure_future(self._closed.wait())
            try:
                await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                closer.cancel()
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
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


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None: ...

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

    def subscribe(self) -> Subscription:
        return self._local.subscribe()


class RedisBus:
    """Redis pub/sub across nodes; each node re-fans received envelopes to its subscribers."""

    def __init__(self, url: str, prefix: str = "okno:") -> None:
        self._client: aioredis.Redis = aioredis.from_url(url)
        self.channel = f"{prefix}events"
        self._local = _LocalFanout()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-bus-reader")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _read_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._ready.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        self._deliver_raw(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis restart must not end the node's live updates
                log.exception("redis bus connection lost; reconnecting in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _deliver_raw(self, data: bytes) -> None:
        try:
            envelope = Envelope.from_json(json.loads(data))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring malformed bus message %r", data[:200])
            return
        self._local.deliver(envelope)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._local.close_all()
        await self._client.aclose()

    async def publish(self, envelope: Envelope) -> None:
        await self._client.publish(self.channel, json.dumps(envelope.to_json()))

    def subscribe(self) -> Subscription:
        return self._local.subscribe()


def create_bus(redis_url: str | None, prefix: str) -> MemoryBus | RedisBus:
    return RedisBus(redis_url, prefix) if redis_url else MemoryBus()


# --- listening ---------------------------------------------------------------------------

E = TypeVar("E", bound=Event)
P = ParamSpec("P")
# Handlers may be plain functions (the fan-outs: no await per envelope) or coroutines.
RawHandler = Callable[[Envelope], Awaitable[None] | None]
GapHandler = Callable[[], Awaitable[None] | None]

# A catch-up re-reads a little below the newest cursor seen: on PostgreSQL a transaction
# that took a lower id can commit (and publish) after a higher one.
CATCH_UP_OVERLAP = 200
CATCH_UP_BATCH = 500
# Logged cursors already handled, so an event caught up and then heard live runs once.
HANDLED_MEMORY = 4096


@dataclass(frozen=True)
class Route:
    """An event class and its handler; made by `on`, which is where their types are checked."""

    event_type: type[Event]
    handler: Callable[[Any], Awaitable[None] | None]


def on(event_type: type[E], handler: Callable[[E], Awaitable[None] | None]) -> Route:
    """Route one event class to its handler; mypy checks the handler takes that class."""
    return Route(event_type, handler)


class Listener:
    """One consumer of the bus: each envelope rebuilt as its typed event and handed to the
    handler routed for its class, in order, for as long as the bus runs.

    Envelopes of kinds no route names (transient signals such as typing, cursor 0) go raw
    to `other` when given (live only: a catch-up replays the routed kinds). A handler that
    raises is logged; the next envelope still comes.

    The subscription is taken when the listener is made (or passed in), so one made before
    the node serves misses nothing published after. When the bus drops the subscription for
    falling behind, the listener subscribes again and then catches up: by default from
    `event_log` (the routed kinds logged since the newest cursor it saw, each handled once),
    or through `on_gap` for consumers that catch up otherwise (a websocket fan-out asks its
    clients to resume from their own cursors).
    """

    def __init__(
        self,
        bus: Bus,
        routes: Iterable[Route],
        *,
        other: RawHandler | None = None,
        on_gap: GapHandler | None = None,
        db: Database | None = None,
        subscription: Subscription | None = None,
        name: str = "listener",
    ) -> None:
        if on_gap is None and db is None:
            raise TypeError("a listener catches up from event_log (db=) or through on_gap=")
        self.name = name
        self._bus = bus
        self._routes: dict[str, Route] = {r.event_type.kind: r for r in routes}
        self._other = other
        self._on_gap = on_gap
        self._db = db
        self._subscription = subscription if subscription is not None else bus.subscribe()
        # Catch-ups read no lower than the log's head when listening began: older events
        # were never this listener's to hear.
        self._floor = 0
        self._newest = 0
        self._handled: OrderedDict[int, None] = OrderedDict()

    async def run(self) -> None:
        """Listen until the bus closes or `close` is called (returns), or until cancelled."""
        try:
            if self._db is not None and self._on_gap is None:
                self._floor = self._newest = await _log_head(self._db)
            while True:
                async for envelope in self._subscription:
                    await self._dispatch(envelope)
                if not self._subscription.overflowed:
                    return
                log.warning("%s fell behind the bus; subscribing again", self.name)
                self._subscription = self._bus.subscribe()
                await self._call("the catch-up", self._on_gap or self._catch_up)
        finally:
            self._subscription.close()

    def close(self) -> None:
        self._subscription.close()

    async def _dispatch(self, envelope: Envelope) -> None:
        cursor = envelope.cursor
        if cursor > self._newest:
            self._newest = cursor
        route = self._routes.get(envelope.kind)
        if route is None:
            if self._other is not None:
                await self._call(envelope.kind, self._other, envelope)
            return
        if cursor:
            if cursor in self._handled:
                return  # caught up already, now heard live
            self._handled[cursor] = None
            if len(self._handled) > HANDLED_MEMORY:
                self._handled.popitem(last=False)
        try:
            event = route.event_type.from_envelope(envelope)
        except MalformedEnvelope as exc:
            log.warning("%s skipped envelope #%d: %s", self.name, cursor, exc)
            return
        await self._call(envelope.kind, route.handler, event)

    async def _call(
        self,
        what: str,
        handler: Callable[P, Awaitable[None] | None],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        try:
            pending = handler(*args, **kwargs)
            if pending is not None:
                await pending
        except Exception:
            log.exception("%s: handling %s failed", self.name, what)

    async def _catch_up(self) -> None:
        """Handle the routed events logged since the newest cursor seen, in cursor order."""
        if self._db is None or not self._routes:
            return
        after = max(self._newest - CATCH_UP_OVERLAP, self._floor)
        while True:
            async with self._db.sessions() as session:
                stmt = (
                    select(EventLog.id, EventLog.kind, EventLog.payload, EventLog.audience)
                    .where(EventLog.id > after, EventLog.kind.in_(list(self._routes)))
                    .order_by(EventLog.id)
                    .limit(CATCH_UP_BATCH)
                )
                rows = (await session.execute(stmt)).all()
            for row in rows:
                audience = Audience.from_json(row.audience)
                await self._dispatch(Envelope(row.id, row.kind, row.payload, audience))
            if len(rows) < CATCH_UP_BATCH:
                return
            after = rows[-1].id


async def _log_head(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.max(EventLog.id)))).scalar() or 0)


async def listen(
    bus: Bus,
    routes: Iterable[Route],
    *,
    other: RawHandler | None = None,
    on_gap: GapHandler | None = None,
    db: Database | None = None,
    name: str = "listener",
) -> None:
    """Subscribe and listen (see `Listener`), for consumers that need not subscribe ahead."""
    await Listener(bus, routes, other=other, on_gap=on_gap, db=db, name=name).run()
