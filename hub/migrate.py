"""Schema migrations through Alembic, driven from code (no alembic.ini to find)."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from hub.db import create_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class NotMigratedError(RuntimeError):
    """The database schema is older than this code (or absent)."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    return config


# Alembic reads and compiles every migration script to find the head: about 100 ms of the
# event loop's time at each start of an app. The scripts cannot change under a running process.
@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so Alembic goes to a worker thread.
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(url), revision)


async def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:

            def _read(sync_connection: Connection) -> str | None:
                return MigrationContext.configure(sync_connection).get_current_revision()

            return await connection.run_sync(_read)
    finally:
        await engine.dispose()


async def ensure_migrated(url: str) -> None:
    current, head = await current_revision(url), head_revision()
    if current != head:
        raise NotMigratedError(
            f"The database at {url} is at schema revision {current or 'none'}, "
            f"this Okno needs {head}. Run `okno migrate` first."
        )
