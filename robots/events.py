"""Event rules: after the event's commit, on every node, each rule claims the event once.

Every node hears every event (the bus fans out), so each node's listener tries to insert
the firing (rule, object, event cursor): the unique key lets exactly one of them win, and
only the winner acts. A node that dies after claiming leaves the firing pending; the
scheduler retries it (robots.engine.retry_pending).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal, select

from hub.actions import robot_bulk
from hub.actions import robots as robot_actions
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
from hub.models.base import UtcDateTime

from .engine import RETRY_AFTER_S, LoadedRule, claim_matches, enabled_rules, fire
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
    if not cursor:
        return 0  # only logged events can be claimed once (and caught up after a gap)
    listening = await (rules or EventRules(hub)).on(event_name)
    if not listening:
        return 0
    matching: list[LoadedRule] = []
    async with hub.db.sessions() as session:
        for loaded in listening:
            kind = loaded.spec.object_kind
            stmt = select(id_column(kind)).where(
                id_column(kind) == object_id, compile_condition(kind, loaded.spec.conditions)
            )
            if (await session.execute(stmt)).first() is not None:
                matching.append(loaded)
    fired = 0
    for loaded in matching:
        if robot_bulk.leading(_actions(loaded)):
            # Claimed and acted on in one transaction (hub.actions.robot_batch).
            kind = loaded.spec.object_kind
            one = select(
                id_column(kind).label("object_id"),
                literal(EVENT_EPOCH, UtcDateTime()).label("anchor"),
            ).where(id_column(kind) == object_id)
            fired += await claim_matches(hub, loaded, one, cursor=cursor)
            continue
        firing_id = await robot_actions.claim_event(
            hub, loaded.rule, loaded.spec.object_kind, object_id, cursor, EVENT_EPOCH, RETRY_AFTER_S
        )
        if firing_id is not None:
            fired += await fire(hub, loaded, [firing_id])
    return fired


def _actions(loaded: LoadedRule) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True) for a in loaded.spec.actions]


# Events handled side by side on PostgreSQL: each is a few round trips to the database, so
# one at a time a node could not keep up with 200 events a second. Events are independent
# (each claim is its own unique row); SQLite has one writer, so it takes them in turn.
PARALLEL_EVENTS = 8


class _Pool:
    """At most `limit` handlings at once; the listener waits for a free place (so a burst
    is not turned into an unbounded pile of tasks)."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._running: set[asyncio.Task[int]] = set()

    async def submit(self, work: Coroutine[Any, Any, int]) -> None:
        try:
            await self._slots.acquire()
        except BaseException:
            work.close()  # cancelled while waiting (shutdown): never started, never awaited
            raise
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[int]) -> None:
        self._running.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("robots: an event rule failed", exc_info=task.exception())


def _routes(hub: Hub) -> list[Any]:
    pool = _Pool(PARALLEL_EVENTS if hub.db.dialect == "postgresql" else 1)
    rules = EventRules(hub)

    async def handle_later(event_name: str, object_id: int, cursor: int | None) -> None:
        await pool.submit(handle(hub, event_name, object_id, cursor, rules))

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
