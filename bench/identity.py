"""Identity match among 1,000,000 contacts (goal: p99 <= 0.5 ms), on PostgreSQL.

Seeds a throwaway database, migrated to head so every index of the real schema is there,
with set-based SQL (generate_series, no row-by-row inserts): N contacts (a third clients,
the rest leads), each with a phone in E.164; every second one also a Telegram id and every
fifth an email, as routing stores them. Then it times the function routing calls for every
inbound (`routing.identity.find_contact`), one lookup at a time inside an open transaction
as ingest runs it:

- phone: a known number (the web form, a call);
- telegram + phone: a messenger sender who shared a number (two identities, one statement);
- unknown: a number nobody has (every new lead pays this one).

Each is printed as p50/p99/max over --lookups calls beside `SELECT 1` on the same
connection (the floor of any round trip), with PostgreSQL's plan of the two-identity query;
then the phone lookup timed inside PostgreSQL (a PL/pgSQL loop), which a busy machine's
scheduling of client and server distorts far less.

    .venv/bin/python bench/identity.py [-n 1000000] [--lookups 5000]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# ruff: noqa: E402

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench._common import latency_line, percentile, throwaway_database
from hub.actions.contacts import NormalisedIdentity
from hub.db import Database
from hub.migrate import upgrade
from hub.models import IdentityKind
from routing.identity import find_contact

GOAL_P99_MS = 0.5
FIRST_PHONE = 79_160_000_000  # +7 916 000-00-00 onwards: valid Russian mobile numbers
FIRST_TELEGRAM = 5_000_000_000

SEED = [
    """
    INSERT INTO contacts (id, name, name_key, status, custom_fields, source, created_at,
                          updated_at, version)
    SELECT g, 'Клиент ' || g, 'клиент ' || g,
           CASE WHEN g % 3 = 0 THEN 'client' ELSE 'lead' END,
           '{{}}', 'bench', now() - (g || ' seconds')::interval, now(), 1
    FROM generate_series(1, {contacts}) AS g
    """,
    """
    INSERT INTO identities (contact_id, kind, value, raw, created_at)
    SELECT g, 'phone', '+' || ({first_phone} + g), '', now()
    FROM generate_series(1, {contacts}) AS g
    """,
    """
    INSERT INTO identities (contact_id, kind, value, raw, created_at)
    SELECT g, 'telegram', ({first_telegram} + g)::text, '', now()
    FROM generate_series(2, {contacts}, 2) AS g
    """,
    """
    INSERT INTO identities (contact_id, kind, value, raw, created_at)
    SELECT g, 'email', 'client' || g || '@example.ru', '', now()
    FROM generate_series(5, {contacts}, 5) AS g
    """,
]


# The same lookup run inside PostgreSQL (PL/pgSQL caches its plan, as a prepared statement
# does), each execution timed there: the lookup's own cost, without the client's round trip
# and the scheduling of two busy processes around it.
SERVER_SIDE = """
DO $$
DECLARE
    started timestamptz;
    found bigint;
    n bigint;
BEGIN
    FOR i IN 1..{lookups} LOOP
        n := 1 + floor(random() * {contacts})::bigint;
        started := clock_timestamp();
        SELECT identities.contact_id INTO found
        FROM identities JOIN contacts ON contacts.id = identities.contact_id
        WHERE (identities.kind = 'phone' AND identities.value = '+' || ({first_phone} + n))
        ORDER BY CASE WHEN contacts.status = 'client' THEN 0 ELSE 1 END, identities.contact_id
        LIMIT 1;
        INSERT INTO lookup_timings VALUES (
            extract(epoch FROM clock_timestamp() - started) * 1000
        );
    END LOOP;
