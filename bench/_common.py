"""What the bench scripts share: throwaway databases, percentiles, the bare limits, the SQL
statement counter, and the plumbing of a load generator running in its own process.

Imported as `bench._common` by scripts run as `python bench/<name>.py`; each script first drops
bench/ from sys.path (its bench/routing.py would hide the `routing` package) and puts the
repository's root there instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
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
from hub.models import InboundEvent, Role
from hub.settings import Settings

from ._node import database_cpu_s

PG_ADMIN_DSN = os.environ.get("OKNO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("OKNO_BENCH_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench/limits.py beside the clone: present on the project's machines, absent in a
# clone of the repository alone.
LIMITS_SCRIPT = ROOT.parent / "shared" / "bench" / "limits.py"
LIMITS_FIGURE = "pg_txn_5stmt_16conn"
LOAD_GENERATOR_FLAG = "--load-generator"
EVENT_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class Throwaway:
    """A PostgreSQL database made for one run: `dsn` for asyncpg, `url` for SQLAlchemy."""

    name: str
    dsn: str
    url: str


@contextlib.asynccontextmanager
async def throwaway_database(
    admin_dsn: str = PG_ADMIN_DSN, template: str | None = None
) -> AsyncIterator[Throwaway]:
    """CREATE DATABASE okno_bench_<random> (a copy of `template` if given: a file copy, seconds
    where loading it took minutes); DROP … WITH (FORCE) afterwards, whatever happened."""
    name = f"okno_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    scheme, rest = admin_dsn.split("://", 1)
    user_host = rest.rsplit("/", 1)[0]
    dsn = f"{scheme}://{user_host}/{name}"
    try:
        yield Throwaway(name, dsn, f"postgresql+asyncpg://{user_host}/{name}")
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def database(name: str | None) -> AsyncIterator[Throwaway]:
    """A throwaway database, or (--keep / --reuse) the named one, left in place."""
    if name is None:
        async with throwaway_database() as db:
            yield db
        return
    if not name.startswith("okno_bench_"):
        raise SystemExit("--keep/--reuse: the name must start with okno_bench_")
    scheme, rest = PG_ADMIN_DSN.split("://", 1)
    user_host = rest.rsplit("/", 1)[0]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield Throwaway(
        name, f"{scheme}://{user_host}/{name}", f"postgresql+asyncpg://{user_host}/{name}"
    )


@contextlib.asynccontextmanager
async def redis_prefix(url: str = REDIS_URL) -> AsyncIterator[str]:
    """A unique key prefix; its keys are deleted afterwards."""
    prefix = f"okno-bench-{uuid.uuid4().hex[:8]}:"
    try:
        yield prefix
    finally:
        client = aioredis.from_url(url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@dataclass(frozen=True)
class Backend:
    """Settings for the app, and (PostgreSQL only) the asyncpg DSN of its throwaway database."""

    name: str
    settings: Settings
    pg_dsn: str | None = None


@contextlib.asynccontextmanager
async def sqlite_backend() -> AsyncIterator[Backend]:
    """A SQLite file in a temporary folder and the in-memory bus."""
    with tempfile.TemporaryDirectory(prefix="okno-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'okno.db'}"
        yield Backend("sqlite", Settings(database_url=url, log_level="WARNING"))


@contextlib.asynccontextmanager
async def postgres_backend() -> AsyncIterator[Backend]:
    """A throwaway PostgreSQL database and Redis under a unique prefix."""
    async with throwaway_database() as db, redis_prefix() as prefix:
        settings = Settings(
            database_url=db.url, redis_url=REDIS_URL, redis_prefix=prefix, log_level="WARNING"
        )
        yield Backend("postgres", settings, db.dsn)


BACKENDS = {"sqlite": sqlite_backend, "postgres": postgres_backend}


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it.

    `values` must be sorted; q in (0, 1].
    """
    if not values:
        return math.nan
    return values[max(0, math.ceil(len(values) * q) - 1)]


