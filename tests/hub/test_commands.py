"""Commands reach the node that can run them (MemoryCommands in-process, RedisCommands across
nodes): an accepted command's answer comes back, a crash comes back as an error, a command
nobody takes fails fast, and two willing nodes never both run one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest

from hub.host.commands import Commands, CommandUnanswered, Payload, create_commands
from tests.conftest import Backend


@pytest.fixture
async def nodes(backend: Backend) -> AsyncIterator[list[Commands]]:
    # Two nodes on Redis; the memory backend is one process, so one "node".
    count = 2 if backend.redis_url else 1
    made: list[Commands] = []
    for _ in range(count):
        commands = create_commands(backend.redis_url, backend.redis_prefix)
        await commands.start()
        made.append(commands)
    yield made
    for commands in made:
        await commands.close()


async def test_the_answer_of_the_node_that_takes_the_command_comes_back(
    nodes: list[Commands],
) -> None:
    runs: list[tuple[int, Payload]] = []

    def handler(node: int, willing: bool) -> Any:
        def accept(payload: Payload) -> Awaitable[Payload] | None:
            if not willing or payload.get("op") == "nobody":
                return None

            async def work() -> Payload:
                runs.append((node, payload))
                if payload.get("op") == "crash":
                    raise RuntimeError("the PBX link broke")
                await asyncio.sleep(0.05)
                return {"result": {"echo": payload["value"], "node": node}}

            return work()

        return accept

    # The last node is the one holding the link; on Redis the first declines everything.
    for index, commands in enumerate(nodes):
        commands.serve("pbx", handler(index, index == len(nodes) - 1))
    requester = nodes[0]
    reply = await requester.request(
        "pbx", {"op": "echo", "value": "привет"}, accept_within=2, reply_within=5
    )
    assert reply == {"result": {"echo": "привет", "node": len(nodes) - 1}}

    crashed = await requester.request("pbx", {"op": "crash"}, accept_within=2, reply_within=5)
    assert crashed["error"]["kind"] == "crashed"
    assert "the PBX link broke" in crashed["error"]["message"]

    started = time.monotonic()
    with pytest.raises(CommandUnanswered):
        await requester.request("pbx", {"op": "nobody"}, accept_within=0.3, reply_within=5)
    with pytest.raises(CommandUnanswered):
        await requester.request("other-topic", {}, accept_within=0.3, reply_within=5)
    assert time.monotonic() - started < 2

    # Slow work past reply_within: unanswered, not hung.
    async def slow() -> Payload:
        await asyncio.sleep(3)
        return {}

    nodes[-1].serve("slow", lambda payload: slow())
    with pytest.raises(CommandUnanswered):
        await requester.request("slow", {}, accept_within=2, reply_within=0.3)
    assert [node for node, _ in runs] == [len(nodes) - 1] * 2


async def test_two_willing_nodes_run_a_command_once(backend: Backend) -> None:
    if backend.redis_url is None:
        pytest.skip("one process has one handler per topic")
    nodes = [create_commands(backend.redis_url, backend.redis_prefix) for _ in range(3)]
    for commands in nodes:
        await commands.start()
    runs: list[int] = []
    try:
        for index, commands in enumerate(nodes):

            def accept(payload: Payload, index: int = index) -> Awaitable[Payload]:
                async def work() -> Payload:
                    runs.append(index)
                    return {"result": index}

                return work()

            commands.serve("pbx", accept)
        replies = await asyncio.gather(
            *(
                nodes[i % 3].request("pbx", {"n": i}, accept_within=2, reply_within=5)
                for i in range(20)
            )
        )
        assert len(runs) == 20
        assert sorted(reply["result"] for reply in replies) == sorted(runs)
    finally:
        for commands in nodes:
            await commands.close()
