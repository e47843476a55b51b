"""The call model, fed straight from the recorded transcripts (no network).

Every scenario must give exactly its answer key; the live CallEvents must be what a
screen-pop and a missed-call robot need; noise in the stream must change nothing.
"""

from __future__ import annotations

import logging
import random

import pytest

from connectors.asterisk.agents import AgentBoard, AgentState
from connectors.asterisk.calls import CallTracker
from connectors.asterisk.frames import FrameParser

from .ami_server import NOISE, stamped
from .helpers import (
    BASE_EPOCH,
    SCENARIOS,
    Recorder,
    expected_calls,
    mismatches,
    recv_frames,
    replay_offline,
    transcript,
)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_gives_exactly_its_answer_key(scenario: str) -> None:
    recorder = replay_offline(scenario)
    assert mismatches(recorder.calls, expected_calls(scenario)) == []
    assert not any(call.resynced for call in recorder.calls)


def test_answer_key_check_notices_a_wrong_call() -> None:
    """The comparison itself must fail on a difference, or the test above proves nothing."""
    calls = replay_offline("transfer__attended").calls
    wrong = [dict(expected_calls("transfer__attended")[0], talk_seconds=18.9)]
    assert mismatches(calls, wrong) == ["1795375083.54 talk_seconds: 19.463 != 18.9 ±0.5"]
    wrong = [dict(expected_calls("transfer__attended")[0], transferred_to="101")]
    assert mismatches(calls, wrong) == ["1795375083.54 transferred_to: '102' != '101'"]


def test_live_events_of_an_answered_queue_call() -> None:
    events = replay_offline("inbound_queue__answered").events
    assert [(e.state, e.extension) for e in events] == [
        ("ringing", "102"),
        ("ringing", "101"),
        ("answered", "101"),
        ("ended", "101"),
    ]
    assert len({e.external_id for e in events}) == len(events)
    assert {(e.call_id, e.caller, e.queue, e.channel_kind) for e in events} == {
        ("1795374920.5", "+74951234567", "sales", "asterisk")
    }
    assert events[0].meta["client_number"] == "+74951234567"
    times = [e.occurred_at.timestamp() for e in events if e.occurred_at]
    assert len(times) == len(events) and times == sorted(times)
    final = events[-1].meta
    assert (final["outcome"], final["answered_by"], final["queue"]) == ("answered", "101", "sales")
    assert final["talk_s"] == pytest.approx(8.0, abs=0.5)


def test_abandoned_call_ends_as_missed_with_its_own_outcome() -> None:
    events = replay_offline("inbound_queue__abandoned").events
    final = events[-1]
    assert final.state == "missed"
    assert final.extension is None
    assert final.meta["outcome"] == "abandoned"
    # Each agent rang twice (the queue retried): one screen-pop per ring, ids never repeat.
    rings = [e for e in events if e.state == "ringing"]
    assert sorted(e.extension or "" for e in rings) == ["101", "101", "102", "102"]
    assert len({e.external_id for e in rings}) == 4


def test_outbound_busy_is_an_ended_call_not_a_missed_one() -> None:
    events = replay_offline("click_to_call__busy").events
    assert [e.state for e in events] == ["ringing", "ended"]
    assert events[0].extension == "101"  # the agent's own phone rings first
    assert events[-1].meta["outcome"] == "busy"
    assert events[-1].meta["client_number"] == "+74951234567"


def frames(*items: dict[str, str]) -> list[dict[str, str]]:
    return [dict(item) for item in items]