def latency_line(values_ms: Iterable[float], qs: Sequence[float] = (0.5, 0.9, 0.99)) -> str:
    """ "p50 12.3 ms, p90 …, p99 …, max …" (nearest rank) over the values given."""
    ordered = sorted(values_ms)
    if not ordered:
        return "no samples"
    parts = [f"p{round(q * 100)} {percentile(ordered, q):.1f} ms" for q in qs]
    parts.append(f"max {ordered[-1]:.1f} ms")
    return ", ".join(parts)


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER"


async def bare_select_1(dsn: str, samples: int = 2000) -> float:
    """p99 of `SELECT 1` through asyncpg, in ms: the floor under any request."""
    conn = await asyncpg.connect(dsn)
    try:
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            await conn.fetchval("SELECT 1")
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    return percentile(sorted(timings), 0.99)


# --------------------------------------------------------------------------- limits.py


@dataclass(frozen=True)
class Limit:
    """pg_txn_5stmt_16conn measured now, or why it was not."""

    txn_per_s: float | None
    why_not: str = ""

    def ratio(self, rate: float) -> str:
        if self.txn_per_s is None:
            return f"ratio to {LIMITS_FIGURE}: not measured ({self.why_not})"
        return (
            f"ratio to {LIMITS_FIGURE} ({self.txn_per_s:,.0f} txn/s, same run): "
            f"{rate / self.txn_per_s:.3f}"
        )


def parse_limits(output: str) -> float | None:
    """The value of the `pg_txn_5stmt_16conn <value> txn/s` line, if there is one."""
    found = re.search(rf"^{LIMITS_FIGURE} ([\d.]+) txn/s$", output, re.MULTILINE)
    return float(found.group(1)) if found else None


async def measure_limit(pg_dsn: str, duration: float = 5.0) -> Limit:
    """Run ../shared/bench/limits.py --only pg against `pg_dsn` (it makes, then drops, its
    limits_* tables there) and read pg_txn_5stmt_16conn from its output."""
    if not LIMITS_SCRIPT.exists():
        return Limit(None, f"{LIMITS_SCRIPT} is absent (a clone of the repository alone)")
    print(f"  running {LIMITS_SCRIPT.name} --only pg --duration {duration:g} …", flush=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LIMITS_SCRIPT),
        "--only",
        "pg",
        "--pg-dsn",
        pg_dsn,
        "--duration",
        f"{duration:g}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await proc.communicate())[0].decode(errors="replace")
    value = parse_limits(out)
    if value is None:
        tail = " | ".join(out.strip().splitlines()[-3:])
        return Limit(None, f"limits.py exited {proc.returncode} without the figure: {tail}")
    return Limit(value)


# --------------------------------------------------------------------------- app process


class StatementCounter:
    """SQL statements, transactions begun and commits on every Engine of this process.

    Listens on the Engine class (so on the sync engines under the app's async ones); a
    statement is one cursor execution (an executemany or an insertmanyvalues batch counts
    once); BEGIN and COMMIT themselves are not statements here, they are counted apart.
    """

    statements = 0
    begins = 0
    commits = 0
    rollbacks = 0
    _installed = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        cls._installed = True

        @event.listens_for(Engine, "before_cursor_execute")
        def _statement(*_: Any) -> None:
            cls.statements += 1

        @event.listens_for(Engine, "begin")
        def _begin(*_: Any) -> None:
            cls.begins += 1

        @event.listens_for(Engine, "commit")
        def _commit(*_: Any) -> None:
            cls.commits += 1

        @event.listens_for(Engine, "rollback")
        def _rollback(*_: Any) -> None:
            cls.rollbacks += 1

    @classmethod
    def snapshot(cls) -> tuple[int, int, int, int]:
        return cls.statements, cls.begins, cls.commits, cls.rollbacks


