"""Robots under size: the stalled-deal scan, flagging thousands of deals in one scan, and an
event rule's delay from the event to its action, on PostgreSQL.

On a throwaway database (created and dropped here) this loads, by COPY, U users in teams of
ten (each with a supervisor), D deals in the five stages of a pipeline (a fifth of them
closed, the rest touched within the last two days) and A activities on those deals; then:

1. the stalled-deal scan: one scheduler tick of «Зависшая сделка» (7 days, flag + notify)
   while nothing is due, compared with a bare count of the open deals;
2. flagging: F open deals made quiet for 30 days, one tick end to end (the claim, the
   flags, the notices, the re-announced cards logged and published), compared with the
   bare writes of as many firings and flags and twice as many event rows (asyncpg,
   one transaction, rolled back); then the tick after it, with F flags standing;
3. «Не оплачено после договора»: every closed deal with a payment date, paid; one tick while
   nothing is due, then F won deals unmarked and the tick flagging them;
4. event to action: an event rule on «deal moved to КП» notifying the manager, its node's
   listener running, deals moved at R per second for S seconds through `deals.move_deal`;
   the delay from the move's `deal.changed` on the bus (published after its commit) to the
   rule's `robot.notice` (published after the firing's commit) (p50, p99), compared with the
   p99 of `SELECT 1` through asyncpg, with this process's CPU share over the phase. With
   --redis-url the moves come from `--producers` other processes (other nodes: same
   database, same Redis prefix), as load should; on the memory bus they share this
   process's loop. The rate printed is the one achieved (the moves' events as heard here).

Absolute times drift on shared machines; each figure is printed also as a ratio of a bare
limit measured in the same run. The issue's targets: the scan <= 2 s, 10,000 deals flagged
<= 5 s end to end, event to action p99 <= 100 ms at 200 events/s.

    .venv/bin/python bench/robots.py --deals 1000000 --activities 2000000 --flag 10000

Loading a million deals takes minutes: `--keep okno_bench_NAME` loads into that database and
leaves it there, untouched (each run measures a copy, `CREATE DATABASE ... TEMPLATE`, dropped
afterwards); `--reuse okno_bench_NAME` measures a fresh copy of it again. `--phases` picks
the figures (scan, unpaid, events).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/robots.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import math
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, select

from bench._common import PG_ADMIN_DSN, bare_select_1, percentile, throwaway_database, verdict
from hub.actions import deals, pipelines, unit_of_work
from hub.actions import robots as robot_actions
from hub.bus import create_bus
from hub.core import Hub
from hub.db import Database
from hub.events import Event
from hub.migrate import upgrade
from hub.models import Pipeline, RobotRule
from hub.policy import SystemActor
from hub.settings import Settings
from robots import builtin, engine, events, manage

TEAM_SIZE = 10
# Moves in flight per producer process (--redis-url), each holding a pooled connection:
# 200/s at a move's latency on the loaded shared machine (100 to 150 ms) needs 20 to 30;
# with 10 the producer could not keep the rate whatever its CPU.
MOVES_IN_FLIGHT = 30
# On the memory bus the moves share the measured node's loop with the robots: every move in
# flight beyond what the rate needs waits in that loop's queue ahead of the robots (30 in
# flight doubled the delays measured: p50 384 to 508 ms against 100 ms with 10).
MOVES_IN_FLIGHT_HERE = 10
# Producer processes with --redis-url. One keeps 200 moves/s now that a move costs it about
# 2 ms of CPU (it cost 3.5 to 6 ms, and one process reached 36 to 116 moves/s); more
# processes only compete for the 2 shared cores with the node measured and PostgreSQL.
PRODUCERS = 1
# Time for the producer processes to start (import, connect) before their common start: at
# load 4 to 6 three seconds were not always enough, and a producer starting late then ran
# its backlog at full concurrency.
PRODUCER_STARTUP_S = 6.0
STAGES = [
    pipelines.StageSpec("Интерес"),
    pipelines.StageSpec("КП", probability=50),
    pipelines.StageSpec("Договор", probability=80),
    pipelines.StageSpec("Оплачено", "won", 100),
    pipelines.StageSpec("Проиграна", "lost"),
]


def load_average() -> str:
    """The 1-minute load average, printed beside each figure (the machine is shared)."""
    return f"load average {os.getloadavg()[0]:.1f}"


async def load(dsn: str, args: argparse.Namespace, stages: list[int], now: datetime) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        users = (
            (i, f"bench-u{i}", f"Менеджер {i}", "!", "admin" if i == 1 else
             "supervisor" if i % TEAM_SIZE == 2 else "operator", "ru", True, 5, "offline",
             False, "[]", now)
            for i in range(1, args.users + 1)
        )  # fmt: skip
        await conn.copy_records_to_table(
            "users",
            columns=[
                "id", "login", "name", "password_hash", "role", "locale", "is_active",
                "max_conversations", "presence", "on_call", "skills", "created_at",
            ],
            records=users,
        )  # fmt: skip
        teams = args.users // TEAM_SIZE
        await conn.copy_records_to_table(
            "teams",
            columns=["id", "name", "strategy", "accept_timeout_s", "wait_limit_s"],
            records=((t, f"Отдел {t}", "least_busy", 45, 300) for t in range(1, teams + 1)),
        )
        await conn.copy_records_to_table(
            "team_members",
            columns=["team_id", "user_id"],
            records=(
                (1 + (u - 2) // TEAM_SIZE, u)
                for u in range(2, teams * TEAM_SIZE + 2)
                if u <= args.users
            ),
        )
        pipeline_id = await conn.fetchval("SELECT pipeline_id FROM stages WHERE id = $1", stages[0])

        def deal(i: int) -> tuple[Any, ...]:
            closed = i % 5 == 0
            stage = stages[3 + i % 2] if closed else stages[i % 3]
            touched = now - timedelta(minutes=i % 2880)
            return (
                i, f"Поставка оборудования {i}", f"поставка оборудования {i}",
                Decimal(10_000 + (i * 7919) % 990_000), "RUB", pipeline_id, stage,
                2 + i % (args.users - 1), "manual", "{}", "", touched, touched, touched,
                touched, touched if closed else None, 1,
            )  # fmt: skip

        await conn.copy_records_to_table(
            "deals",
            columns=[
                "id", "title", "title_key", "amount", "currency", "pipeline_id", "stage_id",
                "responsible_user_id", "source", "custom_fields", "loss_reason", "created_at",
                "updated_at", "stage_entered_at", "last_activity_at", "closed_at", "version",
            ],
            records=(deal(i) for i in range(1, args.deals + 1)),
        )  # fmt: skip

        def activity(i: int) -> tuple[Any, ...]:
            due = now - timedelta(minutes=i % 100_000)
            user = 2 + i % (args.users - 1)
            return (
                i, "call", "Перезвонить клиенту", "", "done", "Сделано", user, user, due,
                1 + i % args.deals, 1, due, due,
            )  # fmt: skip

        await conn.copy_records_to_table(
            "activities",
            columns=[
                "id", "kind", "subject", "body", "status", "result", "user_id",
                "created_by_id", "due_at", "deal_id", "version", "created_at", "updated_at",
            ],
            records=(activity(i) for i in range(1, args.activities + 1)),
        )  # fmt: skip
        for table, count in (
            ("users", args.users),
            ("teams", teams),
            ("deals", args.deals),
            ("activities", args.activities),
        ):
            await conn.execute(f"SELECT setval('{table}_id_seq', $1)", count)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def bare_count(dsn: str) -> float:
    """Seconds for counting the open deals: one pass over the table the scan reads."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.fetchval("SELECT count(*) FROM deals WHERE closed_at IS NULL")
        return time.perf_counter() - started
    finally:
        await conn.close()


