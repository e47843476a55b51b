"""Run a task only while this node holds its lease; stop it the moment the lease is lost."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import random
from collections.abc import Awaitable, Callable

from hub.actions import leases
from hub.core import NODE_ID, Hub

log = logging.getLogger(__name__)


RELEASE_WITHIN_S = 2.0
STOP_WITHIN_S = 10.0


async def run_leased(
    hub: Hub, name: str, run: Callable[[], Awaitable[None]], holder: str = NODE_ID
) -> None:
    """Wait for the lease, run `run` while renewing it; a crash of `run` propagates (so the
    supervisor restarts it with backoff), a lost lease cancels it and waits again."""
    ttl = hub.settings.lease_ttl_s
    while True:
        if not await leases.acquire(hub, name, holder, ttl):
            await asyncio.sleep(ttl / 3 * random.uniform(0.8, 1.2))
            continue
        log.info("lease %s taken by %s", name, holder)
        task: asyncio.Task[None] = asyncio.ensure_future(run())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=ttl / 3)
                if done:
                    task.result()  # re-raises a crash for the supervisor
                    return
                if not await leases.acquire(hub, name, holder, ttl):
                    log.warning("lease %s lost by %s; stopping its reader", name, holder)
                    break
        finally:
            if not task.done():
                task.cancel()
                # Bounded, and not swallowing a second cancel of our own: a reader that does
                # not stop must not keep this node's holder (or its shutdown) waiting forever.
                stopped, _ = await asyncio.wait({task}, timeout=STOP_WITHIN_S)
                if not stopped:
                    log.error(
                        "%s's reader did not stop within %.0f s; it is at:\n%s",
                        name,
                        STOP_WITHIN_S,
                        _where(task),
                    )
            # Giving the lease back is a courtesy (it lapses after its TTL anyway): a node
            # shutting down never waits on it long, e.g. behind SQLite's 30 s busy timeout.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(RELEASE_WITHIN_S):
                    await leases.release(hub, name, holder)


def _where(task: asyncio.Task[None]) -> str:
    stream = io.StringIO()
    task.print_stack(file=stream)
    return stream.getvalue()