@dataclass(frozen=True)
class AppCost:
    """What the app process spent during the measured window."""

    # None: not counted (a node of its own counts none; see bench/_node.py).
    statements: int | None
    begins: int
    commits: int
    rollbacks: int
    cpu_s: float
    wall_s: float

    def background(self) -> str:
        """Statements and CPU per second of a window without load."""
        if self.wall_s <= 0:
            return "not measured"
        statements = ""
        if self.statements is not None:
            statements = f"{self.statements / self.wall_s:.1f} SQL statements/s, "
        return (
            f"{statements}"
            f"{self.begins / self.wall_s:.1f} transactions/s, "
            f"CPU {self.cpu_s / self.wall_s * 100:.1f} % of a core"
        )

    def per(self, count: int, unit: str) -> str:
        if count <= 0:
            return "nothing measured"
        statements = (
            "" if self.statements is None else f"{self.statements / count:.1f} SQL statements, "
        )
        return (
            f"{statements}{self.begins / count:.2f} "
            f"transactions ({self.commits / count:.2f} commits, "
            f"{self.rollbacks / count:.2f} rollbacks) per {unit}; "
            f"CPU {self.cpu_s * 1000 / count:.2f} ms per {unit} "
            f"({self.cpu_s / self.wall_s * 100 if self.wall_s else 0:.0f} % of a core)"
        )


class Meter(Protocol):
    """What the app spent so far: SQL statements (None: not counted), transactions begun,
    commits, rollbacks, CPU seconds. The app in this process (`InProcess`) or a node of
    its own (bench/_node.py)."""

    async def sample(self) -> tuple[int | None, int, int, int, float]: ...


class InProcess:
    """This process: the statement counter on every Engine, and its own CPU time."""

    def __init__(self) -> None:
        StatementCounter.install()

    async def sample(self) -> tuple[int | None, int, int, int, float]:
        return (*StatementCounter.snapshot(), time.process_time())


class Window:
    """Counts statements and the app's CPU time between start() and stop()."""

    def __init__(self, meter: Meter, first: tuple[int | None, int, int, int, float]) -> None:
        self._meter = meter
        self._first = first
        self._wall = time.perf_counter()

    @classmethod
    async def start(cls, meter: Meter | None = None) -> Window:
        meter = meter or InProcess()
        return cls(meter, await meter.sample())

    async def stop(self) -> AppCost:
        now = await self._meter.sample()
        statements = None if now[0] is None or self._first[0] is None else now[0] - self._first[0]
        b, c, r = (after - before for after, before in zip(now[1:4], self._first[1:4], strict=True))
        return AppCost(
            statements, b, c, r, now[4] - self._first[4], time.perf_counter() - self._wall
        )


# --------------------------------------------------------------------------- load generator


