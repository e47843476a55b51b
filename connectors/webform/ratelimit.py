"""Per-client sliding-window rate limit, in memory (so per node and per channel instance)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

# Forget idle clients once this many are tracked, so a scan from many addresses cannot
# grow the table without bound; the threshold doubles with the live set.
_SWEEP_AT = 1024


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds; round up so a client that obeys is let in."""
    return str(max(1, math.ceil(seconds)))


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window` seconds; `limit` 0 means no limit."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._sweep_at = _SWEEP_AT

    def hit(self, key: str) -> float | None:
        """Count one hit; None if allowed, else the seconds until the next would be."""
        if self.limit <= 0:
            return None
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            # Refused hits are not recorded: a client that backs off gets in on time.
            return hits[0] + self.window - now
        hits.append(now)
        if len(self._hits) >= self._sweep_at:
            self._sweep(now)
        return None

    def _sweep(self, now: float) -> None:
        horizon = now - self.window
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > horizon}
        self._sweep_at = max(_SWEEP_AT, 2 * len(self._hits))
