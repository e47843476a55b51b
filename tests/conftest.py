"""Shared fixtures: every storage/bus test runs on SQLite + MemoryBus and PostgreSQL + RedisBus.

Each PostgreSQL test gets its own database and each Redis test its own key prefix, so runs
(and parallel CI jobs) never collide. Servers are the machine's own on 127.0.0.1:5432 and
:6379; `scripts/test.sh` starts them if they are down. Where they cannot be reached, those
variants are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from connectors.testing import FIXTURES_ROOT
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
# For runs that start many short test sessions (bench/mutation.sh: mutmut runs one per mutant),
# where each session's setup would cost more than its tests: OKNO_TEST_SQLITE_ONLY=1 creates no
# PostgreSQL database (its variants skip), OKNO_TEST_SQLITE_TEMPLATE names a migrated SQLite
# file each test copies instead of one migrated per session (never written to).
SQLITE_ONLY = os.environ.get("OKNO_TEST_SQLITE_ONLY") == "1"
SQLITE_TEMPLATE = os.environ.get("OKNO_TEST_SQLITE_TEMPLATE")
# The wire fixtures of every kind (tests/fixtures/<kind>/), read through connectors.testing.
FIXTURES = FIXTURES_ROOT


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`okno run` and `okno demo` called in-process point the root logger at the stderr pytest
    captured for that test; the next test would log into a closed stream ("Logging error")."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# Okno hashes passwords with argon2's defaults (hub/auth.py): 64 MiB and three passes, a
# tenth of the suite's CPU over the hundreds of users its tests make. These parameters still
# give real argon2id hashes, checked the same way; no test measures the hashing itself.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.auth._hasher", _CHEAP_HASHER)


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
            # Tests tick the reminder scheduler by hand with their own clock; the app's
            # background one only runs its first tick, at start-up.
            "reminder_tick_s": 3600,
        }
        values.update(overrides)
        return Settings.model_validate(values)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    host = PG_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
    user = PG_ADMIN_DSN.split("://", 1)[1].split("@", 1)[0]
    return f"postgresql+asyncpg://{user}@{host}/{name}"


# Migrating takes seconds and creating a database costs a checkpoint; emptying tables takes
# milliseconds. Each test session migrates one PostgreSQL database of its own, and every test
# starts from empty tables (and its own Redis prefix). Migration tests get fresh databases.
@pytest.fixture(scope="session")
async def pg_database() -> AsyncIterator[str | None]:
    if not (PG_UP and REDIS_UP) or SQLITE_ONLY:
        yield None  # the postgres variants skip themselves, the sqlite ones still run
        return
    name = f"okno_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        await upgrade(_pg_url(name))
        yield name
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _empty_tables(name: str) -> None:
    # DELETE, not TRUNCATE: a TRUNCATE of every table gives each table and index a new file,
    # about 200 ms a test on this machine; deleting a test's few rows takes about 15 ms.
    # Replica mode skips the foreign-key triggers, so the order of the tables does not matter.
    from hub.models import Base

    conn = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
    try:
        # Whatever the previous test left connected (a node's task still finishing its
        # transaction) is ended first: its writes would meet these DELETEs in a deadlock
        # (seen in CI), or land after them in this test's tables.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        sequences = await conn.fetch(
            "SELECT sequence_schema, sequence_name FROM information_schema.sequences"
        )
        statements = [
            "SET session_replication_role = replica",
            *(f'DELETE FROM "{table.name}"' for table in Base.metadata.sorted_tables),
            *(
                f'ALTER SEQUENCE "{row["sequence_schema"]}"."{row["sequence_name"]}" RESTART'
                for row in sequences
            ),
            "SET session_replication_role = DEFAULT",
        ]
        await conn.execute(";\n".join(statements))
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SQLITE_TEMPLATE:
        return Path(SQLITE_TEMPLATE)
    path = tmp_path_factory.mktemp("template") / "okno.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_database: str | None
) -> AsyncIterator[Backend]:
    """An empty, migrated database (and bus prefix) on each backend."""
    if request.param == "sqlite":
        yield Backend(
            "sqlite", _copy_sqlite(sqlite_template, tmp_path / "okno.db"), None, "unused:"
        )
        return
    if pg_database is None:
        pytest.skip("PostgreSQL 127.0.0.1:5432 or Redis 127.0.0.1:6379 not reachable")
    await _empty_tables(pg_database)
    yield Backend("postgres", _pg_url(pg_database), REDIS_URL, f"okno-test-{uuid.uuid4().hex[:8]}:")


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A database of its own, migrated to head, that the test may downgrade or break."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        await upgrade(url)
        yield Backend("sqlite", url, None, "unused:")
        return
    if not (PG_UP and REDIS_UP):
        pytest.skip("PostgreSQL 127.0.0.1:5432 or Redis 127.0.0.1:6379 not reachable")
    name = f"okno_fresh_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        await upgrade(_pg_url(name))
        yield Backend("postgres", _pg_url(name), REDIS_URL, f"okno-test-{uuid.uuid4().hex[:8]}:")
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def sqlite_backend(tmp_path: Path, sqlite_template: Path) -> Backend:
    """For tests that exercise something other than storage (UI, formats): SQLite only."""
    return Backend("sqlite", _copy_sqlite(sqlite_template, tmp_path / "okno.db"), None, "unused:")


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
    from hub.host.app import create_app

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


class OwnRedis:
    """A Redis server of the test's own on a free loopback port, so the test can take it away
    (`stop`: nothing listens there any more) and bring it back on the same port (`start`)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            stdout=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                await writer.wait_closed()
                return

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self.process = None


@pytest.fixture
async def own_redis() -> AsyncIterator[OwnRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(binary)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
