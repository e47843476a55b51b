"""Presence driven by sockets: a user's first socket brings them online (or away, if that is
what they chose), and closing their last one takes them offline after a short grace period.

Sockets are counted per node, and each node holding a user's sockets says so with a lease
(`presence:<user>:<node>`) renewed by the sockets' pings; a node whose last socket of a user
closes takes them offline only if no other node still holds one. A node that dies without
closing its sockets lets its leases expire, and the sweeper's silent-browser check takes
over. The grace period hides page reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict

from hub.actions import leases
from hub.core import NODE_ID, Hub
from hub.models import Presence
from hub.outages import log_failure
from routing import presence as routing_presence

from .fanout import Fanout

log = logging.getLogger(__name__)


class PresenceKeeper:
    def __init__(self, hub: Hub, fanout: Fanout, grace_s: float) -> None:
        self._hub = hub
        self._fanout = fanout
        self._grace_s = grace_s
        # What each user last chose with the switch; a new socket restores it.
        self._chosen: dict[int, Presence] = {}
        self._pending_offline: dict[int, asyncio.Task[None]] = {}
        # Every offline change not finished yet, asleep or writing (`idle` waits for them).
        self._offline_tasks: set[asyncio.Task[None]] = set()
        # One presence change per user at a time on this node. A reconnect used to cancel
        # the offline task mid-write, which could leave SQLite locked by the orphaned
        # transaction (and the new socket waiting for it); now the reconnect waits for a
        # write in flight and cancels the task only while it sleeps or waits here.
        self._user_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Unique per app instance: two apps in one process are two nodes.
        self._node = f"{NODE_ID}:{uuid.uuid4().hex[:8]}"
        # When this node last renewed each user's presence lease (monotonic seconds).
        self._held_at: dict[int, float] = {}

    async def set(self, user_id: int, presence: Presence) -> bool:
        # Through routing: going offline hands unanswered work back to the queue.
        return await routing_presence.change(self._hub, user_id, presence)

    async def heartbeat(self, user_id: int) -> None:
        await routing_presence.heartbeat(self._hub, user_id)
        await self._hold(user_id)

    def _lease(self, user_id: int) -> str:
        return f"presence:{user_id}:{self._node}"

    async def _hold(self, user_id: int) -> None:
        ttl = self._hub.settings.presence_timeout_s
        await leases.acquire(self._hub, self._lease(user_id), self._node, ttl)
        self._held_at[user_id] = time.monotonic()

    def _recently_held(self, user_id: int) -> bool:
        """Renewed within half its lifetime: another socket of the same user needs no write
        (10,000 browsers reconnecting after a restart would otherwise be 10,000 of them)."""
        at = self._held_at.get(user_id)
        return at is not None and time.monotonic() - at < self._hub.settings.presence_timeout_s / 2

    async def choose(self, user_id: int, presence: Presence) -> bool:
        self._chosen[user_id] = presence
        return await self.set(user_id, presence)

    async def connected(self, user_id: int, first: bool, wanted: Presence | None) -> None:
        async with self._user_locks[user_id]:
            pending = self._pending_offline.pop(user_id, None)
            if pending is not None:
                pending.cancel()  # asleep in its grace or waiting for this lock
            if wanted is not None:
                self._chosen[user_id] = wanted
            if first or not self._recently_held(user_id):
                await self._hold(user_id)
            if first:
                await self.set(user_id, self._chosen.get(user_id, Presence.online))

    def disconnected(self, user_id: int, last: bool) -> None:
        if not last:
            return
        task = asyncio.create_task(self._offline_after_grace(user_id))
        self._pending_offline[user_id] = task
        self._offline_tasks.add(task)
        task.add_done_callback(self._offline_tasks.discard)

    async def idle(self) -> None:
        """Returns once the offline changes under way have ended (done or cancelled): what a
        closed socket was going to publish about its user has been published by then."""
        while self._offline_tasks:
            await asyncio.gather(*self._offline_tasks, return_exceptions=True)

    async def _offline_after_grace(self, user_id: int) -> None:
        try:
            if self._grace_s > 0:
                await asyncio.sleep(self._grace_s)
            async with self._user_locks[user_id]:
                # Not cancelled from here on: connected() waits for this lock first.
                self._pending_offline.pop(user_id, None)
                await self._go_offline(user_id)
        finally:
            if self._pending_offline.get(user_id) is asyncio.current_task():
                del self._pending_offline[user_id]

    async def _go_offline(self, user_id: int) -> None:
        if self._fanout.has_user(user_id):
            return  # came back meanwhile
        try:
            self._held_at.pop(user_id, None)
            await leases.release(self._hub, self._lease(user_id), self._node)
            if await leases.held_by_others(self._hub, f"presence:{user_id}:", self._node):
                return  # still connected through another node, which takes it from here
            await self.set(user_id, Presence.offline)
        except Exception as exc:
            log_failure(log, exc, "could not set user %d offline", user_id)

    async def flush(self) -> None:
        """On shutdown: apply the pending offline changes now instead of after the grace."""
        pending = dict(self._pending_offline)
        self._pending_offline.clear()
        for user_id, task in pending.items():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            async with self._user_locks[user_id]:
                await self._go_offline(user_id)