class _Rollback(Exception):
    pass


async def bare_flagging(dsn: str, rule_id: int, ids: list[int]) -> float:
    """Seconds for the bare writes of flagging `ids`: their firings, their flags and two
    event rows each, set-based, in one transaction, rolled back."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO robot_firings (rule_id, rule_version, object_type, object_id,"
                " episode_at, event_cursor, matched, results, step, status, attempts,"
                " created_at) SELECT $1, 1, 'deal', i, now(), 0, '{}', '[]', 2, 'done', 0, now()"
                " FROM unnest($2::bigint[]) AS i",
                rule_id,
                ids,
            )
            await conn.execute(
                "INSERT INTO robot_flags (object_type, object_id, rule_id, firing_id,"
                " episode_at, code, reason, raised_at, comment)"
                " SELECT 'deal', object_id, rule_id, id, episode_at, 'stalled', 'bench', now(), ''"
                " FROM robot_firings WHERE rule_id = $1",
                rule_id,
            )
            await conn.execute(
                "INSERT INTO event_log (kind, payload, audience, created_at) "
                "SELECT 'bench', jsonb_build_object('id', i), '{}'::jsonb, now() "
                "FROM unnest($1::bigint[] || $1::bigint[]) AS i",
                ids,
            )
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        return elapsed
    finally:
        await conn.close()


async def timed_tick(hub: Hub) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    done = await engine.tick(hub)
    return time.perf_counter() - started, done


async def scan_and_flag(hub: Hub, dsn: str, args: argparse.Namespace) -> None:
    await builtin.install(hub)
    async with hub.db.sessions() as session:
        rule_id = (
            await session.execute(
                select(RobotRule.id).where(RobotRule.builtin_key == "stalled_deal")
            )
        ).scalar_one()
    await robot_actions.set_enabled(hub, SystemActor(), rule_id, True)

    await timed_tick(hub)  # warm the pool and the plans
    bare = await bare_count(dsn)
    scans = sorted([(await timed_tick(hub))[0] for _ in range(5)])
    scan = scans[-1]
    print(
        f"stalled-deal scan over {args.deals} deals, nothing due: worst of 5 ticks {scan:.2f} s"
        f" (median {statistics.median(scans):.2f} s; {scan / bare:.1f}x a bare count of the"
        f" open deals, {bare:.2f} s; {load_average()}; target 2 s: {verdict(scan, 2)})"
    )

    conn = await asyncpg.connect(dsn)
    try:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM deals WHERE closed_at IS NULL ORDER BY id LIMIT $1", args.flag
            )
        ]
        bare = await bare_flagging(dsn, rule_id, ids)
        quiet = datetime.now(UTC) - timedelta(days=30)
        await conn.execute(
            "UPDATE deals SET stage_entered_at = $2, last_activity_at = $2"
            " WHERE id = ANY($1::bigint[])",
            ids,
            quiet,
        )
        await conn.execute("ANALYZE deals")
    finally:
        await conn.close()
    load_before = load_average()
    cpu = time.process_time()
    elapsed, done = await timed_tick(hub)
    # The node's own CPU for the tick: on a shared machine the wall time is mostly waiting.
    cpu = time.process_time() - cpu
    print(
        f"flagging: {done['fired']} stalled deals flagged and notified in one tick in"
        f" {elapsed:.2f} s ({elapsed / bare:.1f}x the bare writes of as many firings and flags"
        f" and twice as many events, {bare:.2f} s; this process's CPU {cpu:.2f} s;"
        f" {load_before} -> {load_average()};"
        f" target 5 s for 10,000: {verdict(elapsed, 5 * len(ids) / 10_000)})"
    )
    after, done = await timed_tick(hub)
    print(
        f"the tick after, with {len(ids)} flags standing: {after:.2f} s, fired {done['fired']}"
        f" ({load_average()}; target 2 s: {verdict(after, 2)})"
    )
    await robot_actions.set_enabled(hub, SystemActor(), rule_id, False)


async def unpaid_scan(hub: Hub, dsn: str, args: argparse.Namespace) -> None:
    """«Не оплачено после договора» (3 days after the payment date, at the won stage): every
    closed deal gets a payment date within the last year, paid; one tick while nothing is due,
    then `--flag` won deals unmarked and one tick flagging them."""
    await builtin.install(hub)
    async with hub.db.sessions() as session:
        rule_id = (
            await session.execute(
                select(RobotRule.id).where(RobotRule.builtin_key == "unpaid_after_contract")
            )
        ).scalar_one()
    conn = await asyncpg.connect(dsn)
    try:
        dated = await conn.execute(
            "UPDATE deals SET payment_due_on = CURRENT_DATE - (id % 365)::int, paid_at = now()"
            " WHERE closed_at IS NOT NULL"
        )
        await conn.execute("ANALYZE deals")
    finally:
        await conn.close()
    await robot_actions.set_enabled(hub, SystemActor(), rule_id, True)
    await timed_tick(hub)
    scans = sorted([(await timed_tick(hub))[0] for _ in range(5)])
    print(
        f"unpaid scan over {args.deals} deals ({dated.split()[-1]} with a payment date, all"
        f" paid): worst of 5 ticks {scans[-1]:.2f} s (median {statistics.median(scans):.2f} s;"
        f" {load_average()}; target 2 s: {verdict(scans[-1], 2)})"
    )
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE deals SET paid_at = NULL WHERE id IN (SELECT d.id FROM deals d JOIN stages s"
            " ON s.id = d.stage_id WHERE s.outcome = 'won' AND d.payment_due_on"
            " < CURRENT_DATE - 3 ORDER BY d.id LIMIT $1)",
            args.flag,
        )
        await conn.execute("ANALYZE deals")
    finally:
        await conn.close()
    cpu = time.process_time()
    elapsed, done = await timed_tick(hub)
    cpu = time.process_time() - cpu
    print(
        f"unpaid flagging: {done['fired']} deals flagged and notified in one tick in"
        f" {elapsed:.2f} s (this process's CPU {cpu:.2f} s; {load_average()};"
        f" target 5 s for 10,000: {verdict(elapsed, 5 * args.flag / 10_000)})"
    )
    await robot_actions.set_enabled(hub, SystemActor(), rule_id, False)


async def event_to_action(hub: Hub, args: argparse.Namespace, stages: list[int]) -> None:
    rule = {
        "trigger": {"type": "event", "event": "deal.moved"},
        "conditions": {"field": "stage_id", "op": "eq", "value": stages[1]},
        "actions": [{"type": "notify", "to": "responsible", "text": "КП по «{title}»"}],
    }
    await manage.create(
        hub, SystemActor(), name="КП отправлено", description="", rule=rule, enabled=True
    )
    moved_at: dict[int, float] = {}
    delays: list[float] = []
    total = int(args.rate * args.seconds)
    subscription = hub.bus.subscribe()
    all_seen = asyncio.Event()

    async def watch() -> None:
        async for envelope in subscription:
            event: Any = Event.from_envelope(envelope)
            if envelope.kind == "deal.changed" and event.change == "moved":
                moved_at[int(event.deal["id"])] = time.perf_counter()
            elif envelope.kind == "robot.notice" and event.object_id in moved_at:
                delays.append((time.perf_counter() - moved_at[event.object_id]) * 1000)
                if len(delays) >= total:
                    all_seen.set()

    watcher = asyncio.create_task(watch())
    listener = events.event_listener(hub)
    listening = asyncio.create_task(listener.run())
    # Open deals in «Интерес» (i % 3 == 0, not closed), each moved once.
    targets = [i for i in range(3, args.deals, 3) if i % 5][:total]
    total = len(targets)
    producers = args.producers if args.redis_url else 1
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu = time.process_time()
    if args.redis_url:
        # The moves come from other processes (other nodes on the same database and Redis),
        # so this process's loop holds only the listener, the robots and the watcher. With
        # several producers each takes its own slice of the deals, all on one schedule (the
        # same start instant, the moves interleaved).
        start_at = time.time() + PRODUCER_STARTUP_S
        spawned = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--produce",
                json.dumps(
                    {
                        "url": hub.settings.database_url,
                        "redis": args.redis_url,
                        "prefix": hub.settings.redis_prefix,
                        "stage": stages[1],
                        "rate": args.rate / producers,
                        "start_at": start_at + n / args.rate,
                        "deals": targets[n::producers],
                        "in_flight": args.in_flight or MOVES_IN_FLIGHT,
                    }
                ),
            )
            for n in range(producers)
        ]
        for producer in spawned:
            await producer.wait()
    else:
        await produce_moves(
            hub,
            targets,
            stages[1],
            args.rate,
            time.time(),
            moves_in_flight=args.in_flight or MOVES_IN_FLIGHT_HERE,
        )
    try:
        await asyncio.wait_for(all_seen.wait(), timeout=60)
    except TimeoutError:
        print(f"event to action: only {len(delays)} of {total} notices within 60 s")
    # This process's CPU over the phase (the listener, the robots, the watcher, and the moves
    # unless they came from their own process): well under the wall time means the delays
    # were waits on the database, not this node's pace.
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    load_after = os.getloadavg()[0]
    listener.close()
    listening.cancel()
    watcher.cancel()
    # The rate achieved, as the robots' node heard it: the moves' events from the first to
    # the last (the offered rate is only what the producers aimed at).
    heard = sorted(moved_at.values())
    achieved = (len(heard) - 1) / (heard[-1] - heard[0]) if len(heard) > 1 else math.nan
    delays.sort()
    floor = await bare_select_1(args.dsn)
    p99 = percentile(delays, 0.99)
    print(
        f"event to action: {len(targets)} moves offered at {args.rate:.0f}/s by {producers}"
        f" producer process(es), achieved {achieved:.0f}/s (the moves' events as heard);"
        f" delay to the notice p50 {statistics.median(delays):.1f} ms, p99 {p99:.1f} ms"
        f" ({p99 / floor:.0f}x the p99 of SELECT 1, {floor:.2f} ms); this process's CPU"
        f" {cpu:.2f} s in {elapsed:.1f} s (busy {cpu / elapsed:.0%}); load average"
        f" {load_before:.1f} -> {load_after:.1f}; target 100 ms at 200/s:"
        f" {verdict(p99, 100) if achieved >= 0.95 * 200 else 'NOT MEASURED at 200/s'})"
    )


async def produce_moves(
    hub: Hub,
    targets: list[int],
    stage_id: int,
    rate: float,
    start_at: float,
    own_process: bool = False,
    moves_in_flight: int = MOVES_IN_FLIGHT,
) -> None:
    """Move each deal to `stage_id`, `rate` per second from the wall-clock instant
    `start_at`, a bounded number in flight (the shared server's connections are not ours
    alone: an unbounded generator ran it out). Prints how far behind its schedule it fell."""
    in_flight = asyncio.Semaphore(moves_in_flight)
    running: set[asyncio.Task[Any]] = set()
    late: list[float] = []

    async def move(deal_id: int, due: float) -> None:
        async with in_flight:
            late.append(time.time() - due)
            await deals.move_deal(hub, SystemActor(), deal_id, stage_id)

    cpu = time.process_time()
    for n, deal_id in enumerate(targets):
        due = start_at + n / rate
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(move(deal_id, due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    late.sort()
    print(
        f"  producer {os.getpid()}: {len(targets)} moves at {rate:.0f}/s, started late by"
        f" p50 {percentile(late, 0.5) * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms"
        + (
            f"; its process's CPU {time.process_time():.1f} s, of which the moves"
            f" {time.process_time() - cpu:.1f} s"
            if own_process
            else ""
        ),
        flush=True,
    )


async def producer_main(spec: dict[str, Any]) -> None:
    """`--produce`: the event phase's moves from a process of their own."""
    settings = Settings(
        database_url=spec["url"], redis_url=spec["redis"], redis_prefix=spec["prefix"]
    )
    hub = Hub(
        settings=settings,
        # A connection for each move in flight: beyond the pool's size each move would open
        # (and introspect) a connection of its own and close it again.
        db=Database(spec["url"], pool_size=spec["in_flight"], max_overflow=0),
        bus=create_bus(spec["redis"], spec["prefix"]),
    )
    await hub.bus.start()
    try:
        await produce_moves(
            hub,
            spec["deals"],
            spec["stage"],
            spec["rate"],
            spec["start_at"],
            own_process=True,
            moves_in_flight=spec["in_flight"],
        )
    finally:
        await hub.bus.close()
        await hub.db.dispose()