def test_direct_call_nobody_answers_is_missed() -> None:
    recorder = Recorder()
    tracker = recorder.tracker()
    trunk = {"Channel": "PJSIP/carrier-00000001", "Uniqueid": "9.1", "Linkedid": "9.1"}
    phone = {"Channel": "PJSIP/105-00000002", "Uniqueid": "9.2", "Linkedid": "9.1"}
    dest = {"DestChannel": phone["Channel"], "DestUniqueid": "9.2", "DestLinkedid": "9.1"}
    script = [
        (0.0, {"Event": "Newchannel", **trunk, "CallerIDNum": "+79990001122", "Exten": "300"}),
        (0.1, {"Event": "Newchannel", **phone, "ChannelState": "0", "Exten": "s"}),
        (0.1, {"Event": "DialBegin", **trunk, **dest, "DialString": "105"}),
        (30.1, {"Event": "DialEnd", **trunk, **dest, "DialStatus": "NOANSWER"}),
        (30.1, {"Event": "Hangup", **phone, "Cause": "16"}),
        (31.0, {"Event": "Hangup", **trunk, "Cause": "16"}),
    ]
    for at, frame in script:
        tracker.feed(frame, BASE_EPOCH + at)
    [call] = recorder.calls
    assert (call.direction, call.outcome, call.answered_by) == ("inbound", "missed", None)
    assert (call.caller, call.callee, call.agents_rung) == ("+79990001122", "300", ("105",))
    assert call.wait_s == pytest.approx(31.0)
    assert call.talk_s is None
    assert [e.state for e in recorder.events] == ["ringing", "missed"]


def test_helper_local_legs_are_never_calls_or_parties() -> None:
    recorder = Recorder()
    tracker = recorder.tracker()
    local = {"Uniqueid": "7.1", "Linkedid": "7.1"}
    tracker.feed({"Event": "Newchannel", "Channel": "Local/s@app-announce-0001;1", **local}, 1.0)
    tracker.feed({"Event": "Newchannel", "Channel": "Local/s@app-announce-0001;2",
                  "Uniqueid": "7.2", "Linkedid": "7.1"}, 1.0)  # fmt: skip
    tracker.feed({"Event": "Hangup", "Channel": "Local/s@app-announce-0001;1", **local}, 2.0)
    tracker.feed({"Event": "Hangup", "Channel": "Local/s@app-announce-0001;2",
                  "Uniqueid": "7.2", "Linkedid": "7.1"}, 2.0)  # fmt: skip
    assert recorder.calls == [] and recorder.events == []
    assert tracker.calls == {} and tracker.legs == {}
    for scenario in SCENARIOS:
        done = replay_offline(scenario)
        parties = [e.extension for e in done.events] + [e.caller for e in done.events]
        for call in done.calls:
            parties += [call.caller, call.callee, call.answered_by, call.transferred_to]
            parties += list(call.agents_rung)
        assert not [p for p in parties if p and ("Local" in p or "@" in p)], scenario


