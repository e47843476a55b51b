"""Time-driven routing, on every node: offer timeouts, silent browsers, the queue, wait alerts.

Each step works under row locks (PostgreSQL SKIP LOCKED), so several nodes can sweep at once
without doing the same work twice: one conversation per transaction, except the queue,
drained a batch per transaction (routing/queue_batch.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select

from hub.actions import conversation_marks, queue_offers
from hub.actions import routing as routing_actions
from hub.actions.uow import UnitOfWork, unit_of_work
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.events import ConversationChanged, PresenceChanged
from hub.listener import Listener, on
from hub.models import Conversation, ConversationStatus, Team, User
from hub.outages import log_failure
from hub.reasons import reason as because

from . import assignment, presence, queue_batch

log = logging.getLogger(__name__)
DEFAULT_WAIT_LIMIT_S = 300
# Queued conversations decided in one transaction: big enough that the statements of a
# batch cost little per decision, small enough that its locks are held briefly.
DRAIN_BATCH = 250


async def _lock(uow: UnitOfWork, conversation_id: int) -> Conversation | None:
    stmt = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.status == ConversationStatus.open
    )
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def _ids(hub: Hub, stmt: object) -> list[int]:
    async with hub.db.sessions() as session:
        return list((await session.execute(stmt)).scalars())  # type: ignore[call-overload]


async def expire_offers(hub: Hub) -> int:
    """Offers not accepted in time move to the next operator (or back to the queue)."""
    now = hub.clock()
    due = await _ids(
        hub,
        select(Conversation.id)
        .where(Conversation.status == ConversationStatus.open, Conversation.offer_expires_at <= now)
        .order_by(Conversation.offer_expires_at),
    )
    moved = 0
    for conversation_id in due:
        async with unit_of_work(hub) as uow:
            conversation = await _lock(uow, conversation_id)
            if conversation is None or conversation.offer_expires_at is None:
                continue
            if conversation.offer_expires_at > uow.now() or conversation.assignee_id is None:
                continue
            holder = await uow.session.get_one(User, conversation.assignee_id)
            team = (
                await uow.session.get(Team, conversation.team_id) if conversation.team_id else None
            )
            timeout = team.accept_timeout_s if team else assignment.DEFAULT_ACCEPT_TIMEOUT_S
            await routing_actions.time_out(uow, conversation)
            # route() offers it to someone else, or queues it, with this reason first.
            context = because("timeout_moved", seconds=timeout, holder=holder.name)
            await assignment.route(
                uow, conversation, exclude=frozenset({holder.id}), context=context
            )
            moved += 1
    return moved


async def drain_queue(hub: Hub, limit: int = 200) -> int:
    """Offer queued conversations, oldest first, while someone has room: a batch of them
    decided and written in one transaction (routing/queue_batch.py), batch after batch up
    to `limit`. Returns how many were offered."""
    async with hub.db.sessions() as session:
        # An empty queue (the usual sweep) costs one read and no write transaction.
        anyone = (
            await session.execute(
                select(Conversation.id)
                .where(
                    Conversation.status == ConversationStatus.open,
                    Conversation.queued_at.is_not(None),
                )
                .limit(1)
            )
        ).scalar_one_or_none()
    if anyone is None:
        return 0
    assigned = 0
    # Groups (team, skill) whose oldest waiting conversation nobody could take: the ones
    # behind it wait too, in this batch and the next (the queue's order within a group).
    stuck: set[queue_batch.Group] = set()
    last: queue_batch.Waiting | None = None
    remaining = limit
    while remaining > 0:
        async with unit_of_work(hub) as uow:
            waiting = await queue_batch.lock_waiting(uow, min(remaining, DRAIN_BATCH), last)
            if not waiting:
                break
            teams = await queue_batch.all_teams(uow)
            staff = await queue_batch.lock_staff(uow, waiting, teams)
            timed_out = await queue_batch.timed_out_by(uow, waiting)
            plan = queue_batch.plan(waiting, teams, staff, timed_out, uow.now(), stuck)
            await queue_offers.settle(uow, plan.moves, plan.offers)
        assigned += len(plan.offers)
        remaining -= len(waiting)
        last = plan.last
        if len(waiting) < DRAIN_BATCH:
            break
    return assigned


async def alert_long_waits(hub: Hub) -> int:
    """Tell supervisors once about each conversation waiting past its team's limit."""
    now = hub.clock()
    async with hub.db.sessions() as session:
        waiting = (
            await session.execute(
                select(Conversation.id, Conversation.queued_at, Team.wait_limit_s)
                .outerjoin(Team, Team.id == Conversation.team_id)
                .where(
                    Conversation.status == ConversationStatus.open,
                    Conversation.queued_at.is_not(None),
                    Conversation.wait_alerted_at.is_(None),
                )
            )
        ).all()
    due = [
        conversation_id
        for conversation_id, queued_at, limit in waiting
        if queued_at is not None
        and (now - queued_at).total_seconds() >= (limit or DEFAULT_WAIT_LIMIT_S)
    ]
    alerted = 0
    for conversation_id in due:
        async with unit_of_work(hub) as uow:
            conversation = await _lock(uow, conversation_id)
            if (
                conversation is None
                or conversation.queued_at is None
                or conversation.wait_alerted_at
            ):
                continue
            waited = int((uow.now() - conversation.queued_at).total_seconds())
            await routing_actions.alert_waiting(uow, conversation, waited)
            alerted += 1
    return alerted


async def sweep(hub: Hub) -> None:
    await presence.expire_silent(hub)
    await expire_offers(hub)
    await drain_queue(hub)
    await alert_long_waits(hub)
    await conversation_marks.wake_due(hub)


async def sweep_forever(hub: Hub) -> None:
    """Sweep periodically, and at once when capacity may have freed (close, presence)."""
    wake = asyncio.Event()

    def on_conversation(event: ConversationChanged) -> None:
        if event.change in ("closed", "queued"):
            wake.set()

    def on_presence(_: PresenceChanged) -> None:
        wake.set()

    routes = [on(ConversationChanged, on_conversation), on(PresenceChanged, on_presence)]
    # Subscribed before the first sweep: a change made while it runs still wakes the next.
    # A sweep reads the tables, so after falling behind the bus one sweep catches up.
    listener = Listener(hub.bus, routes, on_gap=wake.set, name="routing-sweeper")
    listening = asyncio.create_task(listener.run())
    try:
        while True:
            try:
                await sweep(hub)
            except Exception as exc:
                log_failure(log, exc, "routing sweep failed; trying again shortly")
            raise_if_cancelling()
            wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands
            # with the wake-up, and shutdown would then wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(hub.settings.routing_sweep_interval_s):
                    await wake.wait()
    finally:
        listening.cancel()
        listener.close()
