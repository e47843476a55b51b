"""`okno run --workers N`: several processes of one node behind one port.

Each worker is a whole node of its own (its node lease, presence leases, connector leases and
bus subscription carry its own NODE_ID), so what is correct across nodes is correct across
workers: they share the port with SO_REUSEPORT and the kernel spreads connections over them;
an event stored by one reaches the sockets held by another through the Redis bus. Hence several
workers need PostgreSQL and Redis; on SQLite or the in-memory bus `okno run` refuses them (see
`why_not_several`).

The parent only supervises: it reserves the port (so `--port 0` works and a restarted worker
binds the same one), starts the workers as fresh interpreters (never forked: a fork would
copy NODE_ID and every module's state), gives them a fresh PROMETHEUS_MULTIPROC_DIR so that
/metrics answered by any of them adds up all of them, and removes it when it exits.

Restart policy: a worker that dies after running for STARTUP_GRACE_S is restarted (logged);
one that dies sooner cannot start at all (a database that is down, a port taken by another
program), so the parent stops the others and exits 1 rather than loop. SIGTERM or SIGINT to
the parent stops every worker gracefully (SIGTERM, then SIGKILL after STOP_WITHIN_S) and the
parent exits 0. Workers die with the parent even when it is killed with SIGKILL
(PR_SET_PDEATHSIG), so a killed node leaves no orphan holding its port.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from hub.db import is_sqlite
from hub.settings import Settings

log = logging.getLogger("okno")

STARTUP_GRACE_S = 20.0
# Within systemd's TimeoutStopSec (deploy/systemd/okno.service), so the parent escalates first.
STOP_WITHIN_S = 25.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PR_SET_PDEATHSIG = 1


def why_not_several(settings: Settings) -> str | None:
    """Why this configuration cannot run several workers, or None when it can."""
    if is_sqlite(settings.database_url):
        return (
            "SQLite is one process's database: it has one writer, and a starting node takes "
            "back every unfinished inbound event as its own, so a second worker would take "
            "the first one's; use --workers 1, or PostgreSQL and Redis"
        )
    if not settings.redis_url:
        return (
            "without OKNO_REDIS_URL the bus lives in one process's memory, so an event stored "
            "by one worker would never reach the websockets held by another; set the Redis "
            "address or use --workers 1"
        )
    return None


def default_workers(settings: Settings) -> int:
    """The number of cores where several workers can run, else one."""
    if why_not_several(settings) is not None:
        return 1
    return os.cpu_count() or 1


def _reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) with SO_REUSEPORT: it never takes a connection, but it
    fixes the port a `--port 0` run chose and fails fast on a port another program holds."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _die_with_parent() -> None:
    """Runs in the worker between fork and exec: SIGKILL it when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # A worker in its own process group: a Ctrl-C at the terminal reaches the parent only,
    # which stops the workers once, in order.
    os.setpgid(0, 0)


@dataclass
class Worker:
    slot: int
    process: subprocess.Popen[bytes]
    started: float


class Supervisor:
    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.workers: dict[int, Worker] = {}  # by pid
        self.metrics_dir = ""
        self.stop_signal: int | None = None

    def _start(self, slot: int) -> None:
        # Our own interpreter and module, nothing a user typed.
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "hub.host.worker", str(slot)],
            stdin=subprocess.PIPE,
            preexec_fn=_die_with_parent,  # only prctl and setpgid run there
        )
        assert process.stdin is not None
        # The settings travel on a pipe, not in argv or the environment: they hold the
        # secret key, which every worker must share (a random default differs per process).
        process.stdin.write(self.settings.model_dump_json().encode())
        process.stdin.close()
        self.workers[process.pid] = Worker(slot, process, time.monotonic())

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        reserved = _reserve_port(self.settings.host, self.settings.port)
        self.settings = self.settings.model_copy(update={"port": reserved.getsockname()[1]})
        self.metrics_dir = tempfile.mkdtemp(prefix="okno-metrics-")
        os.environ[MULTIPROC_ENV] = self.metrics_dir
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno())
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            log.info(
                "Okno serving on http://%s:%d with %d workers (public address %s)",
                self.settings.host,
                self.settings.port,
                self.count,
                self.settings.public_url,
            )
            for slot in range(1, self.count + 1):
                self._start(slot)
            return self._supervise(wake_read)
        finally:
            self._stop_all()
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            wake_read.close()
            wake_write.close()
            reserved.close()
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _supervise(self, wake: socket.socket) -> int:
        while self.stop_signal is None:
            # A signal writes to `wake`; a worker's exit is seen on the next pass (at most
            # a second later), so nothing here spins.
            select.select([wake], [], [], 1.0)
            with contextlib.suppress(BlockingIOError):
                wake.recv(64)
            for pid, worker in list(self.workers.items()):
                code = worker.process.poll()
                if code is None or self.stop_signal is not None:
                    continue
                del self.workers[pid]
                self._forget_metrics(pid)
                lived = time.monotonic() - worker.started
                if lived < STARTUP_GRACE_S:
                    log.error(
                        "worker %d (pid %d) exited with status %s %.1f s after it started: "
                        "not restarting it; stopping the others",
                        worker.slot,
                        pid,
                        code,
                        lived,
                    )
                    return 1
                log.warning(
                    "worker %d (pid %d) exited with status %s after %.0f s; starting it again",
                    worker.slot,
                    pid,
                    code,
                    lived,
                )
                self._start(worker.slot)
        log.info("signal %d: stopping %d workers", self.stop_signal, len(self.workers))
        return 0

    def _stop_all(self) -> None:
        for worker in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WITHIN_S
        for pid, worker in list(self.workers.items()):
            try:
                worker.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("worker %d (pid %d) did not stop in time: killed", worker.slot, pid)
                worker.process.kill()
                worker.process.wait()
            self._forget_metrics(pid)
        self.workers.clear()

    def _forget_metrics(self, pid: int) -> None:
        """A dead worker's live gauges (open sockets, links) leave the sums; its counters
        stay, so a node's totals never go down when a worker is replaced."""
        from prometheus_client import multiprocess

        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(pid, self.metrics_dir)  # type: ignore[no-untyped-call]


def run_workers(settings: Settings, count: int) -> int:
    return Supervisor(settings, count).run()
