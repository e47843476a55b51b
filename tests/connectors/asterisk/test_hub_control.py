"""Call control from Okno: click-to-call (Originate, Async, the right fields; PBX errors as
502, no PBX link as 503), transfer refusals, queue pauses following presence, and the call
log's filters (GET /api/v1/calls)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.actions import crm, unit_of_work
from hub.models import Presence
from routing import presence
from tests.conftest import Backend
from tests.waiting import until

from .ami_server import AmiServer
from .helpers import transcript
from .hub_world import World, chained, set_presence_quietly, start_world


@pytest.fixture
async def world(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[World]:
    async for world in start_world(backend, serve):
        yield world


def sent(server: AmiServer, action: str) -> list[dict[str, str]]:
    return [
        {k: v for k, v in a.items() if k != "ActionID"}
        for a in server.received
        if a["Action"] == action
    ]


async def test_click_to_call_originates_from_the_operator_phone(world: World) -> None:
    server = AmiServer([])  # realistic default replies to every action
    await world.connect(server)
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"contact_id": world.client_id}
    )
    assert (status, body) == (
        202,
        {"status": "calling", "channel": "pbx", "extension": "101", "number": "+74951234567"},
    )
    status, body = await world.api(
        "POST", "/api/v1/calls", "petrov", json={"number": "8 (916) 123-45-67"}
    )
    assert status == 202 and body["extension"] == "102"
    assert sent(server, "Originate") == [
        {
            "Action": "Originate",
            "Channel": "IAX2/101",
            "Context": "from-internal",
            "Exten": "+74951234567",
            "Priority": "1",
            "Timeout": "30000",
            "Async": "true",
            "CallerID": "+74951234567",
        },
        {
            "Action": "Originate",
            "Channel": "IAX2/102",
            "Context": "from-internal",
            "Exten": "+79161234567",
            "Priority": "1",
            "Timeout": "30000",
            "Async": "true",
            "CallerID": "+79161234567",
        },
    ]


async def test_click_to_call_refusals(world: World) -> None:
    server = AmiServer([])
    await world.connect(server)
    server.errors["Originate"] = "Extension does not exist."
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567"}
    )
    assert status == 502
    assert body["error"]["id"] == "pbx-error"
    assert body["error"]["details"]["reason"] == "Extension does not exist."

    status, body = await world.api(
        "POST", "/api/v1/calls", "sidorov", json={"number": "+74951234567"}
    )
    assert (status, body["error"]["id"]) == (409, "no-extension")
    status, body = await world.api("POST", "/api/v1/calls", "ivanov", json={"number": "12"})
    assert (status, body["error"]["id"]) == (422, "invalid-input")
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567", "contact_id": 1}
    )
    assert (status, body["error"]["id"]) == (422, "invalid-input")
    async with unit_of_work(world.hub) as uow:
        silent = await crm.create_contact(uow, "Без телефона")
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"contact_id": silent.id}
    )
    assert (status, body["error"]["id"]) == (409, "no-phone-number")
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567", "channel": "nope"}
    )
    assert (status, body["error"]["id"]) == (404, "no-such-channel")
    assert len(sent(server, "Originate")) == 1  # only the one the PBX refused

    # The PBX link drops: the channel still runs, but no node can reach the PBX now.
    await server.close()
    await until(lambda: not world.connector.connected, what="the link to drop")
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567"}
    )
    assert (status, body["error"]["id"]) == (503, "pbx-not-connected")
    # The channel stopped on this node altogether: the same answer.
    await world.disconnect()
    status, body = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567"}
    )
    assert (status, body["error"]["id"]) == (503, "pbx-not-connected")


async def test_transfer_refusals(world: World) -> None:
    server = AmiServer(transcript("transfer__redirect_from_queue"))
    await world.connect(server)
    await asyncio.wait_for(server.hub_actions.get(), 10)  # the recording waits for a Redirect
    await until(world.live_call, what="the answered call")
    live = await world.live_call()
    assert live is not None
    path = f"/api/v1/calls/{live.id}/transfer"
    status, body = await world.api("POST", path, "sidorov", json={"extension": "102"})
    assert (status, body["error"]["id"]) == (403, "not-your-call")
    status, body = await world.api(
        "POST", path, "ivanov", json={"user_id": world.users["sidorov"].id}
    )
    assert (status, body["error"]["id"]) == (409, "no-extension")
    status, body = await world.api("POST", path, "ivanov", json={"extension": "10\r\n2"})
    assert (status, body["error"]["id"]) == (422, "invalid-input")
    status, body = await world.api(
        "POST", "/api/v1/calls/999/transfer", "ivanov", json={"extension": "102"}
    )
    assert (status, body["error"]["id"]) == (404, "no-such-call")
    # A supervisor may transfer anyone's call; by user: petrov's extension (his profile).
    status, body = await world.api("POST", path, "boss", json={"user_id": world.users["petrov"].id})
    assert (status, body["target"]) == (202, "102")
    await asyncio.wait_for(server.at_logoff.wait(), 20)
    await until(lambda: _finished(world, 1), what="the call to end")
    status, body = await world.api("POST", path, "ivanov", json={"extension": "102"})
    assert (status, body["error"]["id"]) == (409, "call-ended")
    await world.disconnect()
    assert server.mismatches == []


async def _finished(world: World, count: int) -> bool:
    return await world.finished_calls() >= count


async def test_away_pauses_the_operator_in_the_queues_and_back_unpauses(world: World) -> None:
    server = AmiServer([])
    ids = {login: user.id for login, user in world.users.items()}
    # Online before the link comes up: the link's own sync unpauses him first. Waiting for
    # that keeps the sync (a task after connecting) from racing the changes below.
    await set_presence_quietly(world.hub, ids["ivanov"], presence=Presence.online)
    await world.connect(server)
    await until(lambda: len(sent(server, "QueuePause")) == 1, what="the link's sync")
    await presence.change(world.hub, ids["ivanov"], Presence.away)
    await until(lambda: len(sent(server, "QueuePause")) == 2, what="a QueuePause")
    await presence.change(world.hub, ids["sidorov"], Presence.away)  # no extension: nothing
    await presence.change(world.hub, ids["petrov"], Presence.away)  # 102 from his profile
    await presence.change(world.hub, ids["ivanov"], Presence.online)
    await until(lambda: len(sent(server, "QueuePause")) == 4, what="four QueuePauses")
    # The barrier: petrov back online unpauses 102, after anything the changes above caused
    # (the link sends in order), so nothing else was sent for sidorov or twice for ivanov.
    await presence.change(world.hub, ids["petrov"], Presence.online)
    await until(lambda: len(sent(server, "QueuePause")) >= 5, what="the barrier's QueuePause")
    assert sent(server, "QueuePause") == [
        {"Action": "QueuePause", "Interface": "Local/101@agents/n", "Paused": "false"},
        {
            "Action": "QueuePause",
            "Interface": "Local/101@agents/n",
            "Paused": "true",
            "Reason": "away",
        },
        {
            "Action": "QueuePause",
            "Interface": "Local/102@agents/n",
            "Paused": "true",
            "Reason": "away",
        },
        {"Action": "QueuePause", "Interface": "Local/101@agents/n", "Paused": "false"},
        {"Action": "QueuePause", "Interface": "Local/102@agents/n", "Paused": "false"},
    ]
    await world.disconnect()


async def test_queue_pause_uses_the_queues_the_pbx_lists(world: World) -> None:
    """From the recording: the PBX lists 101 in queue sales; unpausing names that queue."""
    server = AmiServer(transcript("queue__pause_unpause"))
    await world.connect(server)
    first = await asyncio.wait_for(server.hub_actions.get(), 10)
    assert (first["Action"], first["Paused"]) == ("QueuePause", "true")
    await world.connector.pause("101", True, queue="sales", reason="lunch")
    status = await asyncio.wait_for(server.hub_actions.get(), 10)
    link = world.connector.link
    assert link is not None and status["Action"] == "QueueStatus"
    await link.client.queue_status("sales")
    assert world.connector.agents.paused("101")
    unpause = await asyncio.wait_for(server.hub_actions.get(), 10)
    assert unpause["Paused"] == "false"
    ids = {login: user.id for login, user in world.users.items()}
    await presence.change(world.hub, ids["ivanov"], Presence.online)  # back: unpause
    await asyncio.wait_for(server.at_logoff.wait(), 20)
    board = world.connector.agents
    await world.disconnect()
    assert server.mismatches == []  # Interface and Queue exactly as recorded
    assert not board.paused("101")


async def test_call_log_filters(world: World) -> None:
    server = AmiServer(
        chained(
            *transcript("inbound_queue__concurrent"),
            *transcript("click_to_call__busy"),
            *transcript("inbound_queue__abandoned"),
        )
    )
    await world.connect(server)
    originate = await asyncio.wait_for(server.hub_actions.get(), 20)
    assert originate["Action"] == "Originate"
    status, _ = await world.api(
        "POST", "/api/v1/calls", "ivanov", json={"contact_id": world.client_id}
    )
    assert status == 202
    await asyncio.wait_for(server.at_logoff.wait(), 20)
    await until(lambda: _finished(world, 8), what="8 calls")
    await world.disconnect()
    assert server.mismatches == []
    rows = await world.calls()
    ids = {login: user.id for login, user in world.users.items()}

    async def listed(**params: Any) -> list[int]:
        status, body = await world.api(
            "GET", "/api/v1/calls", "sidorov", params={k: str(v) for k, v in params.items()}
        )
        assert status == 200, body
        return [item["id"] for item in body["items"]]

    everything = await listed()
    assert everything == sorted((row.id for row in rows), reverse=True)
    assert await listed(outcome="abandoned") == [
        r.id for r in reversed(rows) if r.outcome and r.outcome.value == "abandoned"
    ]
    assert len(await listed(outcome="abandoned")) == 3
    assert await listed(user_id=ids["petrov"]) == [
        r.id for r in reversed(rows) if r.answered_by_extension == "102"
    ]
    client_calls = await listed(contact_id=world.client_id)
    assert client_calls == [r.id for r in reversed(rows) if r.contact_id == world.client_id]
    assert len(client_calls) == 2  # the busy click-to-call and the abandoned call
    [busy] = await listed(direction="outbound")
    assert busy == client_calls[1]
    first, last = min(r.started_at for r in rows), max(r.started_at for r in rows)
    assert await listed(since=last.isoformat()) == [r.id for r in rows if r.started_at == last]
    assert await listed(until=first.isoformat()) == []
    assert len(await listed(since=first.isoformat(), until=last.isoformat())) == 7
    status, page = await world.api("GET", "/api/v1/calls", "boss", params={"limit": "3"})
    assert [i["id"] for i in page["items"]] == everything[:3]
    status, rest = await world.api(
        "GET", "/api/v1/calls", "boss", params={"before_id": str(page["next_cursor"])}
    )
    assert [i["id"] for i in rest["items"]] == everything[3:] and rest["next_cursor"] is None
    item = next(i for i in page["items"] if i["id"] == busy)
    assert (item["direction"], item["outcome"], item["hangup_cause"]) == ("outbound", "busy", 17)
    assert (item["caller"], item["callee"], item["answered_by"]) == ("101", "+74951234567", None)
    assert item["contact"]["id"] == world.client_id
    status, body = await world.api("GET", "/api/v1/calls", "boss", params={"outcome": "lost"})
    assert (status, body["error"]["id"]) == (422, "invalid-input")
    async with world.client.get("/api/v1/calls") as response:
        assert response.status == 401
