"""Shared fixtures: every storage/bus test runs on SQLite + MemoryBus and PostgreSQL + RedisBus.

Each PostgreSQL test gets its own database and each Redis test its own key prefix, so runs
(and parallel CI jobs) never collide. Servers are the machine's own on 127.0.0.1:5432 and
:6379; `scripts/test.sh` starts them if they are down. Where they cannot be reached, those
variants are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.actions import unit_of_work
from hub.actions.users import create_user
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.migrate import upgrade
from hub.models import Channel, Presence, Role, User
from hub.settings import Settings

PG_ADMIN_DSN = os.environ.get("OKNO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("OKNO_TEST_REDIS", "redis://127.0.0.1:6379/0")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(os.environ.get("OKNO_FIXTURES", SHARED / "fixtures"))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


PG_UP = _reachable("127.0.0.1", 5432)
REDIS_UP = _reachable("127.0.0.1", 6379)


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None
    redis_prefix: str

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "redis_prefix": self.redis_prefix,
            "secret_key": "test-secret",
            "inbound_retry_interval_s": 0.2,
        }
        values.update(overrides)
        return Settings.model_validate(values)


async def _create_pg_database() -> str:
    name = f"okno_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    host = PG_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
    user = PG_ADMIN_DSN.split("://", 1)[1].split("@", 1)[0]
    return f"postgresql+asyncpg://{user}@{host}/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A fresh, migrated database (and bus prefix) on each backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'okno.db'}"
        await upgrade(url)
        yield Backend("sqlite", url, None, "unused:")
        return
    if not (PG_UP and REDIS_UP):
        pytest.skip("PostgreSQL 127.0.0.1:5432 or Redis 127.0.0.1:6379 not reachable")
    name = await _create_pg_database()
    url = _pg_url(name)
    try:
        await upgrade(url)
        yield Backend("postgres", url, REDIS_URL, f"okno-test-{uuid.uuid4().hex[:8]}:")
    finally:
        await _drop_pg_database(name)


@pytest.fixture
async def sqlite_backend(tmp_path: Path) -> Backend:
    """For tests that exercise something other than storage (UI, formats): SQLite only."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'okno.db'}"
    await upgrade(url)
    return Backend("sqlite", url, None, "unused:")


class Clock:
    """A controllable clock for actions and routing."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def hub(backend: Backend) -> AsyncIterator[Hub]:
    settings = backend.settings()
    db = Database(settings.database_url)
    bus = create_bus(settings.redis_url, settings.redis_prefix)
    await bus.start()
    yield Hub(settings=settings, db=db, bus=bus)
    await bus.close()
    await db.dispose()


async def add_user(
    hub: Hub,
    login: str,
    role: Role = Role.operator,
    password: str = "secret-pass-1",
    online: bool = False,
    max_conversations: int = 5,
    name: str | None = None,
) -> User:
    async with unit_of_work(hub) as uow:
        user = await create_user(
            uow, login, name or login.title(), password, role, max_conversations=max_conversations
        )
        if online:
            user.presence = Presence.online
            user.presence_at = uow.now()
    return user


async def add_channel(
    hub: Hub, kind: str, name: str, options: dict[str, object] | None = None
) -> int:
    """A channel row straight in the table (no connector validation), for routing tests."""
    async with hub.db.sessions() as session, session.begin():
        channel = Channel(
            kind=kind,
            name=name,
            title=name,
            options=options or {},
            enabled=True,
            created_at=datetime.now(UTC),
        )
        session.add(channel)
        await session.flush()
        return channel.id


@pytest.fixture
def make_app() -> Callable[[Settings], web.Application]:
    # Imported here so storage tests do not depend on the web layer importing cleanly.
    from hub.app import create_app

    return create_app


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[web.Application], asyncio.Future[TestClient]]]:
    """Start an app on a free loopback port; returns an aiohttp TestClient bound to it."""
    clients: list[TestClient] = []

    async def start(app: web.Application) -> TestClient:
        client = TestClient(TestServer(app, host="127.0.0.1", port=0))
        await client.start_server()
        clients.append(client)
        return client

    yield start  # type: ignore[misc]
    for client in clients:
        await client.close()
