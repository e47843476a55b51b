"""This node's own lease ("node:<origin>"): while it is renewed, the inbound events the node
stored or claimed are its own; once it lapses (the node was killed), any node takes them at
once instead of waiting out the claim (hub.actions.inbound.PROCESSING_LEASE)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hub.actions import inbound, leases
from hub.actions.channels import origin_of
from hub.core import Hub
from hub.outages import log_failure

log = logging.getLogger(__name__)

RELEASE_WITHIN_S = 2.0


async def start(hub: Hub) -> None:
    """Before the node takes any request: hold its lease and, alone on its database
    (SQLite is one node's), take back what it had stored or claimed before it stopped."""
    await leases.acquire(hub, inbound.node_lease(hub), origin_of(hub), hub.settings.lease_ttl_s)
    if hub.db.dialect == "sqlite":
        taken = await inbound.take_back_all(hub)
        if taken:
            log.info("took back %d inbound event(s) left unfinished when the node stopped", taken)


async def keep(hub: Hub) -> None:
    """Renew the lease for as long as the node runs; give it back when it stops."""
    ttl = hub.settings.lease_ttl_s
    try:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                await leases.acquire(hub, inbound.node_lease(hub), origin_of(hub), ttl)
            except Exception as exc:
                log_failure(log, exc, "renewing this node's lease")
    finally:
        # A courtesy (it lapses anyway): the other nodes take this node's work at once.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_WITHIN_S):
                await leases.release(hub, inbound.node_lease(hub), origin_of(hub))
