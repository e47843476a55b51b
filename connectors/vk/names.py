"""Customers' names from users.get, so a VK lead is "Марина Кравцова", not a bare id.

VK events carry only the user id. The look-up is best-effort: bounded in time, cached, and a
failure just leaves the name empty (the message is stored either way).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

from .client import VkClient

LOOKUP_TIMEOUT_S = 3.0
CACHE_SIZE = 5000
# A failed look-up is not retried for this long, so an unreachable API costs one wait.
FAILURE_TTL_S = 600.0


class NameBook:
    def __init__(self, client: VkClient, log: logging.Logger) -> None:
        self.client = client
        self.log = log
        self._names: OrderedDict[int, tuple[str, float]] = OrderedDict()

    async def name_of(self, user_id: int) -> str:
        cached = self._names.get(user_id)
        if cached is not None:
            name, expires = cached
            if expires == 0 or expires > time.monotonic():
                self._names.move_to_end(user_id)
                return name
        try:
            users = await asyncio.wait_for(
                asyncio.to_thread(self.client.call, "users.get", user_ids=str(user_id)),
                LOOKUP_TIMEOUT_S,
            )
            name = _full_name(users)
            self._remember(user_id, name, 0)
        except Exception as exc:
            self.log.warning(
                "vk: users.get for %d failed (%s); stored without a name", user_id, exc
            )
            name = ""
            self._remember(user_id, name, time.monotonic() + FAILURE_TTL_S)
        return name

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
    return " ".join(p for p in parts if p)
