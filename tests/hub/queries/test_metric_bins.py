"""Percentiles and threshold counts from the per-day histograms (`metric_bins`): the bin of a
value, the percentile walked over cumulative counts, and a handful of calls whose figures are
worked out by hand at the documented resolution (docs/metrics.md, "Percentiles from per-day
histograms"), on both backends, read from the histograms and from the facts alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from hub.actions import metric_facts
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.migrate import downgrade, upgrade
from hub.models import Call, CallDirection, CallOutcome, MetricBin
from hub.queries.metrics_calls import CallSettings, call_figures_of, call_report
from hub.queries.metrics_common import bin_percentile, binned_percentile, period_of, value_bin
from tests.conftest import Backend, add_channel, add_user
from tests.hub.queries.metrics_history import build_history

MONDAY = period_of(
    "custom", datetime(2026, 6, 15, 12, tzinfo=UTC), "Europe/Moscow", date(2026, 6, 15),
    date(2026, 6, 15),
)  # fmt: skip


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 6, 15, hour, minute, second, tzinfo=UTC)


def test_a_value_keeps_tenths_of_a_second_and_three_significant_digits() -> None:
    assert value_bin(0) == 0
    assert value_bin(0.04) == 0  # under half a tenth
    assert value_bin(4.94) == 49
    assert value_bin(4.96) == 50
    assert value_bin(20.04) == 200
    assert value_bin(99.96) == 1000  # rounds up into the next decade: 100 s
    assert value_bin(123.4) == 1230  # from 100 s on: whole seconds
    assert value_bin(1234.5) == 12300  # from 1000 s: tens of seconds
    assert value_bin(3604) == 36000
    assert value_bin(3605) == 36100  # half up
    assert value_bin(42402) == 424000  # from 10,000 s: hundreds of seconds
    assert value_bin(-3.3) == -33


def test_percentiles_of_a_histogram_interpolate_between_ranks() -> None:
    assert bin_percentile([], 0.5) is None
    # One value: every percentile is it.
    assert bin_percentile([(1230, 1)], 0.9) == 123.0
    # 4.9, 4.9, 5.0, 20.0: p50 rank 1.5 lies between 4.9 and 5.0; p90 rank 2.7.
    bins = [(49, 2), (50, 1), (200, 1)]
    assert round(bin_percentile(bins, 0.5) or 0, 2) == 4.95
    assert round(bin_percentile(bins, 0.9) or 0, 2) == 15.5
    # The same as the list of the binned values ranked one by one.
    assert bin_percentile(bins, 0.9) == binned_percentile([4.94, 4.9, 4.96, 20.04], 0.9)


async def six_calls(hub: Hub) -> None:
    """Six inbound calls on Monday 15 June 2026 and our call back of one of them."""
    op = (await add_user(hub, "bins-op")).id
    pbx = await add_channel(hub, "asterisk", "bins-pbx")
    a, ab, m = CallOutcome.answered, CallOutcome.abandoned, CallOutcome.missed
    rows = [
        ("c1", at(7), a, 4.94, 61.26, op, "+79000000001", CallDirection.inbound),
        ("c2", at(7, 10), a, 20.04, 1234.5, op, "+79000000002", CallDirection.inbound),
        ("c3", at(7, 20), a, 20.06, 3605.0, op, "+79000000003", CallDirection.inbound),
        ("c4", at(8), ab, 4.96, None, None, "+79000000004", CallDirection.inbound),
        ("c5", at(8, 10), ab, 4.94, None, None, "+79000000005", CallDirection.inbound),
        ("c6", at(9), m, 30.3, None, None, "+79000000006", CallDirection.inbound),
        # Our call back of c6, 3604 s after it began.
        ("c6b", at(10, 0, 4), a, 0.0, 30.0, op, "+79000000006", CallDirection.outbound),
    ]
    async with hub.db.sessions() as session, session.begin():
        for name, started, outcome, wait, talk, by, number, direction in rows:
            session.add(
                Call(
                    channel_id=pbx, linkedid=name, direction=direction, client_number=number,
                    outcome=outcome, answered_by_user_id=by, wait_s=wait, talk_s=talk,
                    resynced=False, started_at=started, answered_at=None, ended_at=None,
                )
            )  # fmt: skip
    await metric_facts.rebuild(hub, datetime(2026, 6, 1, tzinfo=UTC))


async def report(hub: Hub, **how: Any) -> dict[str, Any]:
    async with hub.db.sessions() as session:
        found = await call_report(session, MONDAY, "none", CallSettings(), **how)
    return call_figures_of(found.total)


async def test_call_figures_at_the_bins_resolution(hub: Hub) -> None:
    await six_calls(hub)
    total = await report(hub)
    assert (total["calls"], total["answered"], total["abandoned"], total["missed"]) == (6, 3, 2, 1)
    # Waits as binned: 4.9 (c1), 20.0 (c2), 20.1 (c3), 5.0 (c4), 4.9 (c5), 30.3 (c6); sorted
    # 4.9, 4.9, 5.0, 20.0, 20.1, 30.3: p50 at rank 2.5 = 5.0 + 0.5 × 15.0 = 12.5; p90 at
    # rank 4.5 = 20.1 + 0.5 × 10.2 = 25.2. The average is of the values as they are:
    # (4.94 + 20.04 + 20.06 + 4.96 + 4.94 + 30.3) / 6 = 85.24 / 6 = 14.2.
    assert (total["wait_p50"], total["wait_p90"], total["wait_avg"]) == (12.5, 25.2, 14.2)
    # Talk binned: 61.3, 1230 (1234.5 to 3 digits), 3610 (3605, half up): p50 = 1230;
    # p90 at rank 1.8 = 1230 + 0.8 × 2380 = 3134. The total is exact: 4900.76.
    assert (total["talk_p50"], total["talk_p90"], total["talk_total"]) == (1230, 3134, 4900.8)
    # Within 20 s: c1 (4.9) and c2 (20.04 binned 20.0), not c3 (20.1).
    assert total["answered_within"] == 2
    # Short abandons under 5 s: c5 (4.9), not c4 (4.96 binned 5.0).
    assert total["short_abandoned"] == 1
    assert total["service_level"] == 0.4  # 2 ÷ (6 − 1)
    # c6 called back 3604 s later, binned 3600: within 60 min. c4, c5: never called back.
    assert (total["called_back"], total["callback_rate"]) == (1, 0.3333)
    # The facts alone (PostgreSQL: in SQL; SQLite: here) and the drill-down agree.
    assert await report(hub, use_rollups=False) == total
    assert await report(hub, members=True) == total


async def test_the_histograms_hold_each_value_s_bin(hub: Hub) -> None:
    await six_calls(hub)
    async with hub.db.sessions() as session:
        rows = (
            await session.execute(
                select(MetricBin.kind, MetricBin.bin, func.sum(MetricBin.facts))
                .where(MetricBin.kind.in_(("wait", "talk")), MetricBin.measure == 0)
                .group_by(MetricBin.kind, MetricBin.bin)
            )
        ).all()
    # (c1's 4.94 s is its operator's key, c5's the no-operator key: summed over both here.)
    assert sorted(tuple(row) for row in rows) == [
        ("talk", 613, 1), ("talk", 12300, 1), ("talk", 36100, 1),
        ("wait", 49, 2), ("wait", 50, 1), ("wait", 200, 1), ("wait", 201, 1), ("wait", 303, 1),
    ]  # fmt: skip


async def bins_of(hub: Hub) -> list[tuple[Any, ...]]:
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(MetricBin).where(MetricBin.facts != 0))).scalars()
        return sorted(
            (r.day, r.kind, r.team_id, r.channel_id, r.operator_id, r.flags, r.measure, r.bin,
             r.facts)
            for r in rows
        )  # fmt: skip


async def test_migration_0032_bins_the_facts_already_stored(fresh_backend: Backend) -> None:
    """A database at 0031 holds facts and no histograms: the upgrade bins them (PostgreSQL in
    SQL, SQLite in Python) exactly as the live path and a rebuild do."""
    settings = fresh_backend.settings()
    hub = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus())
    try:
        await build_history(hub)
        await six_calls(hub)  # values at the bins' rounding edges
        expected = await bins_of(hub)
        assert len(expected) > 20
        await hub.db.dispose()
        await downgrade(settings.database_url, "0031")
        await upgrade(settings.database_url)
        assert await bins_of(hub) == expected
    finally:
        await hub.db.dispose()
