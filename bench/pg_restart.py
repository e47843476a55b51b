"""PostgreSQL restarted under web-form load: nothing acknowledged lost, nothing stored twice, a
503 with Retry-After (never a 2xx) for what could not be stored, and the node recovers by itself.

    python bench/pg_restart.py [--restarts 3] [--clients 4] [--down-s 0]

A real `okno run` node (PostgreSQL + Redis) takes web forms from a few clients that post
without pause and, like the form's page, send the same submission token again after a 503 or a
cut connection until it is acknowledged. Meanwhile PostgreSQL is restarted (`pg_ctl restart -m
fast`, what `pg_ctlcluster VER NAME restart` runs; with --down-s it stays stopped that long
first). The cluster is one of the run's own, made with the machine's PostgreSQL binaries in a
temporary folder on a free port: restarting the machine's shared cluster would cut every other
test and session using it. Afterwards the database must hold exactly the acknowledged
submissions, each once and processed, and the same node process must answer /readyz 200.

Prints the figures and exits 1 if any of these fails. Takes about a minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bench._common import REDIS_URL, redis_prefix

OKNO = Path(sys.executable).with_name("okno")
# `okno run` imports, checks the schema and starts its workers: seconds, more on a busy machine.
STARTUP_S = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pg_bin() -> Path:
    """The newest PostgreSQL server binaries Debian installed."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts)
    if not versions:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1].parent


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster: trust auth, 127.0.0.1 only, its own port and socket."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> float:
        """Run a PostgreSQL tool as the postgres user (initdb refuses root); seconds taken."""
        command = [str(pg_bin() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        started = time.monotonic()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - started

    def _pg_ctl(self, action: str, *extra: str) -> float:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgresql.log")
        return self._run(
            "pg_ctl", action, "-D", str(self.data), "-w", "-l", log, "-o", options, *extra
        )

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._pg_ctl("start")

    def restart(self) -> float:
        return self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> float:
        return self._pg_ctl("stop", "-m", "fast")

    def start(self) -> float:
        return self._pg_ctl("start")


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    with tempfile.TemporaryDirectory(prefix="okno-pg-restart-") as tmp:
        cluster = Cluster(Path(tmp))
        cluster.create()
        try:
            yield cluster
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                cluster._pg_ctl("stop", "-m", "immediate")


@dataclass
class Tally:
    acknowledged: dict[str, str] = field(default_factory=dict)  # token -> text
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    unavailable_without_retry_after: int = 0
    resent_then_acknowledged: int = 0
    last_failure_at: float = 0.0
    ack_times: list[float] = field(default_factory=list)  # monotonic, in order


class Node:
    """One `okno run` process on the cluster, with its environment."""

    def __init__(self, database_url: str, prefix: str, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.env = {
            **os.environ,
            "OKNO_DATABASE_URL": database_url,
            "OKNO_REDIS_URL": REDIS_URL,
            "OKNO_REDIS_PREFIX": prefix,
            "OKNO_SECRET_KEY": "pg-restart-secret",
            "OKNO_PORT": str(self.port),
            "OKNO_HOST": "127.0.0.1",
            "OKNO_LOG_LEVEL": "INFO",
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def okno(self, *args: str) -> None:
        done = await asyncio.create_subprocess_exec(
            str(OKNO), *args, env=self.env, cwd=self.workdir, stdout=asyncio.subprocess.DEVNULL
        )
        if await done.wait() != 0:
            raise SystemExit(f"okno {' '.join(args)} failed")

    @contextlib.asynccontextmanager
    async def running(self, http: aiohttp.ClientSession) -> AsyncIterator[Node]:
        with open(self.workdir / "okno.log", "ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(OKNO), "run", env=self.env, cwd=self.workdir, stdout=log, stderr=log
            )
        try:
            try:
                async with asyncio.timeout(STARTUP_S):
                    while await self.status(http, "/healthz") != 200:
                        await asyncio.sleep(0.1)
            except TimeoutError:
                log_tail = (self.workdir / "okno.log").read_text(errors="replace")[-3000:]
                raise SystemExit(
                    f"okno run did not come up in {STARTUP_S} s:\n{log_tail}"
                ) from None
            yield self
        finally:
            if self.process.returncode is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    async with asyncio.timeout(20):
                        await self.process.wait()
                except TimeoutError:
                    self.process.kill()
                    await self.process.wait()

    async def status(self, http: aiohttp.ClientSession, path: str) -> int | None:
        try:
            async with http.get(f"{self.url}{path}") as answer:
                return answer.status
        except (aiohttp.ClientError, TimeoutError):
            return None


async def post_until_acknowledged(
    http: aiohttp.ClientSession, node: Node, tally: Tally, token: str, text: str
) -> None:
    """What the form's page does: the same token again after a 503 or a cut, until stored."""
    body = {
        "form_id": "demo",
        "submission_token": token,
        "name": "Анна",
        "phone": "+7 916 123-45-67",
        "message": text,
        "consent": True,
    }
    failed = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            async with http.post(f"{node.url}/forms/demo", json=body) as answer:
                tally.answers[str(answer.status)] += 1
                if answer.status == 200:
                    tally.acknowledged[token] = text
                    tally.ack_times.append(time.monotonic())
                    tally.resent_then_acknowledged += failed
                    return
                if answer.status == 503 and "Retry-After" not in answer.headers:
                    tally.unavailable_without_retry_after += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.answers[type(exc).__name__] += 1
        failed = True
        tally.last_failure_at = time.monotonic()
        await asyncio.sleep(0.2)  # a page obeys Retry-After; this load retries sooner
    raise AssertionError(f"{token} was never acknowledged")


async def check_database(dsn: str, tally: Tally) -> list[str]:
    """What went wrong in the stored data, waiting up to 60 s for processing to finish."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 60
        while True:
            unfinished = await conn.fetchval(
                "SELECT count(*) FROM inbound_events WHERE status <> 'processed'"
            )
            if unfinished == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        rows = await conn.fetch("SELECT external_id FROM inbound_events")
        texts = [r[0] for r in await conn.fetch("SELECT text FROM messages")]
    finally:
        await conn.close()
    stored = collections.Counter(r[0] for r in rows)
    problems = []
    lost = set(tally.acknowledged) - set(stored)
    extra = set(stored) - set(tally.acknowledged)
    twice = [token for token, n in stored.items() if n > 1]
    if lost:
        problems.append(f"{len(lost)} acknowledged submissions not stored, e.g. {min(lost)}")
    if extra:
        problems.append(f"{len(extra)} stored submissions never acknowledged")
    if twice:
        problems.append(f"{len(twice)} submissions stored twice")
    if unfinished:
        problems.append(f"{unfinished} stored submissions still not processed after 60 s")
    if sorted(texts) != sorted(tally.acknowledged.values()):
        problems.append(f"{len(texts)} messages for {len(tally.acknowledged)} acknowledged")
    return problems


async def run(restarts: int, clients: int, down_s: float, between_s: float) -> int:
    with throwaway_cluster() as cluster, tempfile.TemporaryDirectory() as workdir:
        admin = await asyncpg.connect(cluster.admin_dsn)
        await admin.execute("CREATE DATABASE okno")
        await admin.close()
        database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/okno"
        async with redis_prefix() as prefix:
            node = Node(database_url, prefix, Path(workdir))
            await node.okno("migrate")
            await node.okno(
                "channel", "add", "webform", "--name", "demo",
                "--option-json", "rate_limit_per_minute=0",
            )  # fmt: skip
            tally = Tally()
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as http, node.running(http):
                print("  the node is up; posting", flush=True)
                pid = node.process.pid if node.process else None
                stop = asyncio.Event()

                async def client(n: int) -> None:
                    i = 0
                    while not stop.is_set():
                        token = f"pgr-{n}-{i}-{uuid.uuid4().hex[:8]}"
                        await post_until_acknowledged(http, node, tally, token, f"заявка {token}")
                        i += 1

                load = [asyncio.create_task(client(n)) for n in range(clients)]
                outages: list[str] = []
                try:
                    await asyncio.sleep(between_s)
                    for r in range(restarts):
                        failures_before = sum(
                            n for code, n in tally.answers.items() if code != "200"
                        )
                        if down_s:
                            took = await asyncio.to_thread(cluster.stop)
                            await asyncio.sleep(down_s)
                            took += await asyncio.to_thread(cluster.start)
                        else:
                            took = await asyncio.to_thread(cluster.restart)
                        back = time.monotonic()
                        # Load goes on between restarts; the answers of that time say how the
                        # node came back: its first acknowledgement, and its last failure.
                        await asyncio.sleep(between_s)
                        firsts = [t for t in tally.ack_times if t >= back]
                        first_ack = f"{firsts[0] - back:.1f} s" if firsts else "never"
                        late = max(tally.last_failure_at - back, 0.0)
                        failures = (
                            sum(n for code, n in tally.answers.items() if code != "200")
                            - failures_before
                        )
                        outages.append(
                            f"restart {r + 1}: pg_ctl {took:.1f} s; after it, the first post "
                            f"acknowledged in {first_ack}, {failures} failed answers, the "
                            f"last {late:.1f} s after PostgreSQL was back"
                        )
                        print(f"  {outages[-1]} ({len(tally.acknowledged)} so far)", flush=True)
                finally:
                    stop.set()
                    await asyncio.gather(*load)
                ready = await node.status(http, "/readyz")
                same_process = node.process is not None and node.process.returncode is None
                same_pid = same_process and node.process is not None and node.process.pid == pid
        problems = await check_database(cluster.admin_dsn.rsplit("/", 1)[0] + "/okno", tally)
        problems += [
            f"{code} answered {n} times" for code, n in tally.answers.items() if code in ("500",)
        ]
        if tally.unavailable_without_retry_after:
            problems.append(f"{tally.unavailable_without_retry_after} 503s without Retry-After")
        if ready != 200 or not same_pid:
            problems.append(f"the node did not recover: /readyz {ready}, same process {same_pid}")
        if not any(code != "200" for code in tally.answers):
            problems.append("no post failed: the restarts did not meet the load")

    print(f"pg_restart: {restarts} restarts of PostgreSQL under {clients} posting clients")
    for line in outages:
        print(f"  {line}")
    print(f"  acknowledged {len(tally.acknowledged)} submissions")
    answers = ", ".join(f"{code}: {n}" for code, n in sorted(tally.answers.items()))
    print(f"  answers: {answers}")
    print(f"  sent again after a failure, then acknowledged: {tally.resent_then_acknowledged}")
    print(f"  the same node process, /readyz {ready} afterwards")
    for problem in problems:
        print(f"  FAILED: {problem}")
    print("  ok: every acknowledged submission stored once, processed" if not problems else "")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--down-s", type=float, default=0.0, help="keep PostgreSQL down this long")
    parser.add_argument("--between-s", type=float, default=4.0, help="load between restarts")
    args = parser.parse_args()
    # Stopped from outside (a timeout), it still stops its node and its cluster on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(asyncio.run(run(args.restarts, args.clients, args.down_s, args.between_s)))


if __name__ == "__main__":
    main()
