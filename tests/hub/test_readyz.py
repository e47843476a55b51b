"""GET /readyz: ready only with a migrated database and (when configured) Redis answering;
the node's own leases listed; /healthz stays a liveness answer whatever happens."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from alembic.script import ScriptDirectory
from sqlalchemy import text

from hub.actions import leases
from hub.actions.channels import origin_of
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.migrate import alembic_config, head_revision
from tests.conftest import Backend

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
    assert [lease["name"] for lease in body["leases"]] == ["telegram:support:poll"]


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _accepting(port: int, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


@pytest.fixture
async def own_redis() -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A Redis of the test's own, so the test can take it away."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        binary,
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        await _accepting(port)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_redis_on_a_closed_port_makes_the_node_unready_but_still_alive(
    backend: Backend, serve: Serve, own_redis: tuple[str, asyncio.subprocess.Process]
) -> None:
    url, redis_process = own_redis
    app = create_app(backend.settings(redis_url=url))
    client = await serve(app)
    status, body = await ready(client)
    assert status == 200, body

    redis_process.terminate()
    await redis_process.wait()  # nothing listens on that port any more

    status, body = await ready(client)
    assert status == 503, body
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["detail"].startswith("ConnectionError: "), body
    assert body["checks"]["database"]["ok"] is True
    async with client.get("/healthz") as alive:
        assert alive.status == 200
        assert await alive.json() == {"status": "ok"}
