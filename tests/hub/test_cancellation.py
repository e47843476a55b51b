"""A worker loop ends when it is cancelled, even when the cancel reaches it as another error
or not at all (as SQLAlchemy's cleanup and Python 3.11's wait_for can make happen), and a
lease's holder does not wait forever for a reader that will not stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hub.cancellation import raise_if_cancelling
from hub.host import leased
from tests.waiting import until


async def converting_sleep() -> None:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        raise RuntimeError("connection reset failed while cleaning up") from None


async def swallowing_sleep() -> None:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        return  # lost, as a cancel landing with a wait_for's own wake-up is on 3.11


async def loop_over(step: object, turns: list[int]) -> int:
    while True:
        turns.append(len(turns) + 1)
        try:
            await step()  # type: ignore[operator]
        except Exception as exc:
            raise_if_cancelling(exc)
        raise_if_cancelling()
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("step", [converting_sleep, swallowing_sleep])
async def test_a_loop_ends_on_cancel_however_the_cancel_reached_it(step: object) -> None:
    turns: list[int] = []
    task = asyncio.create_task(loop_over(step, turns))
    # Cancelled inside a step (each one waits 30 s), not before the loop began.
    await until(lambda: turns, what="the loop's first step")
    task.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert task.cancelled()


async def test_an_error_outside_a_cancel_is_left_to_the_handler() -> None:
    async def once() -> str:
        try:
            raise RuntimeError("an ordinary failure")
        except RuntimeError as exc:
            raise_if_cancelling(exc)
            return "handled"

    assert await once() == "handled"


async def test_a_reader_that_ignores_its_cancel_does_not_hold_the_lease_forever(
    hub: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(leased, "STOP_WITHIN_S", 0.3)
    stubborn_stop = asyncio.Event()

    async def stubborn() -> None:
        while not stubborn_stop.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue  # a reader that never stops

    calls = 0

    async def acquire(*args: object) -> bool:
        nonlocal calls
        calls += 1
        return calls == 1  # taken once, then lost at the first renewal

    monkeypatch.setattr(leased.leases, "acquire", acquire)
    run = leased.run_leased(hub, "test:stubborn", stubborn)  # type: ignore[arg-type]
    holder = asyncio.create_task(run)
    try:
        with caplog.at_level(logging.ERROR, logger="hub.host.leased"):
            async with asyncio.timeout(10):
                while "did not stop within" not in caplog.text:
                    await asyncio.sleep(0.02)
        assert "test:stubborn's reader did not stop within 0 s" in caplog.text
        assert "in stubborn" in caplog.text  # where it was stuck, to find the culprit
    finally:
        stubborn_stop.set()
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
