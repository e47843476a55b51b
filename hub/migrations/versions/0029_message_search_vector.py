"""messages: the Russian search vector stored (PostgreSQL), the GIN index on it

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 05:40:00.000000

PostgreSQL: `messages.search_vector` is a column GENERATED ALWAYS AS
(to_tsvector('russian', text)) STORED, with the GIN index `ix_messages_search_vector` on it,
replacing the expression index `ix_messages_text_fts`. Search reads the stored vector, so a
row the planner reaches through the primary key (a window of ids, hub/queries/search.py) is
no longer parsed again by to_tsvector for every search.

Why generated rather than written by the application: every writer of `messages.text` (the
ingest, edits from the channels, the personal-data erase's UPDATE, a restore by COPY, any
later one) keeps the vector right by construction, and the vector can never disagree with the
text it indexes.

What it costs on an existing database: ADD COLUMN … GENERATED … STORED rewrites the whole
table under an ACCESS EXCLUSIVE lock (every row parsed once, every index of the table
rebuilt), then the GIN index is built; no message can be written meanwhile. The old
expression index is dropped first so the rewrite does not rebuild it too. Measured by
bench/search.py, which loads at 0028 and times this upgrade (README.md, «bench/search.py»).
A large installation should run it in a maintenance window with maintenance_work_mem raised
for the GIN build.

SQLite: nothing; its search stays the FTS5 table `messages_fts` kept by triggers (0018).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # IF EXISTS: a restore (and bench/search.py) loads the rows without it, to build the
    # index once afterwards; this upgrade builds the one that replaces it.
    op.execute("DROP INDEX IF EXISTS ix_messages_text_fts")
    op.execute(
        "ALTER TABLE messages ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, text)) STORED"
    )
    op.create_index(
        "ix_messages_search_vector", "messages", ["search_vector"], postgresql_using="gin"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_messages_search_vector", table_name="messages")
    op.drop_column("messages", "search_vector")
    op.create_index(
        "ix_messages_text_fts",
        "messages",
        [sa.text("to_tsvector('russian'::regconfig, text)")],
        postgresql_using="gin",
    )
