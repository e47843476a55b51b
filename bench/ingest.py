"""Web-form ingest, end to end: POST /forms/bench -> stored, routed -> operator's websocket.

For each backend (SQLite file + memory bus; PostgreSQL throwaway database + Redis with a
unique prefix) this starts the whole app in-process on a loopback port, logs an operator in
over /ws, posts N submissions with C in flight, and prints submissions per second and the
p50/p99 latency from the start of each POST to the websocket receiving its message.created.

    .venv/bin/python bench/ingest.py -n 500 -c 20 [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/ingest.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import asyncpg
import redis.asyncio as aioredis
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.actions.users import create_user, start_session
from hub.auth import SESSION_COOKIE
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.host.app import create_app
from hub.migrate import upgrade
from hub.models import Role
from hub.settings import Settings

PG_ADMIN_DSN = os.environ.get("OKNO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("OKNO_BENCH_REDIS", "redis://127.0.0.1:6379/0")
CHANNEL = "bench"
EVENT_TIMEOUT_S = 60.0


@dataclass
class Result:
    backend: str
    sent: int
    received: int
    elapsed_s: float
    latencies_ms: list[float]


class Arrivals:
    """message.created events seen on the socket, by request number (the inbound event id)."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self._waiters: dict[int, asyncio.Future[float]] = {}

    def arrived(self, number: int, moment: float) -> None:
        self.at.setdefault(number, moment)
        waiter = self._waiters.pop(number, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(moment)

    async def wait(self, number: int) -> float:
        if number in self.at:
            return self.at[number]
        waiter = self._waiters.setdefault(number, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, EVENT_TIMEOUT_S)


async def read_socket(ws: ClientConnection, arrivals: Arrivals) -> None:
    async for raw in ws:
        moment = time.perf_counter()
        frame = json.loads(raw)
        if frame.get("type") == "event" and frame.get("kind") == "message.created":
            number = frame["payload"]["message"].get("meta", {}).get("request_number")
            if isinstance(number, int):
                arrivals.arrived(number, moment)


async def prepare(settings: Settings) -> str:
    """Migrate, add the form channel and an operator; returns the operator's session cookie."""
    await upgrade(settings.database_url)
    hub = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus())
    try:
        async with unit_of_work(hub) as uow:
            operator = await create_user(
                uow,
                "bench-operator",
                "Оператор Нагрузкин",
                "bench-password",
                Role.operator,
                max_conversations=100_000,
            )
            await create_channel(
                uow,
                "webform",
                CHANNEL,
                {"allowed_origins": [], "rate_limit_per_minute": 0},
                title="Нагрузочный тест",
            )
            cookie, _csrf = await start_session(uow, operator, 3600)
    finally:
        await hub.db.dispose()
    return cookie


def submission(i: int, run: str) -> dict[str, object]:
    return {
        "form_id": "bench",
        "submission_token": f"bench-{run}-{i:06d}",
        "name": f"Клиент {i}",
        "phone": f"+7 916 0{i // 10000 % 100:02d}-{i // 100 % 100:02d}-{i % 100:02d}",
        "email": "",
        "message": f"Заявка № {i}: нужен замер окон, перезвоните после 18:00.",
        "page_url": "https://okna.example/kalkulyator/",
        "utm_source": "bench",
        "website": "",
        "consent": True,
    }


async def measure(backend: str, settings: Settings, total: int, concurrency: int) -> Result:
    cookie = await prepare(settings)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    arrivals = Arrivals()
    latencies: list[float] = []
    refused: list[str] = []
    limit = asyncio.Semaphore(concurrency)
    run = uuid.uuid4().hex
    try:
        async with (
            connect(
                f"ws://127.0.0.1:{port}/ws",
                additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            ) as ws,
            aiohttp.ClientSession(base) as http,
        ):
            hello = json.loads(await ws.recv())
            if hello.get("type") != "hello":
                raise SystemExit(f"{backend}: the websocket did not say hello: {hello}")
            reader = asyncio.create_task(read_socket(ws, arrivals))

            async def one(i: int) -> None:
                async with limit:
                    started = time.perf_counter()
                    async with http.post(f"/forms/{CHANNEL}", json=submission(i, run)) as resp:
                        body = await resp.json()
                    if resp.status != 200:
                        refused.append(f"HTTP {resp.status} {body}")
                        return
                try:
                    seen = await arrivals.wait(int(body["request_number"]))
                except TimeoutError:
                    return
                latencies.append((seen - started) * 1000)

            began = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(total)))
            elapsed = time.perf_counter() - began
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    finally:
        await runner.cleanup()
    if refused:
        print(f"{backend}: {len(refused)} submissions refused, the first: {refused[0]}")
    return Result(backend, total, len(latencies), elapsed, latencies)


@contextlib.asynccontextmanager
async def sqlite_settings() -> AsyncIterator[Settings]:
    with tempfile.TemporaryDirectory(prefix="okno-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'okno.db'}"
        yield Settings(database_url=url, log_level="WARNING")


@contextlib.asynccontextmanager
async def postgres_settings() -> AsyncIterator[Settings]:
    name = f"okno_bench_{uuid.uuid4().hex[:10]}"
    prefix = f"okno-bench-{uuid.uuid4().hex[:8]}:"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    user_host = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield Settings(
            database_url=f"postgresql+asyncpg://{user_host}/{name}",
            redis_url=REDIS_URL,
            redis_prefix=prefix,
            log_level="WARNING",
        )
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        client = aioredis.from_url(REDIS_URL)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


def report(result: Result, concurrency: int) -> None:
    lat = sorted(result.latencies_ms)
    print(f"{result.backend}: {result.sent} submissions, concurrency {concurrency}")
    print(f"  delivered to websocket: {result.received}/{result.sent}")
    print(f"  wall time: {result.elapsed_s:.2f} s")
    print(f"  submissions/s: {result.sent / result.elapsed_s:.1f}")
    if len(lat) >= 2:
        cuts = statistics.quantiles(lat, n=100, method="inclusive")
        print(f"  latency p50: {statistics.median(lat):.1f} ms")
        print(f"  latency p99: {cuts[98]:.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="submissions (default 500)")
    parser.add_argument("-c", type=int, default=20, help="in flight at once (default 20)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    backends = {"sqlite": sqlite_settings, "postgres": postgres_settings}
    for name, make in backends.items():
        if args.backend not in (name, "all"):
            continue
        try:
            async with make() as settings:
                result = await measure(name, settings, args.n, args.c)
        except OSError as exc:
            print(f"{name}: skipped, cannot reach its servers ({exc})")
            continue
        report(result, args.c)


if __name__ == "__main__":
    asyncio.run(main())
