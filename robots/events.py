"""Event rules: after the event's commit, on every node, each rule claims the event once.

Every node hears every event (the bus fans out), so each node's listener tries to insert
the firing (rule, object, event cursor): the unique key lets exactly one of them win, and
only the winner acts. A node that dies after claiming leaves the firing pending; the
scheduler retries it (robots.engine.retry_pending).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from hub.actions import robot_bulk
from hub.actions import robots as robot_actions
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.events import (
    CallChanged,
    ConversationChanged,
    DealChanged,
    MessageCreated,
    RobotRuleChanged,
    SlaBreached,
)
from hub.listener import Listener, on
from hub.queries.activities import among

from .engine import RETRY_AFTER_S, LoadedRule, claim_episodes, enabled_rules, fire, snapshot
from .fields import compile_condition, id_column

log = logging.getLogger(__name__)

# Event firings are told apart by their cursor; their anchor is one fixed instant, the
# same on every node (node clocks differ, the unique key must not).
EVENT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class EventRules:
    """The enabled event rules by event, read once and kept until a rule changes (each
    change is a `RobotRuleChanged` on the bus, heard by every node): an event that no rule
    listens to then costs no query at all."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._by_event: dict[str, list[LoadedRule]] | None = None
        self._generation = 0

    def forget(self) -> None:
        self._by_event = None
        self._generation += 1

    async def on(self, event_name: str) -> list[LoadedRule]:
        by_event = self._by_event
        if by_event is None:
            generation = self._generation
            async with self.hub.db.sessions() as session:
                loaded = await enabled_rules(session, "event")
            by_event = {}
            for rule in loaded:
                by_event.setdefault(str(rule.rule.trigger.get("event")), []).append(rule)
            # A change heard while reading may not be in what was read: keep it only if none.
            if generation == self._generation:
                self._by_event = by_event
        return by_event.get(event_name, [])


async def handle(
    hub: Hub,
    event_name: str,
    object_id: int,
    cursor: int | None,
    rules: EventRules | None = None,
) -> int:
    """Fire the enabled rules on `event_name` whose conditions hold for the object."""
    return await handle_many(hub, event_name, [(object_id, cursor)], rules)


async def handle_many(
    hub: Hub,
    event_name: str,
    heard: Sequence[tuple[int, int | None]],
    rules: EventRules | None = None,
) -> int:
    """Fire the enabled rules on `event_name` for these events (object id, cursor), each
    for the objects its conditions hold for: one query per rule for the lot, and a rule
    led by flags or notices claims and acts on all of them in one transaction."""
    # Only logged events can be claimed once (and caught up after a gap).
    heard = [(object_id, cursor) for object_id, cursor in heard if cursor]
    if not heard:
        return 0
    listening = await (rules or EventRules(hub)).on(event_name)
    if not listening:
        return 0
    ids = sorted({object_id for object_id, _ in heard})
    holding: dict[int, set[int]] = {}
    # What the batch-claiming rules keep as matched, by object kind.
    values: dict[str, dict[int, dict[str, Any]]] = {}
    async with hub.db.sessions() as session:
        if hub.db.dialect == "postgresql":
            # Reads only, each one statement (READ COMMITTED gives each its own snapshot in a
            # transaction too): no BEGIN and ROLLBACK, two round trips less per batch.
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        for loaded in listening:
            kind = loaded.spec.object_kind
            condition = compile_condition(kind, loaded.spec.conditions)
            if robot_bulk.leading(_actions(loaded)):
                # The objects the condition holds for, read with their values: one round
                # trip per rule (a batch's delay is its round trips).
                found = await snapshot(session, kind, ids, condition)
                holding[loaded.rule.id] = set(found)
                values.setdefault(kind, {}).update(found)
                continue
            stmt = select(id_column(kind)).where(
                among(id_column(kind), ids, hub.db.dialect), condition
            )
            holding[loaded.rule.id] = set((await session.execute(stmt)).scalars())
    fired = 0
    for loaded in listening:
        matched = [(o, c) for o, c in heard if o in holding[loaded.rule.id]]
        if not matched:
            continue
        if robot_bulk.leading(_actions(loaded)):
            # Claimed and acted on together (hub.actions.robot_batch).
            episodes = [(o, EVENT_EPOCH, int(c)) for o, c in matched if c]
            try:
                fired += await claim_episodes(
                    hub, loaded, episodes, values.get(loaded.spec.object_kind)
                )
                continue
            except Exception as exc:
                raise_if_cancelling(exc)
                # Rolled back whole, claims included: claimed below event by event, and
                # what broke the batch stays with its own firing (retried, then failed).
                log.exception("robot %s: batch of events failed", loaded.rule.name)
        for object_id, cursor in matched:
            firing_id = await robot_actions.claim_event(
                hub,
                loaded.rule,
                loaded.spec.object_kind,
                object_id,
                int(cursor or 0),
                EVENT_EPOCH,
                RETRY_AFTER_S,
            )
            if firing_id is not None:
                fired += await fire(hub, loaded, [firing_id])
    return fired


