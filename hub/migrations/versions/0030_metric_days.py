"""metric_days: daily roll-ups of the metric facts; indexes for the board (issue #14)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 05:40:00.000000

Filled here from the facts already stored (PostgreSQL groups them by their local day in
SQL; SQLite, which knows no time zones, in Python), so reports read whole roll-ups from the
first request; `okno metrics rebuild` derives both again.
"""
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# hub.models.ROLLUP_TZ when this was written (a migration keeps its own copy).
ROLLUP_TZ = 'Europe/Moscow'
_KEY = ('day', 'kind', 'team_id', 'channel_id', 'operator_id', 'flags')
_SUMS = ('facts', 'value_facts', 'value_us', 'work_facts', 'work_us')


def upgrade() -> None:
    # The board: a person's latest reply, and who is on a live call (neither read the whole
    # messages or calls table any more).
    op.create_index(
        'ix_messages_author_created', 'messages', ['author_user_id', 'created_at'],
        postgresql_where=sa.text('author_user_id IS NOT NULL'),
        sqlite_where=sa.text('author_user_id IS NOT NULL'),
    )
    op.create_index(
        'ix_calls_live_answered', 'calls', ['answered_by_user_id'],
        postgresql_where=sa.text('answered_at IS NOT NULL AND ended_at IS NULL'),
        sqlite_where=sa.text('answered_at IS NOT NULL AND ended_at IS NULL'),
    )
    op.create_index(
        'ix_conversations_open_assignee', 'conversations', ['assignee_id', 'weight'],
        postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"),
    )
    op.create_index(
        'ix_conversations_waiting_since', 'conversations', ['waiting_since'],
        postgresql_where=sa.text('waiting_since IS NOT NULL'),
        sqlite_where=sa.text('waiting_since IS NOT NULL'),
    )
    table = op.create_table(
        'metric_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('flags', sa.Integer(), nullable=False),
        sa.Column('facts', sa.BigInteger(), nullable=False),
        sa.Column('value_facts', sa.BigInteger(), nullable=False),
        sa.Column('value_us', sa.BigInteger(), nullable=False),
        sa.Column('work_facts', sa.BigInteger(), nullable=False),
        sa.Column('work_us', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f('pk_metric_days')),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            sa.text(
            "INSERT INTO metric_days SELECT (cohort_at AT TIME ZONE :zone)::date,"
            " kind, coalesce(team_id, 0), channel_id, coalesce(operator_id, 0), flags,"
            " count(*), count(value_s), coalesce(sum(round(value_s * 1000000)), 0),"
            " count(work_s), coalesce(sum(round(work_s * 1000000)), 0)"
            " FROM metric_facts GROUP BY 1, 2, 3, 4, 5, 6"
            ).bindparams(zone=ROLLUP_TZ)
        )
        return
    zone = ZoneInfo(ROLLUP_TZ)
    sums: dict[tuple[object, ...], list[int]] = {}
    rows = bind.execute(
        sa.text(
            'SELECT cohort_at, kind, team_id, channel_id, operator_id, flags, value_s, work_s'
            ' FROM metric_facts'
        )
    )
    for cohort_at, kind, team, channel, operator, flags, value, work in rows:
        moment = cohort_at if isinstance(cohort_at, datetime) else datetime.fromisoformat(cohort_at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo('UTC'))
        key = (moment.astimezone(zone).date(), kind, team or 0, channel, operator or 0, flags)
        found = sums.setdefault(key, [0, 0, 0, 0, 0])
        found[0] += 1
        if value is not None:
            found[1] += 1
            found[2] += round(value * 1_000_000)
        if work is not None:
            found[3] += 1
            found[4] += round(work * 1_000_000)
    if sums:
        op.bulk_insert(
            table,
            [dict(zip(_KEY + _SUMS, (*key, *found), strict=True)) for key, found in sums.items()],
        )


def downgrade() -> None:
    op.drop_table('metric_days')
    op.drop_index('ix_calls_live_answered', table_name='calls')
    op.drop_index('ix_conversations_waiting_since', table_name='conversations')
    op.drop_index('ix_conversations_open_assignee', table_name='conversations')
    op.drop_index('ix_messages_author_created', table_name='messages')
