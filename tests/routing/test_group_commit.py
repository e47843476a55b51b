"""Group commit: how jobs queue behind a busy writer and are answered (routing/group_commit.py).

The writer here is a recording function the test opens and closes, so each batch's contents
are known exactly; the ingest on both databases is in test_ingest_batches.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from routing.group_commit import GroupCommit
from tests.waiting import until


class GatedWriter:
    """Records each batch it is given and finishes it only when the test lets it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gates: list[asyncio.Event] = []
        self.fail_with: Exception | None = None
        self.item_failures: dict[str, Exception] = {}

    async def __call__(self, jobs: Sequence[str]) -> list[str | Exception]:
        self.batches.append(list(jobs))
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [self.item_failures.get(job, f"written {job}") for job in jobs]

    async def release(self, number: int) -> None:
        """Let batch `number` (0-based) finish, once it has started."""
        await until(lambda: len(self.gates) > number)
        self.gates[number].set()


async def test_a_job_that_finds_the_writer_free_is_written_at_once_alone() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=32)
    answer = asyncio.create_task(group.submit("a"))
    await writer.release(0)
    assert await answer == "written a"
    assert writer.batches == [["a"]]


async def test_jobs_queued_behind_a_busy_writer_go_together_in_order_and_bounded() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=2)
    first = asyncio.create_task(group.submit("a"))
    await until(lambda: len(writer.batches) == 1)
    later = [asyncio.create_task(group.submit(job)) for job in "bcdef"]
    for number in range(4):
        await writer.release(number)
    assert await first == "written a"
    assert [await answer for answer in later] == [f"written {job}" for job in "bcdef"]
    assert writer.batches == [["a"], ["b", "c"], ["d", "e"], ["f"]]
    assert (group.batches_written, group.jobs_written) == (4, 6)


async def test_two_writers_write_two_batches_at_once() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=2, max_batch=32)
    answers = [asyncio.create_task(group.submit(job)) for job in "abc"]
    # "a" took the first writer, "b" the second; "c" waits for whichever finishes first.
    await until(lambda: len(writer.batches) == 2)
    assert writer.batches == [["a"], ["b"]]
    await writer.release(1)
    await until(lambda: len(writer.batches) == 3)
    assert writer.batches[2] == ["c"]
    await writer.release(0)
    await writer.release(2)
    assert [await a for a in answers] == ["written a", "written b", "written c"]


async def test_a_submitter_that_leaves_does_not_cancel_the_batch_holding_its_job() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=32)
    first = asyncio.create_task(group.submit("a"))
    await until(lambda: len(writer.batches) == 1)
    leaving = asyncio.create_task(group.submit("b"))
    staying = asyncio.create_task(group.submit("c"))
    await writer.release(0)
    await until(lambda: len(writer.batches) == 2)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    await writer.release(1)
    assert await staying == "written c"
    assert await first == "written a"
    assert writer.batches == [["a"], ["b", "c"]]
    assert group.jobs_written == 3


async def test_a_batch_that_fails_answers_each_of_its_jobs_with_the_error() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=32)
    first = asyncio.create_task(group.submit("a"))
    await until(lambda: len(writer.batches) == 1)
    failing = [asyncio.create_task(group.submit(job)) for job in "bc"]
    await writer.release(0)
    await until(lambda: len(writer.batches) == 2)
    writer.fail_with = ConnectionError("database gone")
    await writer.release(1)
    for answer in failing:
        with pytest.raises(ConnectionError, match="database gone"):
            await answer
    assert await first == "written a"
    # The writer is free again: the next job is written.
    writer.fail_with = None
    after = asyncio.create_task(group.submit("d"))
    await writer.release(2)
    assert await after == "written d"


async def test_one_jobs_failure_is_its_own_answer_only() -> None:
    writer = GatedWriter()
    writer.item_failures["b"] = ValueError("not stored")
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=32)
    first = asyncio.create_task(group.submit("a"))
    await until(lambda: len(writer.batches) == 1)
    answers = [asyncio.create_task(group.submit(job)) for job in "bc"]
    await writer.release(0)
    await writer.release(1)
    with pytest.raises(ValueError, match="not stored"):
        await answers[0]
    assert await answers[1] == "written c"
    assert await first == "written a"


async def test_drain_waits_for_every_queued_job() -> None:
    writer = GatedWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, writers=1, max_batch=32)
    answers = [asyncio.create_task(group.submit(job)) for job in "ab"]
    await until(lambda: len(writer.batches) == 1)
    drained = asyncio.create_task(group.drain())
    await writer.release(0)
    await writer.release(1)
    await drained
    assert all(a.done() for a in answers)
    assert writer.batches == [["a"], ["b"]]


def test_a_group_commit_needs_a_writer_and_room_for_a_job() -> None:
    with pytest.raises(ValueError):
        GroupCommit(GatedWriter(), writers=0, max_batch=1)
    with pytest.raises(ValueError):
        GroupCommit(GatedWriter(), writers=1, max_batch=0)
