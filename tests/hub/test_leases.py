"""Single consumers: one node reads a source; another takes over when it stops renewing."""

from __future__ import annotations

import asyncio

from hub.actions import leases
from hub.core import Hub
from hub.host.leased import run_leased


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
    assert await leases.acquire(hub, "imap:sales", "dead-node", 0.2)
    assert not await leases.acquire(hub, "imap:sales", "live-node", 5)
    await asyncio.sleep(0.3)
    assert await leases.acquire(hub, "imap:sales", "live-node", 5)


async def test_reader_runs_on_one_node_and_fails_over(hub: Hub) -> None:
    hub.settings = hub.settings.model_copy(update={"lease_ttl_s": 0.6})
    running: list[str] = []

    def reader(node: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            running.append(node)
            await asyncio.Event().wait()

        return run

    first = asyncio.create_task(run_leased(hub, "tg:poll", reader("a"), holder="a"))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(run_leased(hub, "tg:poll", reader("b"), holder="b"))
    await asyncio.sleep(0.5)
    assert running == ["a"]
    first.cancel()  # node a stops; its lease is released on the way out
    await asyncio.gather(first, return_exceptions=True)
    for _ in range(30):
        if running == ["a", "b"]:
            break
        await asyncio.sleep(0.1)
    assert running == ["a", "b"]
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
