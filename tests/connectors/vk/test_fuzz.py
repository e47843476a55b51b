"""Property: whatever VK's Callback API POSTs (with the community's secret), the answer is
never a 5xx and nothing escapes as an error, on both backends; only a database outage is 503."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest
from hypothesis import strategies as st

from hub.models import InboundEvent
from tests.conftest import Backend
from tests.connectors.fuzz import (
    EXAMPLES,
    database_down,
    json_values,
    mutated,
    processing_failures,
    run_property,
)

from .fake_vk import VK
from .support import SECRET, Serve, open_vk

EVENTS = [
    VK.json(name)
    for name in VK.names("message_*.json")
    if name not in ("message_new__wrong_secret.json", "messages_send__ok.json")
    and not name.startswith("messages_send__")
]
# The secret and community stay right, so the input reaches the parser behind them.
events = mutated(EVENTS, keep=frozenset({"secret", "group_id"})).map(
    lambda e: (
        {**e, "secret": SECRET, "group_id": EVENTS[0]["group_id"]} if isinstance(e, dict) else e
    )
)
bodies = st.one_of(
    events.map(lambda e: json.dumps(e).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


async def test_callback_answers_every_input_without_5xx(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    site = await open_vk(backend, serve)
    caplog.set_level(logging.WARNING)
    statuses: Counter[int] = Counter()

    async def check(body: bytes) -> None:
        status, answer = await site.post(body)
        statuses[status] += 1
        assert status < 500, (status, answer, body[:300])

    await run_property(bodies, check)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await processing_failures(site.hub) == []
    if EXAMPLES >= 100:  # enough inputs to reach past the refusals
        assert statuses[200] and statuses[400]
        assert await site.count(InboundEvent) > 0  # and stored what it could


@pytest.mark.parametrize(
    "event",
    [
        VK.json("message_new__text.json"),
        {**VK.json("message_new__text.json"), "event_id": "broken-1", "object": {"x": 1}},
    ],
)
async def test_only_a_database_outage_answers_503(
    backend: Backend, serve: Serve, event: dict[str, object]
) -> None:
    site = await open_vk(backend, serve)
    async with database_down(site.hub):
        status, answer = await site.post(event)
        assert status == 503 and answer != "ok"
    # VK's next delivery of the same event, once the database is back, is taken.
    assert await site.post(event) == (200, "ok")
