"""Group commit: inbound events that arrive while the database is busy are written together.

Each submission waits in a queue; a writer takes everything queued (up to `max_batch`) and
writes it in one transaction, so under load a commit, a connection checkout and the
after-commit work are shared by many events instead of paid by each. Nothing waits for
company: an event that finds a writer free is written at once, alone, so a quiet node answers
as fast as before; batches form only from what queued behind a busy writer.

Each submitter is answered when the batch holding its event has committed (store before
acknowledge). A batch runs as a task of its own, not in a submitter's task: a submitter that
goes away (its HTTP client hung up) must not cancel the others' transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass
class _Waiting(Generic[Job, Result]):
    job: Job
    answer: asyncio.Future[Result] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _read_answer(answer: asyncio.Future[Any]) -> None:
    if not answer.cancelled():
        answer.exception()


class GroupCommit(Generic[Job, Result]):
    """Queue jobs and write them in batches by at most `writers` concurrent writers."""

    def __init__(
        self,
        # Writes a whole batch (in one transaction, or each alone if that fails); returns
        # each job's result or exception, in the batch's order, or raises for all of them.
        write_batch: Callable[[Sequence[Job]], Awaitable[Sequence[Result | Exception]]],
        *,
        writers: int,
        max_batch: int,
    ) -> None:
        if writers < 1 or max_batch < 1:
            raise ValueError("a group commit needs at least one writer and one job per batch")
        self._write_batch = write_batch
        self._writers = writers
        self._max_batch = max_batch
        self._queue: deque[_Waiting[Job, Result]] = deque()
        self._busy = 0
        # Strong references: the loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches_written = 0
        self.jobs_written = 0

    async def submit(self, job: Job) -> Result:
        waiting: _Waiting[Job, Result] = _Waiting(job)
        self._queue.append(waiting)
        self._start_writers()
        # Shielded: cancelling this submitter leaves the job to its batch (it may already
        # be in a transaction); only this caller stops waiting for the answer.
        try:
            return await asyncio.shield(waiting.answer)
        except asyncio.CancelledError:
            # Nobody will read the answer now; read it here, so that a failed batch does not
            # log "exception was never retrieved" for a caller that left.
            waiting.answer.add_done_callback(_read_answer)
            raise

    def _start_writers(self) -> None:
        while self._queue and self._busy < self._writers:
            batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
            self._busy += 1
            task = asyncio.create_task(self._write(batch))
            self._tasks.add(task)
            task.add_done_callback(self._writer_done)

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._busy -= 1
        # What queued meanwhile goes next, without waiting for a new submission.
        self._start_writers()

    async def _write(self, batch: list[_Waiting[Job, Result]]) -> None:
        try:
            results = await self._write_batch([w.job for w in batch])
        except BaseException as exc:
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.batches_written += 1
        self.jobs_written += len(batch)
        for waiting, result in zip(batch, results, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(result, Exception):
                waiting.answer.set_exception(result)
            else:
                waiting.answer.set_result(result)

    async def drain(self) -> None:
        """Wait until every job queued so far is written (shutdown, tests)."""
        while self._tasks or self._queue:
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            else:
                self._start_writers()
