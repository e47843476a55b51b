"""SLA check and countdowns on PostgreSQL: the cost of one scheduler tick's breach check, of the
board's waits and of the workspace's clocks for a list of 200, over many open conversations.

On a throwaway database (created and dropped here): T teams with office hours, N open
conversations spread over the last three days (half of them waiting for a reply), and three
policies (company-wide in calendar time, one team's and one team-and-channel's in working
time). The first ticks record the backlog of breaches (BATCH at most each); then a tick with
nothing new to record is the steady state, timed several times. Prints the numbers.

    python bench/sla.py [--conversations 100000] [--teams 20] [--ticks 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, true  # noqa: E402

from bench._common import percentile, throwaway_database  # noqa: E402
from hub.actions import sla_breaches, sla_policies  # noqa: E402
from hub.bus import MemoryBus  # noqa: E402
from hub.core import Hub  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.models import (  # noqa: E402
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    SlaBreach,
    Team,
)
from hub.policy import SystemActor  # noqa: E402
from hub.queries.board import board_state  # noqa: E402
from hub.queries.sla import clocks_for  # noqa: E402
from hub.settings import Settings  # noqa: E402

OFFICE = {
    "tz": "Europe/Moscow",
    "days": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
CHUNK = 10_000


async def load(hub: Hub, args: argparse.Namespace, now: datetime) -> tuple[list[int], int]:
    async with hub.db.sessions() as session, session.begin():
        teams = [
            (await session.execute(
                insert(Team).returning(Team.id),
                [{"name": f"Отдел {t}", "business_hours": OFFICE}],
            )).scalar_one()
            for t in range(args.teams)
        ]  # fmt: skip
        channel = (
            await session.execute(
                insert(Channel).returning(Channel.id),
                [{"kind": "telegram", "name": "bot", "title": "bot", "options": {}, "enabled": True,
                  "created_at": now}],
            )
        ).scalar_one()  # fmt: skip
        contact = (
            await session.execute(insert(Contact).returning(Contact.id), [{"name": "Клиент"}])
        ).scalar_one()
    span = 3 * 24 * 3600
    for start in range(0, args.conversations, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, args.conversations)):
            created = now - timedelta(seconds=(i * 7919) % span)
            waiting = i % 2 == 0
            rows.append(
                {
                    "contact_id": contact,
                    "channel_id": channel,
                    "team_id": teams[(i // 10) % len(teams)] if i % 10 else None,
                    "status": ConversationStatus.open,
                    "created_at": created,
                    "last_message_at": created,
                    "waiting_since": created if waiting else None,
                    "first_response_at": None if waiting else created + timedelta(minutes=5),
                }
            )
        async with hub.db.sessions() as session, session.begin():
            await session.execute(insert(Conversation), rows)
    return teams, channel


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=5)
    args = parser.parse_args()
    async with throwaway_database() as db:
        await upgrade(db.url)
        hub = Hub(settings=Settings(database_url=db.url), db=Database(db.url), bus=MemoryBus())
        try:
            now = datetime.now(UTC)
            started = time.perf_counter()
            teams, channel = await load(hub, args, now)
            loaded = time.perf_counter() - started
            print(f"loaded {args.conversations} open conversations in {loaded:.1f} s")
            actor = SystemActor()
            await sla_policies.create_policy(
                hub, actor, name="Все", first_response_s=3600, resolution_s=86400,
                working_time=False,
            )  # fmt: skip
            await sla_policies.create_policy(
                hub, actor, name="Отдел 1", team_id=teams[0], first_response_s=900,
                next_response_s=1800, resolution_s=8 * 3600,
            )  # fmt: skip
            await sla_policies.create_policy(
                hub, actor, name="Отдел 2 в Telegram", team_id=teams[1], channel_id=channel,
                first_response_s=600,
            )  # fmt: skip
            backlog, ticks, spent = 0, 0, 0.0
            while True:
                began = time.perf_counter()
                written = await sla_breaches.record_breaches(hub, actor)
                spent += time.perf_counter() - began
                backlog += written
                ticks += 1
                if written == 0:
                    break
            print(f"backlog: {backlog} breaches in {ticks} ticks, {spent:.1f} s")
            steady = []
            for _ in range(args.ticks):
                began = time.perf_counter()
                assert await sla_breaches.record_breaches(hub, actor) == 0
                steady.append((time.perf_counter() - began) * 1000)
            print(
                f"steady tick (nothing new): p50 {percentile(steady, 0.5):.0f} ms,"
                f" max {max(steady):.0f} ms"
            )
            async with hub.db.sessions() as session:
                ids = list((await session.scalars(select(Conversation.id).limit(200))).all())
                began = time.perf_counter()
                clocks = await clocks_for(session, now, ids, true())
                listed = (time.perf_counter() - began) * 1000
                began = time.perf_counter()
                board = await board_state(session, now, team_id=teams[0])
                boarded = (time.perf_counter() - began) * 1000
                stored = (
                    await session.execute(select(func.count()).select_from(SlaBreach))
                ).scalar()
            print(f"clocks of 200 conversations: {listed:.0f} ms ({len(clocks)} clocks)")
            print(f"board of one team: {boarded:.0f} ms ({len(board.waits)} waits)")
            print(f"breaches stored: {stored}")
        finally:
            await hub.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
