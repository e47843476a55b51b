"""Workspace fan-out on one node: memory per socket up to 10,000 sockets, and the rate one
event reaches 1,000 sockets, each beside limits.py's `ws` group (bare aiohttp) in the same run.

The whole app runs in this process (PostgreSQL throwaway database + Redis with a unique
prefix, or a SQLite file + the memory bus); the sockets are opened by another process (this
script again, with --load-generator), as U operators with one browser session each, so each
socket goes through the real /ws: session lookup, presence, hello.

- RSS of this process with the app up and no socket, with 1,000 and with 10,000 open
  (goal: 10,000 in <= 500 MB), beside ws_rss_mb_<n> of a bare aiohttp server;
- push: with 1,000 sockets open, message.created-shaped events addressed to every staff role
  are published on the node's bus as fast as the sockets take them (at most --in-flight
  events waiting in the fullest socket's queue), for --duration s after --warmup s; the
  load generator counts the frames its sockets received in the window. Printed as messages
  delivered per second and as a ratio of limits.py's ws_push_msgs (goal: >= 0.30).

    .venv/bin/python bench/fanout.py [--sockets 10000] [--push-sockets 1000] [--backend postgres]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/fanout.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# ruff: noqa: E402

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import re
import resource
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from agent_ui.keys import FANOUT
from bench._common import BACKENDS, LIMITS_SCRIPT, Backend, LoadGenerator, Parent, Window
from hub.actions import unit_of_work
from hub.actions.users import create_user, start_session
from hub.auth import SESSION_COOKIE
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.events import ALL_ROLES, Audience, Envelope
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.migrate import upgrade
from hub.models import Role

GOAL_RSS_MB = 500
GOAL_PUSH_RATIO = 0.30
WORDS = (
    "здравствуйте подскажите пожалуйста сколько стоит доставка заказа в екатеринбург можно "
    "ли оплатить картой при получении номер указан в письме спасибо за быстрый ответ"
).split()


def raise_fd_limit(want: int = 65536) -> int:
    """As many open files as the hard limit allows (10,000 sockets each side need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------- limits.py ws


async def ws_limits(push_sockets: int, sockets: int, duration: float) -> dict[str, float]:
    """limits.py --only ws with the same socket counts: ws_push_msgs and ws_rss_mb_<n>."""
    if not LIMITS_SCRIPT.exists():
        print(f"  {LIMITS_SCRIPT} is absent: no bare figures to compare with")
        return {}
    idle = ",".join(str(n) for n in sorted({push_sockets, sockets}))
    print(f"  running {LIMITS_SCRIPT.name} --only ws --ws-idle {idle} …", flush=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LIMITS_SCRIPT),
        *("--only", "ws", "--ws-clients", str(push_sockets), "--ws-idle", idle),
        *("--duration", f"{duration:g}"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await proc.communicate())[0].decode(errors="replace")
    figures = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(ws_\w+) ([\d.]+) ", out, re.MULTILINE)
    }
    if "ws_push_msgs" not in figures:
        print("  limits.py gave no ws_push_msgs: " + " | ".join(out.strip().splitlines()[-3:]))
    return figures


# --------------------------------------------------------------------------- the app


async def prepare(settings: Any, users: int) -> list[str]:
    """Migrate; U operators, each with a browser session; returns their cookie headers."""
    await upgrade(settings.database_url)
    hub = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus())
    cookies = []
    try:
        async with unit_of_work(hub) as uow:
            for n in range(users):
                user = await create_user(
                    uow, f"fan-{n}", f"Оператор {n}", "bench-password", Role.operator
                )
                cookie, _csrf = await start_session(uow, user, 6 * 3600)
                cookies.append(f"{SESSION_COOKIE}={cookie}")
    finally:
        await hub.db.dispose()
    return cookies


@contextlib.asynccontextmanager
async def serving(settings: Any) -> AsyncIterator[tuple[web.Application, int]]:
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        yield runner.app, int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def event(cursor: int) -> Envelope:
    """A message.created shaped like the real one, for every staff socket."""
    text = " ".join(WORDS[(cursor + i) % len(WORDS)] for i in range(12))
    payload = {
        "conversation_id": 4242,
        "message": {
            "id": cursor,
            "conversation_id": 4242,
            "direction": "in",
            "text": text,
            "author": {"kind": "contact", "id": 17, "name": "Анна Клиентова"},
            "created_at": "2026-06-15T09:00:00+00:00",
            "attachments": [],
        },
    }
    return Envelope(cursor, "message.created", payload, Audience(roles=ALL_ROLES))


async def push(app: web.Application, stop: asyncio.Event, in_flight: int) -> int:
    """Publish events until `stop`, never more than `in_flight` ahead of the fullest socket."""
    hub, fanout = app[HUB], app[FANOUT]
    cursor = 10_000_000
    while not stop.is_set():
        connections = fanout.connections
        if connections and max(c.live.qsize() for c in connections) >= in_flight:
            await asyncio.sleep(0.001)
            continue
        cursor += 1
        await hub.bus.publish(event(cursor))
        await asyncio.sleep(0)
    return cursor - 10_000_000


