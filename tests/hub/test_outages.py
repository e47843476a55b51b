"""Calm logs in outages: one line when a dependency goes away (with the error), one when it is
back (with the count and how long it lasted), no traceback per failed operation. The Redis
outage is a real Redis server killed and started again; the database outage a real refused
connection (tests.connectors.fuzz.database_down)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis.exceptions
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from connectors.runner import ConnectorRunner
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.host.workers import OutboxWorker
from hub.models import InboundEvent, Message
from hub.outages import DATABASE, OUTAGES, REDIS, Outage, dependency_of
from tests.agent_ui.conftest import Ui, client_writes, new_conversation
from tests.conftest import Backend, OwnRedis
from tests.connectors.fuzz import database_down
from tests.waiting import until

Serve = Callable[..., Any]
OUTAGE_LOGGER = "hub.outages"


@pytest.fixture(autouse=True)
def no_outage_left_over() -> None:
    # The record is per process: an outage another test left open must not be ours.
    for name in (DATABASE, REDIS):
        OUTAGES[name].since, OUTAGES[name].failures = None, 0


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOGGER]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info]


def test_an_outage_is_one_line_when_it_starts_and_one_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, OUTAGE_LOGGER)
    now = [100.0]
    outage = Outage("redis", clock=lambda: now[0])
    outage.recovered()  # nothing was down: nothing to say
    refused = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6390.")
    outage.failed(refused, "could not publish message.created #7")
    now[0] = 103.0
    outage.failed(refused, "could not publish message.created #8")
    outage.failed(refused, "the bus subscription")
    assert outage.down and outage.failures == 3
    now[0] = 112.5
    outage.recovered()
    outage.recovered()
    assert outage_lines(caplog) == [
        "redis unavailable (could not publish message.created #7): "
        "ConnectionError: Error 111 connecting to 127.0.0.1:6390.",
        "redis available again after 12.5 s; 3 operation(s) failed meanwhile",
    ]
    assert not outage.down and outage.failures == 0


def test_only_a_dependency_going_away_counts_as_an_outage() -> None:
    assert dependency_of(redis.exceptions.ConnectionError("refused")) == REDIS
    assert dependency_of(redis.exceptions.TimeoutError("slow")) == REDIS
    sqlite_gone = OperationalError("SELECT 1", {}, Exception("unable to open database file"))
    assert dependency_of(sqlite_gone) == DATABASE
    assert dependency_of(ConnectionRefusedError(111, "Connect call failed")) == DATABASE
    try:
        try:
            raise ConnectionResetError(104, "reset by peer")
        except ConnectionResetError as cause:
            raise RuntimeError("while committing") from cause
    except RuntimeError as wrapped:
        assert dependency_of(wrapped) == DATABASE  # found down the chain
    assert dependency_of(ValueError("a bug of ours")) is None
    assert dependency_of(KeyError("conversation")) is None
    assert dependency_of(redis.exceptions.ResponseError("WRONGTYPE")) is None


async def test_a_redis_outage_under_writes_is_two_lines_and_no_traceback(
    backend: Backend, serve: Serve, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(backend.settings(redis_url=own_redis.url, redis_prefix=f"t{uuid.uuid4()}:"))
    await serve(app)
    hub = app[HUB]
    conversation_id = await new_conversation(hub, None)
    caplog.set_level(logging.INFO)

    await own_redis.stop()
    for n in range(25):  # each one commits, then fails to publish
        await client_writes(hub, conversation_id, f"во время сбоя {n}")
    assert OUTAGES[REDIS].down
    await own_redis.start()
    await until(lambda: any("available again" in line for line in outage_lines(caplog)))

    lines = outage_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("redis unavailable (")
    assert "ConnectionError" in lines[0]
    ended = lines[1]
    assert ended.startswith("redis available again after ") and "failed meanwhile" in ended
    # 25 publishes failed, plus the bus's and the command channel's lost subscriptions.
    failed = int(ended.split("; ")[1].split(" ")[0])
    assert failed >= 25
    assert tracebacks(caplog) == []
    # Every write is durable whatever the bus did.
    async with hub.db.sessions() as session:
        during = select(func.count()).where(Message.text.like("во время сбоя %"))
        assert (await session.execute(during)).scalar() == 25


async def test_a_database_outage_answers_503_and_is_logged_once(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_webform("demo", rate_limit_per_minute=0)
    caplog.set_level(logging.INFO)
    form = {"form_id": "demo", "name": "Анна", "phone": "+7 916 123-45-67", "consent": True}
    visitor = ui.anonymous()

    async def post(token: str) -> tuple[int, str | None]:
        body = {**form, "submission_token": token, "message": f"Заявка {token}"}
        async with visitor.post(ui.url("/forms/demo"), json=body) as answer:
            return answer.status, answer.headers.get("Retry-After")

    async with database_down(ui.hub):
        answers = [await post(f"down-{n}") for n in range(12)]
        assert OUTAGES[DATABASE].down
    assert all(status == 503 and retry for status, retry in answers), answers
    assert (await post("after"))[0] == 200
    await until(lambda: any("available again" in line for line in outage_lines(caplog)))

    # One line when it went, one when it came back. (The harness cuts new sessions only: a
    # unit of work begun just before may still commit inside the cut, which reads as the
    # outage ending and starting again, each change still one line.)
    lines = outage_lines(caplog)
    assert len(lines) % 2 == 0, lines
    for went, back in zip(lines[::2], lines[1::2], strict=True):
        assert went.startswith("database unavailable ("), went
        error = went.split("): ", 1)[1]  # the error as the driver worded it
        assert "unable to open database file" in error or "Connect call failed" in error, went
        assert back.startswith("database available again after "), back
    assert sum(int(line.split("; ")[1].split(" ")[0]) for line in lines[1::2]) >= 12
    assert tracebacks(caplog) == []
    async with ui.hub.db.sessions() as session:
        stored = (await session.execute(select(func.count()).select_from(InboundEvent))).scalar()
    assert stored == 1  # the 12 refused were never acknowledged, so never stored
    await ui.close()


async def test_the_outbox_worker_rides_out_a_database_outage_without_a_traceback(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    """It used to end with the outage's error, and the runner logged «outbox-worker crashed»
    with a traceback and restarted it (seen when an outage outlasted its 1 s poll)."""
    caplog.set_level(logging.INFO)

    def no_channels(*_: Any) -> Any:
        raise AssertionError("no channel is started here")

    # Polls only when woken: each pass below is one the test asked for.
    worker = OutboxWorker(hub, ConnectorRunner(no_channels), poll_s=3600)
    async with database_down(hub):
        running = asyncio.create_task(worker.run())
        await until(lambda: OUTAGES[DATABASE].failures == 1, what="the first pass failing")
        worker.wake.set()
        await until(lambda: OUTAGES[DATABASE].failures == 2, what="a second pass failing")
        assert not running.done()
    try:
        assert tracebacks(caplog) == []
        [went] = outage_lines(caplog)
        assert went.startswith("database unavailable (outbox pass failed): "), went
        # Back: the next pass reads the outbox again, and the outage ends.
        worker.wake.set()
        await until(lambda: not OUTAGES[DATABASE].down, what="the outage to end")
        assert not running.done()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
