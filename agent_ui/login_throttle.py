"""Failed logins slow a password guesser down: per account and per client address.

Only failures count, in a sliding window: past the limit, the login form answers 429 with
the time to wait, and the password is not even checked (so a guess cannot succeed during the
pause). A successful login forgets its account's failures, not its address's: one office
behind one address stays within its budget by logging in correctly.

Kept in memory, per node: behind two nodes a guesser gets each node's budget, which still
turns thousands of guesses an hour into dozens (and nginx's per-address limit sits in front).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

# Forget idle keys once this many are tracked, so guesses from many addresses cannot grow
# the tables without bound.
_SWEEP_AT = 4096


class _Failures:
    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._seen.get(key)
        if seen is None:
            return deque()
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if not seen:
            del self._seen[key]
        return seen

    def wait(self, key: str) -> float | None:
        """Seconds until this key may try again, or None when it may now."""
        if self.limit <= 0:
            return None
        now = self._clock()
        seen = self._recent(key, now)
        if len(seen) < self.limit:
            return None
        return seen[0] + self.window - now

    def add(self, key: str) -> None:
        now = self._clock()
        self._seen.setdefault(key, deque()).append(now)
        if len(self._seen) >= _SWEEP_AT:
            self._seen = {k: v for k, v in self._seen.items() if v[-1] > now - self.window}

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)


class LoginThrottle:
    def __init__(
        self,
        per_account: int,
        per_address: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = _Failures(per_account, window_s, clock)
        self._addresses = _Failures(per_address, window_s, clock)

    def wait(self, login: str, address: str) -> float | None:
        """Seconds to wait before this login may be tried from this address, or None."""
        waits = [
            w
            for w in (self._accounts.wait(login.casefold()), self._addresses.wait(address))
            if w is not None
        ]
        return max(waits) if waits else None

    def failed(self, login: str, address: str) -> None:
        self._accounts.add(login.casefold())
        self._addresses.add(address)

    def succeeded(self, login: str) -> None:
        self._accounts.forget(login.casefold())


def minutes(seconds: float) -> int:
    """Whole minutes to tell a person, never 0: who waits that long gets in."""
    return max(1, math.ceil(seconds / 60))


LOGIN_THROTTLE = web.AppKey("okno.login_throttle", LoginThrottle)
