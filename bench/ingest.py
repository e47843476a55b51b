"""Web-form ingest, end to end: POST /forms/bench -> stored, routed -> operator's websocket.

For each backend (SQLite file + memory bus; PostgreSQL throwaway database + Redis with a
unique prefix) this starts the whole app in this process on a loopback port and runs the
load in another process (this script again, with --load-generator): it logs an operator in
over /ws, posts a warm-up, then the measured submissions, and times each one from the start
of its POST to the websocket receiving its message.created.

Two modes:
- open (default): N submissions with C in flight; the figure is submissions per second;
- steady rate (--rate R): R submissions started per second whatever is in flight, for
  --seconds S (or -n N); the figures are p50/p90/p99 submit -> socket.

The app process counts, over the measured window only, the SQL statements it executed
(a listener on SQLAlchemy's Engine class), the transactions and commits, and its own CPU
time; each is printed per submission. Before PostgreSQL it runs ../shared/bench/limits.py
--only pg against the throwaway database and prints submissions/s as a ratio of its
pg_txn_5stmt_16conn (--no-limits to skip; skipped when that script is absent).

    .venv/bin/python bench/ingest.py -n 1000 -c 20 [--backend sqlite|postgres|all]
    .venv/bin/python bench/ingest.py --rate 300 --seconds 10 --backend postgres
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/ingest.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

import aiohttp

from bench._common import (
    BACKENDS,
    EVENT_TIMEOUT_S,
    Arrivals,
    Backend,
    Limit,
    Measured,
    Meter,
    Parent,
    inbound_summary,
    is_load_generator,
    latency_line,
    measure_limit,
    operator_socket,
    prepare_app,
    run_load,
    schedule,
    serving,
)
from bench._node import NodeMeter, node
from bench._trace import Trace

CHANNEL = "bench"
# One per process: it listens on SQLAlchemy's Engine class and wraps the group commit once.
TRACE = Trace()


# --------------------------------------------------------------------------- load generator


def request_number(message: dict[str, Any]) -> int | None:
    number = message.get("meta", {}).get("request_number")
    return number if isinstance(number, int) else None


def submission(i: int, run: str) -> dict[str, object]:
    return {
        "form_id": "bench",
        "submission_token": f"bench-{run}-{i:06d}",
        "name": f"Клиент {i}",
        "phone": f"+7 916 {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}",
        "email": "",
        "message": f"Заявка № {i}: нужен замер окон, перезвоните после 18:00.",
        "page_url": "https://okna.example/kalkulyator/",
        "utm_source": "bench",
        "website": "",
        "consent": True,
    }


async def generate(config: dict[str, Any]) -> None:
    """The load generator's whole run (its own process)."""
    parent = Parent()
    arrivals = Arrivals()
    latencies: list[float] = []
    answers: list[float] = []  # submit → HTTP answer: stored and committed, before the socket
    refused: list[str] = []
    lost = 0
    run = uuid.uuid4().hex[:12]
    async with (
        operator_socket(config["ws"], config["cookie"], arrivals, request_number),
        aiohttp.ClientSession(config["base"], connector=aiohttp.TCPConnector(limit=0)) as http,
    ):

        async def one(i: int, measured: bool = True) -> None:
            nonlocal lost
            started = time.perf_counter()
            async with http.post(f"/forms/{CHANNEL}", json=submission(i, run)) as resp:
                body = await resp.json()
            answered = time.perf_counter()
            if resp.status != 200:
                refused.append(f"HTTP {resp.status} {body}")
                return
            try:
                seen = await arrivals.wait(int(body["request_number"]))
            except TimeoutError:
                lost += 1
                return
            if measured:
                latencies.append((seen - started) * 1000)
                answers.append((answered - started) * 1000)

        warmup = config["warmup"]
        await asyncio.gather(*(one(900_000 + i, measured=False) for i in range(warmup)))
        refused.clear()
        lost = 0
        await arrivals.quiet()
        await parent.measured()
        elapsed, achieved = await schedule(config["n"], config["rate"], config["c"], one)
    await parent.finished(
        {
            "sent": config["n"],
            "elapsed_s": elapsed,
            "achieved_rate": achieved,
            "latencies_ms": latencies,
            "answers_ms": answers,
            "refused": refused[:3],
            "refused_count": len(refused),
            "lost": lost,
        }
    )


# --------------------------------------------------------------------------- app process


