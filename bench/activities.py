"""Activities under size: a manager's «Сегодня» panel, a team's week calendar, and 10,000
reminders falling due in the same minute.

On a throwaway PostgreSQL database (created and dropped here) this loads, by COPY, U users
in teams of ten and A activities spread over a year around now (past ones mostly done, some
left overdue; meetings with a colleague invited; future ones with pending reminders), then
vacuums them (as autovacuum would have: `--no-vacuum` measures them as COPY leaves them),
starts the whole app in-process on a loopback port and times, end to end (HTTP, access
filter, query, JSON):

- the «Сегодня» panel (GET /activities/today: overdue, today, tomorrow, badge), a day's list
  (GET /activities?responsible=me&from=<today>&to=<tomorrow>) and the overdue list, as
  random managers;
- the week calendar of a team: GET /calendar?users=<its ten>&from=<monday>&to=<monday+7>,
  as the team's supervisor;

and then makes R reminders due in the same minute and times one scheduler tick delivering
them all (marked delivered and logged as `reminder.due` in the same transactions).

Each figure is printed with its ratio to the bare limit measured in the same run: for the
requests, the p99 of `SELECT 1` through asyncpg; for the reminders, one bare UPDATE of R rows
plus one INSERT of R event rows through asyncpg in a transaction. The issue's targets: p99
<= 50 ms for the panel and the calendar, <= 5 s for the reminders.

    .venv/bin/python bench/activities.py --users 500 --activities 2000000 --reminders 10000
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/activities.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports; bench._common is
# imported from the repository's root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from aiohttp import web

from bench._common import bare_select_1, database, percentile, verdict
from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.host.reminders import ReminderScheduler
from hub.migrate import upgrade
from hub.models import User
from hub.settings import Settings

MOSCOW = ZoneInfo("Europe/Moscow")
TEAM_SIZE = 10
KINDS = ("call", "meeting", "task", "reminder", "email")
SUBJECTS = (
    "Перезвонить по замеру",
    "Встреча в офисе клиента",
    "Подготовить КП",
    "Напомнить об оплате",
    "Отправить договор",
)


async def load(dsn: str, args: argparse.Namespace, now: datetime) -> tuple[float, int]:
    """Users (1 is the admin; each team of ten has its first one as supervisor), teams,
    activities and participants. Returns (seconds, participant rows)."""
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
        rnd = random.Random(11)
        span = 180 * 24 * 60  # minutes either side of now
        participants: list[tuple[int, int, datetime]] = []

        def activity(i: int) -> tuple[Any, ...]:
            user = 2 + i % (args.users - 1)
            kind = KINDS[i % len(KINDS)]
            # Working hours in Moscow, spread over a year around now.
            day = now + timedelta(minutes=rnd.randint(-span, span))
            local = day.astimezone(MOSCOW).replace(
                hour=9 + rnd.randint(0, 8), minute=rnd.choice((0, 15, 30, 45))
            )
            due = local.astimezone(UTC)
            past = due < now
            status = "planned" if not past or rnd.random() < 0.02 else "done"
            remind = due - timedelta(minutes=15) if kind in ("call", "meeting") else None
            delivered = remind if remind is not None and remind < now else None
            if kind == "meeting" and i % 4 == 0:
                participants.append((i, 2 + (user + 1 - 2) % (args.users - 1), due))
            return (
                i, kind, SUBJECTS[i % len(SUBJECTS)], "", status,
                "Сделано" if status == "done" else "", user, user, due,
                60 if kind == "meeting" else 15 if kind == "call" else None,
                remind, delivered, 1, due - timedelta(days=3), due - timedelta(days=3),
            )  # fmt: skip

        await conn.copy_records_to_table(
            "activities",
            columns=[
                "id", "kind", "subject", "body", "status", "result", "user_id",
                "created_by_id", "due_at", "duration_min", "remind_at", "remind_delivered_at",
                "version", "created_at", "updated_at",
            ],
            records=(activity(i) for i in range(1, args.activities + 1)),
        )  # fmt: skip
        await conn.copy_records_to_table(
            "activity_participants",
            columns=["activity_id", "user_id", "due_at"],
            records=participants,
        )
        for table, count in (
            ("users", args.users),
            ("teams", teams),
            ("activities", args.activities),
        ):
            await conn.execute(f"SELECT setval('{table}_id_seq', $1)", count)
        if args.vacuum:
            # A table in service has been through autovacuum: its visibility map lets the
            # calendar's covering index answer alone, and its rows' hint bits are set. Fresh
            # from COPY it has neither, and the first reader of each page writes it.
            await conn.execute("VACUUM (ANALYZE)")
        else:
            await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started, len(participants)


async def tokens(hub: Hub, user_ids: list[int]) -> dict[int, str]:
    async with unit_of_work(hub) as uow:
        return {
            u: await create_api_token(uow, await uow.session.get_one(User, u)) for u in user_ids
        }


async def bare_delivery(dsn: str, ids: list[int]) -> float:
    """Seconds for the bare writes of a delivery: one UPDATE of the rows and one INSERT of
    as many event rows, in one transaction, rolled back."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(
                "UPDATE activities SET remind_delivered_at = now() WHERE id = ANY($1::bigint[])",
                ids,
            )
            await conn.execute(
                "INSERT INTO event_log (kind, payload, audience, created_at) "
                "SELECT 'bench', jsonb_build_object('id', i), '{}'::jsonb, now() "
                "FROM unnest($1::bigint[]) AS i",
                ids,
            )
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        return elapsed
    finally:
        await conn.close()