def _actions(loaded: LoadedRule) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True) for a in loaded.spec.actions]


# Batches handled side by side on PostgreSQL; SQLite has one writer, so it takes them in
# turn. Events are independent (each claim is its own unique row).
PARALLEL_EVENTS = 2
# Events taken together at most: what arrived while the previous batch was handled.
BATCH = 500
# Events heard and not yet taken beyond which the listener waits (a burst is not turned
# into an unbounded pile).
MAX_WAITING = 5000

Heard = tuple[str, int, int | None]


class _Batcher:
    """Events handled in batches of whatever arrived meanwhile: the first event of a quiet
    moment is taken at once (alone), and under 200 a second each batch takes what queued
    while the one before was handled, so the round trips are paid per batch, not per event.
    At most `limit` batches run at once; no task lingers once nothing waits."""

    def __init__(self, limit: int, handle: Callable[[list[Heard]], Awaitable[int]]) -> None:
        self._limit = limit
        self._handle = handle
        self._waiting: list[Heard] = []
        self._running: set[asyncio.Task[None]] = set()
        self._taken = asyncio.Condition()

    async def submit(self, item: Heard) -> None:
        async with self._taken:
            await self._taken.wait_for(lambda: len(self._waiting) < MAX_WAITING)
            self._waiting.append(item)
        if len(self._running) < self._limit:
            task = asyncio.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            async with self._taken:
                self._taken.notify_all()
            try:
                await self._handle(batch)
            except Exception as exc:
                raise_if_cancelling(exc)
                log.exception("robots: event rules failed for %d events", len(batch))


def _routes(hub: Hub) -> list[Any]:
    rules = EventRules(hub)

    async def handle_batch(batch: list[Heard]) -> int:
        by_event: dict[str, list[tuple[int, int | None]]] = {}
        for event_name, object_id, cursor in batch:
            by_event.setdefault(event_name, []).append((object_id, cursor))
        fired = 0
        for event_name, heard in by_event.items():
            fired += await handle_many(hub, event_name, heard, rules)
        return fired

    batcher = _Batcher(PARALLEL_EVENTS if hub.db.dialect == "postgresql" else 1, handle_batch)

    async def handle_later(event_name: str, object_id: int, cursor: int | None) -> None:
        await batcher.submit((event_name, object_id, cursor))

    async def on_rule_changed(_: RobotRuleChanged) -> None:
        rules.forget()

    async def on_message(event: MessageCreated) -> None:
        if event.message.get("direction") == "in":
            await handle_later("message.received", event.conversation_id, event.cursor)

    async def on_conversation(event: ConversationChanged) -> None:
        name = {
            "assigned": "conversation.assigned",
            "accepted": "conversation.assigned",
            "closed": "conversation.closed",
        }.get(event.change)
        if name is not None:
            await handle_later(name, int(event.conversation["id"]), event.cursor)

    async def on_call(event: CallChanged) -> None:
        outcome = event.call.get("outcome")
        if event.change == "answered":
            await handle_later("call.answered", int(event.call["id"]), event.cursor)
        elif event.change == "ended" and outcome in ("missed", "abandoned"):
            await handle_later("call.missed", int(event.call["id"]), event.cursor)

    async def on_deal(event: DealChanged) -> None:
        if event.change in ("created", "moved"):
            await handle_later(f"deal.{event.change}", int(event.deal["id"]), event.cursor)

    async def on_breach(event: SlaBreached) -> None:
        await handle_later("conversation.sla_breached", event.conversation_id, event.cursor)

    return [
        on(RobotRuleChanged, on_rule_changed),
        on(SlaBreached, on_breach),
        on(MessageCreated, on_message),
        on(ConversationChanged, on_conversation),
        on(CallChanged, on_call),
        on(DealChanged, on_deal),
    ]


def event_listener(hub: Hub) -> Listener:
    """Subscribed when made: a node misses nothing published after it starts; after falling
    behind, it catches up from event_log (the claims keep the catch-up from doubling)."""
    return Listener(hub.bus, _routes(hub), db=hub.db, name="robots-events")


async def listen_events(hub: Hub) -> None:
    await event_listener(hub).run()
