"""The conversation and call reports on the hand-built history (metrics_history.py), both
backends: every expected figure below is worked out by hand from the history's times, as
docs/metrics.md defines it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from hub.core import Hub
from hub.models import Call, CallDirection
from hub.queries.board import board_state
from hub.queries.metric_rollups import rollup_days
from hub.queries.metrics_calls import CallSettings, call_figures_of, call_report
from hub.queries.metrics_common import GROUP_BYS, Period, percentile, period_of
from hub.queries.metrics_conversations import Filters, conversation_report, figures_of
from tests.hub.queries.metrics_history import History, at, build_history

Figures = dict[str, dict[str, Any]]

MONDAY = period_of("custom", at(12), "Europe/Moscow", date(2026, 6, 15), date(2026, 6, 15))


@pytest.fixture
async def history(hub: Hub) -> AsyncIterator[History]:
    yield await build_history(hub)


async def conversations(
    hub: Hub, group_by: str = "none", use_rollups: bool = True, **filters: int
) -> Figures:
    async with hub.db.sessions() as session:
        report = await conversation_report(
            session, MONDAY, group_by, Filters(**filters), use_rollups=use_rollups
        )
    found = {row.key: figures_of(row) for row in report.rows}
    found["total"] = figures_of(report.total)
    return found


async def calls(
    hub: Hub, group_by: str = "none", use_rollups: bool = True, **settings: object
) -> Figures:
    async with hub.db.sessions() as session:
        chosen = CallSettings(**settings)  # type: ignore[arg-type]
        report = await call_report(session, MONDAY, group_by, chosen, use_rollups=use_rollups)
    found = {row.key: call_figures_of(row) for row in report.rows}
    found["total"] = call_figures_of(report.total)
    return found


def test_periods_are_whole_moscow_days() -> None:
    assert MONDAY == Period(at(21, day=14), at(21), "Europe/Moscow")
    # 01:00 Moscow on Tuesday is still Monday evening in UTC.
    assert period_of("today", at(22), "Europe/Moscow") == Period(at(21), at(21, day=16))
    assert period_of("yesterday", at(12), "Europe/Moscow").start == at(21, day=13)
    assert period_of("7d", at(12), "Europe/Moscow").start == at(21, day=8)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([120, 29100, 600], 0.5) == 600
    assert percentile([120, 29100, 600], 0.9) == pytest.approx(23400)


async def test_conversation_figures_whole_day(hub: Hub, history: History) -> None:
    total = (await conversations(hub))["total"]
    # C1..C4; C5 began the evening before.
    assert total["requests"] == 4
    # C4 had only a bot's answer.
    assert total["handled"] == 3
    assert total["handled_share"] == 0.75
    # First response: C1 120 s (not the auto-reply's 5 s), C2 8 h 05 min, C3 600 s.
    assert (total["frt_p50"], total["frt_p90"], total["frt_avg"]) == (600, 23400, 9940)
    # In working time C2's night counts nothing: 120, 300, 600.
    assert (total["frt_work_p50"], total["frt_work_p90"], total["frt_work_avg"]) == (300, 540, 340)
    # From (first) assignment: C1 60 s, C2 300 s (the transfer does not restart it), C3 0.
    assert (total["frt_assigned_p50"], total["frt_assigned_p90"]) == (60, 252)
    # Next responses: C1 from the first of two messages 300 s; C3 after the reopen 1800 s.
    assert (total["nrt_p50"], total["nrt_p90"], total["nrt_avg"]) == (1050, 1650, 1050)
    # Resolution to the last close: C1 1200 s, C3 (reopened) 7200 s; C2, C4 still open.
    assert (total["resolution_p50"], total["resolution_p90"]) == (4200, 6600)
    # Queue: C1 60 s, C2 8 h (0 working), C3 600 s.
    assert (total["queue_wait_p50"], total["queue_wait_p90"]) == (600, 23160)
    assert (total["queue_wait_work_p50"], total["queue_wait_work_avg"]) == (60, 220)
    # Handling: C1 1140 s, C3 6600 s.
    assert total["handling_avg"] == 3870
    # C3 reopened; C1 and C3 were closed at least once.
    assert (total["reopened"], total["reopen_rate"]) == (1, 0.5)


async def test_conversation_figures_by_operator_channel_team_day(
    hub: Hub, history: History
) -> None:
    by_operator = await conversations(hub, "operator")
    op1, op2 = by_operator[str(history.op1)], by_operator[str(history.op2)]
    # Held: op1 C1 and C3, op2 C2 (after the transfer), nobody C4.
    assert (op1["requests"], op2["requests"], by_operator["none"]["requests"]) == (2, 1, 1)
    # The first response belongs to who wrote it: op2 answered C2.
    assert (op1["frt_p50"], op1["frt_avg"], op2["frt_p50"]) == (360, 360, 29100)
    assert by_operator["none"]["handled"] == 0
    by_channel = await conversations(hub, "channel")
    assert by_channel[str(history.telegram)]["requests"] == 2
    assert by_channel[str(history.webform)]["frt_p50"] == 600
    by_team = await conversations(hub, "team")
    assert by_team[str(history.team)]["frt_work_avg"] == 210
    assert by_team["none"]["requests"] == 2
    # C2 came at 01:00 Moscow on Monday: Monday's, though 14 June in UTC.
    by_day = await conversations(hub, "day")
    assert list(by_day) == ["2026-06-15", "total"]
    assert (await conversations(hub, "week"))["2026-W25"]["requests"] == 4


async def test_conversation_filters(hub: Hub, history: History) -> None:
    assert (await conversations(hub, team_id=history.team))["total"]["requests"] == 2
    only_op2 = (await conversations(hub, operator_id=history.op2))["total"]
    assert (only_op2["requests"], only_op2["frt_p50"], only_op2["nrt_p50"]) == (1, 29100, None)


async def test_drill_down_lists_what_a_number_counts(hub: Hub, history: History) -> None:
    async with hub.db.sessions() as session:
        report = await conversation_report(session, MONDAY, "none", Filters(), members=True)
    c = history.conversations
    assert report.total.members["handled"] == {c["c1"], c["c2"], c["c3"]}
    assert report.total.members["nrt"] == {c["c1"], c["c3"]}
    assert report.total.members["reopened"] == {c["c3"]}


async def test_recomputing_gives_the_same_numbers(hub: Hub, history: History) -> None:
    assert await conversations(hub, "operator") == await conversations(hub, "operator")
    assert await calls(hub, "day") == await calls(hub, "day")


async def test_call_figures(hub: Hub, history: History) -> None:
    total = (await calls(hub))["total"]
    # Inbound, finished: k1..k8 (k3b, k7b are ours; k9 still rings).
    assert total["calls"] == 8
    assert (total["answered"], total["missed"], total["abandoned"]) == (4, 2, 2)
    assert total["short_abandoned"] == 1
    # Within 20 s: k1, k6, k8, over 8 − 1 short abandon.
    assert (total["answered_within"], total["service_level"]) == (3, 0.4286)
    # k3 (our call 30 min later) and k7 (we called, unanswered); k5's own call came too late.
    assert (total["called_back"], total["callback_rate"]) == (2, 0.5)
    assert (total["wait_p50"], total["wait_p90"], total["wait_avg"]) == (7.5, 46, 18.8)
    assert (total["talk_p50"], total["talk_p90"], total["talk_total"]) == (75, 170, 355)
    assert total["inexact"] == 1


async def test_call_figures_exact_only_and_by_operator(hub: Hub, history: History) -> None:
    exact = (await calls(hub, exact_only=True))["total"]
    assert (exact["calls"], exact["answered"], exact["service_level"]) == (7, 3, 0.3333)
    by_operator = await calls(hub, "operator")
    assert by_operator[str(history.op1)]["talk_total"] == 150
    assert by_operator["none"]["calls"] == 4
    assert by_operator[str(history.op2)]["answered"] == 2


def test_a_period_reads_the_rollups_only_as_whole_days_of_their_zone() -> None:
    assert rollup_days(MONDAY) == (date(2026, 6, 15), date(2026, 6, 16))
    # Another zone's days (or instants that are no midnight) are read from the facts.
    assert rollup_days(period_of("today", at(12), "Asia/Yekaterinburg")) is None
    assert rollup_days(Period(at(21, day=14), at(12), "Europe/Moscow")) is None


async def test_rollups_give_the_figures_of_the_facts(hub: Hub, history: History) -> None:
    """Every grouping and filter: the roll-ups' counts and sums with the facts' percentiles
    equal every figure worked out from the facts alone (the hand-worked figures above are
    read through the roll-ups)."""
    for group_by in GROUP_BYS:
        assert await conversations(hub, group_by) == await conversations(hub, group_by, False)
        for settings in ({}, {"exact_only": True}, {"service_level_s": 5, "callback_min": 120}):
            rolled = await calls(hub, group_by, **settings)
            assert rolled == await calls(hub, group_by, False, **settings)
    for filters in ({"team_id": history.team}, {"operator_id": history.op1},
                    {"channel_id": history.webform}):  # fmt: skip
        assert await conversations(hub, "day", **filters) == await conversations(
            hub, "day", False, **filters
        )
        assert await calls(hub, "operator", **filters) == await calls(
            hub, "operator", False, **filters
        )


async def test_exact_only_leaves_out_a_call_whose_answer_time_was_estimated(
    hub: Hub, history: History
) -> None:
    """k8 was answered while the PBX link was down (its answer taken at the resync snapshot)
    though its end was heard: its wait is an estimate, so «only calls with exact times»
    leaves it out, as it leaves out a call whose end lies in an interval."""
    by_operator = await calls(hub, "operator", exact_only=True)
    # op2 answered k2 (exact) and k8 (estimated answer).
    assert (
        by_operator[str(history.op2)]["answered"],
        by_operator[str(history.op2)]["inexact"],
    ) == (1, 0)
    assert by_operator[str(history.op2)]["wait_p50"] == 30
    assert (await calls(hub, "operator"))[str(history.op2)]["wait_p50"] == 16


async def test_the_board_shows_the_reports_figures_of_today(hub: Hub, history: History) -> None:
    """The board reads today's roll-ups and histograms itself (two statements for both
    reports): its figures are those of the reports' totals for the day, by hand above."""
    async with hub.db.sessions() as session:
        board = await board_state(session, at(12))
    responses = board.responses_today
    # C1..C4: C1 120 s, C2 8 h 05 min, C3 600 s (test_conversation_figures_whole_day).
    assert (responses.requests, responses.handled) == (4, 3)
    assert (responses.frt_p50, responses.frt_p90) == (600, 23400)
    assert (responses.frt_work_p50, responses.frt_work_p90) == (300, 540)
    assert board.calls_today.model_dump() == {
        "calls": 8, "missed": 2, "abandoned": 2, "called_back": 2
    }  # fmt: skip


async def test_the_board_shows_who_talks_on_a_live_call(hub: Hub, history: History) -> None:
    """On a call: op1 answered a call still going; op2 answered one and handed it on (a
    transfer), so he is free; neither set the flag."""
    async with hub.db.sessions() as session, session.begin():
        for name, by, handed_on in (("live1", history.op1, None), ("live2", history.op2, "201")):
            session.add(
                Call(
                    channel_id=history.pbx, linkedid=name, direction=CallDirection.inbound,
                    client_number="+79000000099", outcome=None, answered_by_user_id=by,
                    resynced=False, started_at=at(11), answered_at=at(11, 1), ended_at=None,
                    transferred_to=handed_on,
                )
            )  # fmt: skip
    async with hub.db.sessions() as session:
        board = await board_state(session, at(12))
    on_call = {o.id: o.on_call for o in board.operators}
    assert (on_call[history.op1], on_call[history.op2]) == (True, False)
