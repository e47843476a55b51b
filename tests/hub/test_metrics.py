"""GET /metrics: Prometheus text, one registry per app, counted hooks and scrape-time gauges."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from hub.actions import leases, unit_of_work
from hub.actions import robots as robot_actions
from hub.actions.channels import create_channel
from hub.actions.teams import create_team
from hub.api import web_auth
from hub.host import metrics_scrape
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import Direction, InboundEvent, Message, OutboxItem, OutboxStatus, RobotFiring
from hub.policy import SystemActor
from routing import first_requests, handlers
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_widget_socket import add_widget, visitor
from tests.conftest import Backend, Clock

TOKEN = "scrape-token-0123456789"
CHANNEL = "webform:demo"
Serve = Callable[..., Any]


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of a scrape, 0 when the series is absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def scrape(ui: Ui, token: str = TOKEN) -> str:
    async with ui.anonymous().get(
        ui.url("/metrics"), headers={"Authorization": f"Bearer {token}"}
    ) as answer:
        assert answer.status == 200, await answer.text()
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return await answer.text()


async def start(serve: Serve, app: web.Application) -> Ui:
    return Ui(await serve(app), app[HUB])


async def post_form(ui: Ui, token: str, **fields: Any) -> dict[str, Any]:
    data = {
        "form_id": "demo",
        "submission_token": token,
        "name": "Анна",
        "phone": "+7 916 123-45-67",
        "message": "Нужен замер",
        "consent": True,
        **fields,
    }
    async with ui.anonymous().post(ui.url("/forms/demo"), json=data) as answer:
        assert answer.status == 200, await answer.text()
        body: dict[str, Any] = await answer.json()
        return body


async def test_a_web_form_counts_once_as_stored_and_its_repeat_as_duplicate(
    backend: Backend, serve: Serve
) -> None:
    ui = await start(serve, create_app(backend.settings(metrics_token=TOKEN)))
    await ui.add_webform()
    before = await scrape(ui)
    assert value(before, "okno_inbound_events_total", channel=CHANNEL, outcome="stored") == 0

    token = str(uuid.uuid4())
    assert (await post_form(ui, token))["duplicate"] is False
    once = await scrape(ui)
    assert value(once, "okno_inbound_events_total", channel=CHANNEL, outcome="stored") == 1
    assert value(once, "okno_inbound_events_total", channel=CHANNEL, outcome="duplicate") == 0
    assert value(once, "okno_inbound_processing_seconds_count", channel=CHANNEL) == 1

    assert (await post_form(ui, token))["duplicate"] is True
    twice = await scrape(ui)
    assert value(twice, "okno_inbound_events_total", channel=CHANNEL, outcome="stored") == 1
    assert value(twice, "okno_inbound_events_total", channel=CHANNEL, outcome="duplicate") == 1
    assert value(twice, "okno_inbound_processing_seconds_count", channel=CHANNEL) == 1
    assert value(twice, "okno_inbound_processing_failures_total", channel=CHANNEL) == 0
    assert value(twice, "okno_metrics_database_up") == 1
    await ui.close()


async def test_scrapes_without_the_token_or_network_are_refused(
    sqlite_backend: Backend, serve: Serve
) -> None:
    async def status(settings: dict[str, Any], **headers: str) -> int:
        ui = await start(serve, create_app(sqlite_backend.settings(**settings)))
        async with ui.anonymous().get(ui.url("/metrics"), headers=headers) as answer:
            await ui.close()
            return answer.status

    assert await status({}) == 404  # not configured: it does not exist
    assert await status({}, Authorization=f"Bearer {TOKEN}") == 404
    assert await status({"metrics_token": TOKEN}) == 403
    assert await status({"metrics_token": TOKEN}, Authorization="Bearer wrong-token-0123456") == 403
    assert await status({"metrics_token": TOKEN}, Authorization=f"Basic {TOKEN}") == 403
    assert await status({"metrics_token": TOKEN}, Authorization=f"Bearer {TOKEN}") == 200
    assert await status({"metrics_networks": "10.0.0.0/8"}) == 403
    assert await status({"metrics_networks": "10.0.0.0/8, 127.0.0.0/8"}) == 200
    # Behind the trusted proxy the network is the client's, not the proxy's.
    proxied = {"metrics_networks": "127.0.0.0/8", "trusted_proxy": "127.0.0.1"}
    assert await status(proxied, **{"X-Forwarded-For": "203.0.113.9"}) == 403
    assert await status(proxied, **{"X-Forwarded-For": "127.0.0.5"}) == 200


async def test_queues_outbox_and_leases_are_read_from_the_database(
    backend: Backend, serve: Serve
) -> None:
    clock = Clock()
    app = create_app(backend.settings(metrics_token=TOKEN), clock=clock)
    ui = await start(serve, app)
    sales = await create_team(ui.hub, SystemActor("test"), "Продажи")
    await create_team(ui.hub, SystemActor("test"), "Сервис")
    async with unit_of_work(ui.hub) as uow:
        channel = await create_channel(uow, "webform", "demo", {}, team_id=sales.id)
    await app[RUNNER].start_channel(spec_of(channel))
    # Nobody is online: the request waits in the team's queue.
    await post_form(ui, str(uuid.uuid4()))
    # In a unit of work: on SQLite it takes the node's writer turn before it reads, where a
    # plain transaction's read-then-write could meet a background worker's write ("database
    # is locked", seen once in CI).
    async with unit_of_work(ui.hub) as uow:
        session = uow.session
        request = (await session.execute(select(Message))).scalar_one()
        later = clock.now + timedelta(hours=1)  # never due: the worker leaves them alone
        for status in (OutboxStatus.queued, OutboxStatus.queued, OutboxStatus.failed):
            reply = Message(
                conversation_id=request.conversation_id, direction=Direction.outbound, text="Ок"
            )
            session.add(reply)
            await session.flush()
            session.add(
                OutboxItem(
                    message_id=reply.id,
                    conversation_id=request.conversation_id,
                    channel_id=channel.id,
                    status=status,
                    next_attempt_at=later,
                )
            )
    assert await leases.acquire(ui.hub, "email:sales:mailbox", "node-b:7:beef/1", 600)
    assert await leases.acquire(ui.hub, "vk:club:poll", "node-b:7:beef/1", 30)
    clock.advance(90)  # the second lease has lapsed

    text = await scrape(ui)

    assert value(text, "okno_queue_length", team="Продажи") == 1
    assert value(text, "okno_queue_longest_wait_seconds", team="Продажи") == 90
    assert value(text, "okno_queue_length", team="Сервис") == 0
    assert value(text, "okno_queue_longest_wait_seconds", team="Сервис") == 0
    assert value(text, "okno_outbox_messages", channel=CHANNEL, status="queued") == 2
    assert value(text, "okno_outbox_messages", channel=CHANNEL, status="failed") == 1
    holders = {
        (sample.labels["lease"], sample.labels["holder"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "okno_lease_holder"
        and not sample.labels["lease"].startswith("node:")  # the nodes' own, renewed apace
    }
    assert holders == {("email:sales:mailbox", "node-b:7:beef/1"): 1}
    async with ui.hub.db.engine.connect():
        holding = await scrape(ui)
    assert value(holding, "okno_db_pool_in_use") >= 1
    await ui.close()


async def test_a_failed_processing_is_counted_and_waits_as_a_retry(
    backend: Backend, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the identity service is down")

    monkeypatch.setattr(handlers, "apply_message", broken)
    # A web form's first request is written set-based even alone (routing/first_requests.py).
    monkeypatch.setattr(first_requests.first_requests, "open_first_requests", broken)
    # A frozen clock: the failed event's retry never comes due during the test.
    app = create_app(backend.settings(metrics_token=TOKEN), clock=Clock())
    ui = await start(serve, app)
    await ui.add_webform()
    await post_form(ui, str(uuid.uuid4()))

    text = await scrape(ui)
    assert value(text, "okno_inbound_events_total", channel=CHANNEL, outcome="stored") == 1
    assert value(text, "okno_inbound_processing_failures_total", channel=CHANNEL) == 1
    assert value(text, "okno_inbound_retries_pending", channel=CHANNEL) == 1
    assert value(text, "okno_inbound_gave_up", channel=CHANNEL) == 0

    async with ui.hub.db.sessions() as session, session.begin():
        await session.execute(update(InboundEvent).values(attempts=20))
    text = await scrape(ui)
    assert value(text, "okno_inbound_retries_pending", channel=CHANNEL) == 0
    assert value(text, "okno_inbound_gave_up", channel=CHANNEL) == 1
    await ui.close()


async def test_open_sockets_are_counted_by_kind_while_open(
    sqlite_backend: Backend, serve: Serve
) -> None:
    ui = await start(serve, create_app(sqlite_backend.settings(metrics_token=TOKEN)))
    await ui.add_user("anna")
    await add_widget(ui)
    ws = await ui.socket(await ui.signed_in("anna"))
    text = await scrape(ui)
    assert value(text, "okno_websocket_connections", kind="workspace") == 1
    assert value(text, "okno_websocket_connections", kind="widget") == 0
    chat, _ = await visitor(ui)
    assert value(await scrape(ui), "okno_websocket_connections", kind="widget") == 1

    await ws.close()
    await chat.close()

    async def gone() -> bool:
        text = await scrape(ui)
        return (
            value(text, "okno_websocket_connections", kind="workspace") == 0
            and value(text, "okno_websocket_connections", kind="widget") == 0
        )

    async with asyncio.timeout(5):  # the server notices the close on its own schedule
        while not await gone():
            await asyncio.sleep(0.05)
    await ui.close()


async def test_two_apps_in_one_process_keep_their_own_figures(
    sqlite_backend: Backend, serve: Serve
) -> None:
    first = await start(serve, create_app(sqlite_backend.settings(metrics_token=TOKEN)))
    second = await start(serve, create_app(sqlite_backend.settings(metrics_token=TOKEN)))
    await first.add_webform()
    await second.server.app[RUNNER].start_channel(
        spec_of(await _channel_row(second, "demo"))  # the same database, its own connector
    )
    await post_form(first, str(uuid.uuid4()))
    stored = {"channel": CHANNEL, "outcome": "stored"}
    assert value(await scrape(first), "okno_inbound_events_total", **stored) == 1
    assert value(await scrape(second), "okno_inbound_events_total", **stored) == 0
    await first.close()
    await second.close()


async def _channel_row(ui: Ui, name: str) -> Any:
    from hub.models import Channel

    async with ui.hub.db.sessions() as session:
        return (await session.execute(select(Channel).where(Channel.name == name))).scalar_one()


async def test_a_database_outage_leaves_the_memory_figures_and_is_logged_once(
    sqlite_backend: Backend,
    serve: Serve,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ui = await start(serve, create_app(sqlite_backend.settings(metrics_token=TOKEN)))

    async def unreachable(*args: Any) -> list[str]:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(metrics_scrape, "_outbox", unreachable)
    # The bearer token is also looked up as an API token, which needs the database too.
    monkeypatch.setattr(web_auth, "principal_from_token", unreachable)
    with caplog.at_level(logging.WARNING, logger="hub.host.metrics_scrape"):
        first, second = await scrape(ui), await scrape(ui)
    assert value(first, "okno_metrics_database_up") == 0
    assert value(second, "okno_metrics_database_up") == 0
    assert value(second, "okno_websocket_connections", kind="workspace") == 0
    assert "okno_websocket_connections" in second
    outage_lines = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_lines) == 1
    monkeypatch.undo()
    assert value(await scrape(ui), "okno_metrics_database_up") == 1
    await ui.close()


async def test_robot_firings_are_counted_by_robot_and_status(
    backend: Backend, serve: Serve
) -> None:
    app = create_app(backend.settings(metrics_token=TOKEN))
    ui = await start(serve, app)
    rule_id = await robot_actions.create_rule(
        ui.hub,
        SystemActor("test"),
        name="Перезвонить",
        description="",
        spec={"trigger": {"type": "event", "event": "call.changed"}, "actions": []},
    )
    episode = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    async with ui.hub.db.sessions() as session, session.begin():
        for n, status in enumerate(["done", "done", "done", "failed", "pending"]):
            session.add(
                RobotFiring(
                    rule_id=rule_id,
                    rule_version=1,
                    object_type="call",
                    object_id=n,
                    episode_at=episode,
                    status=status,
                )
            )

    text = await scrape(ui)

    assert value(text, "okno_robot_firings", robot="Перезвонить", status="done") == 3
    assert value(text, "okno_robot_firings", robot="Перезвонить", status="failed") == 1
    assert value(text, "okno_robot_firings", robot="Перезвонить", status="pending") == 1
    await ui.close()
