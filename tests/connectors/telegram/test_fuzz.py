"""Property: whatever is POSTed to the Telegram webhook (with the right secret), the answer is
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
    ints,
    json_values,
    mutated,
    processing_failures,
    run_property,
)

from .fake_api import TELEGRAM, FakeBotApi
from .support import Serve, open_bot

UPDATES = [
    TELEGRAM.json(name)
    for name in TELEGRAM.names("*.json")
    if not name.startswith(("error__", "get_updates__", "send_message__"))
]
# An Update as a fuzzer writes it: an update_id and any fields at all.
any_update = st.fixed_dictionaries(
    {"update_id": ints}, optional={"message": json_values, "some_new_type": json_values}
)
bodies = st.one_of(
    mutated(UPDATES).map(lambda u: json.dumps(u).encode()),
    any_update.map(lambda u: json.dumps(u).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


def server_errors(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR]


async def test_webhook_answers_every_input_without_5xx(
    backend: Backend, api: FakeBotApi, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await open_bot(backend, serve, api)
    caplog.set_level(logging.WARNING)
    statuses: Counter[int] = Counter()

    async def check(body: bytes) -> None:
        response = await bot.post(body)
        statuses[response.status] += 1
        assert response.status < 500, (response.status, body[:300])

    await run_property(bodies, check)
    assert server_errors(caplog.records) == []
    assert await processing_failures(bot.hub) == []
    # The property reached the parser, not only the refusals in front of it.
    if EXAMPLES >= 100:  # enough inputs to reach past the refusals
        assert statuses[200] and statuses[400]
        assert await bot.count(InboundEvent) > 0  # and stored what it could


@pytest.mark.parametrize(
    "update",
    [
        TELEGRAM.json("message__text.json"),
        {"update_id": 781299001, "some_new_update_type": {}},
    ],
)
async def test_only_a_database_outage_answers_503(
    backend: Backend, api: FakeBotApi, serve: Serve, update: dict[str, object]
) -> None:
    bot = await open_bot(backend, serve, api)
    async with database_down(bot.hub):
        response = await bot.post(update)
        assert response.status == 503
        assert (await response.json())["error"]["id"] == "unavailable"
    # Telegram's next delivery of the same update, once the database is back, is taken.
    assert (await bot.post(update)).status == 200
    assert await bot.external_ids() == [str(update["update_id"])]
