"""The one way to listen to the bus: typed events to typed handlers.

`Listener` subscribes, turns envelopes back into typed events (`Event.from_envelope`), calls
the handler registered for each type (`on(EventType, handler)`), and handles falling behind in
one place: an overflowed subscription is replaced and what was missed is caught up from
`event_log` by cursor (or by the consumer's own `on_gap`, e.g. sockets resuming themselves).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func, select

from hub.bus import Bus, Subscription
from hub.db import Database
from hub.events import Audience, Envelope, Event, MalformedEnvelope
from hub.models.comms import EventLog
from hub.outages import log_failure

log = logging.getLogger(__name__)


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
                if not self._subscription.bus_gap:  # a gap of the bus is logged by the bus
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
        except Exception as exc:
            log_failure(log, exc, "%s: handling %s failed", self.name, what)

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
