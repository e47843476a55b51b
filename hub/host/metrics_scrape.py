"""GET /metrics (a middleware): who may scrape, and the figures read from the database then.

Gauges the database knows are refreshed by a few grouped queries right before rendering
(a prometheus_client Collector cannot await), so a scrape costs the same with ten rows or a
million. If the database does not answer, the in-memory figures are still served and
`okno_metrics_database_up` says the rest is missing; the outage is logged once, not per scrape.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import generate_latest
from sqlalchemy import and_, case, func, select

from hub.api.errors import render
from hub.core import Hub
from hub.host.appkeys import HUB, SETTINGS
from hub.host.metrics import METRICS, Metrics
from hub.host.proxy import is_within
from hub.models import (
    Channel,
    Conversation,
    ConversationStatus,
    InboundEvent,
    InboundStatus,
    Lease,
    OutboxItem,
    OutboxStatus,
    RobotFiring,
    RobotRule,
    Team,
)
from hub.policy import DomainError
from hub.settings import Settings, parse_networks

log = logging.getLogger(__name__)

# The text format generate_latest writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUERY_TIMEOUT_S = 5.0
NO_TEAM = "(no team)"


def allowed(request: web.Request, settings: Settings) -> None:
    """404 when metrics are not configured at all; 403 to anyone but the token or network."""
    networks = parse_networks(settings.metrics_networks)
    if settings.metrics_token is None and not networks:
        raise DomainError("not-found", 404, "Not Found")
    auth = request.headers.get("Authorization", "")
    if settings.metrics_token is not None and auth.startswith("Bearer "):
        sent = auth[len("Bearer ") :].strip().encode()
        if hmac.compare_digest(sent, settings.metrics_token.encode()):
            return
    # request.remote is the real client here: the proxy middleware has run.
    if networks and is_within(request.remote, networks):
        return
    raise DomainError("forbidden", 403, "Metrics need the metrics token or an allowed network.")


def _seconds_since(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0


async def _inbound(hub: Hub, metrics: Metrics, channels: list[str]) -> None:
    failed = InboundEvent.status == InboundStatus.failed
    given_up = InboundEvent.attempts >= hub.settings.inbound_max_attempts
    stmt = (
        select(
            InboundEvent.source,
            func.sum(case((given_up, 0), else_=1)),
            func.sum(case((given_up, 1), else_=0)),
        )
        .where(failed)
        .group_by(InboundEvent.source)
    )
    async with hub.db.sessions() as session:
        rows = {source: (int(w), int(g)) for source, w, g in (await session.execute(stmt)).all()}
    metrics.retries_pending.clear()
    metrics.gave_up.clear()
    for channel in sorted(set(channels) | set(rows)):
        waiting, gave_up = rows.get(channel, (0, 0))
        metrics.retries_pending.labels(channel).set(waiting)
        metrics.gave_up.labels(channel).set(gave_up)


async def _outbox(hub: Hub, metrics: Metrics) -> list[str]:
    """Queued and failed replies of every channel (zeros included); returns the channels."""
    counted = (OutboxStatus.queued, OutboxStatus.failed)
    stmt = (
        select(
            Channel.kind,
            Channel.name,
            *(func.sum(case((OutboxItem.status == s, 1), else_=0)) for s in counted),
        )
        .outerjoin(
            OutboxItem,
            and_(OutboxItem.channel_id == Channel.id, OutboxItem.status.in_(counted)),
        )
        .group_by(Channel.id, Channel.kind, Channel.name)
    )
    async with hub.db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    metrics.outbox.clear()
    for kind, name, queued, failed in rows:
        metrics.outbox.labels(f"{kind}:{name}", "queued").set(queued or 0)
        metrics.outbox.labels(f"{kind}:{name}", "failed").set(failed or 0)
    return [f"{kind}:{name}" for kind, name, *_ in rows]


async def _queues(hub: Hub, metrics: Metrics) -> None:
    waiting = (
        select(Conversation.team_id, func.count(), func.min(Conversation.queued_at))
        .where(Conversation.status == ConversationStatus.open, Conversation.queued_at.is_not(None))
        .group_by(Conversation.team_id)
    )
    async with hub.db.sessions() as session:
        teams = {id_: name for id_, name in await session.execute(select(Team.id, Team.name))}
        queues = (await session.execute(waiting)).all()
    now = hub.clock()
    metrics.queue_length.clear()
    metrics.queue_wait.clear()
    for name in teams.values():  # an empty queue is a 0, not a missing series
        metrics.queue_length.labels(name).set(0)
        metrics.queue_wait.labels(name).set(0)
    for team_id, length, oldest in queues:
        name = teams.get(team_id, NO_TEAM) if team_id is not None else NO_TEAM
        metrics.queue_length.labels(name).set(length)
        metrics.queue_wait.labels(name).set(_seconds_since(now, oldest))


async def _leases(hub: Hub, metrics: Metrics) -> None:
    stmt = select(Lease.name, Lease.holder).where(Lease.expires_at > hub.clock())
    async with hub.db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    metrics.lease_holder.clear()
    for name, holder in rows:
        metrics.lease_holder.labels(name, holder).set(1)


async def _robots(hub: Hub, metrics: Metrics) -> None:
    stmt = (
        select(RobotRule.name, RobotFiring.status, func.count())
        .join(RobotRule, RobotRule.id == RobotFiring.rule_id)
        .group_by(RobotRule.name, RobotFiring.status)
    )
    async with hub.db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    metrics.robot_firings.clear()
    for name, status, count in rows:
        metrics.robot_firings.labels(name, status).set(count)


def _pool(hub: Hub, metrics: Metrics) -> None:
    pool = hub.db.engine.pool
    # QueuePool (PostgreSQL, SQLite files) counts its connections; other pools do not.
    checkedout = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if callable(checkedout):
        metrics.db_pool_in_use.set(checkedout())
    if callable(size):
        metrics.db_pool_size.set(size())


async def refresh(hub: Hub, metrics: Metrics) -> None:
    """Brings every database-backed gauge up to date, or marks them missing."""
    try:
        async with asyncio.timeout(QUERY_TIMEOUT_S):
            channels = await _outbox(hub, metrics)
            await _inbound(hub, metrics, channels)
            await _queues(hub, metrics)
            await _leases(hub, metrics)
            await _robots(hub, metrics)
    except Exception as exc:
        if metrics.database_reachable:  # logged once per outage, not once per scrape
            log.warning("metrics: the database-backed figures are unavailable: %r", exc)
        metrics.database_reachable = False
        metrics.database_up.set(0)
        for gauge in (metrics.outbox, metrics.retries_pending, metrics.gave_up):
            gauge.clear()
        for gauge in (metrics.queue_length, metrics.queue_wait, metrics.lease_holder):
            gauge.clear()
        metrics.robot_firings.clear()
    else:
        if not metrics.database_reachable:
            log.info("metrics: the database-backed figures are available again")
        metrics.database_reachable = True
        metrics.database_up.set(1)
    _pool(hub, metrics)


async def metrics_view(request: web.Request) -> web.Response:
    allowed(request, request.app[SETTINGS])
    metrics = request.app[METRICS]
    async with metrics.scrape_lock:
        await refresh(request.app[HUB], metrics)
        body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


@web.middleware
async def scrape_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serves GET /metrics ahead of the session and token lookup, which needs the database:
    during a database outage a scrape still answers, saying what it could not read."""
    if request.path != "/metrics" or request.method != "GET":
        return await handler(request)
    try:
        return await metrics_view(request)
    except DomainError as exc:
        return render(exc)
