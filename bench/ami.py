"""How fast the AMI path digests events: a recorded transcript replayed many times, as fast as
possible, through the frame parser and the call tracker (bytes in, finished calls out).

    .venv/bin/python bench/ami.py [--scenario inbound_queue__concurrent] [--repeat 200]

Prints events/s applied (target: >= 2,000 events/s) and checks every replay produced the
scenario's calls, so a fast but broken tracker cannot pass for a fast one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from connectors.asterisk.calls import CallTracker
from connectors.asterisk.frames import FrameParser
from connectors.asterisk.model import Call
from connectors.asterisk.transcript import read_transcript
from connectors.base import CallEvent

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(os.environ.get("OKNO_FIXTURES", SHARED / "fixtures")) / "asterisk"
TARGET = 2_000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="inbound_queue__concurrent")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    connections = read_transcript(FIXTURES / f"{args.scenario}.txt")
    entries = [(e.offset, e.data) for conn in connections for e in conn if e.direction == "recv"]
    expected = json.loads((FIXTURES / f"{args.scenario}.expected.json").read_text())["calls"]
    span = max(offset for offset, _ in entries) + 60.0

    calls: list[Call] = []
    events: list[CallEvent] = []
    tracker = CallTracker(on_call=calls.append, on_event=events.append)
    frames = 0
    started = time.perf_counter()
    for round_no in range(args.repeat):
        # A new connection per replay; each replay happens later than the one before.
        frame_parser = FrameParser()
        base = 1_795_370_000.0 + round_no * span
        for offset, data in entries:
            for frame in frame_parser.feed(data):
                tracker.feed(frame, base + offset)
                frames += 1
    elapsed = time.perf_counter() - started

    stats = tracker.stats
    applied = stats.applied + stats.ignored
    rate = applied / elapsed
    print(f"scenario        {args.scenario} x {args.repeat}")
    print(f"bytes parsed    {sum(len(d) for _, d in entries) * args.repeat:,}")
    print(f"frames parsed   {frames:,}")
    print(f"events applied  {applied:,} (call model used {stats.applied:,})")
    print(f"calls finished  {len(calls):,}; live call events {len(events):,}")
    print(f"elapsed         {elapsed:.3f} s")
    print(f"events/s        {rate:,.0f} (target >= {TARGET:,.0f})")
    want = len(expected) * args.repeat
    if len(calls) != want or tracker.calls:
        print(f"WRONG: {len(calls)} calls finished, {want} expected", file=sys.stderr)
        return 1
    return 0 if rate >= TARGET else 2


if __name__ == "__main__":
    raise SystemExit(main())
