"""The workspace's search under size: GET /api/v1/search over a large generated corpus.

On each backend this loads N messages (Russian text from a generator with a fixed seed) in
conversations of N / per-conversation clients, each client with a phone, an e-mail and a name,
then starts the whole app in-process on a loopback port and times, over HTTP as an admin,
what operators type into the search box (end to end: HTTP, parsing, queries, JSON):

- a phrase in Russian, of common words (thousands of messages hold it) and with a rare word
  (a street, a few dozen messages), in another form than the text's («замера балкона»);
- a phone in another spelling than stored (`8 (916) 000-12-34` for +79160001234);
- an e-mail address; a client's full name (a few dozen namesakes); a request number (№…).

PostgreSQL: the stored Russian search vector with its GIN index, and trigram indexes (a
throwaway database, made and dropped here). The rows are COPied at migration 0028, and the
upgrade to head (0029: the table rewritten to fill the generated vector, then its GIN index)
is timed over them: what the upgrade costs a database of that size. `--keep` leaves the
database, `--reuse NAME` measures a kept one again without loading.
SQLite: the FTS5 table kept by the triggers, as in production (a temporary file).

Each kind prints p50/p95/p99 in milliseconds, the hits on its last answer and the load
average; the issue's
target (p95 <= 200 ms on PostgreSQL at 10,000,000 messages) is printed beside each figure.

    .venv/bin/python bench/search.py --messages 1000000 --backend both
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/search.py`, this folder comes first on the path, and its
# bench/routing.py would hide the `routing` package the app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from hub.actions import unit_of_work
from hub.actions.users import create_api_token, create_user
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.migrate import upgrade
from hub.models import Role
from hub.models.crm import search_key
from hub.settings import Settings

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 200
SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев"
).split()
FIRST = "Анна Мария Елена Ольга Иван Алексей Сергей Дмитрий Андрей Михаил Наталья Юлия".split()
PATRONYMIC = "Сергеевна Ивановна Петровна Андреевна Олеговна Викторовна Павловна".split()
STREETS = [
    f"{stem}{ending}"
    for stem in (
        "Лесн Садов Черёмухов Парков Берёзов Солнечн Школьн Полев Луговар Заречн Цветочн "
        "Рябинов Сосновк Тополин Липов Клёнов Весенн Озёрн Речн Степн"
    ).split()
    for ending in ("ая", "ой")
]
SENTENCES = (
    "Здравствуйте! Нужен замер балкона {n} метра, живу на улице {street}.",
    "Подскажите, сколько стоит остекление лоджии под ключ?",
    "Когда приедет замерщик? Я дома после {hour}:00.",
    "Хочу заменить окна в квартире, {n} створки, профиль тёплый.",
    "Спасибо, договор получил, оплату внесу завтра.",
    "Доставка возможна в субботу? Адрес: улица {street}, дом {n}.",
    "Монтажники оставили мусор на балконе, уберите, пожалуйста.",
    "Добрый день! Замер назначен на {day} число, ожидайте звонка.",
    "Стоимость остекления балкона {price} рублей, включая монтаж.",
    "Можно ли поставить москитную сетку на окно в детской?",
    "Счёт отправили на почту, проверьте, пожалуйста.",
    "Окно продувает у подоконника, нужна регулировка фурнитуры.",
)


def person(i: int) -> str:
    """Namesakes on purpose: one full name is shared by about one client in 1,800."""
    surname = SURNAMES[i % len(SURNAMES)]
    first = FIRST[(i // 3) % len(FIRST)]
    female = first.endswith("а") or first.endswith("я")
    return f"{surname}{'а' if female else ''} {first} {PATRONYMIC[(i // 7) % len(PATRONYMIC)]}"


def phone_of(i: int) -> str:
    return f"+7916{i:07d}"


def spelled(i: int) -> str:
    digits = f"916{i:07d}"
    return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def email_of(i: int) -> str:
    return f"client{i}@mail.example"


def texts(count: int, seed: int = 5) -> Iterator[str]:
    pick = random.Random(seed)
    for _ in range(count):
        parts = pick.sample(SENTENCES, 2)
        yield " ".join(
            part.format(
                n=pick.randint(2, 9),
                street=pick.choice(STREETS),
                hour=pick.randint(9, 20),
                day=pick.randint(1, 28),
                price=pick.randrange(20_000, 200_000, 500),
            )
            for part in parts
        )


class Corpus:
    def __init__(self, messages: int, per_conversation: int) -> None:
        self.messages = messages
        self.clients = max(1, messages // per_conversation)
        self.per_conversation = per_conversation
        self.now = datetime.now(UTC).replace(microsecond=0)

    def when(self, message: int) -> datetime:
        return self.now - timedelta(seconds=self.messages - message)

    def conversation_of(self, message: int) -> int:
        return 1 + (message - 1) % self.clients


def sqlite_time(value: datetime) -> str:
    """How SQLAlchemy stores UtcDateTime in SQLite: naive UTC text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# The load runs at the revision before the stored search vector and then times the upgrade
