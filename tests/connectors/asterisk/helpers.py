"""Shared by the Asterisk tests: the fixtures, replay through parser + tracker, and the check
of finished calls against each scenario's answer key (<scenario>.expected.json)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.asterisk.calls import CallTracker
from connectors.asterisk.frames import Frame, FrameParser
from connectors.asterisk.model import Call
from connectors.asterisk.transcript import Entry, parse_transcript
from connectors.base import CallEvent
from connectors.testing import Fixtures

ASTERISK = Fixtures("asterisk")
SCENARIOS = [name.removesuffix(".expected.json") for name in ASTERISK.names("*.expected.json")]
# Any epoch will do: the answer keys only speak of durations.
BASE_EPOCH = 1_795_370_000.0
TOLERANCE_S = 0.5
DURATIONS = {"ring_or_wait_seconds": "wait_s", "talk_seconds": "talk_s"}


def transcript(scenario: str) -> list[list[Entry]]:
    return parse_transcript(ASTERISK.bytes(f"{scenario}.txt"))


def expected_calls(scenario: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = ASTERISK.json(f"{scenario}.expected.json")
    calls: list[dict[str, Any]] = data["calls"]
    return calls


def call_as_expected(call: Call) -> dict[str, Any]:
    """A Call in the answer key's vocabulary."""
    return {
        "linkedid": call.linkedid,
        "direction": call.direction,
        "caller": call.caller,
        "callee": call.callee,
        "queue": call.queue,
        "outcome": call.outcome,
        "answered_by": call.answered_by,
        "transferred_to": call.transferred_to,
        "transfer_kind": call.transfer_kind,
        "ring_or_wait_seconds": call.wait_s,
        "talk_seconds": call.talk_s,
        "hangup_cause": call.hangup_cause,
        "recording": call.recording,
        "agents_rung": list(call.agents_rung),
    }


def mismatches(calls: list[Call], expected: list[dict[str, Any]]) -> list[str]:
    """Every difference between the calls made and the answer key (empty: they agree)."""
    problems: list[str] = []
    got = {call.linkedid: call_as_expected(call) for call in calls}
    if len(got) != len(calls):
        problems.append(f"a Linkedid came out more than once: {[c.linkedid for c in calls]}")
    want = {item["linkedid"]: item for item in expected}
    if set(got) != set(want):
        problems.append(f"calls {sorted(got)} != expected {sorted(want)}")
    for linkedid in sorted(set(got) & set(want)):
        for key, value in want[linkedid].items():
            actual = got[linkedid][key]
            if key in DURATIONS and value is not None and actual is not None:
                if abs(actual - value) > TOLERANCE_S:
                    problems.append(f"{linkedid} {key}: {actual:.3f} != {value} ±{TOLERANCE_S}")
            elif actual != value:
                problems.append(f"{linkedid} {key}: {actual!r} != {value!r}")
    return problems


def recv_frames(entries: list[Entry]) -> Iterator[tuple[float, Frame]]:
    """The frames Asterisk sent on one connection, with the instant each arrived."""
    parser = FrameParser()
    for entry in entries:
        if entry.direction == "recv":
            for frame in parser.feed(entry.data):
                yield BASE_EPOCH + entry.offset, frame


@dataclass
class Recorder:
    """One tracker and everything it reported."""

    calls: list[Call] = field(default_factory=list)
    events: list[CallEvent] = field(default_factory=list)
    _tracker: CallTracker | None = None

    def tracker(self) -> CallTracker:
        if self._tracker is None:
            self._tracker = CallTracker(on_event=self.events.append, on_call=self.calls.append)
        return self._tracker

    def feed(self, frames: Iterable[tuple[float, Frame]]) -> None:
        tracker = self.tracker()
        for at, frame in frames:
            tracker.feed(frame, at)


def replay_offline(scenario: str, recorder: Recorder | None = None) -> Recorder:
    """Feed a whole transcript straight into a tracker (no network). The recorded resync
    replies pass through like any other events, as they do on the live link."""
    recorder = recorder or Recorder()
    for entries in transcript(scenario):
        recorder.feed(recv_frames(entries))
    return recorder