async def measure(backend: Backend, args: argparse.Namespace) -> None:
    limit = Limit(None, "SQLite: the figure is PostgreSQL's")
    if backend.pg_dsn is not None:
        if args.no_limits:
            limit = Limit(None, "--no-limits")
        elif args.rate is not None:
            limit = Limit(None, "steady-rate mode measures latency, not throughput")
        else:
            limit = await measure_limit(backend.pg_dsn, args.limits_duration)
    options = {"allowed_origins": [], "rate_limit_per_minute": 0}
    cookie = await prepare_app(backend.settings, "webform", CHANNEL, options, "Нагрузочный тест")
    trace = TRACE if args.trace else None
    if trace is not None:
        trace.install()
    async with contextlib.AsyncExitStack() as app:
        meter: Meter | None = None
        if args.workers is None:
            port = await app.enter_async_context(serving(backend.settings))
        else:
            assert backend.pg_dsn is not None  # main() refuses --workers on SQLite
            port, pid = await app.enter_async_context(node(backend.settings, args.workers))
            meter = NodeMeter(pid, backend.pg_dsn)
        config = {
            "base": f"http://127.0.0.1:{port}",
            "ws": f"ws://127.0.0.1:{port}/ws",
            "cookie": cookie,
            "n": args.n,
            "c": args.c,
            "rate": args.rate,
            "warmup": args.warmup,
        }
        measured = await run_load(
            __file__, config, on_postgres=backend.pg_dsn is not None, meter=meter
        )
        inbound = await inbound_summary(backend.settings)
    report(backend.name, args, measured, limit)
    print(f"  {inbound}")
    if trace is not None:
        trace.report()


def report(
    backend: str,
    args: argparse.Namespace,
    measured: Measured,
    limit: Limit,
) -> None:
    result, cost, drained = measured.result, measured.cost, measured.drained
    sent = int(result["sent"])
    latencies = sorted(float(v) for v in result["latencies_ms"])
    elapsed = float(result["elapsed_s"])
    rate = sent / elapsed
    sqlite = backend == "sqlite"
    if args.rate is None:
        mode = f"open mode, {sent} submissions, {args.c} in flight"
    else:
        mode = (
            f"steady rate {args.rate:g}/s (achieved {result['achieved_rate']:.1f}/s), "
            f"{sent} submissions"
        )
    if args.workers is None:
        app = "the app in the bench's process"
    else:
        app = f"okno run --workers {args.workers} (statements not counted there)"
    print(f"{backend}: {mode}; warm-up {args.warmup}; {app}; load generator in its own process")
    print(
        f"  delivered to the websocket: {len(latencies)}/{sent}"
        f" (refused {result['refused_count']}, not seen within {EVENT_TIMEOUT_S:.0f} s:"
        f" {result['lost']})"
    )
    for line in result["refused"]:
        print(f"    refused: {line}")
    goal_rate = "≥ 400/s (SQLite)" if sqlite else "≥ 1,000/s"
    goal_p99 = "p99 ≤ 100 ms at 100/s (SQLite)" if sqlite else "p99 ≤ 50 ms at 300/s"
    if args.rate is None:
        print(f"  submissions/s: {rate:.1f} over {elapsed:.2f} s   [goal {goal_rate}]")
    else:
        print(f"  from the first POST to the last answer or arrival: {elapsed:.2f} s")
    print(f"  submit → socket: {latency_line(latencies)}   [goal {goal_p99}]")
    answers = sorted(float(v) for v in result["answers_ms"])
    print(f"  submit → HTTP answer (stored, committed): {latency_line(answers)}")
    print(f"  app, up to the last arrival: {cost.per(sent, 'submission')}")
    print(f"  {measured.tail()}; with that tail: {drained.per(sent, 'submission')}")
    print(f"  {measured.machine(sent, 'submission')}")
    print(f"  app afterwards, without load: {measured.idle.background()}")
    if not sqlite and args.rate is None:
        print(f"  {limit.ratio(rate)}   [goal ≥ 0.4; long goal 1.0]")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=None, help="submissions (default 500)")
    parser.add_argument("-c", type=int, default=20, help="open mode: in flight (default 20)")
    parser.add_argument("--rate", type=float, default=None, help="steady rate, submissions/s")
    parser.add_argument("--seconds", type=float, default=None, help="with --rate: how long")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured submissions first")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="PostgreSQL: run the app as `okno run --workers N` in processes of its own",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print the batches' sizes and times and one batch's statements (bench/_trace.py)",
    )
    parser.add_argument("--no-limits", action="store_true", help="do not run limits.py")
    parser.add_argument("--limits-duration", type=float, default=5.0)
    args = parser.parse_args()
    if args.seconds is not None:
        if args.rate is None:
            parser.error("--seconds needs --rate")
        if args.n is not None:
            parser.error("give -n or --seconds, not both")
        args.n = max(1, round(args.rate * args.seconds))
    if args.n is None:
        args.n = 500
    if args.workers is not None and args.backend != "postgres":
        parser.error("--workers needs --backend postgres (SQLite runs one process)")
    if args.workers is not None and args.trace:
        parser.error("--trace follows the app in this process, not --workers")
    logging.basicConfig(level=logging.WARNING)
    for name, make in BACKENDS.items():
        if args.backend not in (name, "all"):
            continue
        try:
            async with make() as backend:
                await measure(backend, args)
        except OSError as exc:
            print(f"{name}: skipped, cannot reach its servers ({exc})")


if __name__ == "__main__":
    if is_load_generator():
        asyncio.run(generate(json.loads(sys.stdin.readline())))
    else:
        asyncio.run(main())
