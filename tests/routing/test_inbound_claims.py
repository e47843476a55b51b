"""The rows behind store-before-acknowledge, pinned with times written by hand: who may claim a
stored event and when (the claim guard, a lapsed claim, a claimer whose node is gone), when a
failure is due again, and what each ending writes. The clock is injected; no test waits.

Written against mutmut's survivors in `hub/actions/inbound.py` (bench/mutation.sh): each
boundary is checked on both sides (a claim lapses after 60 s, not at 60 s; a failure is due at
its backoff, not before; a node's lease is dead at its expiry)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub.actions import inbound, unit_of_work
from hub.actions.channels import origin_of
from hub.bus import MemoryBus
from hub.core import Hub
from hub.db import Database
from hub.models import Contact, Conversation, InboundEvent, InboundStatus, Lease
from tests.conftest import Backend, Clock, add_channel

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=Clock().now.tzinfo)
SOURCE = "webform:demo"


@pytest.fixture
async def world(backend: Backend) -> AsyncIterator[tuple[Hub, Clock]]:
    clock = Clock()
    assert clock.now == T0
    settings = backend.settings(inbound_max_attempts=3)
    hub = Hub(settings=settings, db=Database(settings.database_url), bus=MemoryBus(), clock=clock)
    yield hub, clock
    await hub.db.dispose()


async def row(hub: Hub, event_id: int) -> InboundEvent:
    async with hub.db.sessions() as session:
        return await session.get_one(InboundEvent, event_id)


async def node_alive_until(hub: Hub, until: datetime) -> None:
    """This node's lease (hub/host/node_lease.py renews it), valid until `until`."""
    async with unit_of_work(hub) as uow:
        uow.session.add(Lease(name="node:" + origin_of(hub), holder="test", expires_at=until))


async def stored_claimed(hub: Hub, external_id: str = "e1") -> inbound.ClaimedEvent:
    async with unit_of_work(hub) as uow:
        claimed = await inbound.record_claimed(uow, SOURCE, external_id, {"n": 1})
    assert claimed is not None
    return claimed


async def stored_failed(hub: Hub, external_id: str = "e1") -> int:
    async with unit_of_work(hub) as uow:
        event_id, created = await inbound.record_failed(uow, SOURCE, external_id, {"n": 1}, "boom")
    assert created
    assert (await row(hub, event_id)).payload == {"n": 1}
    return event_id


async def test_a_first_attempt_is_stored_claimed_for_a_minute_and_a_repeat_is_not(
    world: tuple[Hub, Clock],
) -> None:
    hub, _ = world
    claimed = await stored_claimed(hub)
    assert (claimed.source, claimed.attempts, claimed.payload) == (SOURCE, 1, {"n": 1})
    event = await row(hub, claimed.id)
    assert event.status is InboundStatus.processing
    assert event.attempts == 1
    assert event.received_at == T0
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 1, tzinfo=T0.tzinfo)
    assert event.claimed_by == origin_of(hub)
    assert inbound.node_lease(hub) == "node:" + origin_of(hub)
    assert (event.external_id, event.payload) == ("e1", {"n": 1})
    async with unit_of_work(hub) as uow:
        assert await inbound.record_claimed(uow, SOURCE, "e1", {"n": 2}) is None
        assert await inbound.recorded(uow, SOURCE, "e1") == (claimed.id, None)


async def test_a_failed_first_attempt_is_due_after_one_second_with_its_error_cut(
    world: tuple[Hub, Clock],
) -> None:
    hub, _ = world
    async with unit_of_work(hub) as uow:
        event_id, created = await inbound.record_failed(uow, SOURCE, "e1", {}, "x" * 4100)
    assert created
    event = await row(hub, event_id)
    assert event.status is InboundStatus.failed
    assert event.attempts == 1
    assert event.last_error == "x" * 4000
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 0, 1, tzinfo=T0.tzinfo)
    # The same event failing on another node meanwhile keeps the first row.
    async with unit_of_work(hub) as uow:
        assert await inbound.record_failed(uow, SOURCE, "e1", {}, "again") == (event_id, False)
    assert (await row(hub, event_id)).last_error == "x" * 4000


async def test_a_live_claim_is_refused_until_it_lapses_after_sixty_seconds(
    world: tuple[Hub, Clock],
) -> None:
    hub, clock = world
    await node_alive_until(hub, T0 + timedelta(hours=1))
    first = await stored_claimed(hub)
    assert await inbound.claim(hub, first.id) is None  # the claim guard
    clock.advance(60)  # at the lapse itself the claim still stands
    assert await inbound.claim(hub, first.id) is None
    clock.advance(1)
    again = await inbound.claim(hub, first.id)
    assert again is not None
    assert (again.id, again.source, again.attempts, again.payload) == (
        first.id,
        SOURCE,
        2,
        {"n": 1},
    )
    event = await row(hub, first.id)
    assert event.status is InboundStatus.processing
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 2, 1, tzinfo=T0.tzinfo)
    assert event.claimed_by == origin_of(hub)
    assert await inbound.claim(hub, first.id) is None  # now claimed anew


