"""Resync after a reconnect, offline: the snapshot (CoreShowChannels) brings the tracker back in
step whether a call started, was answered or ended while the link was down."""

from __future__ import annotations

import pytest

from .helpers import (
    BASE_EPOCH,
    Recorder,
    expected_calls,
    mismatches,
    recv_frames,
    transcript,
)

FIRST, SECOND = transcript("resync__mid_call")


def test_a_call_seen_before_and_after_the_gap_is_one_exact_call() -> None:
    recorder = Recorder()
    recorder.feed([*recv_frames(FIRST), *recv_frames(SECOND)])
    assert mismatches(recorder.calls, expected_calls("resync__mid_call")) == []
    [call] = recorder.calls
    assert not call.resynced  # nothing was lost in the gap
    assert [e.state for e in recorder.events].count("answered") == 1


def test_a_call_that_started_during_the_gap_is_adopted_from_the_snapshot() -> None:
    recorder = Recorder()
    recorder.feed(recv_frames(SECOND))
    [call] = recorder.calls
    assert call.resynced
    # The answer instant is not in the snapshot; AgentComplete (TalkTime 20) gives it back.
    # Only 102's ringing cannot be known: it began and ended inside the gap.
    assert mismatches(recorder.calls, expected_calls("resync__mid_call")) == [
        "1795375462.25 agents_rung: ['101'] != ['101', '102']"
    ]
    assert [(e.state, e.extension) for e in recorder.events] == [
        ("answered", "101"),
        ("ended", "101"),
    ]


def test_a_call_answered_during_the_gap_is_answered_by_the_bridged_agent() -> None:
    recorder = Recorder()
    before_answer = [(at, f) for at, f in recv_frames(FIRST) if at < BASE_EPOCH + 2.0]
    recorder.feed([*before_answer, *recv_frames(SECOND)])
    [call] = recorder.calls
    assert (call.outcome, call.answered_by, call.queue) == ("answered", "101", "sales")
    assert call.resynced
    assert call.agents_rung == ("101", "102")
    assert call.wait_s == pytest.approx(2.0, abs=0.5)
    assert call.talk_s == pytest.approx(20.0, abs=0.5)


def test_a_call_that_ended_during_the_gap_ends_at_the_earliest_possible_instant() -> None:
    # AgentConnect at +3.031304. The link answered a Ping at +8.031 (5.0 s later), then went
    # down; the snapshot at +15.431 lists no channel. The call ended somewhere in
    # [+8.031, +15.431]: talk runs to the earliest end (5.0 s), never to the reconnect (12.4 s).
    recorder = Recorder()
    recorder.feed(recv_frames(FIRST))
    assert recorder.calls == []
    tracker = recorder.tracker()
    tracker.heard(BASE_EPOCH + 8.031304)  # the link's last Ping reply
    tracker.link_lost()
    tracker.resync([], at=BASE_EPOCH + 15.431304)
    [call] = recorder.calls
    assert call.resynced
    assert not call.end_exact
    assert (call.outcome, call.answered_by, call.queue) == ("answered", "101", "sales")
    assert (call.caller, call.callee) == ("+74951234567", "74950000000")
    assert call.hangup_cause is None  # the Hangup was lost with the link
    assert call.ended_at.timestamp() == pytest.approx(BASE_EPOCH + 8.031304)
    assert call.ended_not_after is not None
    assert call.ended_not_after.timestamp() == pytest.approx(BASE_EPOCH + 15.431304)
    assert call.talk_s == pytest.approx(5.0, abs=0.001)
    assert call.as_meta()["ended_not_after"] == call.ended_not_after.isoformat()
    [ended] = [e for e in recorder.events if e.state == "ended"]
    assert ended.occurred_at == call.ended_at


def test_with_no_loss_reported_the_last_frame_heard_is_the_earliest_end() -> None:
    # A replay knows only the frames: the last one before the reconnect came at +3.031378,
    # 0.000074 s after the AgentConnect (+3.031304).
    recorder = Recorder()
    recorder.feed(recv_frames(FIRST))
    recorder.tracker().resync([], at=BASE_EPOCH + 9.04)
    [call] = recorder.calls
    assert call.ended_at.timestamp() == pytest.approx(BASE_EPOCH + 3.031378)
    assert call.ended_not_after is not None
    assert call.ended_not_after.timestamp() == pytest.approx(BASE_EPOCH + 9.04)
    assert call.talk_s == pytest.approx(0.000074, abs=0.00001)


def test_a_call_seen_ending_has_an_exact_end() -> None:
    recorder = Recorder()
    recorder.feed([*recv_frames(FIRST), *recv_frames(SECOND)])
    [call] = recorder.calls
    assert call.end_exact
    assert call.as_meta()["ended_not_after"] is None


def test_a_caller_lost_from_the_queue_during_the_gap_is_not_called_answered() -> None:
    recorder = Recorder()
    frames = list(recv_frames(transcript("inbound_queue__abandoned")[0]))
    recorder.feed((at, f) for at, f in frames if at < BASE_EPOCH + 10.0)
    recorder.tracker().resync([], at=BASE_EPOCH + 25.0)
    [call] = recorder.calls
    assert (call.outcome, call.answered_by, call.resynced) == ("abandoned", None, True)
    assert call.agents_rung == ("101", "102")
    assert [e.state for e in recorder.events][-1] == "missed"


def test_a_finished_call_is_never_brought_back_by_a_stale_snapshot() -> None:
    recorder = Recorder()
    recorder.feed([*recv_frames(FIRST), *recv_frames(SECOND)])
    listing = [f for _, f in recv_frames(SECOND) if f.get("Event") == "CoreShowChannel"]
    recorder.tracker().resync(listing, at=BASE_EPOCH + 40.0)
    assert len(recorder.calls) == 1
    assert recorder.tracker().calls == {}
