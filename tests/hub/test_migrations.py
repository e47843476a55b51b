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
