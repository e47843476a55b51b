"""Single consumers: one node reads a source; another takes over when it stops renewing."""

from __future__ import annotations

import asyncio

import pytest

from hub.actions import leases
from hub.core import Hub
from hub.host.leased import run_leased
from tests.conftest import Clock
from tests.waiting import until


async def test_only_one_holder_at_a_time(hub: Hub) -> None:
    results = await asyncio.gather(
        *(leases.acquire(hub, "amI:pbx", f"node-{i}", 30) for i in range(6))
    )
    assert sum(results) == 1
    winner = f"node-{results.index(True)}"
    assert await leases.acquire(hub, "amI:pbx", winner, 30)  # renewal
    assert not await leases.acquire(hub, "amI:pbx", "node-x", 30)
    await leases.release(hub, "amI:pbx", winner)
    assert await leases.acquire(hub, "amI:pbx", "node-x", 30)


async def test_expired_lease_is_taken_over(hub: Hub) -> None:
    clock = Clock()
    hub.clock = clock
    assert await leases.acquire(hub, "imap:sales", "dead-node", 20)
    assert not await leases.acquire(hub, "imap:sales", "live-node", 5)
    clock.advance(19.9)
    assert not await leases.acquire(hub, "imap:sales", "live-node", 5)
    clock.advance(0.2)
    assert await leases.acquire(hub, "imap:sales", "live-node", 5)


async def test_reader_runs_on_one_node_and_fails_over(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.settings = hub.settings.model_copy(update={"lease_ttl_s": 0.6})
    running: list[str] = []

    def reader(node: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            running.append(node)
            await asyncio.Event().wait()

        return run

    # Node b's attempts are counted, so "b does not run while a holds the lease" is checked
    # after b has been refused twice, not after a guessed pause.
    refused: list[str] = []
    acquire = leases.acquire

    async def counted(hub: Hub, name: str, holder: str, ttl_s: float) -> bool:
        taken = await acquire(hub, name, holder, ttl_s)
        if not taken:
            refused.append(holder)
        return taken

    monkeypatch.setattr(leases, "acquire", counted)
    first = asyncio.create_task(run_leased(hub, "tg:poll", reader("a"), holder="a"))
    await until(lambda: running == ["a"])
    second = asyncio.create_task(run_leased(hub, "tg:poll", reader("b"), holder="b"))
    await until(lambda: refused.count("b") >= 2)
    assert running == ["a"]
    first.cancel()  # node a stops; its lease is released on the way out
    await asyncio.gather(first, return_exceptions=True)
    await until(lambda: running == ["a", "b"])
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


async def test_crash_propagates_and_releases(hub: Hub) -> None:
    async def crash() -> None:
        raise RuntimeError("socket closed")

    try:
        await run_leased(hub, "vk:poll", crash, holder="a")
    except RuntimeError as exc:
        assert "socket closed" in str(exc)
    else:
        raise AssertionError("the crash must reach the supervisor")
    assert await leases.acquire(hub, "vk:poll", "b", 5)
