"""Routing under size: identity lookups among a million contacts, and assignment rate.

On a throwaway PostgreSQL database (created and dropped here) this loads N contacts, each
with a phone and an e-mail identity (COPY, so loading takes seconds), then times
`routing.identity.find_contact` for random senders given in every Russian phone spelling,
and prints p50/p99/max in milliseconds. Then it queues M conversations and lets the queue
drain over O operators (`routing.sweeper.drain_queue`, a batch per transaction), printing
assignment decisions per second and the load average beside it. `--backend sqlite` drains
the queue of a SQLite file instead (no identity part: that one is PostgreSQL's COPY).

    .venv/bin/python bench/routing.py --contacts 1000000 --lookups 5000 --queue 2000
    .venv/bin/python bench/routing.py --backend sqlite --queue 2000
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/routing.py`, this file's folder comes first on the path and its
# name would hide the `routing` package it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import random
import statistics
import time
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]

from bench._common import StatementCounter, percentile, sqlite_backend, throwaway_database
from connectors.base import IdentityClaim
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.migrate import upgrade
from hub.models import Channel, Contact, ContactStatus, Conversation, Presence, Role, User
from hub.settings import Settings
from routing import identity, sweeper

SPELLINGS = ("8 ({a}) {b}-{c}-{d}", "+7 {a} {b}{c}{d}", "7{a}{b}{c}{d}", "{a}{b}{c}{d}")


def phone(i: int) -> str:
    return f"+7916{i:07d}"


def spelled(i: int) -> str:
    digits = f"916{i:07d}"
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return random.choice(SPELLINGS).format(a=a, b=b, c=c, d=d)


async def load_contacts(dsn: str, count: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "contacts",
            columns=["id", "name", "status", "custom_fields", "created_at", "updated_at"],
            records=((i, f"Клиент {i}", "client", "{}", now, now) for i in range(1, count + 1)),
        )
        rows = ((i, "phone", phone(i), phone(i), now) for i in range(1, count + 1))
        await conn.copy_records_to_table(
            "identities", columns=["contact_id", "kind", "value", "raw", "created_at"], records=rows
        )
        emails = ((i, "email", f"client{i}@mail.example", "", now) for i in range(1, count + 1))
        await conn.copy_records_to_table(
            "identities",
            columns=["contact_id", "kind", "value", "raw", "created_at"],
            records=emails,
        )
        await conn.execute("SELECT setval('contacts_id_seq', $1)", count)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def time_lookups(hub: Hub, contacts: int, lookups: int) -> list[float]:
    timings = []
    async with hub.db.sessions() as session:
        for _ in range(lookups):
            i = random.randint(1, contacts)
            claims = [
                IdentityClaim("phone", spelled(i)),
                IdentityClaim("email", f"Client{i}@mail.example"),
            ]
            started = time.perf_counter()
            ids = identity.normalise_claims(claims)
            found = await identity.find_contact(session, ids)
            timings.append((time.perf_counter() - started) * 1000)
            assert found == i, (found, i)
    return timings


async def time_assignment(
    hub: Hub, operators: int, queued: int, warmup: int = 0, with_contacts: bool = False
) -> tuple[int, float]:
    """Queue `queued` conversations and time draining them over `operators` operators who
    all have room. `warmup` conversations are queued and drained first, untimed: a running
    app has its statements compiled (and on PostgreSQL prepared) already. Conversations are
    of contacts 1..warmup + queued; `with_contacts` creates those first."""
    now = hub.clock()
    total = warmup + queued
    async with hub.db.sessions() as session, session.begin():
        if with_contacts:
            session.add_all(
                Contact(
                    id=i + 1,
                    name=f"Клиент {i + 1}",
                    status=ContactStatus.client,
                    custom_fields={},
                    created_at=now,
                    updated_at=now,
                )
                for i in range(total)
            )
        channel = Channel(kind="telegram", name="bench", title="bench", options={}, created_at=now)
        session.add(channel)
        for i in range(operators):
            session.add(
                User(
                    login=f"bench-op{i}",
                    name=f"Op {i}",
                    password_hash="-",
                    role=Role.operator,
                    presence=Presence.online,
                    presence_at=now,
                    max_conversations=total,
                )
            )
        await session.flush()
        channel_id = channel.id

    async def queue(first: int, count: int) -> None:
        async with hub.db.sessions() as session, session.begin():
            session.add_all(
                Conversation(
                    contact_id=first + i + 1,
                    channel_id=channel_id,
                    queued_at=now,
                    created_at=now,
                    last_message_at=now,
                )
                for i in range(count)
            )

    if warmup:
        await queue(0, warmup)
        await sweeper.drain_queue(hub, limit=warmup)
    await queue(warmup, queued)
    StatementCounter.install()
    statements, _, commits, _ = StatementCounter.snapshot()
    started = time.perf_counter()
    assigned = await sweeper.drain_queue(hub, limit=queued)
    seconds = time.perf_counter() - started
    after = StatementCounter.snapshot()
    print(
        f"  {after[0] - statements} SQL statements and {after[2] - commits} commits "
        f"for {assigned} decisions"
    )
    return assigned, seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--queue", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=250, help="drained first, untimed")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()

    if args.backend == "sqlite":
        async with sqlite_backend() as backend:
            url = backend.settings.database_url
            await upgrade(url)
            hub = Hub(backend.settings, Database(url), MemoryBus())
            result = await time_assignment(
                hub, args.operators, args.queue, args.warmup, with_contacts=True
            )
            report("SQLite", args.operators, *result)
            await hub.db.dispose()
        return

    async with throwaway_database() as db:
        url = db.url
        await upgrade(url)
        loaded = await load_contacts(db.dsn, args.contacts)
        print(
            f"loaded {args.contacts} contacts with {2 * args.contacts} identities in {loaded:.1f} s"
        )
        hub = Hub(Settings(database_url=url), Database(url), MemoryBus())
        await time_lookups(hub, args.contacts, 200)  # warm the pool and the index pages
        timings = sorted(await time_lookups(hub, args.contacts, args.lookups))
        p50 = statistics.median(timings)
        p99 = percentile(timings, 0.99)
        print(
            f"identity lookup (normalise + indexed match), {args.lookups} senders: "
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {timings[-1]:.3f} ms"
        )
        result = await time_assignment(hub, args.operators, args.queue, args.warmup)
        report("PostgreSQL", args.operators, *result)
        await hub.db.dispose()


def report(backend: str, operators: int, assigned: int, seconds: float) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"queue drain ({backend}): {assigned} assignment decisions over {operators} operators "
        f"in {seconds:.2f} s = {assigned / seconds:.0f} decisions/s (load average {load})"
    )


if __name__ == "__main__":
    asyncio.run(main())
