"""Reports and the live board under size, over HTTP, on a throwaway PostgreSQL database.

Loads, with set-based INSERT … SELECT generate_series, C conversations (90 % closed) with M
messages (customer and operator in turn, with replies minutes apart) and K inbound calls
(answered, missed, abandoned), all spread over 90 days, across 3 channels and O operators in
rotation; then starts the whole app in-process on a loopback port and times, end to end
(HTTP, role check, queries, figures, JSON):

- the 30-day conversation report grouped by day, and by operator;
- the 30-day call report grouped by day;
- the live board (GET /api/v1/board) with O operators.

The rows are loaded straight into the tables, as an import would, so their metric facts come
from `okno metrics rebuild` (hub.actions.metric_facts.rebuild), whose time is printed too.

Each figure is printed as p50/p95 in milliseconds and as a ratio of the bare limit measured in
the same run (the p99 of `SELECT 1` through asyncpg), as bench/crm.py does. The issue's
targets: each 30-day report p95 <= 500 ms at 1,000,000 conversations, 10,000,000 messages and
2,000,000 calls; the board <= 50 ms for 200 operators.

    .venv/bin/python bench/reports.py --conversations 1000000 --messages-each 10 \
        --calls 2000000 --operators 200 --requests 20
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/reports.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from aiohttp import web
from sqlalchemy import select

from bench._common import bare_select_1, database, percentile
from hub.actions import metric_facts, unit_of_work
from hub.actions.users import create_api_token, create_user
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.migrate import upgrade
from hub.models import Role, User
from hub.settings import Settings

DAYS = 90


async def people(hub: Hub, operators: int) -> str:
    """The operators (with a team holding them) and a supervisor's API token to ask as."""
    async with unit_of_work(hub) as uow:
        boss = await create_user(uow, "bench-boss", "Руководитель", "x" * 12, role=Role.supervisor)
        token = await create_api_token(uow, boss)
        for i in range(operators):
            await create_user(uow, f"bench-op{i}", f"Оператор {i}", "x" * 12)
    return token


