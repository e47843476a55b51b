"""What one group-commit batch of the app in the bench's process does, statement by statement.

`Trace` listens on SQLAlchemy's Engine class (every statement's start and end, every commit)
and wraps the ingest's group commit (each batch's start and end), keeping the moments; after
a run it prints how many batches there were and of what sizes, the spread of their times,
and one batch from the middle of the measured load with each statement's start, its time in
the database round trip (to the moment the app saw the answer, so the loop's wait included)
and its first words. Where a batch's time goes, without a profiler:

    .venv/bin/python bench/ingest.py --rate 300 --seconds 10 --backend postgres --trace
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from routing.group_commit import GroupCommit


@dataclass
class Trace:
    # (moment, what, detail): "B" batch began (size), "E" ended, "S" statement sent (its
    # text), "A" its answer seen, "C" commit.
    marks: list[tuple[float, str, str]] = field(default_factory=list)
    _installed: bool = False

    def install(self) -> None:
        """Start listening (once per process; a second backend's run starts afresh)."""
        self.marks.clear()
        if self._installed:
            return
        self._installed = True
        marks = self.marks

        @event.listens_for(Engine, "before_cursor_execute")
        def _sent(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            marks.append((time.perf_counter(), "S", " ".join(statement.split())[:72]))

        @event.listens_for(Engine, "after_cursor_execute")
        def _answered(*_: Any) -> None:
            marks.append((time.perf_counter(), "A", ""))

        @event.listens_for(Engine, "commit")
        def _committed(*_: Any) -> None:
            marks.append((time.perf_counter(), "C", ""))

        write = GroupCommit._write

        async def traced(group: GroupCommit[Any, Any], batch: list[Any]) -> None:
            marks.append((time.perf_counter(), "B", str(len(batch))))
            try:
                await write(group, batch)
            finally:
                marks.append((time.perf_counter(), "E", str(len(batch))))

        GroupCommit._write = traced  # type: ignore[method-assign]

    def report(self) -> None:
        """Print the batches of the run (the warm-up's few included)."""
        marks = self.marks
        starts = [i for i, m in enumerate(marks) if m[1] == "B"]
        if not starts:
            print("  trace: no batch")
            return
        sizes = Counter(int(marks[i][2]) for i in starts)
        times = sorted(_batch_ms(marks[i:]) for i in starts)
        print(
            f"  trace: {len(starts)} batches, sizes (size: count) "
            + ", ".join(f"{s}: {n}" for s, n in sorted(sizes.items()))
        )
        print(
            f"  batch time p50 {times[len(times) // 2]:.1f} ms, p90 "
            f"{times[int(len(times) * 0.9)]:.1f} ms, max {times[-1]:.1f} ms"
        )
        middle = starts[len(starts) // 2]
        _print_batch(marks[middle:])


def _batch_ms(marks: Sequence[tuple[float, str, str]]) -> float:
    end = next((m[0] for m in marks if m[1] == "E"), marks[-1][0])
    return (end - marks[0][0]) * 1000


def _print_batch(marks: Sequence[tuple[float, str, str]]) -> None:
    began = marks[0][0]
    print(f"  a batch of {marks[0][2]} from the middle (ms from its start; round trip):")
    sent: tuple[float, str] | None = None
    for moment, what, detail in marks[1:]:
        if what == "S":
            sent = (moment, detail)
        elif what == "A" and sent is not None:
            print(
                f"    {(sent[0] - began) * 1000:7.2f}  {(moment - sent[0]) * 1000:5.2f}  {sent[1]}"
            )
            sent = None
        elif what == "C":
            print(f"    {(moment - began) * 1000:7.2f}         COMMIT")
        elif what == "E":
            print(f"    {(moment - began) * 1000:7.2f}         answered")
            return
