"""An acknowledged request never waits out a dead node's claim: a restarted single node takes
back every unfinished claim in its database at start; on PostgreSQL, what a node that is gone
stored or claimed is taken over as soon as that node's lease lapses, long before the claim's
own 60 s would run out. The clock is injected:
nothing here waits on real time but for the work to be done."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from hub.actions import inbound
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.host import node_lease
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import InboundEvent, InboundStatus, Message
from routing.ingest import Ingestor
from tests.conftest import Backend, Clock, add_channel
from tests.routing.test_ingest import form_message

Serve = Callable[..., Any]


async def statuses(hub: Hub) -> dict[str, InboundStatus]:
    async with hub.db.sessions() as session:
        rows = await session.execute(select(InboundEvent.external_id, InboundEvent.status))
        return {external_id: status for external_id, status in rows.all()}


async def killed_node_leaves_two(backend: Backend, clock: Clock) -> Hub:
    """A node killed while it retried two requests: both had failed their first attempt,
    both were claimed again, neither attempt finished. Both were acknowledged."""
    settings = backend.settings()
    dead = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus(), clock=clock)
    await add_channel(dead, "webform", "demo")
    await node_lease.start(dead)  # it held its lease when it was killed
    ingestor = Ingestor(dead)
    began = asyncio.Event()

    async def fails(*_: Any) -> int | None:
        raise RuntimeError("database hiccup")

    async def never_finishes(*_: Any) -> int | None:
        began.set()
        await asyncio.Event().wait()
        return None

    ingestor._apply = fails  # type: ignore[method-assign]
    first = await ingestor.submit(form_message("claimed-when-killed"))
    second = await ingestor.submit(form_message("claimed-too", phone="+7 903 555-00-11"))
    assert await statuses(dead) == {
        "claimed-when-killed": InboundStatus.failed,
        "claimed-too": InboundStatus.failed,
    }
    ingestor._apply = never_finishes  # type: ignore[method-assign]
    for receipt in (first, second):
        began.clear()
        retry = asyncio.create_task(ingestor.process(receipt.event_id))
        await began.wait()
        retry.cancel()  # the kill: its transaction is gone, the claim stays
        with contextlib.suppress(asyncio.CancelledError):
            await retry
    assert await statuses(dead) == {
        "claimed-when-killed": InboundStatus.processing,
        "claimed-too": InboundStatus.processing,
    }
    return dead


async def processed_all(hub: Hub, within: float = 20) -> None:
    async with asyncio.timeout(within):
        while set((await statuses(hub)).values()) != {InboundStatus.processed}:
            await asyncio.sleep(0.05)
    async with hub.db.sessions() as session:
        texts = (await session.execute(select(Message.text))).scalars().all()
    assert sorted(texts) == ["Нужен замер", "Нужен замер"]  # each once


async def test_a_killed_nodes_claims_are_taken_at_start_or_when_its_lease_lapses(
    backend: Backend, serve: Serve
) -> None:
    clock = Clock()
    dead = await killed_node_leaves_two(backend, clock)
    settings = backend.settings()
    app = create_app(settings, clock=clock)
    await serve(app)
    hub = app[HUB]
    if backend.name == "sqlite":
        # One node's database: the restarted node takes back every claim at start. The
        # clock stands still: neither the claims nor the lease have run out.
        await processed_all(hub)
    else:
        # Another node's live claims are not this node's to take...
        assert await inbound.due_for_retry(hub) == []
        # ...until its lease lapses, well short of the claims' 60 s.
        clock.advance(settings.lease_ttl_s + 1)
        await processed_all(hub)
    async with hub.db.sessions() as session:
        claimers = set((await session.execute(select(InboundEvent.claimed_by))).scalars())
    assert claimers == {inbound.node_lease(hub).removeprefix(inbound.NODE_LEASE_PREFIX)}
    await dead.db.dispose()