async def clear_tokens(dsn: str) -> None:
    """A reused database's API tokens of the last run go, so the tokens made now are the
    only ones (as in a fresh load)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM api_tokens")
    finally:
        await conn.close()


class _Rollback(Exception):
    pass


Request = Callable[[int], tuple[str, dict[str, str], str]]


async def timed(base: str, request: Request, count: int) -> tuple[float, float, int]:
    """(p50, p99 in ms, items in the last answer) over `count` requests."""
    timings = []
    items = 0
    async with aiohttp.ClientSession() as session:
        for i in range(count):
            path, params, token = request(i)
            headers = {"Authorization": f"Bearer {token}"}
            started = time.perf_counter()
            async with session.get(base + path, params=params, headers=headers) as response:
                raw = await response.read()
            # Timed to the last byte received: the figure is the server's answer; reading
            # 300 kB of JSON is the client's work (a browser's, not Okno's).
            timings.append((time.perf_counter() - started) * 1000)
            body = json.loads(raw)
            assert response.status == 200, (path, params, response.status, body)
            items = (
                len(body["items"])
                if "items" in body
                else sum(len(body[part]) for part in ("overdue", "today", "tomorrow"))
            )
    timings.sort()
    return statistics.median(timings), percentile(timings, 0.99), items


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="per figure")
    parser.add_argument("--redis-url", default=None, help="publish over Redis (default: memory)")
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="measure the tables as COPY leaves them (no visibility map, no hint bits)",
    )
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
        help="measure database NAME left by --keep with the same --users/--activities "
        "instead of loading one (its reminders figure then runs on what the last run left)",
    )
    args = parser.parse_args()

    async with database(args.keep or args.reuse) as db:
        dsn = db.dsn
        url = db.url
        runner: web.AppRunner | None = None
        try:
            await upgrade(url)
            now = datetime.now(UTC)
            if args.reuse is None:
                loaded, invited = await load(dsn, args, now)
                print(
                    f"loaded {args.activities} activities ({invited} invitations) of "
                    f"{args.users} users in {loaded:.1f} s"
                )
            else:
                await clear_tokens(dsn)
            # The app's own scheduler stays out of the way: the bench ticks it by hand.
            settings = Settings(database_url=url, redis_url=args.redis_url, reminder_tick_s=3600)
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}/api/v1"
            hub: Hub = app[HUB]
            managers = list(range(3, args.users + 1, 7))[:60]
            teams = args.users // TEAM_SIZE
            supervisors = [2 + (t - 1) * TEAM_SIZE for t in range(1, teams + 1)]
            token_of = await tokens(hub, managers + supervisors)
            floor = await bare_select_1(dsn, 2000)
            print(f"bare limit: SELECT 1 through asyncpg p99 {floor:.3f} ms")

            today = now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
            monday = today - timedelta(days=today.weekday())
            pick = random.Random(5)

            def day_panel(_: int) -> tuple[str, dict[str, str], str]:
                return "/activities/today", {}, token_of[pick.choice(managers)]

            def day_list(_: int) -> tuple[str, dict[str, str], str]:
                params = {
                    "responsible": "me",
                    "from": today.isoformat(),
                    "to": (today + timedelta(days=1)).isoformat(),
                }
                return "/activities", params, token_of[pick.choice(managers)]

            def overdue(_: int) -> tuple[str, dict[str, str], str]:
                params = {"responsible": "me", "overdue": "true"}
                return "/activities", params, token_of[pick.choice(managers)]

            def week(_: int) -> tuple[str, dict[str, str], str]:
                team = pick.randrange(1, teams + 1)
                members = [u for u in range(2 + (team - 1) * TEAM_SIZE, 2 + team * TEAM_SIZE)]
                params = {
                    "users": ",".join(str(u) for u in members if u <= args.users),
                    "from": monday.isoformat(),
                    "to": (monday + timedelta(days=7)).isoformat(),
                }
                return "/calendar", params, token_of[supervisors[team - 1]]

            for label, request in (
                ("«Сегодня» panel (overdue, today, tomorrow, badge)", day_panel),
                ("list: a manager's day", day_list),
                ("«Сегодня»: a manager's overdue list", overdue),
                ("calendar: a team's week (10 people)", week),
            ):
                await timed(base, request, 20)  # warm the pool and the pages
                p50, p99, items = await timed(base, request, args.requests)
                print(
                    f"{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({p99 / floor:.0f}x the bare"
                    f" limit; target 50 ms: {verdict(p99, 50)}); {items} items"
                )
            await reminders_figure(hub, dsn, args.reminders)
        finally:
            if runner is not None:
                await runner.cleanup()


async def reminders_figure(hub: Hub, dsn: str, count: int) -> None:
    """Make `count` future reminders due within the same minute, then one tick."""
    conn = await asyncpg.connect(dsn)
    try:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM activities WHERE status = 'planned' AND due_at > now() "
                "ORDER BY id LIMIT $1",
                count,
            )
        ]
        bare = await bare_delivery(dsn, ids)
        # All within the last minute, so one tick finds every one of them due.
        minute = datetime.now(UTC) - timedelta(seconds=61)
        await conn.execute(
            "UPDATE activities SET remind_at = $2::timestamptz + (id % 60) * interval '1 second', "
            "remind_delivered_at = NULL WHERE id = ANY($1::bigint[])",
            ids,
            minute,
        )
        await conn.execute("ANALYZE activities")
    finally:
        await conn.close()
    scheduler = ReminderScheduler(hub)
    started = time.perf_counter()
    delivered = await scheduler.tick()
    elapsed = time.perf_counter() - started
    print(
        f"reminders: {delivered} due in the same minute delivered in {elapsed:.2f} s "
        f"({elapsed / bare:.1f}x the bare UPDATE + INSERT of {len(ids)} rows, {bare:.2f} s; "
        f"target 5 s: {verdict(elapsed, 5)})"
    )


if __name__ == "__main__":
    asyncio.run(main())
