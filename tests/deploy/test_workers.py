"""`okno run --workers 2`: two processes behind one port. On PostgreSQL + Redis a web form
stored by one worker reaches the operator's socket held by the other, /metrics answered by
either adds up both, and SIGTERM stops everything and removes the metrics folder. On SQLite
several workers are refused with the reason (a real `okno run` is started: a few seconds)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.actions.users import create_user, start_session
from hub.auth import SESSION_COOKIE
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.models import InboundEvent, Lease, Role
from tests.conftest import Backend

OKNO = Path(sys.executable).with_name("okno")
METRICS_TOKEN = "workers-metrics-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def prepare(backend: Backend) -> str:
    """A web form channel and an operator with a browser session; returns the cookie."""
    hub = Hub(settings=backend.settings(), db=Database(backend.database_url), bus=MemoryBus())
    try:
        async with unit_of_work(hub) as uow:
            operator = await create_user(
                uow, "anna", "Анна Операторова", "secret-pass-1", Role.operator
            )
            await create_channel(uow, "webform", "demo", {"rate_limit_per_minute": 0})
            cookie, _csrf = await start_session(uow, operator, 3600)
    finally:
        await hub.db.dispose()
    return f"{SESSION_COOKIE}={cookie}"


def environment(backend: Backend, port: int, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "OKNO_DATABASE_URL": backend.database_url,
        "OKNO_REDIS_PREFIX": backend.redis_prefix,
        "OKNO_HOST": "127.0.0.1",
        "OKNO_PORT": str(port),
        "OKNO_METRICS_TOKEN": METRICS_TOKEN,
        "OKNO_LOG_LEVEL": "WARNING",
        # The metrics folder is made under TMPDIR: the test looks there for what is left.
        "TMPDIR": str(tmp_path),
    }
    if backend.redis_url:
        env["OKNO_REDIS_URL"] = backend.redis_url
    return env


async def wait_healthy(
    http: aiohttp.ClientSession, url: str, node: asyncio.subprocess.Process
) -> None:
    # Each worker is a fresh interpreter importing the whole app: generous on a busy machine.
    async with asyncio.timeout(240):
        while node.returncode is None:
            try:
                async with http.get(f"{url}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"okno run exited with {node.returncode}")


async def ready_nodes(url: str, wanted: int) -> set[str]:
    """The node names /readyz gives, over fresh connections, until `wanted` differ: both
    workers take connections on the shared port."""
    seen: set[str] = set()
    async with asyncio.timeout(30):
        while len(seen) < wanted:
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector) as fresh:
                async with fresh.get(f"{url}/readyz") as answer:
                    if answer.status == 200:
                        seen.add((await answer.json())["node"])
    return seen


async def arrivals(ws: ClientConnection, texts: dict[str, asyncio.Future[None]]) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("type") == "event" and frame.get("kind") == "message.created":
            waiter = texts.get(frame["payload"]["message"]["text"])
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


async def socket_node(db: Database) -> str:
    """The worker holding the operator's socket (its presence lease names the node)."""
    async with asyncio.timeout(15):
        while True:
            async with db.sessions() as session:
                holders = (
                    await session.execute(select(Lease.holder).where(Lease.name.like("presence:%")))
                ).scalars()
                found = list(holders)
            if found:
                # presence:<user>:<NODE_ID>:<socket keeper> held by "<NODE_ID>:<keeper>"
                return found[0].rsplit(":", 1)[0]
            await asyncio.sleep(0.1)


async def stored_by(db: Database, token: str) -> str:
    async with db.sessions() as session:
        claimed = (
            await session.execute(
                select(InboundEvent.claimed_by).where(InboundEvent.external_id == token)
            )
        ).scalar_one()
    assert claimed is not None
    return claimed.split("/", 1)[0]  # "<NODE_ID>/<hub>"


@pytest.fixture
async def okno_run() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


# Three interpreters importing the whole app: seconds on a quiet machine, minutes on a
# crowded one (the suite's 240 s is per test).
@pytest.mark.timeout(600)
async def test_two_workers_share_the_port_sockets_and_metrics(
    backend: Backend, tmp_path: Path, okno_run: list[asyncio.subprocess.Process]
) -> None:
    port = free_port()
    env = environment(backend, port, tmp_path)
    log = open(tmp_path / "okno.log", "wb")
    node = await asyncio.create_subprocess_exec(
        str(OKNO), "run", "--workers", "2", env=env, stdout=log, stderr=log
    )
    log.close()
    okno_run.append(node)
    if backend.name == "sqlite":
        assert await asyncio.wait_for(node.wait(), 240) == 2
        said = (tmp_path / "okno.log").read_text()
        assert "cannot run 2 workers: SQLite is one process's database" in said
        return

    cookie = await prepare(backend)
    url = f"http://127.0.0.1:{port}"
    db = Database(backend.database_url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        try:
            await wait_healthy(http, url, node)
            assert len(await ready_nodes(url, 2)) == 2
            texts: dict[str, asyncio.Future[None]] = {}
            async with connect(
                f"ws://127.0.0.1:{port}/ws", additional_headers={"Cookie": cookie}
            ) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                reader = asyncio.create_task(arrivals(ws, texts))
                holder = await socket_node(db)
                # Fresh connections until a form lands on the other worker; every one of
                # them reaches the socket, wherever it was stored.
                crossed = posted = 0
                while crossed == 0:
                    posted += 1
                    assert posted <= 40, "40 forms all landed on the socket's own worker"
                    token = f"workers-{uuid.uuid4().hex[:12]}"
                    text = f"Заявка номер {posted}"
                    texts[text] = asyncio.get_running_loop().create_future()
                    body = {
                        "form_id": "demo",
                        "submission_token": token,
                        "name": "Пётр",
                        "phone": "+7 916 123-45-67",
                        "message": text,
                        "consent": True,
                    }
                    connector = aiohttp.TCPConnector(force_close=True)
                    async with aiohttp.ClientSession(connector=connector) as fresh:
                        async with fresh.post(f"{url}/forms/demo", json=body) as answer:
                            assert answer.status == 200, await answer.text()
                    await asyncio.wait_for(texts[text], 15)
                    if await stored_by(db, token) != holder:
                        crossed += 1
                reader.cancel()

                headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
                async with http.get(f"{url}/metrics", headers=headers) as answer:
                    assert answer.status == 200
                    scraped = await answer.text()
            # Counted by two processes, rendered by one: the sum of both.
            stored = (
                f'okno_inbound_events_total{{channel="webform:demo",outcome="stored"}} {posted}.0'
            )
            assert stored in scraped
            assert 'okno_websocket_connections{kind="workspace"} 1.0' in scraped
            assert scraped.count("# HELP okno_inbound_events_total ") == 1  # one family

            node.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(node.wait(), 60) == 0
            assert list(tmp_path.glob("okno-metrics-*")) == []
        finally:
            await db.dispose()
