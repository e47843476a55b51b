"""Schema goes through Alembic; an unmigrated database is refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.migrate import (
    NotMigratedError,
    current_revision,
    downgrade,
    ensure_migrated,
    head_revision,
    upgrade,
)
from hub.models import Activity, Contact, Deal, DealStageChange, Organisation
from tests.conftest import Backend


async def test_upgrade_downgrade_upgrade(fresh_backend: Backend) -> None:
    backend = fresh_backend
    assert await current_revision(backend.database_url) == head_revision()
    await downgrade(backend.database_url, "base")
    assert await current_revision(backend.database_url) is None
    with pytest.raises(NotMigratedError, match="okno migrate"):
        await ensure_migrated(backend.database_url)
    await upgrade(backend.database_url)
    await ensure_migrated(backend.database_url)


async def test_fresh_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(NotMigratedError, match="revision none"):
        await ensure_migrated(url)


async def test_models_and_migrations_agree(backend: Backend) -> None:
    """Autogenerate finds nothing to do: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from hub.db import create_engine
    from hub.models import Base
    from hub.models.base import include_object_for

    engine = create_engine(backend.database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync,
                    opts={"include_object": include_object_for(sync.dialect.name)},
                ),
                Base.metadata,
            )
        )
    await engine.dispose()
    assert diff == []


async def test_0008_links_files_of_messages_written_before_it(fresh_backend: Backend) -> None:
    """Messages stored at 0007 name their files only in meta; the upgrade links them."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from hub.db import Database
    from hub.models import (
        Channel,
        Direction,
        Message,
        MessageFile,
        StoredFile,
    )

    url = fresh_backend.database_url
    await downgrade(url, "0007")
    now = datetime.now(UTC)
    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            kept = StoredFile(sha256="a" * 64, size=3, data=b"abc", created_at=now)
            other = StoredFile(sha256="b" * 64, size=3, data=b"def", created_at=now)
            channel = Channel(kind="email", name="mail", options={}, created_at=now)
            session.add_all([kept, other, channel])
            await session.flush()
            contact_id = await _old_contact(session, "Анна", now)
            conversation_id = await _old_conversation(session, contact_id, channel.id, now)

            def message(meta: dict[str, object]) -> Message:
                return Message(
                    conversation_id=conversation_id, direction=Direction.inbound, meta=meta
                )

            with_files = message(
                {
                    "attachments": [
                        {"kind": "photo", "url": "https://example/p.jpg"},
                        {"kind": "document", "name": "a.txt", "file_id": kept.id},
                        {"kind": "document", "name": "lost.txt", "file_id": 987654},
                        {"kind": "document", "name": "b.txt", "file_id": other.id},
                    ]
                }
            )
            plain = message({"utm": {"source": "x"}})
            odd = message({"attachments": "not a list"})
            session.add_all([with_files, plain, odd])
            await session.flush()
            expected = [(with_files.id, 1, kept.id), (with_files.id, 3, other.id)]
        await upgrade(url)
        async with db.sessions() as session:
            found = await session.execute(
                select(MessageFile.message_id, MessageFile.position, MessageFile.file_id)
            )
            assert sorted(tuple(row) for row in found.all()) == expected
    finally:
        await db.dispose()
    assert await current_revision(url) == head_revision()


async def _old_conversation(
    session: AsyncSession, contact_id: int, channel_id: int, now: datetime
) -> int:
    """A conversation row as the schema before 0018 had it (no snooze columns)."""
    inserted = await session.execute(
        text(
            "INSERT INTO conversations (contact_id, channel_id, status, subject, weight,"
            " created_at, last_message_at) VALUES (:contact, :channel, 'open', '', 1.0, :now,"
            " :now) RETURNING id"
        ),
        {"contact": contact_id, "channel": channel_id, "now": now},
    )
    return int(inserted.scalar_one())


async def _old_contact(session: AsyncSession, name: str, now: datetime) -> int:
    """A contact row as the schema before 0009 had it (the model has columns it lacked)."""
    inserted = await session.execute(
        text(
            "INSERT INTO contacts (name, status, custom_fields, created_at, updated_at)"
            " VALUES (:name, 'client', '{}', :now, :now) RETURNING id"
        ),
        {"name": name, "now": now},
    )
    return int(inserted.scalar_one())


async def test_0009_keys_names_and_records_where_each_deal_stands(fresh_backend: Backend) -> None:
    """Names written before 0009 become searchable; every deal gets the move that put it
    in its stage, so the stage history is never empty."""
    url = fresh_backend.database_url
    await downgrade(url, "0008")
    entered = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            contact_id = await _old_contact(session, "  Ёлкина   АННА ", entered)
            await session.execute(
                text("INSERT INTO organisations (name, created_at) VALUES (:n, :t)"),
                {"n": "ООО «Ёж»", "t": entered},
            )
            await session.execute(text("INSERT INTO pipelines (name) VALUES ('Продажи')"))
            await session.execute(
                text(
                    "INSERT INTO stages (pipeline_id, name, position, outcome)"
                    " SELECT id, 'Интерес', 0, 'open' FROM pipelines"
                )
            )
            await session.execute(
                text(
                    "INSERT INTO deals (title, amount, currency, pipeline_id, stage_id, contact_id,"
                    " created_at, stage_entered_at, last_activity_at)"
                    " SELECT 'Поставка', 1000, 'RUB', pipeline_id, id, :c, :t, :t, :t FROM stages"
                ),
                {"c": contact_id, "t": entered},
            )
        await upgrade(url)
        async with db.sessions() as session:
            contact = await session.get(Contact, contact_id)
            assert contact is not None and contact.name_key == "елкина анна"
            keys = (await session.execute(select(Organisation.name_key))).scalars().all()
            assert keys == ["ооо «еж»"]
            moves = (await session.execute(select(DealStageChange))).scalars().all()
            assert [(m.from_stage_id, m.changed_at, m.actor) for m in moves] == [
                (None, entered, "migration")
            ]
            deal = (await session.execute(select(Deal))).scalar_one()
            assert (deal.version, deal.updated_at, moves[0].to_stage_id) == (
                1,
                entered,
                deal.stage_id,
            )
    finally:
        await db.dispose()


async def test_0015_letters_become_email_and_finished_work_reminds_no_more(
    fresh_backend: Backend,
) -> None:
    """Activities written before 0015 keep their data; a finished one's reminder is settled
    (the scheduler would otherwise deliver it on its first tick), a planned one's stays."""
    url = fresh_backend.database_url
    await downgrade(url, "0014")
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    db = Database(url)
    try:
        async with db.sessions() as session, session.begin():
            for kind, status in (("message", "done"), ("call", "planned")):
                await session.execute(
                    text(
                        "INSERT INTO activities (kind, subject, body, status, due_at, remind_at,"
                        " created_at) VALUES (:k, 'Старое', '', :s, :t, :t, :t)"
                    ),
                    {"k": kind, "s": status, "t": at},
                )
        await upgrade(url)
        async with db.sessions() as session:
            rows = (await session.execute(select(Activity).order_by(Activity.id))).scalars().all()
            assert [(a.kind, a.status, a.remind_at, a.version) for a in rows] == [
                ("email", "done", None, 1),
                ("call", "planned", at, 1),
            ]
            assert [(a.all_day, a.remind_delivered_at, a.result) for a in rows] == [
                (False, None, ""),
                (False, None, ""),
            ]
    finally:
        await db.dispose()
