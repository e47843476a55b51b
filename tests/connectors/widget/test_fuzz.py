"""Property: whatever a visitor's page sends on the chat socket, the answer is a frame (an ack
or an error with an id), never an internal error, and the socket stays open; both backends."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from hypothesis import strategies as st

from tests.conftest import Backend
from tests.connectors.fuzz import EXAMPLES, json_values, mutated, processing_failures, run_property

from .site import Serve, answers_to, open_widget

CLIENT_ID = "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab"
FRAMES = [
    {"type": "message", "client_id": CLIENT_ID, "text": "Здравствуйте"},
    {"type": "contact", "client_id": CLIENT_ID, "name": "Ольга", "phone": "+79161234567"},
    {
        "type": "offline",
        "client_id": CLIENT_ID,
        "name": "Ольга",
        "email": "olga@example.ru",
        "text": "Перезвоните",
    },
    {"type": "read", "up_to": 1},
    {"type": "typing"},
    {"type": "hello", "page_url": "https://shop.example/"},
]


def with_fresh_id(frame: object) -> object:
    # A new client_id per example, so each message is new rather than a repeat.
    if isinstance(frame, dict) and frame.get("client_id") == CLIENT_ID:
        return {**frame, "client_id": str(uuid.uuid4())}
    return frame


frames = st.one_of(
    mutated(FRAMES).map(with_fresh_id).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=100),
)


async def test_socket_answers_every_frame_without_internal_errors(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    site = await open_widget(backend, serve, messages_per_minute=1000)
    caplog.set_level(logging.WARNING)
    kinds: set[str] = set()

    async def check(frame: str) -> None:
        ws = await site.visitor()  # a socket per example: the per-socket frame limit is 240
        try:
            answers = await answers_to(ws, frame)
        finally:
            await ws.close()
        for answer in answers:
            kinds.add(str(answer.get("type")))
            assert answer.get("id") != "internal-error", (answer, frame[:300])

    # The frames as documented come first, so the run holds acks whatever the random draw
    # (which hypothesis seeds alike only within one process's history of strategies).
    for frame in FRAMES:
        await check(json.dumps(with_fresh_id(frame)))
    await run_property(frames, check)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await processing_failures(site.hub) == []
    if EXAMPLES >= 100:  # enough inputs to reach past the refusals
        assert {"ack", "error"} <= kinds
