"""Metric facts written live, in the transaction of each change, and `okno metrics rebuild`
deriving the same facts again from the rows: a small scenario driven through the actions
with a controllable clock, on both backends. Expected figures are worked out by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from hub.actions import conversation_cases, metric_facts, unit_of_work
from hub.actions.metric_days import DaySums
from hub.actions.metric_writes import PendingFigures
from hub.auth import Principal
from hub.cli.commands import main
from hub.core import Hub
from hub.events import Audience, CallChanged, ConversationChanged, MessageCreated
from hub.models import MetricBin, MetricDay, MetricFact, Presence, Team, User
from hub.queries.metric_sources import CALL_KINDS, KnownConversation, SourceConversation, Wait
from hub.queries.metrics_calls import CallSettings, call_figures_of, call_report
from hub.queries.metrics_common import GROUP_BYS, period_of
from hub.queries.metrics_conversations import Filters, conversation_report, figures_of
from tests.hub.queries.metrics_history import OFFICE_HOURS, build_history
from tests.routing.scenario import World
from tests.routing.test_hot_path import statements

MONDAY = period_of("custom", datetime(2026, 6, 15, 12, tzinfo=UTC), "Europe/Moscow",
                   datetime(2026, 6, 15).date(), datetime(2026, 6, 15).date())  # fmt: skip


def at(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def person(user: User) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, user.locale)


async def stored_facts(hub: Hub) -> list[tuple[Any, ...]]:
    """Every fact but its row id, in one order."""
    async with hub.db.sessions() as session:
        rows = (
            await session.execute(
                select(
                    MetricFact.kind, MetricFact.subject_id, MetricFact.cohort_at,
                    MetricFact.occurred_at, MetricFact.team_id, MetricFact.channel_id,
                    MetricFact.operator_id, MetricFact.value_s, MetricFact.work_s,
                    MetricFact.flags,
                )
            )
        ).all()  # fmt: skip
    return sorted(tuple(row) for row in rows)


async def stored_days(hub: Hub) -> list[tuple[Any, ...]]:
    """Every roll-up row that counts something (a key whose facts all went stays at 0)."""
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(MetricDay).where(MetricDay.facts != 0))).scalars()
        return sorted(
            (r.day, r.kind, r.team_id, r.channel_id, r.operator_id, r.flags, r.facts,
             r.value_facts, r.value_us, r.work_facts, r.work_us)
            for r in rows
        )  # fmt: skip


async def stored_bins(hub: Hub) -> list[tuple[Any, ...]]:
    """Every histogram bin that holds something (a bin whose facts all went stays at 0)."""
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(MetricBin).where(MetricBin.facts != 0))).scalars()
        return sorted(
            (r.day, r.kind, r.team_id, r.channel_id, r.operator_id, r.flags, r.measure, r.bin,
             r.facts)
            for r in rows
        )  # fmt: skip


async def figures(
    hub: Hub, group_by: str, members: bool = False, use_rollups: bool = True
) -> dict[str, dict[str, Any]]:
    async with hub.db.sessions() as session:
        report = await conversation_report(
            session, MONDAY, group_by, Filters(), members, use_rollups
        )
    found = {row.key: figures_of(row) for row in report.rows}
    found["total"] = figures_of(report.total)
    return found


@pytest.fixture
async def world(hub: Hub) -> World:
    """Olga of the support team (office hours Mon–Fri 09:00–18:00 Moscow), online; a chat."""
    world = await World.create(hub)
    await world.team("support", business_hours=OFFICE_HOURS)
    await world.operator("olga", teams=("support",))
    await world.channel("telegram", "chat", team="support")
    return world


async def live_scenario(world: World) -> tuple[int, int]:
    """A: answered, two messages in a row answered once, closed, reopened, closed again.
    B: written at 20:00 Moscow, answered at 09:05 the next working morning."""
    hub, olga = world.hub, person(world.users["olga"])

    async def reply(conversation_id: int, when: datetime) -> None:
        world.clock.now = when
        await conversation_cases.post_message(hub, olga, conversation_id, "reply", "Ответ")

    world.clock.now = at(9)
    a = await world.inbound("+79160000001")
    await reply(a, at(9, 2))
    world.clock.now = at(9, 10)
    assert await world.inbound("+79160000001") == a
    world.clock.now = at(9, 11)
    await world.inbound("+79160000001")
    await reply(a, at(9, 15))
    world.clock.now = at(9, 20)
    await conversation_cases.close(hub, olga, a)
    world.clock.now = at(9, 30)
    await conversation_cases.reopen(hub, olga, a)
    world.clock.now = at(9, 40)
    await conversation_cases.close(hub, olga, a)
    world.clock.now = at(17)
    b = await world.inbound("+79160000002")
    await reply(b, at(6, 5, day=16))
    return a, b


async def test_facts_written_live_give_the_hand_worked_figures(world: World) -> None:
    a, b = await live_scenario(world)
    olga = str(world.users["olga"].id)
    total = (await figures(world.hub, "none"))["total"]
    assert (total["requests"], total["handled"], total["handled_share"]) == (2, 2, 1.0)
    # First responses: A 120 s; B 13 h 05 min of calendar time, 5 working minutes.
    assert (total["frt_p50"], total["frt_p90"], total["frt_avg"]) == (23610, 42402, 23610)
    assert (total["frt_work_p50"], total["frt_work_p90"], total["frt_work_avg"]) == (210, 282, 210)
    # A was assigned at once (120 s from assignment); B came outside the team's hours, was
    # queued, and Olga took it by answering: 0 from assignment.
    assert (total["frt_assigned_p50"], total["frt_assigned_p90"]) == (60, 108)
    assert total["frt_assigned_work_p50"] == 60
    # A's two messages in a row are one wait, from the first: 09:10 → 09:15.
    assert (total["nrt_p50"], total["nrt_avg"]) == (300, 300)
    # A resolved at its last close (40 min from its first message), B is still open.
    assert (total["resolution_p50"], total["handling_p50"]) == (2400, 2400)
    # In the queue: A 0 s; B from 20:00 to 09:05 Moscow, 5 of them working minutes.
    assert (total["queue_wait_p50"], total["queue_wait_p90"]) == (23550, 42390)
    assert (total["queue_wait_work_p50"], total["queue_wait_work_p90"]) == (150, 270)
    assert (total["reopened"], total["reopen_rate"]) == (1, 1.0)
    by_operator = await figures(world.hub, "operator")
    assert list(by_operator) == [olga, "total"]
    assert (await figures(world.hub, "day"))["2026-06-15"]["requests"] == 2
    members = await figures(world.hub, "none", members=True)
    assert members == await figures(world.hub, "none")
    async with world.hub.db.sessions() as session:
        drill = await conversation_report(session, MONDAY, "none", Filters(), members=True)
    assert drill.total.members["reopened"] == {a}
    assert drill.total.members["frt"] == {a, b}


async def test_rollups_kept_live_hold_the_hand_worked_sums(world: World) -> None:
    """The day's roll-ups after the scenario, by hand: B was queued (nobody's) and moved to
    Olga when she answered, so the no-operator key was taken back to 0 and counts nothing."""
    await live_scenario(world)
    olga, team, chat = world.users["olga"].id, world.teams["support"], world.channels["chat"]
    monday = date(2026, 6, 15)
    days = {row[1]: row[6:] for row in await stored_days(world.hub)}
    assert all(
        row[:6] == (monday, row[1], team, chat, olga, 0) for row in await stored_days(world.hub)
    )
    assert days["requests"] == (2, 0, 0, 0, 0)
    # First responses: A 120 s (120 working), B 47,100 s (300 working).
    assert days["frt"] == (2, 2, 47_220_000_000, 2, 420_000_000)
    assert days["nrt"] == (1, 1, 300_000_000, 1, 300_000_000)
    assert (days["reopened"], days["closed_once"]) == ((1, 0, 0, 0, 0), (1, 0, 0, 0, 0))
    # The histograms, in tenths of a second to 3 digits: A's 120 s is bin 1200, B's 47,100 s
    # bin 471000 (300 working seconds: 3000).
    bins = {(row[1], row[6], row[7]): row[8] for row in await stored_bins(world.hub)}
    assert {k[1:]: n for k, n in bins.items() if k[0] == "frt"} == {
        (0, 1200): 1,
        (0, 471000): 1,
        (1, 1200): 1,
        (1, 3000): 1,
    }
    assert {k[1:]: n for k, n in bins.items() if k[0] == "nrt"} == {(0, 3000): 1, (1, 3000): 1}


async def test_rebuild_writes_exactly_the_live_facts(world: World) -> None:
    await live_scenario(world)
    live = await stored_facts(world.hub)
    live_days = await stored_days(world.hub)
    live_bins = await stored_bins(world.hub)
    reports = {g: await figures(world.hub, g) for g in GROUP_BYS}
    # Every group's figures (roll-ups and the facts' percentiles) equal the database's
    # statistics of the facts alone and the figures worked out from the facts here.
    for group_by in GROUP_BYS:
        assert reports[group_by] == await figures(world.hub, group_by, use_rollups=False)
        assert reports[group_by] == await figures(world.hub, group_by, members=True)
    assert await metric_facts.rebuild(world.hub, at(0, day=1)) == (2, 0)
    assert await stored_facts(world.hub) == live
    assert await stored_days(world.hub) == live_days
    assert await stored_bins(world.hub) == live_bins
    # The same through `okno metrics rebuild` (its own process's event loop: a thread here).
    url = world.hub.settings.database_url
    command = ["metrics", "rebuild", "--since", "2026-06-01", "--database-url", url]
    assert await asyncio.to_thread(main, command) == 0
    assert await stored_facts(world.hub) == live
    assert await asyncio.to_thread(main, [*command[:3], "1 June", *command[4:]]) == 1
    assert {g: await figures(world.hub, g) for g in GROUP_BYS} == reports
    assert await stored_days(world.hub) == live_days
    assert await stored_bins(world.hub) == live_bins
    # A rebuild from a later day leaves the earlier facts and days alone; one from the
    # middle of the day (12:00 UTC: 15:00 Moscow) sums its day from the facts it keeps
    # before that instant and those it derives after.
    await metric_facts.rebuild(world.hub, at(0, day=20))
    assert await stored_facts(world.hub) == live
    assert await stored_days(world.hub) == live_days
    assert await stored_bins(world.hub) == live_bins
    await metric_facts.rebuild(world.hub, at(12))
    assert await stored_facts(world.hub) == live
    assert await stored_days(world.hub) == live_days
    assert await stored_bins(world.hub) == live_bins


async def test_rebuild_applies_changed_business_hours_to_history(world: World) -> None:
    await live_scenario(world)
    async with world.hub.db.sessions() as session, session.begin():
        team = await session.get_one(Team, world.teams["support"])
        team.business_hours = None  # round the clock: working time is calendar time
    before = (await figures(world.hub, "none"))["total"]
    assert before["frt_work_p90"] == 282  # stored with the hours in force then
    await metric_facts.rebuild(world.hub, at(0, day=1))
    after = (await figures(world.hub, "none"))["total"]
    assert (after["frt_work_p50"], after["frt_work_p90"]) == (23610, 42402)


async def test_calls_of_the_history_rebuilt_equal_their_statistics(hub: Hub) -> None:
    await build_history(hub)
    async with hub.db.sessions() as session:
        for group_by in GROUP_BYS:
            fast = await call_report(session, MONDAY, group_by, CallSettings())
            slow = await call_report(session, MONDAY, group_by, CallSettings(), members=True)
            assert [call_figures_of(r) for r in fast.rows] == [
                call_figures_of(r) for r in slow.rows
            ]
            assert call_figures_of(fast.total) == call_figures_of(slow.total)


async def test_what_a_reply_and_a_customer_message_cost(world: World) -> None:
    """A customer's message into an open conversation writes no fact (the hot path's list is
    tests/routing/test_hot_path.py); a person's reply replaces its conversation's facts. The
    teams' hours and the calendar are kept by the process (hub/team_cache.py): read by the
    first refresh that needed them (the conversation's assignment), not again."""
    world.clock.now = at(9)
    a = await world.inbound("+79160000001")
    with statements(world.hub) as sent:
        await conversation_cases.post_message(
            world.hub, person(world.users["olga"]), a, "reply", "Ответ"
        )
    read = [
        "DELETE FROM metric_facts",  # the conversation's facts (RETURNING: was it reopened)
        "SELECT conversations.id, conversations.created_at,",
        "SELECT anon_1.conversation_id, anon_1.id,",  # its waits
    ]
    if world.hub.db.dialect == "postgresql":
        # The new facts, the day's roll-ups and histograms: three parts of the event log's
        # insert (hub/actions/metric_writes.py, hub/actions/uow.py), the transaction's last
        # statement.
        assert sent[sent.index("DELETE FROM metric_facts") :] == [*read, "WITH facts AS"]
        assert "INSERT INTO event_log" not in sent
    else:
        facts = sent[sent.index("DELETE FROM metric_facts") : sent.index("INSERT INTO event_log")]
        assert facts == [
            *read,
            "INSERT INTO metric_facts",
            "INSERT INTO metric_days",  # the day's roll-ups: the difference, one upsert
            "INSERT INTO metric_bins",  # and its histograms' bins: one upsert
        ]


async def test_a_call_that_went_through_refreshes_the_lost_calls_it_called_back(hub: Hub) -> None:
    """k3 (missed at 08:00) was called back by k3b at 08:30: k3b's change alone refreshes k3's
    call-back time, and every call's facts come out as a rebuild writes them."""
    history = await build_history(hub)
    rebuilt = await stored_facts(hub)
    async with hub.db.sessions() as session, session.begin():
        await session.execute(delete(MetricFact).where(MetricFact.kind.in_(CALL_KINDS)))
        ids = set(history.calls.values())
        calls = [{"id": call_id} for call_id in sorted(ids)]
        await metric_facts.refresh(
            session,
            [CallChanged(audience=Audience(), call=c, change="ended") for c in calls],
            hub.teams,
        )
    assert await stored_facts(hub) == rebuilt
    async with hub.db.sessions() as session, session.begin():
        await session.execute(delete(MetricFact).where(MetricFact.kind.in_(CALL_KINDS)))
        # As its event carries it: our outbound call, answered.
        k3b = {"id": history.calls["k3b"], "direction": "outbound", "outcome": "answered"}
        await metric_facts.refresh(
            session, [CallChanged(audience=Audience(), call=k3b, change="ended")], hub.teams
        )
    lost = [f for f in await stored_facts(hub) if f[0] == "lost"]
    # k3's next call through came 30 minutes later.
    assert [(f[1], f[7]) for f in lost] == [(history.calls["k3"], 1800.0)]


async def test_a_conversation_known_by_its_transaction_is_read_only_if_named_later(
    world: World,
) -> None:
    """`UnitOfWork.know`'s sources stand in for the rows, but an event queued after them that
    names the conversation (something else changed it in the same transaction) sends the
    refresh back to the rows. The known sources here say olga holds it from 09:01; the rows
    say nobody holds it: which one the facts show tells which was used."""
    world.clock.now = at(9)
    await world.set_presence("olga", Presence.offline)
    conversation_id = await world.inbound("+79160000077")
    async with world.hub.db.sessions() as session, session.begin():
        await session.execute(delete(MetricFact))
    olga = world.users["olga"].id
    stored = await world.conversation(conversation_id)
    known = KnownConversation(
        SourceConversation(conversation_id, at(9), None, at(9, 1), stored.team_id,
                           stored.channel_id, olga),
        (Wait(conversation_id, at(9), None, None, True),),
    )  # fmt: skip
    opened = ConversationChanged(
        audience=Audience(), conversation={"id": conversation_id}, change="assigned", reason=""
    )
    later = MessageCreated(
        audience=Audience(), conversation_id=conversation_id, message={"direction": "inbound"}
    )

    async def refreshed(events: list[Any], at_event: int) -> list[tuple[Any, ...]]:
        async with world.hub.db.sessions() as session, session.begin():
            await session.execute(delete(MetricFact))
            await metric_facts.refresh(
                session,
                events,
                world.hub.teams,
                {conversation_id},
                {conversation_id: (known, at_event)},
            )
        return [(f[0], f[6], f[7]) for f in await stored_facts(world.hub)]

    # Nothing after the knowing names it: the known sources' figures (a minute's wait).
    assert await refreshed([opened], 1) == [("queue_wait", olga, 60.0), ("requests", olga, None)]
    # A message of it came after: its rows are read (still queued, nobody's).
    assert await refreshed([opened, later], 1) == [("requests", None, None)]
    # Known after every event: the sources stand.
    assert await refreshed([opened, later], 2) == [
        ("queue_wait", olga, 60.0), ("requests", olga, None)
    ]  # fmt: skip


async def test_held_back_figures_are_written_alone_when_nothing_is_logged(hub: Hub) -> None:
    """PostgreSQL: figures held for the event log's insert still land when the transaction
    logs no event to carry them."""
    if hub.db.dialect != "postgresql":
        pytest.skip("SQLite writes its figures at once")
    sums = DaySums()
    # 15 June 2026, 09:00 UTC is 12:00 in Moscow, that day; a 90 s first response.
    sums.add("frt", datetime(2026, 6, 15, 9, 0, tzinfo=UTC), 7, 3, 5, 0, 90.0, None)
    figures = PendingFigures()
    figures.add([], sums)
    async with unit_of_work(hub) as uow:
        assert await uow._log_events(figures) == []
    async with hub.db.sessions() as session:
        day = (await session.execute(select(MetricDay))).scalar_one()
        bins = (await session.execute(select(MetricBin.facts))).scalars().all()
    assert (day.day, day.kind, day.team_id, day.channel_id, day.operator_id) == (
        date(2026, 6, 15), "frt", 7, 3, 5,
    )  # fmt: skip
    assert (day.facts, day.value_facts, day.value_us) == (1, 1, 90_000_000)
    assert bins == [1]
