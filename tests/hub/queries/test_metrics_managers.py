"""The managers' report on the hand-built day (managers_history.py), both backends. Every
expected figure is worked out by hand from the day's times, as docs/metrics.md («Managers»)
defines it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from hub.core import Hub
from hub.models import (
    Call,
    CallDirection,
    CallOutcome,
    ConversationHolding,
    ManagerPlan,
    Presence,
    PresenceInterval,
)
from hub.queries.manager_reports import build_manager_report
from hub.queries.metrics_common import period_of
from hub.queries.metrics_managers import ManagerFilters, busy_seconds, manager_report
from tests.conftest import Clock
from tests.hub.queries.managers_history import at, build_day

NOW = at(20)  # Monday 23:00 in Moscow: the day is over
MONDAY = period_of("custom", NOW, "Europe/Moscow", date(2026, 6, 15), date(2026, 6, 15))


async def figures(hub: Hub, **filters: int) -> dict[str, dict[str, object]]:
    async with hub.db.sessions() as session:
        report = await build_manager_report(session, MONDAY, ManagerFilters(**filters), NOW)
    found = {row.label or row.key: row.figures for row in report.rows}
    found["total"] = report.total.figures
    return found


async def test_presence_and_holdings_are_stored_as_they_change(hub: Hub) -> None:
    day = await build_day(hub, Clock())
    async with hub.db.sessions() as session:
        intervals = (
            await session.execute(
                select(
                    PresenceInterval.presence,
                    PresenceInterval.started_at,
                    PresenceInterval.ended_at,
                )
                .where(PresenceInterval.user_id == day.anna)
                .order_by(PresenceInterval.started_at)
            )
        ).all()
        holdings = (
            await session.execute(
                select(ConversationHolding.started_at, ConversationHolding.ended_at)
                .where(ConversationHolding.user_id == day.anna)
                .order_by(ConversationHolding.started_at)
            )
        ).all()
    assert [tuple(row) for row in intervals] == [
        (Presence.online, at(6), at(8)),
        (Presence.away, at(8), at(8, 30)),
        (Presence.online, at(8, 30), at(10)),
        (Presence.offline, at(10), None),
    ]
    # X: 06:00 until closed at 08:00; Y: 07:00 until put back in the queue at 09:00.
    assert [tuple(row) for row in holdings] == [(at(6), at(8)), (at(7), at(9))]


async def test_managers_figures_of_the_day(hub: Hub) -> None:
    await build_day(hub, Clock())
    found = await figures(hub)
    anna = found["Анна"]
    # Online 06:00–08:00 and 08:30–10:00: 3.5 h = 12,600 s.
    assert anna["online_h"] == 3.5
    # Busy: 06–07 half (1,800 s), 07–08 all (3,600), 08:30–09 half (900), the call 600 s
    # = 6,900 s; away 08:00–08:30 counts neither way.
    assert anna["busy_h"] == round(6900 / 3600, 2) == 1.92
    assert anna["occupancy"] == 0.5476  # 6900 / 12600
    # Seven responses (five chat, two e-mail) over 3.5 h online.
    assert (anna["responses"], anna["emails_sent"], anna["answers_per_hour"]) == (7, 2, 2.0)
    assert anna["calls"] == 1
    # Done on Monday: a call, a meeting, a letter and a reminder.
    assert (anna["call_activities"], anna["meetings"], anna["email_activities"]) == (1, 1, 1)
    assert anna["activities_done"] == 4
    # Overdue: the meeting done late, the task still planned, the task due at 00:30.
    assert anna["overdue"] == 3
    # Won: 100,000.00 and 50,000.50; the lost one and Sunday's do not count.
    assert (anna["deals_won"], anna["won_sum"], anna["avg_deal"]) == (2, 150000.5, 75000.25)
    # A thirtieth of June's 3,000,000 / 30 deals; 150,000.50 / 100,000 = 1.500005.
    assert (anna["plan_sum"], anna["plan_deals"], anna["plan_done"]) == (100000.0, 1.0, 1.5)
    # Борис takes work but did nothing: listed, with no ratio; the supervisor is not listed.
    boris = found["Борис"]
    assert (boris["online_h"], boris["occupancy"], boris["answers_per_hour"]) == (0, None, None)
    assert (boris["plan_sum"], boris["avg_deal"], boris["deals_won"]) == (None, None, 0)
    assert "Руководитель" not in found
    # The total: Анна's time and work (Борис adds nothing to either side of a ratio).
    assert (found["total"]["occupancy"], found["total"]["won_sum"]) == (0.5476, 150000.5)


async def test_team_and_operator_filters(hub: Hub) -> None:
    day = await build_day(hub, Clock())
    assert set(await figures(hub, team_id=day.team)) == {"Анна", "total"}
    assert set(await figures(hub, operator_id=day.boris)) == {"Борис", "total"}


async def test_today_counts_time_online_only_up_to_now(hub: Hub) -> None:
    clock = Clock()
    day = await build_day(hub, clock)
    today = period_of("today", at(9), "Europe/Moscow")
    async with hub.db.sessions() as session:
        report = await manager_report(session, today, ManagerFilters(operator_id=day.anna), at(9))
    # At 09:00: online 06:00–08:00 and 08:30–09:00 = 2.5 h; busy 1,800 + 3,600 + 900 s.
    ((_, tally),) = report.rows
    assert (tally.online_s, tally.busy_s) == (9000, 6300)


async def test_a_plan_is_shared_out_by_the_days_of_each_month(hub: Hub) -> None:
    day = await build_day(hub, Clock())
    async with hub.db.sessions() as session, session.begin():
        session.add(
            ManagerPlan(
                user_id=day.anna, month=date(2026, 7, 1), amount=Decimal("3100000"), deals=None,
                updated_at=NOW,
            )
        )  # fmt: skip
    # 25 June – 4 July: 6 of June's 30 days (600,000) and 4 of July's 31 (400,000).
    period = period_of("custom", NOW, "Europe/Moscow", date(2026, 6, 25), date(2026, 7, 4))
    async with hub.db.sessions() as session:
        report = await build_manager_report(
            session, period, ManagerFilters(operator_id=day.anna), NOW
        )
    (row,) = report.rows
    assert row.figures["plan_sum"] == 1000000.0
    # Only June's plan has a number of deals: 30 × 6/30.
    assert row.figures["plan_deals"] == 6.0


async def test_a_transferring_operator_is_busy_only_until_the_transfer(hub: Hub) -> None:
    day = await build_day(hub, Clock())
    async with hub.db.sessions() as session, session.begin():
        # 09:45 answered, blind-transferred at 09:48, the caller talks on until 09:55: Анна is
        # busy with it 180 s, not the 600 s of its talk time.
        session.add(
            Call(
                channel_id=day.telegram, linkedid="c2", direction=CallDirection.inbound,
                outcome=CallOutcome.answered, answered_by_user_id=day.anna, wait_s=5.0,
                talk_s=600.0, started_at=at(9, 44), answered_at=at(9, 45),
                ended_at=at(9, 55), client_number="+79160000002", transferred_to="102",
                transfer_kind="blind", transferred_at=at(9, 48),
            )
        )  # fmt: skip
    async with hub.db.sessions() as session:
        report = await manager_report(session, MONDAY, ManagerFilters(operator_id=day.anna), NOW)
    ((_, tally),) = report.rows
    # The day's 6,900 s plus 09:45–09:48.
    assert tally.busy_s == 6900 + 180


def test_busy_is_capped_at_full_capacity_and_a_call_takes_all() -> None:
    t0 = datetime(2026, 6, 15, 6, tzinfo=UTC)
    hour = timedelta(hours=1)
    online = [(t0, t0 + 2 * hour)]
    # Three conversations on a capacity of two for the first hour: still one hour busy.
    held = [(t0, t0 + hour, 1.0)] * 3
    assert busy_seconds(online, held, [], 2) == 3600
    # A call in the second hour, while a quarter of capacity is held: all of it.
    held_light = [(t0 + hour, t0 + 2 * hour, 0.5)]
    assert busy_seconds(online, held_light, [(t0 + hour, t0 + 2 * hour)], 2) == 3600
    assert busy_seconds(online, held_light, [], 2) == 900