async def test_a_claim_whose_node_is_gone_is_taken_at_once(world: tuple[Hub, Clock]) -> None:
    hub, clock = world
    await node_alive_until(hub, T0 + timedelta(seconds=30))
    first = await stored_claimed(hub)
    clock.advance(29)
    assert await inbound.claim(hub, first.id) is None
    clock.advance(1)  # the lease is dead at its expiry, long before the claim's 60 s
    again = await inbound.claim(hub, first.id)
    assert again is not None and again.attempts == 2


async def test_only_the_claimers_own_lease_keeps_its_claim(world: tuple[Hub, Clock]) -> None:
    hub, clock = world
    gone = Hub(settings=hub.settings, db=hub.db, bus=hub.bus, clock=clock)
    await node_alive_until(hub, T0 + timedelta(hours=1))  # this node lives, the other is gone
    theirs = await stored_claimed(gone, "theirs")
    assert await inbound.due_for_retry(hub) == [theirs.id]  # before its claim's 60 s
    taken = await inbound.claim(hub, theirs.id)
    assert taken is not None and taken.attempts == 2
    assert (await row(hub, theirs.id)).claimed_by == origin_of(hub)
    assert await inbound.claim(gone, theirs.id) is None  # now this node's, alive


async def test_a_claim_with_no_claimer_named_waits_for_its_lapse(
    world: tuple[Hub, Clock],
) -> None:
    hub, _ = world
    first = await stored_claimed(hub)
    async with unit_of_work(hub) as uow:
        await uow.session.execute(
            update(InboundEvent).where(InboundEvent.id == first.id).values(claimed_by=None)
        )
    assert await inbound.claim(hub, first.id) is None
    assert await inbound.due_for_retry(hub) == []


async def test_finished_events_are_never_claimed_even_when_their_node_is_gone(
    world: tuple[Hub, Clock],
) -> None:
    hub, clock = world  # no node lease at all: every claimer is gone
    processed = await stored_claimed(hub, "p")
    ignored = await stored_claimed(hub, "i")
    async with unit_of_work(hub) as uow:
        await inbound.mark_processed(uow, processed.id, None, None)
        await inbound.mark_ignored(uow, ignored.id, "not for us")
    for event_id in (processed.id, ignored.id):
        assert await inbound.claim(hub, event_id) is None
    assert await inbound.due_for_retry(hub) == []
    clock.advance(61)  # past the claim's own lapse too
    for event_id in (processed.id, ignored.id):
        assert await inbound.claim(hub, event_id) is None
    assert await inbound.due_for_retry(hub) == []


async def test_a_failure_is_due_at_its_backoff_while_attempts_remain(
    world: tuple[Hub, Clock],
) -> None:
    hub, clock = world  # inbound_max_attempts = 3
    await node_alive_until(hub, T0 + timedelta(hours=1))
    first = await stored_failed(hub, "a")
    second = await stored_failed(hub, "b")
    clock.advance(0.5)
    assert await inbound.due_for_retry(hub) == []
    clock.advance(0.5)  # due at T0 + 1 s itself
    assert await inbound.due_for_retry(hub) == [first, second]
    assert await inbound.due_for_retry(hub, limit=1) == [first]

    claimed = await inbound.claim(hub, first)
    assert claimed is not None and claimed.attempts == 2
    async with unit_of_work(hub) as uow:
        await inbound.mark_failed(uow, claimed, "y" * 4100)
    event = await row(hub, first)
    assert event.status is InboundStatus.failed
    assert event.last_error == "y" * 4000
    # After the second attempt the pause is 2 s.
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 0, 3, tzinfo=T0.tzinfo)
    clock.advance(2)
    assert await inbound.due_for_retry(hub) == [first, second]

    third = await inbound.claim(hub, first)
    assert third is not None and third.attempts == 3
    async with unit_of_work(hub) as uow:
        await inbound.mark_failed(uow, third, "z")
    clock.advance(600)
    assert await inbound.due_for_retry(hub) == [second]  # three attempts: no more


