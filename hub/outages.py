"""A dependency outage in the log: one line when it starts (with the error), a count while it
lasts, one line when it ends (with the count and how long it lasted).

Without this a node writes a full traceback for every publish, store or tick that fails while
PostgreSQL or Redis is away: 1,363 of them in 20 seconds of Redis outage under load. A
traceback reads as our bug, and it buries the one fact an administrator needs (what went away
and when it came back).

Call sites that may fail because a dependency is away use `log_failure` instead of
`log.exception`: a failure that is not an outage keeps its traceback. The end of an outage is
reported by whatever first succeeds again (`recovered`): a new database connection, a commit,
a publish, a re-subscription. The record is per process, as the log is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import redis.exceptions
from sqlalchemy import exc as sa_exc

from hub.cancellation import raise_if_cancelling

log = logging.getLogger(__name__)

DATABASE = "database"
REDIS = "redis"
# How much of the error the first line keeps: enough to tell refused from timed out.
ERROR_TEXT_LIMIT = 300


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def dependency_of(exc: BaseException) -> str | None:
    """Which dependency's absence `exc` means (DATABASE, REDIS), or None for anything else."""
    for link in _chain(exc):
        if isinstance(link, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return REDIS
        if isinstance(link, sa_exc.OperationalError | sa_exc.InterfaceError):
            return DATABASE
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return DATABASE
        # asyncpg's own connection errors and a refused socket reach us unwrapped from a
        # pool checkout; Redis's always come wrapped as redis.exceptions.ConnectionError.
        if type(link).__module__.startswith("asyncpg") and "Connection" in type(link).__name__:
            return DATABASE
        if isinstance(link, ConnectionError):
            return DATABASE
    return None


# PostgreSQL's answers to two transactions waiting for each other (deadlock_detected,
# serialization_failure): it rolled one back, and the work is done again (the sweep's next
# pass, an inbound event alone after its batch). A conflict, not a bug and not an outage.
LOCK_CONFLICT_STATES = frozenset({"40P01", "40001"})


def is_lock_conflict(exc: BaseException) -> bool:
    return any(getattr(link, "sqlstate", None) in LOCK_CONFLICT_STATES for link in _chain(exc))


def describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:ERROR_TEXT_LIMIT]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Outage:
    """One dependency's state as the log tells it."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()  # the database's connect hook runs in a worker thread
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException, doing: str) -> None:
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return
            self.since = self._clock()
        log.warning("%s unavailable (%s): %s", self.name, doing, describe(exc))

    def recovered(self) -> None:
        if self.since is None:  # the common case: one attribute read, no lock
            return
        with self._lock:
            if self.since is None:
                return
            lasted, failures = self._clock() - self.since, self.failures
            self.since, self.failures = None, 0
        log.warning(
            "%s available again after %.1f s; %d operation(s) failed meanwhile",
            self.name,
            lasted,
            failures,
        )


class Outages:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._by_name = {name: Outage(name, clock) for name in (DATABASE, REDIS)}

    def __getitem__(self, name: str) -> Outage:
        return self._by_name[name]

    def recovered(self, name: str) -> None:
        self._by_name[name].recovered()


OUTAGES = Outages()


def log_failure(logger: logging.Logger, exc: BaseException, message: str, *args: object) -> None:
    """`logger.exception(message, *args)`, unless `exc` means a dependency is away: then the
    failure is counted in that outage, which is logged once when it starts and once when it
    ends. A failure that is really this task's cancellation is raised as one
    (`hub.cancellation`): the loop that caught it must end, not go on."""
    raise_if_cancelling(exc)
    dependency = dependency_of(exc)
    if dependency is None:
        if is_lock_conflict(exc):
            logger.warning(message + " (lock conflict, rolled back: %s)", *args, describe(exc))
            return
        logger.error(message, *args, exc_info=exc)
        return
    OUTAGES[dependency].failed(exc, message % args if args else message)
