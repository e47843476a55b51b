"""What the routing tests count and how they submit at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from connectors.base import Inbound, Receipt
from hub.core import Hub
from routing.ingest import Ingestor


@contextmanager
def _listening(hub: Hub, name: str, listener: Callable[..., None]) -> Iterator[None]:
    engine: Engine = hub.db.engine.sync_engine
    event.listen(engine, name, listener)
    try:
        yield
    finally:
        event.remove(engine, name, listener)


@contextmanager
def statements(hub: Hub) -> Iterator[list[str]]:
    """The statements the database is sent meanwhile (each as its first three words)."""
    sent: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split()[:3]))

    with _listening(hub, "before_cursor_execute", seen):
        yield sent


@contextmanager
def commits(hub: Hub) -> Iterator[list[int]]:
    """One entry per transaction committed meanwhile."""
    seen: list[int] = []

    def committed(_connection: object) -> None:
        seen.append(1)

    with _listening(hub, "commit", committed):
        yield seen


async def together(hub: Hub, *items: Inbound) -> list[Receipt]:
    """Submitted at once: the first finds the writer free and is written alone, the others
    queue behind it and are written as one batch (routing/group_commit.py). Checked: two
    commits, so no part of the batch failed and was written again one by one (which would
    end in the same rows, and hide a broken batch path)."""
    ingestor = Ingestor(hub)
    with commits(hub) as committed:
        receipts = list(await asyncio.gather(*(ingestor.submit(item) for item in items)))
    assert len(committed) == 2, f"{len(committed)} commits: the batch was written again alone"
    return receipts