# to head over the loaded rows: what migration 0029 costs a database of this size (the table
# rewritten to fill the generated column, then the GIN index on it built).
REVISION_BEFORE_VECTOR = "0028"


async def load_postgres(dsn: str, url: str, corpus: Corpus) -> tuple[float, float]:
    """(COPY s, upgrade to head s: the rewrite that fills the vector and its GIN index)."""
    await upgrade(url, REVISION_BEFORE_VECTOR)
    started = time.perf_counter()
    now = corpus.now
    conn = await asyncpg.connect(dsn)
    try:
        channel = await conn.fetchval(
            "INSERT INTO channels (kind, name, title, options, enabled, created_at) "
            "VALUES ('webform', 'site', 'Сайт', '{}', true, $1) RETURNING id",
            now,
        )
        await conn.copy_records_to_table(
            "contacts",
            columns=["id", "name", "name_key", "status", "custom_fields", "source",
                     "created_at", "updated_at", "version"],
            records=(
                (i, person(i), search_key(person(i)), "lead", "{}", "web_form", now, now, 1)
                for i in range(1, corpus.clients + 1)
            ),
        )  # fmt: skip
        for kind, value in (("phone", phone_of), ("email", email_of)):
            await conn.copy_records_to_table(
                "identities",
                columns=["contact_id", "kind", "value", "raw", "created_at"],
                records=((i, kind, value(i), value(i), now) for i in range(1, corpus.clients + 1)),
            )
        await conn.copy_records_to_table(
            "conversations",
            columns=["id", "contact_id", "channel_id", "status", "subject", "weight",
                     "created_at", "last_message_at", "snoozed"],
            records=(
                (i, i, channel, "open", "", 1.0, now, corpus.when(corpus.messages), False)
                for i in range(1, corpus.clients + 1)
            ),
        )  # fmt: skip
        # As a restore would: the rows first, then the full-text index over them (0029 builds
        # the one on the stored vector; it drops this one if there).
        await conn.execute("DROP INDEX ix_messages_text_fts")
        await conn.copy_records_to_table(
            "messages",
            columns=["id", "conversation_id", "direction", "text", "meta", "created_at"],
            records=(
                (m, corpus.conversation_of(m), "inbound" if m % 2 else "outbound", text, "{}",
                 corpus.when(m))
                for m, text in enumerate(texts(corpus.messages), start=1)
            ),
        )  # fmt: skip
        for table, count in (
            ("contacts", corpus.clients),
            ("conversations", corpus.clients),
            ("messages", corpus.messages),
        ):
            await conn.execute(f"SELECT setval('{table}_id_seq', $1)", count)
        loaded = time.perf_counter() - started
    finally:
        await conn.close()
    started = time.perf_counter()
    await upgrade(url)
    migrated = time.perf_counter() - started
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return loaded, migrated


def load_sqlite(path: Path, corpus: Corpus) -> float:
    """Plain inserts: the FTS5 table is kept by its triggers, as it is in production."""
    started = time.perf_counter()
    now = sqlite_time(corpus.now)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous = OFF")
        db.execute(
            "INSERT INTO channels (kind, name, title, options, enabled, created_at) "
            "VALUES ('webform', 'site', 'Сайт', '{}', 1, ?)",
            (now,),
        )
        db.executemany(
            "INSERT INTO contacts (id, name, name_key, status, custom_fields, source, created_at,"
            " updated_at, version) VALUES (?, ?, ?, 'lead', '{}', 'web_form', ?, ?, 1)",
            ((i, person(i), search_key(person(i)), now, now) for i in range(1, corpus.clients + 1)),
        )
        for kind, value in (("phone", phone_of), ("email", email_of)):
            db.executemany(
                "INSERT INTO identities (contact_id, kind, value, raw, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                ((i, kind, value(i), value(i), now) for i in range(1, corpus.clients + 1)),
            )
        last = sqlite_time(corpus.when(corpus.messages))
        db.executemany(
            "INSERT INTO conversations (id, contact_id, channel_id, status, subject, weight,"
            " created_at, last_message_at, snoozed) VALUES (?, ?, 1, 'open', '', 1.0, ?, ?, 0)",
            ((i, i, now, last) for i in range(1, corpus.clients + 1)),
        )
        db.executemany(
            "INSERT INTO messages (id, conversation_id, direction, text, meta, created_at)"
            " VALUES (?, ?, ?, ?, '{}', ?)",
            (
                (m, corpus.conversation_of(m), "inbound" if m % 2 else "outbound", text,
                 sqlite_time(corpus.when(m)))
                for m, text in enumerate(texts(corpus.messages), start=1)
            ),
        )  # fmt: skip
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()
    return time.perf_counter() - started


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[max(0, int(len(sorted_ms) * q) - 1)]


Query = Callable[[], str]


