"""The ingest pipeline on both backends: stored once, processed, failures retried."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import inbound, unit_of_work
from hub.core import Hub
from hub.models import Contact, Conversation, Identity, InboundEvent, InboundStatus, Lead, Message
from routing import first_requests, handlers
from routing.ingest import Ingestor
from tests.conftest import Clock, add_channel, add_user


def form_message(
    token: str, phone: str = "8 (916) 123-45-67", text: str = "Нужен замер"
) -> InboundMessage:
    return InboundMessage(
        channel_kind="webform",
        channel_name="demo",
        external_id=token,
        sender=Sender(
            name="Анна Соколова",
            identities=(
                IdentityClaim("phone", phone),
                IdentityClaim("email", "Anna.Sokolova@mail.example "),
            ),
        ),
        text=text,
        meta={"utm_source": "yandex", "page_url": "https://okna.example/"},
        message_ref=token,
    )


def fail_writing_messages(monkeypatch: pytest.MonkeyPatch, check: Callable[[], None]) -> None:
    """Before the client's message is written, `check` may raise: processing fails there,
    whether the message is written alone (`messages.receive`) or with a batch's first
    requests (`first_requests.open_first_requests`, which a web form's first request takes
    even alone)."""
    receive = handlers.messages.receive
    opens = first_requests.first_requests.open_first_requests

    async def checked_receive(*args: Any, **kwargs: Any) -> Any:
        check()
        return await receive(*args, **kwargs)

    async def checked_opens(*args: Any, **kwargs: Any) -> Any:
        check()
        return await opens(*args, **kwargs)

    monkeypatch.setattr(handlers.messages, "receive", checked_receive)
    monkeypatch.setattr(first_requests.first_requests, "open_first_requests", checked_opens)


async def count(hub: Hub, model: type) -> int:
    async with hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_new_sender_becomes_lead_with_conversation_and_assignment(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    operator = await add_user(hub, "ivanov", online=True)
    subscription = hub.bus.subscribe()
    receipt = await Ingestor(hub).submit(form_message("t-1"))
    assert not receipt.duplicate and receipt.conversation_id is not None

    async with hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, receipt.conversation_id)
        contact = await session.get_one(Contact, conversation.contact_id)
        identities = sorted(
            (i.kind.value, i.value) for i in (await session.execute(select(Identity))).scalars()
        )
        lead = (await session.execute(select(Lead))).scalar_one()
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert contact.name == "Анна Соколова" and contact.status.value == "lead"
    assert identities == [("email", "anna.sokolova@mail.example"), ("phone", "+79161234567")]
    assert lead.source == "webform" and lead.source_detail["utm_source"] == "yandex"
    assert conversation.assignee_id == operator.id and conversation.waiting_since is not None
    assert event.status is InboundStatus.processed and event.conversation_id == conversation.id

    kinds = [(await asyncio.wait_for(subscription.queue.get(), 5)) for _ in range(2)]
    subscription.close()
    assert [e.kind for e in kinds if e] == ["message.created", "conversation.changed"]
    assert (
        kinds[1] is not None and kinds[1].payload["conversation"]["assignee"]["login"] == "ivanov"
    )
    assert kinds[0] is not None and kinds[0].cursor < kinds[1].cursor


async def test_repeat_is_stored_once_and_acknowledged_with_same_number(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    first = await ingestor.submit(form_message("dup-1"))
    second = await ingestor.submit(form_message("dup-1"))
    assert second.duplicate and second.event_id == first.event_id
    assert second.conversation_id == first.conversation_id
    assert await count(hub, InboundEvent) == 1
    assert await count(hub, Message) == 1


async def test_concurrent_duplicates_store_once(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    receipts = await asyncio.gather(*(ingestor.submit(form_message("same")) for _ in range(8)))
    assert len({r.event_id for r in receipts}) == 1
    assert sum(not r.duplicate for r in receipts) == 1
    assert await count(hub, InboundEvent) == 1
    assert await count(hub, Message) == 1


async def test_concurrent_first_contacts_from_one_person_make_one_lead(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    phones = ["8 916 123-45-67", "+7 (916) 123 45 67", "79161234567", "9161234567"]
    await asyncio.gather(*(ingestor.submit(form_message(f"t{i}", p)) for i, p in enumerate(phones)))
    assert await count(hub, Contact) == 1
    assert await count(hub, Message) == 4
    async with hub.db.sessions() as session:
        statuses = (await session.execute(select(InboundEvent.status))).scalars().all()
    assert set(statuses) == {InboundStatus.processed}


async def test_existing_client_is_matched_by_email_and_gains_the_phone(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    await ingestor.submit(
        InboundMessage(
            "webform",
            "demo",
            "e-1",
            Sender("Анна", (IdentityClaim("email", "anna.sokolova@mail.example"),)),
            "привет",
        )
    )
    await ingestor.submit(form_message("e-2"))
    assert await count(hub, Contact) == 1
    assert await count(hub, Identity) == 2


async def test_failure_mid_processing_is_recorded_then_retried(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")

    fail_writing_messages(monkeypatch, flaky)
    clock = Clock()
    hub.clock = clock
    receipt = await ingestor.submit(form_message("flaky"))
    assert receipt.conversation_id is None and not receipt.duplicate
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert event.status is InboundStatus.failed and "database hiccup" in (event.last_error or "")
    # Nothing half-written: the failed transaction left no contact or message behind.
    assert await count(hub, Contact) == 0 and await count(hub, Message) == 0

    # Due again after its backoff, one second (written here, not read from the row): the
    # retry pass leaves it before and processes it then.
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 0, 1, tzinfo=UTC)
    clock.advance(0.5)
    assert await ingestor.retry_due() == 0
    clock.advance(0.5)
    assert await ingestor.retry_due() == 1
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert event.status is InboundStatus.processed and event.attempts == 2
    assert await count(hub, Message) == 1


async def test_no_operator_online_leaves_it_queued(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    await add_user(hub, "offline-op", online=False)
    receipt = await Ingestor(hub).submit(form_message("q-1"))
    async with hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, receipt.conversation_id)
    assert conversation.assignee_id is None


async def test_least_loaded_operator_gets_the_next(hub: Hub) -> None:
    await add_channel(hub, "webform", "demo")
    a = await add_user(hub, "a", online=True)
    b = await add_user(hub, "b", online=True)
    ingestor = Ingestor(hub)
    assignees = []
    for i in range(4):
        r = await ingestor.submit(form_message(f"l{i}", phone=f"+7 916 000-00-0{i}"))
        async with hub.db.sessions() as session:
            assignees.append((await session.get_one(Conversation, r.conversation_id)).assignee_id)
    assert sorted(assignees) == sorted([a.id, a.id, b.id, b.id])


async def test_a_retry_failure_the_database_could_not_take_is_recorded_at_the_next_pass(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database went away mid-retry: the failure could not be written and the claim
    would sit for its minute. The next pass writes it, so the event is due after its backoff."""
    await add_channel(hub, "webform", "demo")
    ingestor = Ingestor(hub)
    real_mark = inbound.mark_failed
    state = {"receive": 0, "database_away": True}

    def failing_twice() -> None:
        state["receive"] += 1
        if state["receive"] <= 2:
            raise RuntimeError("connection lost")

    async def mark_when_back(*args, **kwargs):  # type: ignore[no-untyped-def]
        if state["database_away"]:
            raise ConnectionError("database away")
        return await real_mark(*args, **kwargs)

    fail_writing_messages(monkeypatch, failing_twice)
    monkeypatch.setattr(inbound, "mark_failed", mark_when_back)
    receipt = await ingestor.submit(form_message("away"))  # stored as a failed first attempt
    async with hub.db.sessions() as session:
        first_due = (await session.get_one(InboundEvent, receipt.event_id)).next_attempt_at
    start = first_due
    hub.clock = lambda: start  # type: ignore[assignment, return-value]
    with pytest.raises(ConnectionError):
        await ingestor.retry_due()  # the second attempt fails, its failure is not written
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert (event.status, event.attempts) == (InboundStatus.processing, 2)
    assert event.next_attempt_at == start + timedelta(seconds=60)  # the claim's lease

    state["database_away"] = False
    assert await ingestor.retry_due() == 0  # the failure is written; not due yet
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert (event.status, event.attempts) == (InboundStatus.failed, 2)
    assert event.next_attempt_at == start + timedelta(seconds=2)  # backoff of attempt 2
    hub.clock = lambda: start + timedelta(seconds=2)  # type: ignore[assignment, return-value]
    assert await ingestor.retry_due() == 1
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert (event.status, event.attempts) == (InboundStatus.processed, 3)


async def test_a_failure_recorded_late_does_not_undo_a_claim_taken_over_meanwhile(
    hub: Hub,
) -> None:
    await add_channel(hub, "webform", "demo")
    receipt = await Ingestor(hub).submit(form_message("done"))
    late = inbound.ClaimedEvent(id=receipt.event_id, source="webform", attempts=1, payload={})
    async with unit_of_work(hub) as uow:
        await inbound.mark_failed(uow, late, "recorded after another node processed it")
    async with hub.db.sessions() as session:
        event = await session.get_one(InboundEvent, receipt.event_id)
    assert event.status is InboundStatus.processed and event.last_error is None
