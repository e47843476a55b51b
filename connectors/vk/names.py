"""Customers' names from users.get, so a VK lead is "Марина Кравцова", not a bare id.

VK events carry only the user id. The look-up is best-effort: bounded in time and cached. A
failure leaves the name empty, and the parser then names the sender «VK id <id>»
(parsing.stand_in_name) so no list shows an empty name; the message is stored either way.
A later message of the same client tries again (after FAILURE_TTL_S), and so does the
connector's periodic retry of every name still missing (renames.py); either way the hub
replaces the stand-in on the contact once the real name comes (hub.actions.contacts).

VK unreachable is one outage, not one per client: after a failure no look-up is tried for
OUTAGE_PAUSE_S, so a burst of messages does not each wait LOOKUP_TIMEOUT_S for nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from .client import VkClient

LOOKUP_TIMEOUT_S = 3.0
CACHE_SIZE = 5000
# A client whose look-up failed is tried again on a message after this long.
FAILURE_TTL_S = 60.0
# After any failure, look-ups wait this long before VK is asked again.
OUTAGE_PAUSE_S = 15.0
# users.get takes up to 1000 ids; a retry asks for this many at once.
RETRY_BATCH = 100
# Ids whose name is still to be fetched, at most (the oldest are forgotten first).
PENDING_LIMIT = 10_000


class NameBook:
    def __init__(
        self, client: VkClient, log: logging.Logger, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.log = log
        self.clock = clock
        self._names: OrderedDict[int, tuple[str, float]] = OrderedDict()
        self._paused_until = 0.0
        # Senders named by a stand-in, whose real name the periodic retry fetches.
        self.pending: OrderedDict[int, None] = OrderedDict()

    async def name_of(self, user_id: int) -> str:
        """The user's name, or "" when VK cannot say it now."""
        now = self.clock()
        cached = self._names.get(user_id)
        if cached is not None:
            name, expires = cached
            if expires == 0 or expires > now:
                self._names.move_to_end(user_id)
                return name
        if now < self._paused_until:
            self._pend(user_id)
            return ""  # VK failed a moment ago; not cached, so the next message asks again
        try:
            users = await asyncio.wait_for(
                asyncio.to_thread(self.client.call, "users.get", user_ids=str(user_id)),
                LOOKUP_TIMEOUT_S,
            )
            name = _full_name(users)
            self._remember(user_id, name, 0)
            self.pending.pop(user_id, None)
        except Exception as exc:
            self.log.warning(
                "vk: users.get for %d failed (%s); named «VK id %d» until a later message",
                user_id,
                exc,
                user_id,
            )
            name = ""
            now = self.clock()
            self._paused_until = now + OUTAGE_PAUSE_S
            self._remember(user_id, name, now + FAILURE_TTL_S)
            self._pend(user_id)
        return name

    async def fetch_pending(self) -> dict[int, str]:
        """One users.get for the oldest names still missing; {user id: name} of those VK
        named. A failure pauses look-ups, as in `name_of`, and keeps them pending."""
        if not self.pending or self.clock() < self._paused_until:
            return {}
        batch = list(self.pending)[:RETRY_BATCH]
        try:
            users = await asyncio.wait_for(
                asyncio.to_thread(
                    self.client.call, "users.get", user_ids=",".join(map(str, batch))
                ),
                LOOKUP_TIMEOUT_S,
            )
        except Exception as exc:
            self._paused_until = self.clock() + OUTAGE_PAUSE_S
            self.log.warning("vk: users.get for %d pending names failed (%s)", len(batch), exc)
            return {}
        found: dict[int, str] = {}
        for user in users if isinstance(users, list) else []:
            uid, name = user.get("id") if isinstance(user, dict) else None, _full_name([user])
            if isinstance(uid, int) and uid in self.pending and name:
                found[uid] = name
                self.pending.pop(uid)
                self._remember(uid, name, 0)
        return found

    def _pend(self, user_id: int) -> None:
        self.pending[user_id] = None
        self.pending.move_to_end(user_id)
        while len(self.pending) > PENDING_LIMIT:
            self.pending.popitem(last=False)

    def _remember(self, user_id: int, name: str, expires: float) -> None:
        self._names[user_id] = (name, expires)
        self._names.move_to_end(user_id)
        while len(self._names) > CACHE_SIZE:
            self._names.popitem(last=False)


def _full_name(users: object) -> str:
    if not isinstance(users, list) or not users or not isinstance(users[0], dict):
        return ""
    user = users[0]
    parts = (str(user.get(k) or "").strip() for k in ("first_name", "last_name"))
    return " ".join(p for p in parts if p)[:200]