def noisy_chunks(scenario: str, seed: int) -> list[bytes]:
    """The recorded stream (dated by Timestamp headers) with junk, unknown events, events for
    unknown channels and cut frames between the real ones, maybe LF-only, cut anywhere."""
    rng = random.Random(seed)
    stream = bytearray()
    for entry in transcript(scenario)[0]:
        if entry.direction == "recv":
            if entry.data.startswith(b"Event:") and rng.random() < 0.3:
                stream += rng.choice(NOISE)
            stream += stamped(entry.data, BASE_EPOCH + entry.offset)
    data = bytes(stream).replace(b"\r\n", b"\n") if seed % 2 else bytes(stream)
    cuts = sorted(rng.sample(range(1, len(data)), 300))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize(
    ("scenario", "seed"), [("inbound_queue__concurrent", 1), ("transfer__attended", 2)]
)
def test_noise_in_the_stream_changes_nothing(
    scenario: str, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors.asterisk")
    recorder = Recorder()
    tracker = recorder.tracker()
    parser = FrameParser()
    for chunk in noisy_chunks(scenario, seed):
        for frame in parser.feed(chunk):
            tracker.feed(frame, received_at=0.0)
    assert mismatches(recorder.calls, expected_calls(scenario)) == []
    assert tracker.stats.unknown > 0 and tracker.stats.orphans > 0
    assert parser.stats.bad_lines > 0 and parser.stats.unterminated_frames > 0
    assert "FrobnicatorStarted is not used by the call model" in caplog.text
    assert "never seen: skipped" in caplog.text


def test_malformed_event_is_skipped_and_later_events_still_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    tracker = recorder.tracker()
    tracker.feed({"Event": "Newchannel", "Channel": "IAX2/trunk-1"}, 1.0)  # no Uniqueid
    assert tracker.stats.malformed == 1
    assert "Newchannel event without usable 'Uniqueid'" in caplog.text
    recorder.feed(recv_frames(transcript("internal__101_to_102")[0]))
    assert mismatches(recorder.calls, expected_calls("internal__101_to_102")) == []


def test_the_events_own_timestamp_wins_over_the_arrival_time() -> None:
    recorder = Recorder()
    tracker = recorder.tracker()
    for at, frame in recv_frames(transcript("internal__101_to_102")[0]):
        # Everything "arrives" at once; only the Timestamp header says when it happened.
        tracker.feed({**frame, "Timestamp": f"{at:.6f}"}, 5.0)
    assert mismatches(recorder.calls, expected_calls("internal__101_to_102")) == []


def test_the_same_stream_twice_gives_two_separate_calls() -> None:
    recorder = Recorder()
    replay_offline("inbound_queue__answered", recorder)
    replay_offline("inbound_queue__answered", recorder)
    first, second = recorder.calls
    assert first == second


def test_agent_board_follows_pause_and_queue_status() -> None:
    changes: list[AgentState] = []
    board = AgentBoard(on_change=changes.append)
    for _at, frame in recv_frames(transcript("queue__pause_unpause")[0]):
        board.feed(frame)
        if frame.get("Event") == "QueueStatusComplete":
            assert board.paused("101") and not board.paused("102")
    pauses = [(s.extension, s.paused, s.paused_reason) for s in changes if s.extension == "101"]
    assert ("101", True, "lunch") in pauses
    assert pauses[-1] == ("101", False, "")
    assert board.members[("sales", "Local/101@agents/n")].name == "Agent 101"
    # A later QueueStatus of "sales" that no longer lists 102 means 102 left the queue.
    board.apply_status([{"Event": "QueueParams", "Queue": "sales"},
                        {"Event": "QueueMember", "Queue": "sales", "Location": "Local/101@agents/n",
                         "Name": "Agent 101", "Paused": "0", "Status": "1"}])  # fmt: skip
    assert list(board.members) == [("sales", "Local/101@agents/n")]


def test_tracker_without_listeners_still_tracks() -> None:
    tracker = CallTracker()
    for at, frame in recv_frames(transcript("inbound_queue__answered")[0]):
        tracker.feed(frame, at)
    assert tracker.calls == {} and tracker.is_finished("1795374920.5")


def test_a_caller_the_queue_gave_up_on_is_missed_not_abandoned() -> None:
    """The queue's timeout runs out (QueueCallerLeave without QueueCallerAbandon, the
    dialplan sets QUEUESTATUS=TIMEOUT and goes on to a recorded message); the caller hangs
    up afterwards. Nobody answered though he waited it out: missed (issue #14)."""
    recorder = Recorder()
    tracker = recorder.tracker()
    trunk = {"Channel": "PJSIP/carrier-00000011", "Uniqueid": "8.1", "Linkedid": "8.1"}
    phone = {"Channel": "PJSIP/101-00000012", "Uniqueid": "8.2", "Linkedid": "8.1"}
    dest = {"DestChannel": phone["Channel"], "DestUniqueid": "8.2", "DestLinkedid": "8.1"}
    script = [
        (0.0, {"Event": "Newchannel", **trunk, "CallerIDNum": "+79990003344", "Exten": "300"}),
        (0.5, {"Event": "QueueCallerJoin", **trunk, "Queue": "sales", "Position": "1"}),
        (0.6, {"Event": "Newchannel", **phone, "ChannelState": "0", "Exten": "s"}),
        (0.6, {"Event": "DialBegin", **trunk, **dest, "DialString": "101"}),
        (15.6, {"Event": "DialEnd", **trunk, **dest, "DialStatus": "NOANSWER"}),
        (15.6, {"Event": "Hangup", **phone, "Cause": "16"}),
        (30.5, {"Event": "QueueCallerLeave", **trunk, "Queue": "sales", "Count": "0"}),
        (30.5, {"Event": "VarSet", **trunk, "Variable": "QUEUESTATUS", "Value": "TIMEOUT"}),
        # The caller listens to «перезвоним вам» and hangs up.
        (36.0, {"Event": "Hangup", **trunk, "Cause": "16"}),
    ]
    for at, frame in script:
        tracker.feed(frame, BASE_EPOCH + at)
    [call] = recorder.calls
    assert (call.direction, call.outcome, call.answered_by) == ("inbound", "missed", None)
    assert call.queue == "sales"
    assert call.talk_s is None
    assert [e.state for e in recorder.events][-1] == "missed"