async def load(dsn: str, args: argparse.Namespace, now: datetime) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        ops = await conn.fetch("SELECT id FROM users WHERE role = 'operator' ORDER BY id")
        first_op, count_op = ops[0]["id"], len(ops)
        await conn.execute(
            "INSERT INTO teams (name, strategy, accept_timeout_s, wait_limit_s, business_hours)"
            " VALUES ('Поддержка', 'least_busy', 45, 300,"
            ' \'{"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]],'
            ' "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],'
            ' "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]]}}\')'
        )
        await conn.execute(
            "INSERT INTO team_members (team_id, user_id) SELECT 1, id FROM users"
            " WHERE role = 'operator'"
        )
        await conn.execute(
            "INSERT INTO channels (kind, name, title, options, enabled, team_id, created_at)"
            " VALUES ('telegram', 'tg', 'Telegram', '{}', true, 1, $1),"
            " ('webform', 'site', 'Сайт', '{}', true, 1, $1),"
            " ('asterisk', 'pbx', 'АТС', '{}', true, 1, $1)",
            now,
        )
        contacts = max(1, args.conversations // 10)
        await conn.execute(
            "INSERT INTO contacts (name, name_key, status, custom_fields, source, created_at,"
            " updated_at, version) SELECT 'Клиент ' || g, 'клиент ' || g, 'client', '{}', 'bench',"
            " $1, $1, 1 FROM generate_series(1, $2) g",
            now,
            contacts,
        )
        # Conversation g began g/C of the way back over 90 days; one in ten is still open.
        await conn.execute(
            "INSERT INTO conversations (contact_id, channel_id, status, subject, weight, team_id,"
            " assignee_id, created_at, first_assigned_at, first_response_at, last_message_at,"
            " closed_at) SELECT 1 + g % $2, 1 + g % 2,"
            " CASE WHEN g % 10 = 0 THEN 'open' ELSE 'closed' END, '', 1.0, 1, $3 + g % $4,"
            " t, t + interval '30 seconds', t + interval '2 minutes', t + interval '1 hour',"
            " CASE WHEN g % 10 = 0 THEN NULL ELSE t + interval '1 hour' END"
            " FROM (SELECT g, $1::timestamptz - (g::float8 / $5 * $6) * interval '1 day' AS t"
            "       FROM generate_series(1, $5) g) s",
            now, contacts, first_op, count_op, args.conversations, DAYS,
        )  # fmt: skip
        # Message k of each: customer on even k, the holder's reply on odd k, 3 min apart.
        await conn.execute(
            "INSERT INTO messages (conversation_id, direction, author_user_id, text, meta,"
            " created_at) SELECT c.id, CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END,"
            " CASE WHEN k % 2 = 0 THEN NULL ELSE c.assignee_id END, 'текст', '{}',"
            " c.created_at + k * interval '3 minutes'"
            " FROM conversations c CROSS JOIN generate_series(0, $1 - 1) k ORDER BY c.id, k",
            args.messages_each,
        )
        await conn.execute(
            "INSERT INTO calls (channel_id, linkedid, direction, client_number, outcome,"
            " answered_by_user_id, agents_rung, wait_s, talk_s, resynced, started_at)"
            " SELECT 3, 'b' || g, 'inbound', '+7900' || lpad((g % 500000)::text, 7, '0'),"
            " CASE g % 10 WHEN 0 THEN 'missed' WHEN 1 THEN 'abandoned' ELSE 'answered' END,"
            " CASE WHEN g % 10 > 1 THEN $3 + g % $4 END, '[]', 5 + g % 40,"
            " CASE WHEN g % 10 > 1 THEN 60 + g % 300 END, false,"
            " $1::timestamptz - (g::float8 / $2 * $5) * interval '1 day'"
            " FROM generate_series(1, $2) g",
            now, args.calls, first_op, count_op, DAYS,
        )  # fmt: skip
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def asyncpg_count(dsn: str, sql: str) -> int:
    """A count query's answer (0 for a command such as ANALYZE)."""
    conn = await asyncpg.connect(dsn)
    try:
        if not sql.startswith("SELECT"):
            await conn.execute(sql)
            return 0
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def timed(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], count: int
) -> tuple[float, float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(url, params=params) as response:
            body = await response.json()
            assert response.status == 200, (url, response.status, body)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), percentile(timings, 0.95)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages-each", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20, help="per figure")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        default=None,
        help="load into database NAME (okno_bench_…) and leave it there for --reuse "
        "(drop it by hand afterwards)",
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        default=None,
        help="measure database NAME left by --keep instead of loading one (its facts as the "
        "last run left them, unless --rebuild)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="with --reuse: derive the facts again (and time it); without --reuse always done",
    )
    parser.add_argument(
        "--no-rebuild", action="store_true", help="load the rows only, no facts (with --keep)"
    )
    parser.add_argument("--measure-nothing", action="store_true", help="stop before the API")
    args = parser.parse_args()

    async with database(args.keep or args.reuse) as db:
        dsn = db.dsn
        url = db.url
        runner: web.AppRunner | None = None
        try:
            await upgrade(url)
            app = create_app(Settings(database_url=url))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}/api/v1"
            if args.reuse is None:
                token = await people(app[HUB], args.operators)
                loaded = await load(dsn, args, datetime.now(UTC))
                print(
                    f"loaded {args.conversations} conversations, "
                    f"{args.conversations * args.messages_each} messages, {args.calls} calls"
                    f" over {DAYS} days, {args.operators} operators in {loaded:.1f} s",
                    flush=True,
                )
            else:
                token = await boss_token(app[HUB])
            if args.rebuild if args.reuse else not args.no_rebuild:
                await timed_rebuild(app[HUB], dsn)
            if args.measure_nothing:
                return
            floor = await bare_select_1(dsn, 2000)
            print(f"bare limit: SELECT 1 through asyncpg p99 {floor:.3f} ms")
            figures = [
                ("30-day conversation report by day", "/reports/conversations",
                 {"period": "30d", "group_by": "day"}, 500),
                ("30-day conversation report by operator", "/reports/conversations",
                 {"period": "30d", "group_by": "operator"}, 500),
                ("30-day call report by day", "/reports/calls",
                 {"period": "30d", "group_by": "day"}, 500),
                ("30-day call report by operator", "/reports/calls",
                 {"period": "30d", "group_by": "operator"}, 500),
                (f"board with {args.operators} operators", "/board", {}, 50),
            ]  # fmt: skip
            headers = {"Authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession(headers=headers) as session:
                for label, path, params, target in figures:
                    await timed(session, base + path, params, 2)  # warm the pool and the caches
                    p50, p95 = await timed(session, base + path, params, args.requests)
                    verdict = "ok" if p95 <= target else "OVER"
                    print(
                        f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({p95 / floor:.0f}x the bare"
                        f" limit; target {target} ms: {verdict}; {load_average()})",
                        flush=True,
                    )
        finally:
            if runner is not None:
                await runner.cleanup()


async def boss_token(hub: Hub) -> str:
    """A fresh API token of the supervisor a kept database holds."""
    async with unit_of_work(hub) as uow:
        boss = (
            await uow.session.execute(select(User).where(User.login == "bench-boss"))
        ).scalar_one()
        return await create_api_token(uow, boss)


async def timed_rebuild(hub: Hub, dsn: str) -> None:
    started = time.perf_counter()
    done = await metric_facts.rebuild(hub, datetime.now(UTC) - timedelta(DAYS + 1))
    facts = await asyncpg_count(dsn, "SELECT count(*) FROM metric_facts")
    # The roll-ups and histograms too: a report's plan over stale statistics (a few rows
    # expected, 100,000s there) sorts on disk.
    for table in ("metric_facts", "metric_days", "metric_bins"):
        await asyncpg_count(dsn, f"VACUUM ANALYZE {table}")
    took = time.perf_counter() - started
    print(
        f"rebuilt the metric facts of {done[0]} conversations and {done[1]} calls"
        f" ({facts} facts) in {took:.1f} s, {facts / took:.0f} facts/s ({load_average()})",
        flush=True,
    )


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    asyncio.run(main())
