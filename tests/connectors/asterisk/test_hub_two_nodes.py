"""Two nodes sharing PostgreSQL and Redis, the AMI link on node A: click-to-call and a
transfer asked of node B are run by A, and A's answer (or the PBX's refusal) is B's;
a presence change made on B pauses the operator through A. With no node holding the link,
B answers 503 after a short wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.asterisk import AsteriskConnector
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import Channel, Presence
from routing import presence
from tests.conftest import Backend
from tests.waiting import until

from .ami_server import AmiServer
from .helpers import transcript
from .hub_world import World, build_world
from .test_hub_control import sent


async def on_node(
    client: TestClient[Any, Any], world: World, method: str, path: str, login: str, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {world.tokens[login]}"}
    async with client.request(method, path, headers=headers, **kw) as response:
        return response.status, await response.json()


async def test_node_b_has_node_a_run_call_control(
    backend: Backend, serve: Callable[..., Any]
) -> None:
    if backend.name != "postgres":
        pytest.skip("two nodes share a server database; SQLite is the single-node default")
    settings = backend.settings()
    node_a, node_b = create_app(settings), create_app(settings)
    client_a = await serve(node_a)
    world = await build_world(node_a, client_a)
    server = AmiServer(transcript("transfer__redirect_from_queue"))
    try:
        await world.connect(server)  # node A takes the lease and links up
        # B starts only now: started together, B's channel sync could win the lease first.
        client_b = await serve(node_b)
        async with node_a[HUB].db.sessions() as session:
            spec = spec_of(await session.get_one(Channel, world.channel_id))
        if node_b[RUNNER].get("asterisk", "pbx") is None:
            await node_b[RUNNER].start_channel(spec)
        b_pbx = node_b[RUNNER].get("asterisk", "pbx")
        assert isinstance(b_pbx, AsteriskConnector) and not b_pbx.connected

        # Click-to-call on B: A sends the Originate.
        status, body = await on_node(
            client_b, world, "POST", "/api/v1/calls", "ivanov", json={"contact_id": world.client_id}
        )
        assert (status, body["extension"], body["number"]) == (202, "101", "+74951234567")
        [originate] = sent(server, "Originate")
        assert (originate["Channel"], originate["Exten"], originate["Async"]) == (
            "IAX2/101",
            "+74951234567",
            "true",
        )
        # The PBX's refusal comes back through A to B as the same 502.
        server.errors["Originate"] = "Extension does not exist."
        status, body = await on_node(
            client_b, world, "POST", "/api/v1/calls", "petrov", json={"number": "+74951234567"}
        )
        assert (status, body["error"]["id"]) == (502, "pbx-error")
        assert body["error"]["details"]["reason"] == "Extension does not exist."

        # A presence change made on B: A (un)pauses petrov's 102.
        await presence.change(node_b[HUB], world.users["petrov"].id, Presence.away)
        await until(lambda: len(sent(server, "QueuePause")) == 1, what="a QueuePause by A")
        assert sent(server, "QueuePause")[0]["Interface"] == "Local/102@agents/n"

        # The recorded call waits for the hub's Redirect; it is asked of B.
        await asyncio.wait_for(server.hub_actions.get(), 10)
        await until(world.live_call, what="the answered call")
        live = await world.live_call()
        assert live is not None
        status, body = await on_node(
            client_b, world, "POST", f"/api/v1/calls/{live.id}/transfer", "ivanov",
            json={"extension": "102"},
        )  # fmt: skip
        assert (status, body["kind"], body["target"]) == (202, "blind", "102")
        await asyncio.wait_for(server.at_logoff.wait(), 20)
        assert server.mismatches == []  # the Redirect exactly as recorded

        # Nobody holds the link: B says so after its short wait, not after a long hang.
        await world.disconnect()
        started = time.monotonic()
        status, body = await on_node(
            client_b, world, "POST", "/api/v1/calls", "ivanov", json={"number": "+74951234567"}
        )
        assert (status, body["error"]["id"]) == (503, "pbx-not-connected")
        assert time.monotonic() - started < 5
    finally:
        await server.close()
