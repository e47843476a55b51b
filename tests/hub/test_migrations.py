"""Schema goes through Alembic; an unmigrated database is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.migrate import (
    NotMigratedError,
    current_revision,
    downgrade,
    ensure_migrated,
    head_revision,
    upgrade,
)
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

    engine = create_engine(backend.database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
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
        Contact,
        Conversation,
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
            contact = Contact(name="Анна")
            session.add_all([kept, other, channel, contact])
            await session.flush()
            conversation = Conversation(contact_id=contact.id, channel_id=channel.id)
            session.add(conversation)
            await session.flush()

            def message(meta: dict[str, object]) -> Message:
                return Message(
                    conversation_id=conversation.id, direction=Direction.inbound, meta=meta
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
