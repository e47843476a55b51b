"""GET /readyz: ready only with a migrated database and (when configured) Redis answering;
the node's own leases listed; /healthz stays a liveness answer whatever happens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient
from alembic.script import ScriptDirectory
from sqlalchemy import text

from hub.actions import inbound, leases
from hub.actions.channels import origin_of
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.migrate import alembic_config, head_revision
from tests.conftest import Backend, OwnRedis

Serve = Callable[..., Any]


async def ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    async with client.get("/readyz") as answer:
        return answer.status, await answer.json()


async def test_a_ready_node_answers_200_and_lists_only_its_own_leases(
    backend: Backend, serve: Serve
) -> None:
    app = create_app(backend.settings())
    client = await serve(app)
    hub = app[HUB]
    assert await leases.acquire(hub, "telegram:support:poll", origin_of(hub), 60)
    assert await leases.acquire(hub, "email:sales:mailbox", "other-host:42:cafe/7f", 60)

    status, body = await ready(client)

    assert status == 200, body
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert body["node"] == origin_of(hub)
    assert body["checks"]["database"] == {
        "ok": True,
        "detail": f"schema at revision {head_revision()}",
    }
    if backend.redis_url:
        assert body["checks"]["redis"] == {"ok": True, "detail": "answers PING"}
    else:
        assert body["checks"]["redis"] == {"ok": True, "detail": "not configured (in-process bus)"}
    # The reminder and robot schedulers take their leases in the background at start-up:
    # held or not yet.
    background = {"reminders", "robots:scheduler"}
    names = [lease["name"] for lease in body["leases"] if lease["name"] not in background]
    # The node's own lease (its claims on inbound events stand while it lives) is held
    # before the node serves.
    assert names == [inbound.node_lease(hub), "telegram:support:poll"]


async def test_a_database_behind_this_code_makes_the_node_unready(
    fresh_backend: Backend, serve: Serve
) -> None:
    app = create_app(fresh_backend.settings())
    client = await serve(app)
    head = head_revision()
    previous = ScriptDirectory.from_config(alembic_config("")).get_revision(head).down_revision
    assert isinstance(previous, str)
    # As after restoring an older backup under a running node.
    async with app[HUB].db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": previous}
        )

    status, body = await ready(client)

    assert status == 503, body
    assert body["status"] == "not-ready"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": f"NotReady: schema at revision {previous}, this code needs {head}",
    }
    async with client.get("/healthz") as alive:
        assert alive.status == 200

    async with app[HUB].db.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    status, body = await ready(client)
    assert status == 200, body


async def test_redis_on_a_closed_port_makes_the_node_unready_but_still_alive(
    backend: Backend, serve: Serve, own_redis: OwnRedis
) -> None:
    app = create_app(backend.settings(redis_url=own_redis.url))
    client = await serve(app)
    status, body = await ready(client)
    assert status == 200, body

    await own_redis.stop()  # nothing listens on that port any more

    status, body = await ready(client)
    assert status == 503, body
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["detail"].startswith("ConnectionError: "), body
    assert body["checks"]["database"]["ok"] is True
    async with client.get("/healthz") as alive:
        assert alive.status == 200
        assert await alive.json() == {"status": "ok"}
