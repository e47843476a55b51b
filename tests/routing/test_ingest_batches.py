"""Group commit on both databases: submissions that queue behind a busy writer are stored and
processed in one transaction, each answered after it commits, and one event's failure
leaves the others of its batch processed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import inbound_batch
from hub.actions.uow import unit_of_work
from hub.core import Hub
from hub.models import Contact, InboundEvent, InboundStatus, Message
from routing import first_requests, handlers
from routing.ingest import Ingestor
from tests.conftest import add_channel, add_user
from tests.routing.counting import commits, statements


def request(number: int, text: str = "Нужен замер") -> InboundMessage:
    """A web form from a new client each time (its own phone)."""
    return InboundMessage(
        channel_kind="webform",
        channel_name="site",
        external_id=f"form-{number}",
        sender=Sender(
            name=f"Клиент {number}", identities=(IdentityClaim("phone", f"+7916000{number:04d}"),)
        ),
        text=text,
    )


async def statuses(hub: Hub) -> dict[str, InboundStatus]:
    async with hub.db.sessions() as session:
        rows = await session.execute(select(InboundEvent.external_id, InboundEvent.status))
        return {key: status for key, status in rows.all()}


async def texts(hub: Hub) -> list[str]:
    async with hub.db.sessions() as session:
        return list((await session.execute(select(Message.text).order_by(Message.id))).scalars())


async def test_submissions_queued_behind_the_writer_share_one_commit(hub: Hub) -> None:
    await add_channel(hub, "webform", "site")
    await add_user(hub, "ivanov", online=True, max_conversations=50)
    ingestor = Ingestor(hub)
    with commits(hub) as committed:
        # The first finds the writer free and is written alone; the five others queue
        # behind it and are written together, in the order they came.
        receipts = await asyncio.gather(
            *(ingestor.submit(request(n, f"Заявка {n}")) for n in range(6))
        )
    assert len(committed) == 2
    assert [r.duplicate for r in receipts] == [False] * 6
    assert len({r.event_id for r in receipts}) == 6
    assert len({r.conversation_id for r in receipts}) == 6
    assert await texts(hub) == [f"Заявка {n}" for n in range(6)]
    assert set((await statuses(hub)).values()) == {InboundStatus.processed}
    async with hub.db.sessions() as session:
        assert len((await session.execute(select(Contact.id))).all()) == 6


async def test_a_repeat_inside_one_batch_is_stored_once(hub: Hub) -> None:
    await add_channel(hub, "webform", "site")
    ingestor = Ingestor(hub)
    first, again, repeated = await asyncio.gather(
        ingestor.submit(request(1)), ingestor.submit(request(2)), ingestor.submit(request(2))
    )
    assert not first.duplicate and not again.duplicate
    assert repeated.duplicate and repeated.event_id == again.event_id
    assert repeated.conversation_id == again.conversation_id is not None
    assert await texts(hub) == ["Нужен замер", "Нужен замер"]


async def test_one_event_failing_leaves_the_rest_of_its_batch_processed(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_channel(hub, "webform", "site")
    ingestor = Ingestor(hub)
    real = handlers.messages.receive

    async def fails_on_a_broken_request(*args, **kwargs):  # type: ignore[no-untyped-def]
        if "сломано" in args[2]:
            raise RuntimeError("a bug in processing")
        return await real(*args, **kwargs)

    monkeypatch.setattr(handlers.messages, "receive", fails_on_a_broken_request)
    # The batch's first requests are written together (routing/first_requests.py): the same
    # bug there.
    opens = first_requests.first_requests.open_first_requests

    async def fails_on_a_broken_batch(uow, requests):  # type: ignore[no-untyped-def]
        if any("сломано" in r.text for r in requests):
            raise RuntimeError("a bug in processing")
        return await opens(uow, requests)

    monkeypatch.setattr(
        first_requests.first_requests, "open_first_requests", fails_on_a_broken_batch
    )
    with commits(hub) as committed:
        receipts = await asyncio.gather(
            ingestor.submit(request(0, "первая")),
            ingestor.submit(request(1, "вторая")),
            ingestor.submit(request(2, "сломано")),
            ingestor.submit(request(3, "четвёртая")),
        )
    # The batch of three was undone and each written alone: 1 + 3 commits.
    assert len(committed) == 4
    assert await statuses(hub) == {
        "form-0": InboundStatus.processed,
        "form-1": InboundStatus.processed,
        "form-2": InboundStatus.failed,
        "form-3": InboundStatus.processed,
    }
    assert await texts(hub) == ["первая", "вторая", "четвёртая"]
    assert receipts[2].conversation_id is None and not receipts[2].duplicate
    assert None not in (receipts[0].conversation_id, receipts[1].conversation_id)


async def test_marks_ride_with_the_event_log_or_go_alone_when_nothing_is_logged(hub: Hub) -> None:
    """On PostgreSQL a batch's inbound events are marked processed by its event log's insert
    (`UnitOfWork.mark_processed`), as its figures are written: no statement of their own. A
    transaction that logs no event still writes its marks, alone, before it commits."""
    await add_channel(hub, "webform", "site")
    await add_user(hub, "ivanov", online=True, max_conversations=50)
    ingestor = Ingestor(hub)
    with statements(hub) as sent:
        receipts = await asyncio.gather(*(ingestor.submit(request(n)) for n in range(20, 24)))
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(InboundEvent.id, InboundEvent.status, InboundEvent.conversation_id)
        )
        stored = {event_id: (status, into) for event_id, status, into in rows.all()}
    assert [stored[r.event_id] for r in receipts] == [
        (InboundStatus.processed, r.conversation_id) for r in receipts
    ]
    if hub.db.dialect == "postgresql":
        # The alone one's (a web form is written set-based even alone) and the batch's three:
        # each transaction's marks in its event log's insert, behind its figures' writes
        # (hub/actions/uow.py `_log_statement`), which are no statement of their own either.
        assert sent.count("WITH facts AS") == 2
        assert sent.count("INSERT INTO event_log") == 0
        assert sent.count("UPDATE inbound_events AS") == 0
    async with unit_of_work(hub) as uow:
        (event,) = await inbound_batch.record_claimed_many(
            uow, [inbound_batch.Arrival("webform:site", "quiet-1", {"kind": "message"})]
        )
        assert event is not None
        await inbound_batch.mark_processed_many(uow, [inbound_batch.Done(event.id, None, None)])
    async with hub.db.sessions() as session:
        status = await session.scalar(
            select(InboundEvent.status).where(InboundEvent.external_id == "quiet-1")
        )
    assert status == InboundStatus.processed