async def seed(hub: Hub, args: argparse.Namespace) -> list[int]:
    """The pipeline, then the users, teams, deals and activities by COPY; its stages' ids."""
    async with unit_of_work(hub) as uow:
        made = await pipelines.add_pipeline(uow, "Продажи", STAGES)
        stages = [s.id for s in await pipelines.pipeline_stages(uow, made.id)]
    loaded = await load(args.dsn, args, stages, datetime.now(UTC))
    print(
        f"loaded {args.users} users, {args.deals} deals, {args.activities} activities"
        f" in {loaded:.1f} s",
        flush=True,
    )
    return stages


async def kept_stages(hub: Hub) -> list[int]:
    """The stages of the one pipeline a kept database holds, in order."""
    async with unit_of_work(hub) as uow:
        pipeline_id = (await uow.session.execute(select(func.min(Pipeline.id)))).scalar_one()
        return [s.id for s in await pipelines.pipeline_stages(uow, pipeline_id)]


async def keep(args: argparse.Namespace) -> None:
    """`--keep NAME`: create, migrate and load NAME (unless it exists), left untouched."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.keep):
            raise SystemExit(f"--keep: {args.keep} exists; --reuse it, or drop it first")
        await admin.execute(f'CREATE DATABASE "{args.keep}"')
    finally:
        await admin.close()
    scheme, rest = PG_ADMIN_DSN.split("://", 1)
    user_host = rest.rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{user_host}/{args.keep}"
    await upgrade(url)
    hub = Hub(settings=Settings(database_url=url), db=Database(url), bus=create_bus(None, ""))
    await hub.bus.start()
    try:
        args.dsn = f"{scheme}://{user_host}/{args.keep}"
        await seed(hub, args)
        print(f"kept {args.keep}")
    finally:
        await hub.bus.close()
        await hub.db.dispose()


async def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--produce":
        await producer_main(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--flag", type=int, default=10_000, help="deals made stalled at once")
    parser.add_argument("--rate", type=float, default=200, help="events per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--redis-url", default=None, help="publish on Redis, not in memory")
    parser.add_argument(
        "--producers", type=int, default=PRODUCERS, help="move producer processes (Redis only)"
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=None,
        help=f"moves in flight per producer, each on a pooled connection (default"
        f" {MOVES_IN_FLIGHT} per producer process, {MOVES_IN_FLIGHT_HERE} on the memory bus)",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        default=None,
        help="load into database NAME (okno_bench_...), leave it there for --reuse, measure a"
        " copy of it (drop NAME by hand afterwards)",
    )
    parser.add_argument(
        "--reuse", metavar="NAME", default=None, help="measure a copy of NAME left by --keep"
    )
    parser.add_argument(
        "--phases",
        default="scan,unpaid,events",
        help="comma-separated, of: scan, unpaid, events",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    kept = args.keep or args.reuse
    if kept is not None and not kept.startswith("okno_bench_"):
        raise SystemExit("--keep/--reuse: the name must start with okno_bench_")
    if args.keep:
        await keep(args)

    async with throwaway_database(template=kept) as db:
        name = db.name
        args.dsn = db.dsn
        url = db.url
        hub: Hub | None = None
        try:
            await upgrade(url)
            settings = Settings(
                database_url=url, redis_url=args.redis_url, redis_prefix=f"bench-{name}:"
            )
            hub = Hub(
                settings=settings,
                # With the memory bus the moves run here: a connection for each in flight
                # and a few for the robots (beyond the pool each would open its own).
                db=Database(url, pool_size=(args.in_flight or MOVES_IN_FLIGHT_HERE) + 5),
                bus=create_bus(args.redis_url, f"bench-{name}:"),
            )
            await hub.bus.start()
            if kept is None:
                stages = await seed(hub, args)
                print(f"into {name}; bus: {'Redis' if args.redis_url else 'memory'}")
            else:
                stages = await kept_stages(hub)
                print(f"a copy of {kept} ({name}); bus: {'Redis' if args.redis_url else 'memory'}")
            if "scan" in phases:
                await scan_and_flag(hub, args.dsn, args)
            if "unpaid" in phases:
                await unpaid_scan(hub, args.dsn, args)
            if "events" in phases:
                await event_to_action(hub, args, stages)
        finally:
            if hub is not None:
                await hub.bus.close()
                await hub.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
