"""GET /readyz: may this node take traffic? (GET /healthz, in app.py, only says it is alive.)

Ready means: the database answers and its schema is the one this code needs, and Redis
answers when the node is configured with it. The node's leases (which single-consumer
sources it reads right now) are listed for the administrator; they do not decide readiness.
A failing check answers 503 naming it, so a load balancer or an administrator sees why.
Nothing is logged here: a probe every few seconds during an outage would flood the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from alembic.runtime.migration import MigrationContext
from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from hub.actions.channels import origin_of
from hub.core import NODE_ID, Hub
from hub.host.appkeys import HUB, SETTINGS
from hub.migrate import head_revision
from hub.models import Lease

# Each check gets this long; a dependency that hangs is as unready as one that refuses.
CHECK_TIMEOUT_S = 3.0
REDIS_CLIENT = web.AppKey("okno.readyz_redis", aioredis.Redis)


class NotReady(Exception):
    """A check's failure, worded for the answer."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _check(run: Awaitable[str]) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return {"ok": True, "detail": await run}
    except Exception as exc:  # any failure of a dependency is an answer, not a crash
        return {"ok": False, "detail": _reason(exc)}


async def check_database(hub: Hub) -> str:
    async with hub.db.engine.connect() as connection:

        def _revision(sync_connection: Connection) -> str | None:
            return MigrationContext.configure(sync_connection).get_current_revision()

        current = await connection.run_sync(_revision)
    if current != head_revision():
        raise NotReady(f"schema at revision {current or 'none'}, this code needs {head_revision()}")
    return f"schema at revision {current}"


async def check_redis(client: aioredis.Redis) -> str:
    await client.ping()
    return "answers PING"


async def _not_configured() -> str:
    return "not configured (in-process bus)"


async def node_leases(hub: Hub) -> list[dict[str, str]]:
    """Unexpired leases this node holds (per hub, or per process for older holders)."""
    stmt = (
        select(Lease.name, Lease.expires_at)
        .where(
            or_(Lease.holder == origin_of(hub), Lease.holder == NODE_ID),
            Lease.expires_at > hub.clock(),
        )
        .order_by(Lease.name)
    )
    async with asyncio.timeout(CHECK_TIMEOUT_S), hub.db.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [{"name": name, "expires_at": expires.isoformat()} for name, expires in rows]


async def readyz(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    client = request.app.get(REDIS_CLIENT)
    database, redis = await asyncio.gather(
        _check(check_database(hub)),
        _check(check_redis(client) if client is not None else _not_configured()),
    )
    checks = {"database": database, "redis": redis}
    failing = [name for name, result in checks.items() if not result["ok"]]
    leases: list[dict[str, str]] | None = None
    if database["ok"]:
        try:
            leases = await node_leases(hub)
        except Exception:  # the database went away between the two queries
            leases = None
    body = {
        "status": "not-ready" if failing else "ready",
        "failing": failing,
        "node": origin_of(hub),
        "checks": checks,
        "leases": leases,
    }
    return web.json_response(body, status=503 if failing else 200)


def setup(app: web.Application) -> None:
    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        if settings.redis_url:
            # A client of its own with short timeouts: the bus's connection may be busy
            # reconnecting, and a probe must answer quickly either way.
            app[REDIS_CLIENT] = aioredis.from_url(
                settings.redis_url,
                socket_connect_timeout=CHECK_TIMEOUT_S,
                socket_timeout=CHECK_TIMEOUT_S,
            )
        yield
        if settings.redis_url:
            await app[REDIS_CLIENT].aclose()

    app.cleanup_ctx.append(redis_ctx)
    app.router.add_get("/readyz", readyz)
