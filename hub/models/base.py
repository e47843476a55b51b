"""Declarative base and column types shared by every model module."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# BIGINT keys on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


POSTGRES_ONLY = "postgres_only"
SQLITE_FTS_PREFIX = "messages_fts"
# PostgreSQL columns kept by their migration's DDL and deliberately not mapped (table, column):
# messages' stored search vector (hub/models/comms.py, MESSAGE_SEARCH_VECTOR).
UNMAPPED_POSTGRES_COLUMNS = {("messages", "search_vector")}


def postgres_only(index: Index) -> Index:
    """An index that exists on PostgreSQL alone (a GIN over trigrams has no SQLite form).
    `ddl_if` keeps it out of SQLite's DDL; the `info` mark tells Alembic's comparison of the
    models with a SQLite database not to look for it (`include_object_for`)."""
    index.info[POSTGRES_ONLY] = True
    return index.ddl_if(dialect="postgresql")


def include_object_for(dialect: str) -> Any:
    """Alembic's `include_object` hook for a database of `dialect`: on SQLite, the models'
    PostgreSQL-only indexes are not looked for (migrations and the drift test use it)."""

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        if type_ == "index" and not reflected and obj.info.get(POSTGRES_ONLY):
            return dialect == "postgresql"
        if type_ == "column" and reflected and compare_to is None:
            return (obj.table.name, name) not in UNMAPPED_POSTGRES_COLUMNS
        # SQLite's full-text tables (and their shadow tables) are kept by raw DDL and
        # triggers, as SQLAlchemy has no model of a virtual table.
        if type_ == "table" and reflected and (name or "").startswith(SQLITE_FTS_PREFIX):
            return False
        return True

    return include_object


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns timezone-aware datetimes on every backend.

    SQLite has no time zones and hands back naive values; comparing those with aware
    ones raises, so every value is normalised on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
