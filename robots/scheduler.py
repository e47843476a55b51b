"""The time rules' clock: one node (the holder of the "robots:scheduler" lease, taken by
the host with `hub.host.leased.run_leased`) scans every enabled time rule each interval.

No timer per object and no loop over objects: each tick is one claim statement per rule
(robots.scan), then the actions of what was claimed. The SLA breach check rides the same
tick (hub.actions.sla_breaches): one statement per policy and measure.
"""

from __future__ import annotations

import asyncio
import logging

from hub.actions import sla_breaches
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.outages import log_failure
from hub.policy import SystemActor

from . import engine, webhooks

log = logging.getLogger(__name__)

LEASE_NAME = "robots:scheduler"


async def tick(hub: Hub) -> dict[str, int]:
    # Breaches first: an event rule on "conversation.sla_breached" hears them this tick.
    try:
        breaches = await sla_breaches.record_breaches(hub, SystemActor())
    except Exception as exc:
        raise_if_cancelling(exc)
        # The robots' own work goes on; the breaches are found by the next tick.
        # A database outage is logged once by the outage log, not as a traceback per tick.
        log_failure(log, exc, "SLA breach check failed")
        breaches = 0
    done = await engine.tick(hub)
    done["sla_breaches"] = breaches
    done["webhooks"] = await webhooks.deliver_due(hub)
    return done


async def scheduler_forever(hub: Hub) -> None:
    """Tick every `robots_scan_interval_s` while this node holds the lease (the caller stops
    it the moment the lease is lost)."""
    while True:
        try:
            await tick(hub)
        except Exception as exc:
            log_failure(log, exc, "robots' tick failed; trying again next interval")
        raise_if_cancelling()
        await asyncio.sleep(hub.settings.robots_scan_interval_s)
