"""The app as it is deployed: `okno run --workers N` in processes of its own, for the benches.

`node(settings, workers)` starts it on a free loopback port against the bench's throwaway
PostgreSQL database and Redis prefix, waits until every worker answers /readyz, yields the
port and stops it with SIGTERM (as systemd does). `NodeMeter` counts what it spends, as
`bench._common.InProcess` does for the app in the bench's own process, except statements:
a node of its own has no statement counter a bench could read (PostgreSQL's per-statement
counts need the pg_stat_statements extension), so transactions and commits are read from
`pg_stat_database` for the throwaway database, and CPU time is the sum over the node's
processes, from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from hub.settings import Settings

OKNO = Path(sys.executable).with_name("okno")
# Each worker is a fresh interpreter importing the whole app and connecting: generous.
START_WITHIN_S = 120.0
_TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    command: str
    cpu_ticks: int  # user + system


def _processes() -> Iterator[_Process]:
    """Every process on this machine, from /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry, "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command's name is in parentheses and may hold spaces; then state, ppid, ...,
        # utime and stime as fields 14 and 15 of stat (12 and 13 after the name).
        fields = raw[raw.rindex(")") + 2 :].split()
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        yield _Process(int(entry.name), int(fields[1]), command, int(fields[11]) + int(fields[12]))


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of `root` and its living descendants (the workers)."""
    children: dict[int, list[_Process]] = {}
    ticks, todo = 0, [root]
    for process in _processes():
        children.setdefault(process.parent, []).append(process)
        if process.pid == root:
            ticks += process.cpu_ticks
    while todo:
        for child in children.get(todo.pop(), []):
            ticks += child.cpu_ticks
            todo.append(child.pid)
    return ticks / _TICKS


def database_cpu_s() -> float:
    """CPU seconds of the PostgreSQL server's living processes on this machine: its share
    of a bench's work (the statements of every client)."""
    return sum(p.cpu_ticks for p in _processes() if p.command == "postgres") / _TICKS


class NodeMeter:
    """`bench._common.Meter` of a node of its own: statements not counted (None)."""

    def __init__(self, pid: int, pg_dsn: str) -> None:
        self.pid = pid
        self.pg_dsn = pg_dsn
        self._database = pg_dsn.rsplit("/", 1)[1]

    async def sample(self) -> tuple[int | None, int, int, int, float]:
        conn = await asyncpg.connect(self.pg_dsn)
        try:
            # Backends report their counts when idle, at most once a second (PostgreSQL 15):
            # a window of a few seconds is short of at most that second's share.
            commits, rollbacks = await conn.fetchrow(
                "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1",
                self._database,
            )
        finally:
            await conn.close()
        # This sample's own connection committed nothing, but its session ends as a
        # transaction the next sample counts: a few per second, the idle background.
        return None, commits + rollbacks, commits, rollbacks, tree_cpu_s(self.pid)


def _environment(settings: Settings, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "OKNO_DATABASE_URL": settings.database_url,
        "OKNO_HOST": "127.0.0.1",
        "OKNO_PORT": str(port),
        "OKNO_LOG_LEVEL": os.environ.get("OKNO_BENCH_NODE_LOG_LEVEL", "WARNING"),
        "OKNO_REDIS_PREFIX": settings.redis_prefix,
    }
    if settings.redis_url:
        env["OKNO_REDIS_URL"] = settings.redis_url
    return env


async def _ready(url: str, workers: int, node: asyncio.subprocess.Process) -> None:
    """Until /readyz has been answered by `workers` different nodes (fresh connections
    are spread over the workers by the kernel)."""
    seen: set[str] = set()
    async with asyncio.timeout(START_WITHIN_S):
        while len(seen) < workers:
            if node.returncode is not None:
                raise RuntimeError(f"okno run exited with {node.returncode}")
            connector = aiohttp.TCPConnector(force_close=True)
            try:
                async with aiohttp.ClientSession(connector=connector) as http:
                    async with http.get(f"{url}/readyz") as answer:
                        if answer.status == 200:
                            seen.add((await answer.json())["node"])
                            continue
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def node(settings: Settings, workers: int) -> AsyncIterator[tuple[int, int]]:
    """`okno run --workers N` on a free port; yields (port, the supervising parent's pid)."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(OKNO),
        "run",
        "--workers",
        str(workers),
        env=_environment(settings, port),
    )
    try:
        await _ready(f"http://127.0.0.1:{port}", workers, proc)
        yield port, proc.pid
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
