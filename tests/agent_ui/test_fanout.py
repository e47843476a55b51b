"""The node's fan-out: one bus subscription, dispatch by audience, slow sockets cut loose."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode

from agent_ui.fanout import LIVE_BUFFER, Connection, Fanout
from hub.bus import SUBSCRIBER_BUFFER, MemoryBus
from hub.events import ALL_ROLES, Audience, Envelope
from hub.models import Role
from tests.waiting import until


class FakeSocket:
    def __init__(self) -> None:
        self.closed_with: int | None = None

    async def close(self, code: int, message: bytes) -> bool:
        self.closed_with = code
        return True


def envelope(cursor: int, audience: Audience) -> Envelope:
    return Envelope(cursor, "message.created", {"n": cursor}, audience)


def connection(user_id: int, role: Role = Role.operator) -> tuple[Connection, FakeSocket]:
    socket = FakeSocket()
    fake: Any = socket
    return Connection(fake, user_id, role, None), socket


async def test_a_full_socket_is_closed_and_the_others_still_get_the_event() -> None:
    fanout = Fanout(MemoryBus())
    slow, slow_socket = connection(1)
    fast, fast_socket = connection(2)
    fanout.add(slow)
    fanout.add(fast)
    for cursor in range(LIVE_BUFFER):
        slow.live.put_nowait(envelope(cursor, Audience(roles=ALL_ROLES)))

    fanout.dispatch(envelope(LIVE_BUFFER, Audience(roles=ALL_ROLES)))  # returns without waiting
    await until(lambda: slow_socket.closed_with is not None, what="the slow socket closed")
    assert fast.live.get_nowait()[0].cursor == LIVE_BUFFER
    assert slow_socket.closed_with == WSCloseCode.TRY_AGAIN_LATER
    assert fast_socket.closed_with is None


async def test_one_bus_subscription_feeds_every_socket_by_audience() -> None:
    bus = MemoryBus()
    fanout = Fanout(bus)
    mine, _ = connection(1)
    other, _ = connection(2)
    boss, _ = connection(3, Role.supervisor)
    for conn in (mine, other, boss):
        fanout.add(conn)
    runner = asyncio.create_task(fanout.run(bus.subscribe()))
    await bus.publish(
        envelope(7, Audience(users=frozenset({1}), roles=frozenset({Role.supervisor})))
    )
    await bus.publish(envelope(8, Audience(roles=ALL_ROLES)))
    assert [(await asyncio.wait_for(mine.live.get(), 2))[0].cursor for _ in range(2)] == [7, 8]
    assert [(await asyncio.wait_for(boss.live.get(), 2))[0].cursor for _ in range(2)] == [7, 8]
    assert (await asyncio.wait_for(other.live.get(), 2))[0].cursor == 8
    assert other.live.empty()
    await bus.close()  # the subscription ends; the fan-out stops with it
    await asyncio.wait_for(runner, 2)


def test_first_and_last_socket_of_a_user_are_reported() -> None:
    fanout = Fanout(MemoryBus())
    one, _ = connection(5)
    two, _ = connection(5)
    assert fanout.add(one) is True
    assert fanout.add(two) is False
    assert fanout.remove(one) is False
    assert fanout.has_user(5)
    assert fanout.remove(two) is True
    assert not fanout.has_user(5)
    assert fanout.remove(two) is False


async def test_when_the_node_falls_behind_the_bus_every_client_is_told_to_resume() -> None:
    bus = MemoryBus()
    fanout = Fanout(bus)
    conn, socket = connection(1)
    fanout.add(conn)
    runner = asyncio.create_task(fanout.run(bus.subscribe()))
    await asyncio.sleep(0)
    # Published without yielding: the fan-out cannot keep up and the bus drops it.
    for cursor in range(SUBSCRIBER_BUFFER + 1):
        await bus.publish(envelope(cursor, Audience(roles=frozenset({Role.supervisor}))))
    await until(lambda: socket.closed_with is not None, what="the socket closed")
    assert socket.closed_with == WSCloseCode.TRY_AGAIN_LATER
    # ...and it subscribed again: live events flow on.
    await bus.publish(envelope(10**6, Audience(users=frozenset({1}))))
    async with asyncio.timeout(2):
        while (await conn.live.get())[0].cursor != 10**6:
            pass
    await bus.close()
    await asyncio.wait_for(runner, 2)
