"""What the routing tests count and how they submit at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from connectors.base import Inbound, Receipt
from hub.core import Hub
from routing.ingest import Ingestor


@contextmanager
def statements(hub: Hub) -> Iterator[list[str]]:
    """The statements the database is sent meanwhile (each as its first three words)."""
    sent: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split()[:3]))

    engine: Engine = hub.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@contextmanager
def commits(hub: Hub) -> Iterator[list[int]]:
    """One entry per transaction committed meanwhile."""
    seen: list[int] = []

    def committed(_connection: object) -> None:
        seen.append(1)

    engine: Engine = hub.db.engine.sync_engine
    event.listen(engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", committed)


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
