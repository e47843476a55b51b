"""create_app(settings): the one aiohttp application of a node; every resource in cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from agent_ui import setup as setup_ui
from connectors.runner import ConnectorRunner
from hub.api import setup as setup_api
from hub.api.errors import error_middleware
from hub.api.web_auth import auth_middleware
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.host import (
    channel_sync,
    channel_watch,
    health,
    httplog,
    metrics_scrape,
    node_lease,
    team_sync,
    telephony,
    webhooks,
)
from hub.host.appkeys import HUB, INGESTOR, PBX, RUNNER, SETTINGS
from hub.host.channels import context_factory, start_enabled_channels
from hub.host.commands import create_commands
from hub.host.leased import run_leased
from hub.host.metrics import METRICS, MeteredIngestor, Metrics, websocket_middleware
from hub.host.pbx_control import PbxControl
from hub.host.proxy import forwarded_middleware
from hub.host.reminders import run_reminders
from hub.host.request_id import request_id_middleware
from hub.host.staff_messages import send_forever as send_staff_messages
from hub.host.workers import OutboxWorker, retry_inbound_forever
from hub.migrate import ensure_migrated
from hub.models.base import utcnow
from hub.settings import Settings
from robots import builtin
from robots.events import listen_events
from robots.scheduler import LEASE_NAME as ROBOTS_LEASE
from robots.scheduler import scheduler_forever
from routing.sweeper import sweep_forever

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def frozen_start_ctx(app: web.Application) -> AsyncIterator[None]:
    """Everything alive once the node has started (modules, classes, pydantic and SQLAlchemy
    metadata, the OpenAPI document: some 190,000 objects) is moved out of the cyclic
    collector's sight. It would otherwise walk them all at each full collection, which the
    survivors of ordinary requests set off every hundred or so of them: 100 ms on the 2-core
    machine (500 ms under load), the whole slow percentile of a team's week
    (bench/activities.py). Later objects are collected as before; freezing is a move of
    lists, not a collection, so a test's app starts as fast."""
    gc.freeze()
    yield
    # Back under the collector, so a process that starts many apps (the tests) frees them.
    gc.unfreeze()


def create_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> web.Application:
    httplog.install()
    metrics = Metrics()
    # The proxy middleware is outermost: everything after it sees the client's own address.
    app = web.Application(
        middlewares=[
            forwarded_middleware(settings),
            request_id_middleware,
            websocket_middleware(metrics),
            metrics_scrape.scrape_middleware,
            error_middleware,
            auth_middleware,
        ]
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        await ensure_migrated(settings.database_url)
        db = Database(settings.database_url)
        bus = create_bus(settings.redis_url, settings.redis_prefix)
        await bus.start()
        hub = Hub(settings=settings, db=db, bus=bus, clock=clock)
        app[HUB] = hub
        app[INGESTOR] = MeteredIngestor(hub, metrics)
        await node_lease.start(hub)
        keeping = asyncio.create_task(node_lease.keep(hub), name="node-lease")
        yield
        keeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeping
        await bus.close()
        await db.dispose()

    async def connectors_ctx(app: web.Application) -> AsyncIterator[None]:
        hub, ingestor = app[HUB], app[INGESTOR]
        runner = ConnectorRunner(context_factory(ingestor, telephony.on_linked, metrics.link_state))
        app[RUNNER] = runner
        # Call control reaches the node holding the PBX link, wherever a request lands.
        commands = create_commands(settings.redis_url, settings.redis_prefix)
        await commands.start()
        app[PBX] = PbxControl(runner, commands)
        await start_enabled_channels(hub, runner)
        runner.supervise("outbox-worker", OutboxWorker(hub, runner).run)
        runner.supervise("routing-sweeper", lambda: sweep_forever(hub))
        # Robots: event rules on every node (each event claimed once), time rules on the
        # one node holding the scheduler's lease.
        await builtin.install(hub)
        runner.supervise("robots-events", lambda: listen_events(hub))
        runner.supervise(
            "robots-scheduler",
            lambda: run_leased(hub, ROBOTS_LEASE, lambda: scheduler_forever(hub)),
        )
        runner.supervise("reminders", lambda: run_reminders(hub))
        # Robots' notices by e-mail and Telegram, through the channels running here.
        runner.supervise("robot-staff-messages", lambda: send_staff_messages(hub, runner))
        runner.supervise(
            "channel-follower", lambda: channel_sync.follow_channel_changes(hub, runner)
        )
        # The bus does not carry a change made by another process on the in-memory bus (the
        # CLI beside one SQLite node): the database does, for every node whatever its bus.
        runner.supervise("channel-watch", lambda: channel_watch.watch_channel_changes(hub, runner))
        runner.supervise("telephony-presence", lambda: telephony.follow_presence(hub, runner))
        # Teams and the calendar kept by this process, forgotten on another node's change.
        runner.supervise("team-follower", lambda: team_sync.follow_team_changes(hub))
        runner.supervise(
            "inbound-retry",
            lambda: retry_inbound_forever(ingestor, settings.inbound_retry_interval_s),
        )
        yield
        await runner.close()
        await commands.close()

    app.cleanup_ctx.append(hub_ctx)
    app.cleanup_ctx.append(connectors_ctx)
    app.cleanup_ctx.append(frozen_start_ctx)
    app.router.add_get("/healthz", healthz)
    health.setup(app)
    webhooks.setup(app)
    # The REST API and the workspace register their own routes.
    setup_api(app)
    setup_ui(app)
    return app