async def measure(backend: Backend, args: argparse.Namespace, bare: dict[str, float]) -> None:
    print(f"\n== {backend.name}: preparing {args.users} operators …", flush=True)
    cookies = await prepare(backend.settings, args.users)
    async with serving(backend.settings) as (app, port):
        await asyncio.sleep(1.0)  # the app's start-up work (leases, robots) settles
        gc.collect()
        base = rss_mb()
        print(f"RSS with the app up and no socket: {base:.0f} MB (load {load_average()})")
        config = {
            "url": f"ws://127.0.0.1:{port}/ws",
            "cookies": cookies,
            "concurrency": args.connect_concurrency,
        }
        async with LoadGenerator(__file__, config) as load:
            opened = await connect(load, args.push_sockets)
            at_push = rss_mb()
            print(
                f"{opened:,} sockets: RSS {at_push:.0f} MB "
                f"({(at_push - base) * 1024 / max(opened, 1):.1f} KB per socket)"
                + bare_rss(bare, args.push_sockets)
            )
            rate, published = await measure_push(load, app, args)
            ratio = ""
            if "ws_push_msgs" in bare:
                value = rate / bare["ws_push_msgs"]
                verdict = "ok" if value >= GOAL_PUSH_RATIO else "UNDER"
                ratio = (
                    f"; ratio to ws_push_msgs ({bare['ws_push_msgs']:,.0f} msg/s, same run): "
                    f"{value:.3f} (goal >= {GOAL_PUSH_RATIO}: {verdict})"
                )
            print(
                f"push to {opened:,} sockets: {rate:,.0f} messages delivered/s "
                f"({published:,} events published in {args.warmup + args.duration:g} s){ratio}"
            )
            opened = await connect(load, args.sockets - opened)
            await asyncio.sleep(2.0)
            gc.collect()
            full = rss_mb()
            verdict = "ok" if full <= GOAL_RSS_MB else "OVER"
            print(
                f"{opened:,} sockets: RSS {full:.0f} MB, {(full - base) * 1024 / opened:.1f} KB "
                f"per socket (goal <= {GOAL_RSS_MB} MB: {verdict})" + bare_rss(bare, args.sockets)
            )
            await load.send({"event": "quit"})


def bare_rss(bare: dict[str, float], sockets: int) -> str:
    figure = bare.get(f"ws_rss_mb_{sockets}")
    if figure is None:
        return ""
    return f"; bare aiohttp: {figure:.0f} MB (ws_rss_mb_{sockets}, same run)"


async def connect(load: LoadGenerator, count: int) -> int:
    began = time.perf_counter()
    window = await Window.start()
    await load.send({"event": "connect", "count": count})
    answer = await load.expect("connected")
    # Each client waited for its hello, which the app sends once the socket is registered.
    failed = f", {answer['failed']} failed ({answer['error']})" if answer["failed"] else ""
    cost = await window.stop()
    print(
        f"  opened {count:,} sockets in {time.perf_counter() - began:.1f} s{failed}; "
        + cost.per(count, "socket")
    )
    return int(answer["open"])


async def measure_push(
    load: LoadGenerator, app: web.Application, args: argparse.Namespace
) -> tuple[float, int]:
    stop = asyncio.Event()
    pusher = asyncio.create_task(push(app, stop, args.in_flight))
    await asyncio.sleep(args.warmup)
    await load.send({"event": "mark"})
    first = await load.expect("mark")
    await asyncio.sleep(args.duration)
    await load.send({"event": "mark"})
    second = await load.expect("mark")
    stop.set()
    published = await pusher
    rate = (second["count"] - first["count"]) / (second["at"] - first["at"])
    return rate, published


# --------------------------------------------------------------------------- load generator


async def generate(config: dict[str, Any]) -> None:
    """Opens sockets on command and counts the event frames they receive."""
    raise_fd_limit()
    received = 0
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[asyncio.Task[None]] = []
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=None, connect=120),
    )

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        nonlocal received
        async for message in ws:
            # Counting frames, as limits.py's clients do; the hello came before this.
            if message.type == aiohttp.WSMsgType.TEXT:
                received += 1

    async def open_one(n: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            cookie = config["cookies"][n % len(config["cookies"])]
            ws = await http.ws_connect(config["url"], headers={"Cookie": cookie}, autoping=True)
            hello = await ws.receive_json(timeout=120)
            if hello.get("type") != "hello":
                raise RuntimeError(f"no hello: {hello}")
        sockets.append(ws)
        readers.append(asyncio.create_task(read(ws)))

    while True:
        command = await Parent.receive()
        if command["event"] == "connect":
            # Sockets opening at once: each takes a database connection for its session,
            # presence and hello, and the app's pool holds 30.
            gate = asyncio.Semaphore(config["concurrency"])
            first = len(sockets)
            outcomes = await asyncio.gather(
                *(open_one(first + i, gate) for i in range(command["count"])),
                return_exceptions=True,
            )
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            error = f"{type(failures[0]).__name__}: {failures[0]}" if failures else ""
            Parent.send(
                {
                    "event": "connected",
                    "open": len(sockets),
                    "failed": len(failures),
                    "error": error,
                }
            )
        elif command["event"] == "mark":
            Parent.send({"event": "mark", "at": time.monotonic(), "count": received})
        else:
            break


# --------------------------------------------------------------------------- main


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--push-sockets", type=int, default=1_000)
    parser.add_argument("--users", type=int, default=100, help="operators owning the sockets")
    parser.add_argument("--duration", type=float, default=10.0, help="push window, s")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connect-concurrency", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=50, help="events queued per socket")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="postgres")
    parser.add_argument("--no-limits", action="store_true", help="do not run limits.py")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"open files allowed: {raise_fd_limit():,}; load {load_average()}")
    bare = {} if args.no_limits else await ws_limits(args.push_sockets, args.sockets, args.duration)
    for name, figure in sorted(bare.items()):
        print(f"  limits.py {name} {figure:,.1f}")
    for name in ("sqlite", "postgres") if args.backend == "all" else (args.backend,):
        async with BACKENDS[name]() as backend:
            await measure(backend, args, bare)


if __name__ == "__main__":
    if "--load-generator" in sys.argv[1:]:
        asyncio.run(generate(json.loads(sys.stdin.readline())))
    else:
        asyncio.run(main())
