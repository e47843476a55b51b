"""A cancellation that surfaced as another error is still a cancellation.

Cleaning up a query that `Task.cancel()` interrupted (SQLAlchemy's rollback and connection
reset on asyncpg) can raise its own error in place of the `CancelledError`. A worker loop's
broad `except Exception` then logs it and carries on, and whoever cancelled the task (a lost
lease, a node shutting down) waits for it forever: the robots' scheduler hung a test run so.
Python 3.11's `asyncio.wait_for` (which asyncpg uses inside) can also lose a cancel that lands
as its own wait ends, with no error at all. Python counts the cancel requests a task has not
acknowledged (`Task.cancelling()`), so a loop can tell either way: it calls
`raise_if_cancelling` first in its handler and again once per turn.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelling(exc: BaseException | None = None) -> None:
    """Raise `CancelledError` (from `exc`) when the current task is being cancelled."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc
