"""metric_bins: per-day value histograms of the metric facts (issue #14)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 12:30:00.000000

Filled here from the facts already stored, like 0030 fills metric_days: PostgreSQL bins
them in SQL, SQLite in Python, with the same integer arithmetic as
hub.queries.metrics_common.value_bin (a migration keeps its own copy), so the reports'
percentiles read whole days from the first request; `okno metrics rebuild` derives them
again.
"""
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# hub.models.ROLLUP_TZ and hub.queries.metrics_common.BIN_DIGITS when this was written.
ROLLUP_TZ = 'Europe/Moscow'
BIN_DIGITS = 3
_KEY = ('day', 'kind', 'team_id', 'channel_id', 'operator_id', 'flags', 'measure', 'bin')


def value_bin(seconds: float) -> int:
    tenths = round(seconds * 10)
    size = abs(tenths)
    step = 1
    while size >= 10**BIN_DIGITS * step:
        step *= 10
    kept = (size + step // 2) // step * step
    return kept if tenths >= 0 else -kept


def _bin_sql(column: str) -> str:
    """value_bin in SQL: round() of a float8 rounds half to even, as Python's round does."""
    tenths = f'round({column} * 10)::bigint'
    steps = ' '.join(
        f'WHEN abs({tenths}) < {10 ** (BIN_DIGITS + k)} THEN {10**k}' for k in range(16)
    )
    step = f'(CASE {steps} ELSE {10**16} END)'
    kept = f'((abs({tenths}) + {step} / 2) / {step} * {step})'
    return f'(CASE WHEN {tenths} < 0 THEN -{kept} ELSE {kept} END)'


def upgrade() -> None:
    table = op.create_table(
        'metric_bins',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('flags', sa.Integer(), nullable=False),
        sa.Column('measure', sa.SmallInteger(), nullable=False),
        sa.Column('bin', sa.BigInteger(), nullable=False),
        sa.Column('facts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f('pk_metric_bins')),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for measure, column in ((0, 'value_s'), (1, 'work_s')):
            op.execute(
                sa.text(
                    "INSERT INTO metric_bins SELECT (cohort_at AT TIME ZONE :zone)::date,"
                    " kind, coalesce(team_id, 0), channel_id, coalesce(operator_id, 0), flags,"
                    f" {measure}, {_bin_sql(column)}, count(*)"
                    f" FROM metric_facts WHERE {column} IS NOT NULL"
                    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
                ).bindparams(zone=ROLLUP_TZ)
            )
        return
    zone = ZoneInfo(ROLLUP_TZ)
    counts: dict[tuple[object, ...], int] = {}
    rows = bind.execute(
        sa.text(
            'SELECT cohort_at, kind, team_id, channel_id, operator_id, flags, value_s, work_s'
            ' FROM metric_facts WHERE value_s IS NOT NULL OR work_s IS NOT NULL'
        )
    )
    for cohort_at, kind, team, channel, operator, flags, value, work in rows:
        moment = cohort_at if isinstance(cohort_at, datetime) else datetime.fromisoformat(cohort_at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo('UTC'))
        key = (moment.astimezone(zone).date(), kind, team or 0, channel, operator or 0, flags)
        for measure, seconds in ((0, value), (1, work)):
            if seconds is not None:
                at = (*key, measure, value_bin(seconds))
                counts[at] = counts.get(at, 0) + 1
    if counts:
        op.bulk_insert(
            table,
            [dict(zip((*_KEY, 'facts'), (*key, n), strict=True)) for key, n in counts.items()],
        )


def downgrade() -> None:
    op.drop_table('metric_bins')
