"""Queue pauses follow presence across a lost AMI link: when the link comes back, every
operator away is paused and every one online unpaused, including changes made while the
PBX could not be told."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.models import Presence
from routing import presence
from tests.conftest import Backend
from tests.waiting import until

from .ami_server import STAMP_BASE, AmiServer
from .helpers import transcript
from .hub_world import World, set_presence_quietly, start_world
from .test_hub_control import sent


@pytest.fixture
async def world(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[World]:
    async for world in start_world(backend, serve):
        yield world


def pause(extension: str, paused: bool) -> dict[str, str]:
    action = {"Action": "QueuePause", "Interface": f"Local/{extension}@agents/n"}
    if paused:
        return {**action, "Paused": "true", "Reason": "away"}
    return {**action, "Paused": "false"}


async def test_pauses_are_reapplied_when_the_link_comes_back(world: World) -> None:
    ids = {login: user.id for login, user in world.users.items()}
    # Before Okno first connects: ivanov (101) is online, petrov (102) away, sidorov (no
    # extension) away, boss (no extension) online.
    # (Seen just now, or the routing sweeper would take them offline as silent.)
    for login, state in [
        ("ivanov", Presence.online),
        ("petrov", Presence.away),
        ("sidorov", Presence.away),
        ("boss", Presence.online),
    ]:
        await set_presence_quietly(
            world.hub, ids[login], presence=state, presence_at=world.hub.clock()
        )
    server = AmiServer([])
    await world.connect(server)
    await until(lambda: len(sent(server, "QueuePause")) == 2, what="the first link's pauses")
    assert sorted(sent(server, "QueuePause"), key=str) == sorted(
        [pause("101", False), pause("102", True)], key=str
    )

    # The PBX becomes unreachable; meanwhile ivanov goes away and petrov comes back.
    await server.stop_listening()
    server.drop()
    await until(lambda: not world.connector.connected, what="the link to drop")
    await presence.change(world.hub, ids["ivanov"], Presence.away)
    await presence.change(world.hub, ids["petrov"], Presence.online)
    await presence.change(world.hub, ids["sidorov"], Presence.online)
    logins = sum(1 for action in server.received if action["Action"] == "Login")
    before = len(sent(server, "QueuePause"))

    await server.listen_again()
    await until(lambda: world.connector.connected, limit=15, what="the link to come back")
    await until(lambda: len(sent(server, "QueuePause")) == before + 2, what="re-applied pauses")
    assert sum(1 for action in server.received if action["Action"] == "Login") == logins + 1
    assert sorted(sent(server, "QueuePause")[before:], key=str) == sorted(
        [pause("101", True), pause("102", False)], key=str
    )
    # The resync came first: a pause lands in the queues the PBX has just listed.
    names = [action["Action"] for action in server.received]
    last_status = len(names) - 1 - names[::-1].index("QueueStatus")
    pauses = [i for i, name in enumerate(names) if name == "QueuePause"]
    assert all(i > last_status for i in pauses[before:])
    await world.disconnect()


async def test_a_call_that_ended_in_the_gap_is_stored_with_its_end_interval(world: World) -> None:
    """The link drops while ivanov (101) talks; when it is back the call is gone. The stored
    call ends at the last frame heard (+3.031378, 0.000074 s after the answer), keeps the
    snapshot as the latest its end can have been, and counts as resynced (inexact)."""
    first, _ = transcript("resync__mid_call")
    server = AmiServer([first])
    await world.connect(server)
    await until(world.live_call, what="the call answered by 101")
    server.drop()
    await until(lambda: _finished(world), what="the call to be ended by the resync")
    [call] = await world.calls()
    assert call.resynced
    assert call.ended_at is not None and call.ended_not_after is not None
    assert call.ended_at.timestamp() == pytest.approx(STAMP_BASE + 3.031378)
    assert call.ended_not_after >= call.ended_at
    assert call.talk_s == 0.0  # 0.000074 s, stored to the millisecond
    await world.disconnect()


async def _finished(world: World) -> bool:
    return await world.finished_calls() == 1