def kinds(corpus: Corpus, pick: random.Random) -> list[tuple[str, Query]]:
    def client() -> int:
        return pick.randint(1, corpus.clients)

    return [
        ("phrase, common words «замера балкона»", lambda: "замера балкона"),
        (
            "phrase with a rare word «<улица> дом»",
            lambda: f"{pick.choice(STREETS)} дом",
        ),
        ("phone in another spelling 8 (916) …", lambda: spelled(client())),
        ("e-mail", lambda: email_of(client())),
        ("full name (namesakes)", lambda: person(client())),
        ("request number №…", lambda: f"№{client()}"),
    ]


async def timed(
    session: aiohttp.ClientSession, base: str, query: Query, count: int
) -> tuple[float, float, float, int]:
    """(p50, p95, p99 in ms, hits on the last answer) over `count` searches."""
    timings = []
    hits = 0
    for _ in range(count):
        params = {"q": query(), "limit": "20"}
        started = time.perf_counter()
        async with session.get(base + "/search", params=params) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == 200, (params, response.status, body)
        timings.append((time.perf_counter() - started) * 1000)
        hits = len(body["conversations"]) + len(body["messages"])
    timings.sort()
    return statistics.median(timings), percentile(timings, 0.95), percentile(timings, 0.99), hits


async def measure(label: str, url: str, corpus: Corpus, requests: int) -> None:
    app = create_app(Settings(database_url=url))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}/api/v1"
        async with unit_of_work(app[HUB]) as uow:
            # A reused database keeps the admins of earlier runs: a new login each run.
            login = f"bench-admin-{uuid.uuid4().hex[:8]}"
            admin = await create_user(uow, login, "Админ", "x" * 12, role=Role.admin)
            token = await create_api_token(uow, admin)
        pick = random.Random(11)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            for name, query in kinds(corpus, pick):
                await timed(session, base, query, 20)  # warm the pool and the pages
                p50, p95, p99, hits = await timed(session, base, query, requests)
                verdict = "ok" if p95 <= TARGET_P95_MS else "OVER"
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(
                    f"{label}: {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"
                    f" (target p95 {TARGET_P95_MS} ms: {verdict}); {hits} hits;"
                    f" load average {load}",
                    flush=True,
                )
    finally:
        await runner.cleanup()


async def reused_corpus(dsn: str, per_conversation: int) -> Corpus:
    """The corpus a --keep run loaded into the database, from its rows."""
    conn = await asyncpg.connect(dsn)
    try:
        messages = await conn.fetchval("SELECT count(*) FROM messages")
    finally:
        await conn.close()
    return Corpus(messages, per_conversation)


async def on_postgres(
    corpus: Corpus, requests: int, keep: bool, reuse: str | None, per_conversation: int
) -> None:
    name = reuse or f"okno_bench_{uuid.uuid4().hex[:8]}"
    if not name.startswith("okno_bench_"):
        raise SystemExit("--reuse: the name must start with okno_bench_")
    admin = await asyncpg.connect(ADMIN_DSN)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        if reuse is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
            # The GIN build of migration 0029 over millions of rows: the default 64 MB of
            # maintenance_work_mem makes it spill many times; an operator upgrading a large
            # installation would raise it the same way (README.md, «bench/search.py»).
            await admin.execute(f"ALTER DATABASE \"{name}\" SET maintenance_work_mem = '1GB'")
            print(f"postgres: loading into {name}", flush=True)
            loaded, migrated = await load_postgres(dsn, url, corpus)
            print(
                f"postgres: loaded {corpus.messages} messages of {corpus.clients} clients by COPY"
                f" in {loaded:.1f} s; upgrade to the stored search vector (migration 0029: table"
                f" rewrite + GIN index) in {migrated:.1f} s",
                flush=True,
            )
        else:
            await upgrade(url)
            corpus = await reused_corpus(dsn, per_conversation)
            print(f"postgres: reusing {name}, {corpus.messages} messages", flush=True)
        await measure("postgres", url, corpus, requests)
    finally:
        if keep or reuse is not None:
            print(f"postgres: the database {name} is kept (drop it when done)")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def on_sqlite(corpus: Corpus, requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="okno-bench-search-") as folder:
        path = Path(folder) / "okno.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        loaded = await asyncio.to_thread(load_sqlite, path, corpus)
        size = path.stat().st_size / 2**20
        print(
            f"sqlite: inserted {corpus.messages} messages of {corpus.clients} clients (FTS5 kept"
            f" by its triggers) in {loaded:.1f} s; the file is {size:.0f} MiB"
        )
        await measure("sqlite", url, corpus, requests)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="per kind of query")
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL database (to EXPLAIN queries, or measure again with --reuse)",
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        default=None,
        help="measure the PostgreSQL database NAME (okno_bench_…) left by --keep instead of "
        "loading one (upgraded to head first); it is kept",
    )
    args = parser.parse_args()
    corpus = Corpus(args.messages, args.per_conversation)
    if args.backend in ("postgres", "both"):
        await on_postgres(corpus, args.requests, args.keep, args.reuse, args.per_conversation)
    if args.backend in ("sqlite", "both"):
        await on_sqlite(corpus, args.requests)


if __name__ == "__main__":
    asyncio.run(main())
