"""An operator's socket that stayed connected through a Redis outage gets every event of it
once Redis is back: the node notices its bus gap and asks the socket to resume (1013), and
the resume from the client's cursor brings each event once. A real Redis server is killed
and started again on the same port; the node answers pings all along."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import WSCloseCode, WSMsgType

from agent_ui.keys import PRESENCE_GRACE_S
from hub.host.app import create_app
from hub.host.appkeys import HUB
from tests.agent_ui.conftest import Ui, client_writes, events_until, new_conversation, receive
from tests.conftest import Backend, OwnRedis

WRITES = 30


def texts(frames: list[dict[str, Any]]) -> list[str]:
    return [
        f["payload"]["message"]["text"]
        for f in frames
        if f["type"] == "event" and f["kind"] == "message.created"
    ]


async def test_a_socket_held_through_a_redis_outage_receives_every_event_once(
    backend: Backend, serve: Callable[..., Any], own_redis: OwnRedis
) -> None:
    await held_through_an_outage(backend, serve, own_redis, outage_s=0)


@pytest.mark.slow
async def test_a_30_second_redis_outage_under_writes_loses_and_doubles_nothing(
    backend: Backend, serve: Callable[..., Any], own_redis: OwnRedis
) -> None:
    """The issue's run: Redis away for 30 s while a client writes without pause."""
    await held_through_an_outage(backend, serve, own_redis, outage_s=30)


async def held_through_an_outage(
    backend: Backend, serve: Callable[..., Any], own_redis: OwnRedis, outage_s: float
) -> None:
    """An operator's socket stays connected while Redis is stopped and the client writes (at
    least WRITES messages, and for `outage_s` seconds: the outage's length is what is tried)."""
    settings = backend.settings(redis_url=own_redis.url, redis_prefix=f"t{uuid.uuid4()}:")
    app = create_app(settings)
    app[PRESENCE_GRACE_S] = 0.0
    ui = Ui(await serve(app), app[HUB])
    try:
        anna = await ui.add_user("anna")
        session = await ui.signed_in("anna")
        ws = await ui.socket(session)
        conversation_id = await new_conversation(ui.hub, anna.id, "до сбоя")
        before = await events_until(ws, lambda f: "до сбоя" in texts(f))
        shown = {f["cursor"] for f in before if f["type"] == "event"}
        cursor = max(shown)

        await own_redis.stop()
        during: list[str] = []
        stopped = time.monotonic()
        while len(during) < WRITES or time.monotonic() - stopped < outage_s:
            during.append(f"во время сбоя {len(during)}")
            await client_writes(ui.hub, conversation_id, during[-1])
        await ws.send_json({"type": "ping"})  # the node still answers: nothing looks wrong
        assert (await events_until(ws, lambda f: bool(f) and f[-1]["type"] == "pong"))[-1] == {
            "type": "pong"
        }
        await own_redis.start()

        # The node's bus is back and knows it missed events: the socket is asked to resume.
        while True:
            message = await ws.receive(timeout=15)
            if message.type != WSMsgType.TEXT:
                break
            frame = message.json()
            assert frame["type"] != "event" or frame["cursor"] > cursor, frame
        # The close frame's own code: `ws.close_code` turns 1006 when the server drops the
        # connection before the client's close reply is written, which is a race, not a fault.
        assert (message.type, message.data) == (WSMsgType.CLOSE, WSCloseCode.TRY_AGAIN_LATER)

        again = await session.ws_connect(ui.url("/ws"))
        assert (await receive(again))["type"] == "hello"
        await again.send_json({"type": "resume", "cursor": cursor})
        frames = await events_until(again, lambda f: any(x["type"] == "resumed" for x in f))
        await client_writes(ui.hub, conversation_id, "после сбоя")
        frames += await events_until(again, lambda f: "после сбоя" in texts(f))

        # The server sends no cursor twice; the client drops the replay's overlap with what
        # it showed (as the workspace does) and has every event once, in order.
        cursors = [f["cursor"] for f in frames if f["type"] == "event"]
        assert len(cursors) == len(set(cursors))
        new = [f for f in frames if f["type"] != "event" or f["cursor"] not in shown]
        assert texts(new) == [*during, "после сбоя"]
    finally:
        await ui.close()