class LoadGenerator:
    """The same script run again with --load-generator, in its own process.

    It reads one JSON line of configuration on stdin, then speaks in JSON lines: it says
    {"event": "begin"} when its warm-up is done and waits for {"event": "go"}; it says
    {"event": "end"} when the measured load is done and waits for {"event": "ok"}; then it
    prints {"event": "result", ...} and exits. Between go and end the app process counts.
    """

    def __init__(self, script: str, config: dict[str, Any]) -> None:
        self.script = script
        self.config = config
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> LoadGenerator:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            self.script,
            LOAD_GENERATOR_FLAG,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
        )
        await self.send(self.config)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def expect(self, what: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator exited before {what!r}")
        message: dict[str, Any] = json.loads(line)
        if message.get("event") == "error":
            raise RuntimeError(f"the load generator failed: {message.get('error')}")
        if message.get("event") != what:
            raise RuntimeError(f"the load generator said {message!r}, not {what!r}")
        return message


@dataclass(frozen=True)
class Measured:
    """The load generator's result and what the app process spent on it."""

    result: dict[str, Any]
    # From the load generator's begin to its end (the last answer or arrival).
    cost: AppCost
    # The same window held open until the app went quiet: the work the load left behind
    # (a few background ticks included).
    drained: AppCost
    drained_quiet: bool
    # Afterwards, with no load at all.
    idle: AppCost
    # CPU seconds of the database server's processes over `cost`'s window (None: SQLite).
    database_cpu_s: float | None = None

    def machine(self, count: int, unit: str) -> str:
        """CPU per `unit` of the app, the load generator and the database server over the
        measured window, and the rate the machine's cores would allow at that cost."""
        parts = {"app": self.cost.cpu_s, "load generator": float(self.result["generator_cpu_s"])}
        if self.database_cpu_s is not None:
            parts["PostgreSQL"] = self.database_cpu_s
        total = sum(parts.values())
        each = ", ".join(f"{name} {cpu * 1000 / count:.2f} ms" for name, cpu in parts.items())
        cores = os.cpu_count() or 1
        bound = cores * count / total if total > 0 else math.inf
        return (
            f"CPU per {unit}: {each}; together {total * 1000 / count:.2f} ms, "
            f"so at most {bound:,.0f}/s on this machine's {cores} cores"
        )

    def tail(self) -> str:
        extra = self.drained.wall_s - self.cost.wall_s
        state = "went quiet" if self.drained_quiet else "was still busy (gave up)"
        if self.drained.statements is None or self.cost.statements is None:
            more = f"{self.drained.begins - self.cost.begins} more transactions"
        else:
            more = f"{self.drained.statements - self.cost.statements} more SQL statements"
        return f"the app {state} {extra:.1f} s after the last arrival, having run {more}"


async def until_quiet(
    meter: Meter, per_s: float = 20.0, seconds: int = 3, at_most_s: float = 90.0
) -> bool:
    """Wait until `seconds` seconds in a row each ran at most `per_s` SQL statements (or,
    where statements are not counted, transactions): the app's idle background is a few a
    second; the work a load leaves comes in bursts."""
    began = time.perf_counter()
    calm = 0

    async def activity() -> int:
        statements, begins, *_ = await meter.sample()
        return begins if statements is None else statements

    while time.perf_counter() - began < at_most_s:
        before = await activity()
        await asyncio.sleep(1.0)
        calm = calm + 1 if await activity() - before <= per_s else 0
        if calm >= seconds:
            return True
    return False


async def run_load(
    script: str,
    config: dict[str, Any],
    *,
    on_postgres: bool,
    idle_s: float = 2.0,
    meter: Meter | None = None,
) -> Measured:
    """Start the load generator and count the app's cost between its begin and end, then on
    until the app goes quiet; then, with the load gone, `idle_s` seconds of background.
    `on_postgres`: count the database server's CPU too. `meter`: by default, the app in
    this process."""
    meter = meter or InProcess()
    async with LoadGenerator(script, config) as load:
        await load.expect("begin")
        await until_quiet(meter)  # the warm-up's own trailing work is not counted
        window = await Window.start(meter)
        database = database_cpu_s() if on_postgres else None
        await load.send({"event": "go"})
        await load.expect("end")
        cost = await window.stop()
        database = None if database is None else database_cpu_s() - database
        await load.send({"event": "ok"})
        result = await load.expect("result")
    quiet = await until_quiet(meter)
    drained = await window.stop()
    idle = await Window.start(meter)
    await asyncio.sleep(idle_s)
    return Measured(result, cost, drained, quiet, await idle.stop(), database)


class Parent:
    """The load generator's end of the conversation with the app process."""

    @staticmethod
    async def receive() -> dict[str, Any]:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            raise SystemExit("the app process went away")
        message: dict[str, Any] = json.loads(line)
        return message

    @staticmethod
    def send(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def __init__(self) -> None:
        self._cpu_at_go = 0.0

    async def measured(self) -> None:
        """Say the warm-up is over and wait until the app process counts."""
        self.send({"event": "begin"})
        if (await self.receive()).get("event") != "go":
            raise SystemExit("expected go")
        self._cpu_at_go = time.process_time()

    async def finished(self, result: dict[str, Any]) -> None:
        """Say the load is done; the result carries this process's CPU time since go."""
        cpu_s = time.process_time() - self._cpu_at_go
        self.send({"event": "end"})
        if (await self.receive()).get("event") != "ok":
            raise SystemExit("expected ok")
        self.send({"event": "result", "generator_cpu_s": cpu_s, **result})


def is_load_generator() -> bool:
    return LOAD_GENERATOR_FLAG in sys.argv[1:]


async def schedule(
    count: int, rate: float | None, concurrency: int, one: Any
) -> tuple[float, float]:
    """Run `one(i)` for i < count: `concurrency` in flight (open mode), or started at a steady
    `rate` per second whatever is in flight (rate mode). Returns (wall seconds, achieved
    starts per second)."""
    began = time.perf_counter()
    if rate is None:
        limit = asyncio.Semaphore(concurrency)

        async def limited(i: int) -> None:
            async with limit:
                await one(i)

        await asyncio.gather(*(limited(i) for i in range(count)))
        elapsed = time.perf_counter() - began
        return elapsed, count / elapsed
    tasks = []
    for i in range(count):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    started_all = time.perf_counter() - began
    await asyncio.gather(*tasks)
    achieved = (count - 1) / started_all if count > 1 and started_all > 0 else math.nan
    return time.perf_counter() - began, achieved


# --------------------------------------------------------------------------- the app and its socket


class Arrivals:
    """message.created events seen on the operator's socket, by a key the bench chose."""

    def __init__(self, timeout_s: float = EVENT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self.at: dict[int, float] = {}
        self.last_frame = time.perf_counter()
        self._waiters: dict[int, asyncio.Future[float]] = {}

    def arrived(self, key: int, moment: float) -> None:
        self.at.setdefault(key, moment)
        waiter = self._waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(moment)

    async def wait(self, key: int) -> float:
        if key in self.at:
            return self.at[key]
        waiter = self._waiters.setdefault(key, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, self.timeout_s)

    async def quiet(self, seconds: float = 1.0, at_most: float = 30.0) -> float:
        """Wait until no frame at all has come for `seconds`; returns the time waited."""
        began = time.perf_counter()
        while time.perf_counter() - began < at_most:
            idle = time.perf_counter() - self.last_frame
            if idle >= seconds:
                break
            await asyncio.sleep(seconds - idle)
        return time.perf_counter() - began


async def read_socket(
    ws: ClientConnection, arrivals: Arrivals, key_of: Callable[[dict[str, Any]], int | None]
) -> None:
    """Feed `arrivals` with each message.created whose message `key_of` recognises."""
    async for raw in ws:
        moment = time.perf_counter()
        arrivals.last_frame = moment
        frame = json.loads(raw)
        if frame.get("type") == "event" and frame.get("kind") == "message.created":
            key = key_of(frame["payload"]["message"])
            if key is not None:
                arrivals.arrived(key, moment)


@contextlib.asynccontextmanager
async def operator_socket(
    url: str, cookie: str, arrivals: Arrivals, key_of: Callable[[dict[str, Any]], int | None]
) -> AsyncIterator[ClientConnection]:
    """The operator's /ws, said hello, read into `arrivals` in the background."""
    async with connect(url, additional_headers={"Cookie": cookie}) as ws:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "hello":
            raise SystemExit(f"the websocket did not say hello: {hello}")
        reader = asyncio.create_task(read_socket(ws, arrivals, key_of))
        try:
            yield ws
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def prepare_app(
    settings: Settings, kind: str, channel: str, options: dict[str, Any], title: str
) -> str:
    """Migrate, add one channel and an operator who may take any number of conversations;
    returns the operator's cookie header value."""
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
                max_conversations=1_000_000,
            )
            await create_channel(uow, kind, channel, options, title=title)
            cookie, _csrf = await start_session(uow, operator, 3600)
    finally:
        await hub.db.dispose()
    return f"{SESSION_COOKIE}={cookie}"


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[int]:
    """The whole app in this process on a loopback port; yields the port."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def inbound_summary(settings: Settings) -> str:
    """The inbound events by status, and how many took more than one attempt."""
    db = Database(settings.database_url)
    try:
        async with db.sessions() as session:
            by_status = (
                await session.execute(
                    select(InboundEvent.status, func.count()).group_by(InboundEvent.status)
                )
            ).all()
            retried = (
                await session.execute(
                    select(func.count()).select_from(InboundEvent).where(InboundEvent.attempts > 1)
                )
            ).scalar_one()
    finally:
        await db.dispose()
    counts = ", ".join(f"{status.value} {count}" for status, count in sorted(by_status))
    return f"inbound events at the end: {counts}; {retried} took more than one attempt"
