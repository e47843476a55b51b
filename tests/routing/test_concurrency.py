"""Two app instances, one PostgreSQL and Redis, 200 requests at once, 10 operators of 5.

Nobody may exceed capacity, nothing may be assigned twice, and every request must end up
assigned or queued, however the two nodes interleave.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import (
    AssignmentOffer,
    Conversation,
    ConversationStatus,
    InboundEvent,
    InboundStatus,
    User,
)
from tests.conftest import Backend, add_user
from tests.waiting import until

REQUESTS = 200
OPERATORS = 10
CAPACITY = 5


async def test_two_nodes_never_overfill_anyone(backend: Backend, serve) -> None:  # type: ignore[no-untyped-def]
    if backend.name != "postgres":
        pytest.skip("two nodes share a server database; SQLite is the single-node default")
    settings = backend.settings(routing_sweep_interval_s=0.5)
    node_a, node_b = create_app(settings), create_app(settings)
    client_a, client_b = await serve(node_a), await serve(node_b)
    hub = node_a[HUB]
    for i in range(OPERATORS):
        await add_user(hub, f"op{i}", online=True, max_conversations=CAPACITY)
    async with unit_of_work(hub) as uow:
        channel = await create_channel(uow, "webform", "demo", {"rate_limit_per_minute": 0})
        spec = spec_of(channel)
    for node in (node_a, node_b):
        await node[RUNNER].start_channel(spec)

    async def submit(i: int) -> int:
        client = client_a if i % 2 else client_b
        response = await client.post(
            "/forms/demo",
            json={
                "submission_token": f"load-{i:04d}-aaaaaaaaaaaa",
                "name": f"Клиент {i}",
                "phone": f"+7 916 {i // 100:03d}-{i % 100:02d}-00",
                "message": "Нужен замер",
            },
        )
        assert response.status == 200, await response.text()
        return int((await response.json())["request_number"])

    numbers = await asyncio.gather(*(submit(i) for i in range(REQUESTS)))
    assert len(set(numbers)) == REQUESTS

    async def all_processed() -> bool:
        async with hub.db.sessions() as session:
            unfinished = await session.execute(
                select(func.count()).where(InboundEvent.status != InboundStatus.processed)
            )
            return unfinished.scalar_one() == 0

    # Anything whose first attempt failed is retried by either node's loop; wait for it.
    await until(all_processed, 20, what="every request processed")
    async with hub.db.sessions() as session:
        conversations = (await session.execute(select(Conversation))).scalars().all()
        loads = dict(
            (
                await session.execute(
                    select(Conversation.assignee_id, func.count())
                    .where(
                        Conversation.status == ConversationStatus.open,
                        Conversation.assignee_id.is_not(None),
                    )
                    .group_by(Conversation.assignee_id)
                )
            ).all()
        )
        open_offers = (
            await session.execute(
                select(AssignmentOffer.conversation_id, func.count())
                .where(
                    AssignmentOffer.accepted_at.is_(None),
                    AssignmentOffer.timed_out_at.is_(None),
                    AssignmentOffer.released_at.is_(None),
                )
                .group_by(AssignmentOffer.conversation_id)
            )
        ).all()
        operators = (await session.execute(select(func.count()).select_from(User))).scalar_one()

    assert len(conversations) == REQUESTS and operators == OPERATORS
    assert max(loads.values()) <= CAPACITY, loads
    assert sum(loads.values()) == OPERATORS * CAPACITY
    assert all(count == 1 for _, count in open_offers)
    for conversation in conversations:
        assigned, queued = conversation.assignee_id is not None, conversation.queued_at is not None
        assert assigned != queued, conversation.id