END $$
"""


async def server_side(dsn: str, contacts: int, lookups: int) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE lookup_timings (ms float8)")
        await conn.execute(
            SERVER_SIDE.format(
                lookups=int(lookups), contacts=int(contacts), first_phone=FIRST_PHONE
            )
        )
        p50, p99, worst = await conn.fetchrow(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), "
            "percentile_disc(0.99) WITHIN GROUP (ORDER BY ms), max(ms) FROM lookup_timings"
        )
    finally:
        await conn.close()
    return f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms"


async def seed(dsn: str, contacts: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        # Indexes that back no constraint are dropped and built again afterwards, each
        # exactly as the migrations made it: one build is far quicker than a million
        # inserts into a trigram index, and the schema measured is the real one.
        rebuilt = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename IN ('contacts', 'identities') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in rebuilt:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        for statement in SEED:
            began = time.perf_counter()
            # Integers of this script's own, formatted in: nothing here comes from outside.
            await conn.execute(
                statement.format(
                    contacts=int(contacts),
                    first_phone=FIRST_PHONE,
                    first_telegram=FIRST_TELEGRAM,
                )
            )
            table = statement.split("INTO", 1)[1].split()[0]
            print(f"  {table}: {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        for index in rebuilt:
            await conn.execute(index["indexdef"])
        print(f"  {len(rebuilt)} indexes built again: {time.perf_counter() - began:.1f} s")
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('contacts', 'id'), max(id)) FROM contacts"
        )
        await conn.execute("VACUUM ANALYZE contacts")
        await conn.execute("VACUUM ANALYZE identities")
    finally:
        await conn.close()


def phone(n: int) -> NormalisedIdentity:
    value = f"+{FIRST_PHONE + n}"
    return NormalisedIdentity(IdentityKind.phone, value, value)


def telegram(n: int) -> NormalisedIdentity:
    value = str(FIRST_TELEGRAM + n)
    return NormalisedIdentity(IdentityKind.telegram, value, value)


async def timed(
    session: AsyncSession, count: int, one: Callable[[int], Awaitable[object]]
) -> list[float]:
    timings = []
    for i in range(count):
        began = time.perf_counter()
        await one(i)
        timings.append((time.perf_counter() - began) * 1000)
    return sorted(timings)


async def measure(url: str, contacts: int, lookups: int) -> None:
    rng = random.Random(16)
    known = [rng.randrange(1, contacts + 1) for _ in range(lookups)]
    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            connection = await session.connection()
            for i in range(200):  # warm the pool, the statement cache and the buffers
                await find_contact(session, [phone(known[i % len(known)])])

            async def select_1(_: int) -> None:
                await connection.execute(text("SELECT 1"))

            async def by_phone(i: int) -> None:
                assert await find_contact(session, [phone(known[i])]) == known[i]

            async def by_two(i: int) -> None:
                n = known[i] - known[i] % 2 or 2  # an even contact holds a Telegram id
                found = await find_contact(session, [telegram(n), phone(n)])
                assert found == n

            async def unknown(i: int) -> None:
                assert await find_contact(session, [phone(contacts + 1 + i)]) is None

            floor = await timed(session, lookups, select_1)
            print(f"SELECT 1 (the floor):       {latency_line(floor)}")
            for name, one in (
                ("phone", by_phone),
                ("telegram + phone", by_two),
                ("unknown phone", unknown),
            ):
                timings = await timed(session, lookups, one)
                p99 = percentile(timings, 0.99)
                verdict = "ok" if p99 <= GOAL_P99_MS else "OVER"
                # What the lookup adds to a bare round trip: the machine's load shows in
                # both, the cost of the lookup itself in the difference.
                extra = percentile(timings, 0.5) - percentile(floor, 0.5)
                print(
                    f"{name + ':':27} {latency_line(timings)} "
                    f"(goal p99 <= {GOAL_P99_MS} ms: {verdict}; p50 {extra:+.2f} ms over SELECT 1)"
                )
            n = known[0] - known[0] % 2 or 2
            plan = await connection.execute(
                text(
                    "EXPLAIN ANALYZE SELECT identities.contact_id FROM identities "
                    "JOIN contacts ON contacts.id = identities.contact_id "
                    "WHERE (identities.kind = 'telegram' AND identities.value = :t) "
                    "OR (identities.kind = 'phone' AND identities.value = :p) "
                    "ORDER BY CASE WHEN contacts.status = 'client' THEN 0 ELSE 1 END, "
                    "identities.contact_id LIMIT 1"
                ),
                {"t": telegram(n).value, "p": phone(n).value},
            )
            print("plan of telegram + phone:")
            for (line,) in plan:
                print(f"  {line}")
    finally:
        await db.dispose()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="contacts")
    parser.add_argument("--lookups", type=int, default=5000, help="timed lookups per kind")
    args = parser.parse_args()
    async with throwaway_database() as database:
        print(f"migrating a throwaway database, then seeding {args.n:,} contacts …", flush=True)
        await upgrade(database.url)
        began = time.perf_counter()
        await seed(database.dsn, args.n)
        print(f"seeded in {time.perf_counter() - began:.0f} s; load {load_average()}")
        await measure(database.url, args.n, args.lookups)
        inside = await server_side(database.dsn, args.n, args.lookups)
        print(f"phone, timed inside PostgreSQL: {inside}")
        print(f"load at the end {load_average()}")


if __name__ == "__main__":
    asyncio.run(main())
