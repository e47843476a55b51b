"""A chat message into an existing open conversation, through the Telegram webhook.

For each backend (SQLite file + memory bus; PostgreSQL throwaway database + Redis with a
unique prefix) this starts the whole app in this process with one Telegram channel in
webhook mode (as tests/connectors/telegram set it up: the secret in
X-Telegram-Bot-Api-Secret-Token, POST /hooks/telegram/<channel>) and an operator, and runs
the load in another process (this script again, with --load-generator):

- warm-up: each of N clients writes once (N conversations opened and assigned to the
  operator), then the bench waits until the operator's socket has been quiet for a second;
- measured: M further messages from those same clients, in turn, posted as Telegram updates
  (shaped like tests/fixtures/telegram/message__text.json), C in flight (or --rate R per
  second), each timed from the start of its POST to the operator's socket receiving its
  message.created.

The app process counts, over the measured phase only, its SQL statements (a listener on
SQLAlchemy's Engine class), transactions and commits, and its CPU time; each is printed per
message beside the issue's goal (<= 6 statements and one transaction per message,
>= 1,500 messages/s). Before PostgreSQL it runs ../shared/bench/limits.py --only pg and
prints messages/s as a ratio of pg_txn_5stmt_16conn (--no-limits to skip).

    .venv/bin/python bench/chat.py --clients 200 -m 2000 -c 20 [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/chat.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# ruff: noqa: E402

import argparse
import asyncio
import copy
import json
import logging
import re
import time
from typing import Any

import aiohttp

from bench._common import (
    BACKENDS,
    EVENT_TIMEOUT_S,
    Arrivals,
    Backend,
    Limit,
    Measured,
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
from connectors.testing import Fixtures

CHANNEL = "bench"
# BotFather's token shape; nothing is ever sent to Telegram: no webhook_url (so no
# setWebhook), and api_base points at a closed loopback port in case anything tried.
TOKEN = "7123456789:AAFq3kM9Xz1bV7nT5wR2yL8pC4dH6sJ0eGu"
SECRET = "okno-bench_Secret-42"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CLIENT_ID = 5_900_000_000
WARMUP_KEY = 10_000_000
KEY = re.compile(r"\[bench (\d+)\]")
GOAL_STATEMENTS = 6
GOAL_RATE = 1500


# --------------------------------------------------------------------------- load generator


def key_of(message: dict[str, Any]) -> int | None:
    found = KEY.search(message.get("text") or "")
    return int(found.group(1)) if found else None


class Updates:
    """Telegram updates shaped like the recorded fixture, one client per chat."""

    def __init__(self) -> None:
        self.template = Fixtures("telegram").json("message__text.json")
        self.update_id = 900_000_000

    def text_from(self, client: int, key: int) -> bytes:
        self.update_id += 1
        update = copy.deepcopy(self.template)
        update["update_id"] = self.update_id
        message = update["message"]
        user_id = FIRST_CLIENT_ID + client
        message["message_id"] = self.update_id
        message["from"].update(
            id=user_id, first_name="Клиент", last_name=str(client), username=f"bench_{client}"
        )
        message["chat"].update(
            id=user_id, first_name="Клиент", last_name=str(client), username=f"bench_{client}"
        )
        message["date"] = int(time.time())
        message["text"] = f"[bench {key}] Подскажите, когда приедет замерщик? Я дома до 19:00."
        return json.dumps(update, ensure_ascii=False).encode()


async def generate(config: dict[str, Any]) -> None:
    """The load generator's whole run (its own process)."""
    parent = Parent()
    arrivals = Arrivals()
    updates = Updates()
    clients = int(config["clients"])
    latencies: list[float] = []
    refused: list[str] = []
    lost = 0
    hook = f"/hooks/telegram/{CHANNEL}"
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    async with (
        operator_socket(config["ws"], config["cookie"], arrivals, key_of),
        aiohttp.ClientSession(config["base"], connector=aiohttp.TCPConnector(limit=0)) as http,
    ):

        async def post(client: int, key: int, measured: bool) -> None:
            nonlocal lost
            body = updates.text_from(client, key)
            started = time.perf_counter()
            async with http.post(hook, data=body, headers=headers) as resp:
                answer = await resp.read()
            if resp.status != 200:
                refused.append(f"HTTP {resp.status} {answer[:200]!r}")
                return
            try:
                seen = await arrivals.wait(key)
            except TimeoutError:
                lost += 1
                return
            if measured:
                latencies.append((seen - started) * 1000)

        began = time.perf_counter()
        warm = asyncio.Semaphore(config["c"])

        async def first(client: int) -> None:
            async with warm:
                await post(client, WARMUP_KEY + client, measured=False)

        await asyncio.gather(*(first(client) for client in range(clients)))
        warmed = time.perf_counter() - began
        warm_refused, warm_lost = len(refused), lost
        refused.clear()
        lost = 0
        settled = await arrivals.quiet()

        async def one(i: int) -> None:
            await post(i % clients, i, measured=True)

        await parent.measured()
        elapsed, achieved = await schedule(config["m"], config["rate"], config["c"], one)
    await parent.finished(
        {
            "sent": config["m"],
            "elapsed_s": elapsed,
            "achieved_rate": achieved,
            "latencies_ms": latencies,
            "refused": refused[:3],
            "refused_count": len(refused),
            "lost": lost,
            "warmup_s": warmed,
            "warmup_refused": warm_refused,
            "warmup_lost": warm_lost,
            "settled_s": settled,
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
    options = {
        "token": TOKEN,
        "mode": "webhook",
        "webhook_secret": SECRET,
        "api_base": "http://127.0.0.1:9",
    }
    cookie = await prepare_app(backend.settings, "telegram", CHANNEL, options, "Бот заявок")
    async with serving(backend.settings) as port:
        config = {
            "base": f"http://127.0.0.1:{port}",
            "ws": f"ws://127.0.0.1:{port}/ws",
            "cookie": cookie,
            "clients": args.clients,
            "m": args.m,
            "c": args.c,
            "rate": args.rate,
        }
        measured = await run_load(__file__, config, on_postgres=backend.pg_dsn is not None)
        inbound = await inbound_summary(backend.settings)
    report(backend.name, args, measured, limit)
    print(f"  {inbound}")


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
    if args.rate is None:
        mode = f"{sent} messages, {args.c} in flight"
    else:
        mode = f"{sent} messages at {args.rate:g}/s (achieved {result['achieved_rate']:.1f}/s)"
    print(
        f"{backend}: Telegram webhook, {args.clients} clients with an open conversation each;"
        f" {mode}; load generator in its own process"
    )
    print(
        f"  warm-up: {args.clients} first messages in {result['warmup_s']:.1f} s"
        f" (refused {result['warmup_refused']}, not seen {result['warmup_lost']});"
        f" socket quiet after {result['settled_s']:.1f} s more"
    )
    print(
        f"  delivered to the websocket: {len(latencies)}/{sent}"
        f" (refused {result['refused_count']}, not seen within {EVENT_TIMEOUT_S:.0f} s:"
        f" {result['lost']})"
    )
    for line in result["refused"]:
        print(f"    refused: {line}")
    if args.rate is None:
        print(f"  messages/s: {rate:.1f} over {elapsed:.2f} s   [goal ≥ {GOAL_RATE:,}/s]")
    else:
        print(f"  from the first POST to the last answer or arrival: {elapsed:.2f} s")
    print(f"  submit → socket: {latency_line(latencies)}")
    per = sent or 1
    print(f"  {measured.tail()}")
    # The app runs in this process, where every statement is counted.
    assert cost.statements is not None and drained.statements is not None
    print(
        f"  SQL statements per message: {cost.statements / per:.2f} up to the last arrival,"
        f" {drained.statements / per:.2f} with the tail   [goal ≤ {GOAL_STATEMENTS}]"
    )
    for label, spent in (("up to the last arrival", cost), ("with the tail", drained)):
        print(
            f"  transactions per message {label}: {spent.begins / per:.2f}"
            f" (commits {spent.commits / per:.2f}, rollbacks {spent.rollbacks / per:.2f})"
            "   [goal 1]"
        )
    print(
        f"  app process CPU per message: {cost.cpu_s * 1000 / per:.2f} ms up to the last"
        f" arrival, {drained.cpu_s * 1000 / per:.2f} ms with the tail"
    )
    print(f"  {measured.machine(per, 'message')}")
    print(f"  app process afterwards, without load: {measured.idle.background()}")
    if backend != "sqlite" and args.rate is None:
        print(f"  {limit.ratio(rate)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="open conversations")
    parser.add_argument("-m", type=int, default=2000, help="measured messages (default 2000)")
    parser.add_argument("-c", type=int, default=20, help="in flight (default 20)")
    parser.add_argument("--rate", type=float, default=None, help="steady rate, messages/s")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--no-limits", action="store_true", help="do not run limits.py")
    parser.add_argument("--limits-duration", type=float, default=5.0)
    args = parser.parse_args()
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