async def test_a_late_failure_never_undoes_a_claim_taken_over_meanwhile(
    world: tuple[Hub, Clock],
) -> None:
    hub, clock = world
    await node_alive_until(hub, T0 + timedelta(hours=1))
    first = await stored_claimed(hub)
    clock.advance(61)
    again = await inbound.claim(hub, first.id)
    assert again is not None
    async with unit_of_work(hub) as uow:  # the first attempt's failure, written late
        await inbound.mark_failed(uow, first, "late")
    event = await row(hub, first.id)
    assert (event.status, event.attempts, event.last_error) == (InboundStatus.processing, 2, None)

    # Another node's claim of the same attempt is not this node's to end either.
    other = Hub(settings=hub.settings, db=hub.db, bus=hub.bus, clock=clock)
    async with unit_of_work(other) as uow:
        await inbound.mark_failed(uow, again, "not mine")
    assert (await row(hub, first.id)).status is InboundStatus.processing

    # A failure ends its own event only, not another claimed in the same attempt.
    neighbour = await stored_claimed(hub, "neighbour")
    twin = await stored_claimed(hub, "twin")  # same node, same attempt
    async with unit_of_work(hub) as uow:
        await inbound.mark_failed(uow, neighbour, "its own")
    assert (await row(hub, neighbour.id)).status is InboundStatus.failed
    assert (await row(hub, twin.id)).status is InboundStatus.processing
    assert (await row(hub, first.id)).status is InboundStatus.processing

    # Once ended, a repeated failure of the same attempt changes nothing.
    async with unit_of_work(hub) as uow:
        await inbound.mark_processed(uow, first.id, None, None)
    async with unit_of_work(hub) as uow:
        await inbound.mark_failed(uow, again, "after the end")
    assert (await row(hub, first.id)).status is InboundStatus.processed


async def test_each_ending_writes_its_status_time_and_error(world: tuple[Hub, Clock]) -> None:
    hub, clock = world
    failed = await stored_failed(hub, "f")
    ignored = await stored_claimed(hub, "i")
    clock.advance(5)
    async with unit_of_work(hub) as uow:
        await inbound.mark_processed(uow, failed, None, None)
        await inbound.mark_ignored(uow, ignored.id, "spam")
    done = await row(hub, failed)
    assert done.status is InboundStatus.processed
    assert done.processed_at == datetime(2026, 6, 15, 9, 0, 5, tzinfo=T0.tzinfo)
    assert (done.last_error, done.next_attempt_at) == (None, None)
    assert (done.conversation_id, done.message_id) == (None, None)
    skipped = await row(hub, ignored.id)
    assert skipped.status is InboundStatus.ignored
    assert skipped.processed_at == datetime(2026, 6, 15, 9, 0, 5, tzinfo=T0.tzinfo)
    assert skipped.last_error == "spam"


async def test_a_restarted_single_node_takes_back_every_unfinished_claim_now(
    world: tuple[Hub, Clock],
) -> None:
    hub, clock = world
    await node_alive_until(hub, T0 + timedelta(hours=1))
    claimed = await stored_claimed(hub, "c")
    failed = await stored_failed(hub, "f")
    processed = await stored_claimed(hub, "p")
    async with unit_of_work(hub) as uow:
        await inbound.mark_processed(uow, processed.id, None, None)
    clock.advance(10)
    assert await inbound.take_back_all(hub) == 1
    event = await row(hub, claimed.id)
    assert event.status is InboundStatus.pending
    assert event.next_attempt_at == datetime(2026, 6, 15, 9, 0, 10, tzinfo=T0.tzinfo)
    assert event.claimed_by is None
    assert (await row(hub, failed)).status is InboundStatus.failed
    assert (await row(hub, processed.id)).status is InboundStatus.processed
    assert await inbound.due_for_retry(hub) == [claimed.id, failed]
    async with unit_of_work(hub) as uow:
        await inbound.mark_ignored(uow, claimed.id, "spam")
    assert await inbound.take_back_all(hub) == 0  # nothing unfinished is left
    async with hub.db.sessions() as session:
        sources = (await session.execute(select(InboundEvent.source))).scalars().all()
    assert set(sources) == {SOURCE}


async def test_a_repeat_is_told_the_first_rows_id_and_conversation(
    world: tuple[Hub, Clock],
) -> None:
    hub, _ = world
    channel_id = await add_channel(hub, "webform", "demo")
    async with unit_of_work(hub) as uow:
        contact = Contact(name="Анна")
        uow.session.add(contact)
        await uow.session.flush()
        conversation = Conversation(contact_id=contact.id, channel_id=channel_id)
        uow.session.add(conversation)
        await uow.session.flush()
        conversation_id = conversation.id
    first = await stored_claimed(hub, "e1")
    other_source = await stored_claimed(hub, "e2")
    async with unit_of_work(hub) as uow:
        same_id_elsewhere = await inbound.record_claimed(uow, "telegram:bot", "e1", {})
        assert same_id_elsewhere is not None
        await inbound.mark_processed(uow, first.id, conversation_id, None)
    async with unit_of_work(hub) as uow:
        assert await inbound.recorded(uow, SOURCE, "e1") == (first.id, conversation_id)
        assert await inbound.recorded(uow, SOURCE, "e2") == (other_source.id, None)
        assert await inbound.recorded(uow, "telegram:bot", "e1") == (same_id_elsewhere.id, None)
    assert (await row(hub, first.id)).conversation_id == conversation_id


async def test_a_retry_pass_takes_a_hundred_events_at_most(world: tuple[Hub, Clock]) -> None:
    hub, clock = world
    async with unit_of_work(hub) as uow:
        for n in range(101):
            await inbound.record_failed(uow, SOURCE, f"e{n}", {}, "boom")
    clock.advance(1)
    due = await inbound.due_for_retry(hub)
    assert len(due) == 100
    assert due == sorted(due)
