"""The conversation use cases called directly, as robots and the websocket call them: a person,
a robot and the system, and each refusal by its id and status."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.actions import chat_signals, conversation_cases, conversation_handover
from hub.auth import Principal
from hub.core import Hub
from hub.models import (
    ConversationStatus,
    Direction,
    EventLog,
    Message,
    OutboxItem,
    Presence,
    Role,
    RoutingDecision,
    User,
)
from hub.policy import DomainError, RobotActor, SystemActor
from tests.conftest import add_user
from tests.routing.scenario import World

ROBOT = RobotActor(robot_id=7, name="Missed-call robot")
SYSTEM = SystemActor()


def person(user: User) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, user.locale)


async def refusal(attempt: Awaitable[Any]) -> tuple[str, int]:
    with pytest.raises(DomainError) as caught:
        await attempt
    return caught.value.error_id, caught.value.status


@pytest.fixture
async def world(hub: Hub) -> World:
    """Operators olga and petr and supervisor sveta, all offline: inbound work stays queued."""
    world = await World.create(hub)
    await world.operator("olga", online=False)
    await world.operator("petr", online=False)
    world.users["sveta"] = await add_user(hub, "sveta", Role.supervisor, name="Светлана")
    await world.channel("telegram", "chat")
    return world


async def online(world: World, login: str) -> None:
    """Online without the presence machinery, which would also hand out the queue."""
    async with world.hub.db.sessions() as session, session.begin():
        user = await session.get_one(User, world.users[login].id)
        user.presence, user.presence_at = Presence.online, world.clock.now


async def count(hub: Hub, model: Any, *where: Any) -> int:
    async with hub.db.sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(model).where(*where))).scalar()
            or 0
        )


async def changes(hub: Hub, conversation_id: int) -> list[tuple[str, str]]:
    """The (change, reason) of each conversation.changed event logged for it, in order."""
    async with hub.db.sessions() as session:
        rows = (
            await session.execute(
                select(EventLog.payload)
                .where(EventLog.kind == "conversation.changed")
                .order_by(EventLog.id)
            )
        ).scalars()
        return [
            (p["change"], p["reason"]) for p in rows if p["conversation"]["id"] == conversation_id
        ]


async def test_a_person_replies_and_takes_the_queued_conversation(world: World) -> None:
    olga = person(world.users["olga"])
    conversation_id = await world.inbound("+79160000001")
    posted = await conversation_cases.post_message(
        world.hub, olga, conversation_id, "reply", "Добрый день"
    )
    assert posted.author.id == olga.user_id
    assert posted.message.direction is Direction.outbound and posted.message.text == "Добрый день"
    assert await world.holder(conversation_id) == "olga"
    assert await count(world.hub, OutboxItem) == 1
    note = await conversation_cases.post_message(world.hub, olga, conversation_id, "note", "x")
    assert note.message.direction is Direction.note
    assert await count(world.hub, OutboxItem) == 1  # a note never goes out


async def test_an_operator_may_not_write_on_a_colleagues_conversation(world: World) -> None:
    olga, petr = person(world.users["olga"]), person(world.users["petr"])
    conversation_id = await world.inbound("+79160000001")
    await conversation_handover.assign(world.hub, petr, conversation_id, petr.user_id)
    written = await count(world.hub, Message)
    for attempt in [
        conversation_cases.post_message(world.hub, olga, conversation_id, "reply", "Я"),
        conversation_cases.post_message(world.hub, olga, conversation_id, "note", "Я"),
        conversation_cases.close(world.hub, olga, conversation_id),
        conversation_handover.assign(world.hub, olga, conversation_id, None),
        conversation_handover.assign(world.hub, olga, conversation_id, olga.user_id),
        conversation_handover.transfer_to_operator(world.hub, olga, conversation_id, olga.user_id),
        chat_signals.mark_read(world.hub, olga, conversation_id, 10**9),
        chat_signals.typing(world.hub, olga, conversation_id),
    ]:
        assert await refusal(attempt) == ("not-your-conversation", 403)
    assert await refusal(
        conversation_handover.assign(world.hub, olga, conversation_id, petr.user_id)
    ) == ("forbidden", 403)
    assert await count(world.hub, Message) == written
    assert await world.holder(conversation_id) == "petr"
    # The supervisor may.
    sveta = person(world.users["sveta"])
    await conversation_cases.post_message(world.hub, sveta, conversation_id, "reply", "Отвечаю")
    assert await world.holder(conversation_id) == "petr"


async def test_robots_and_the_system_close_reopen_and_give_back(world: World) -> None:
    olga = person(world.users["olga"])
    conversation_id = await world.inbound("+79160000001")
    await conversation_handover.assign(world.hub, olga, conversation_id, olga.user_id)

    await conversation_handover.assign(world.hub, ROBOT, conversation_id, None)
    held = await world.conversation(conversation_id)
    assert held.assignee_id is None and held.queued_at is not None
    async with world.hub.db.sessions() as session:
        returned = (
            await session.execute(select(RoutingDecision).where(RoutingDecision.kind == "returned"))
        ).scalar_one()
    assert returned.reason == "returned to the queue by Missed-call robot"
    assert returned.by_user_id is None

    await conversation_cases.close(world.hub, ROBOT, conversation_id)
    assert (await world.conversation(conversation_id)).status is ConversationStatus.closed
    await conversation_cases.reopen(world.hub, SYSTEM, conversation_id)
    reopened = await world.conversation(conversation_id)
    assert reopened.status is ConversationStatus.open
    assert reopened.queued_at is not None  # nobody online: the routing engine queued it
    assert (await changes(world.hub, conversation_id))[-3:] == [
        ("closed", ""),
        ("reopened", "reopened by system"),
        ("queued", "no operator online"),
    ]


async def test_what_records_a_person_refuses_robots_and_the_system(world: World) -> None:
    petr = world.users["petr"]
    conversation_id = await world.inbound("+79160000001")
    await online(world, "petr")
    decisions = await count(world.hub, RoutingDecision)
    for actor in (ROBOT, SYSTEM):
        for attempt in [
            conversation_cases.post_message(world.hub, actor, conversation_id, "reply", "Бот"),
            conversation_cases.post_message(world.hub, actor, conversation_id, "note", "Бот"),
            conversation_handover.assign(world.hub, actor, conversation_id, petr.id),
            conversation_handover.accept(world.hub, actor, conversation_id),
            conversation_handover.transfer_to_operator(world.hub, actor, conversation_id, petr.id),
            conversation_handover.transfer_to_team(world.hub, actor, conversation_id, 1),
            chat_signals.mark_read(world.hub, actor, conversation_id, 1),
            chat_signals.typing(world.hub, actor, conversation_id),
        ]:
            assert await refusal(attempt) == ("needs-a-person", 403)
    assert await count(world.hub, Message, Message.direction != Direction.inbound) == 0
    assert await count(world.hub, RoutingDecision) == decisions


async def test_state_conflicts_and_missing_rows(world: World) -> None:
    olga, petr = person(world.users["olga"]), person(world.users["petr"])
    sveta = person(world.users["sveta"])
    conversation_id = await world.inbound("+79160000001")
    assert await refusal(conversation_cases.reopen(world.hub, sveta, conversation_id)) == (
        "already-open",
        409,
    )
    assert await refusal(conversation_handover.accept(world.hub, olga, conversation_id)) == (
        "not-offered-to-you",
        409,
    )
    with pytest.raises(DomainError) as offline:
        await conversation_handover.assign(world.hub, sveta, conversation_id, petr.user_id)
    assert (offline.value.error_id, offline.value.status) == ("operator-offline", 409)
    assert offline.value.details == {"user_id": petr.user_id}
    assert await refusal(
        conversation_handover.assign(world.hub, sveta, conversation_id, 987654)
    ) == ("invalid-input", 422)
    assert await refusal(
        conversation_handover.transfer_to_operator(world.hub, sveta, conversation_id, 987654)
    ) == ("no-such-user", 404)
    assert await refusal(
        conversation_handover.transfer_to_team(world.hub, sveta, conversation_id, 987654)
    ) == ("no-such-team", 404)
    await conversation_cases.close(world.hub, SYSTEM, conversation_id)
    assert await refusal(conversation_cases.close(world.hub, ROBOT, conversation_id)) == (
        "already-closed",
        409,
    )
    for actor in (sveta, ROBOT, SYSTEM):
        assert await refusal(conversation_cases.close(world.hub, actor, 424242)) == (
            "no-such-conversation",
            404,
        )
    assert await refusal(chat_signals.typing(world.hub, sveta, 424242)) == (
        "no-such-conversation",
        404,
    )


async def test_the_holder_accepts_an_offer_and_marks_messages_read(world: World) -> None:
    olga = person(world.users["olga"])
    conversation_id = await world.inbound("+79160000001")
    async with world.hub.db.sessions() as session:
        inbound_id = (
            await session.execute(
                select(Message.id).where(Message.conversation_id == conversation_id)
            )
        ).scalar_one()
    await online(world, "olga")
    await conversation_handover.transfer_to_operator(
        world.hub, person(world.users["sveta"]), conversation_id, olga.user_id, "  знает  "
    )
    offered = await world.conversation(conversation_id)
    assert offered.assignee_id == olga.user_id and offered.offer_expires_at is not None
    await conversation_handover.accept(world.hub, olga, conversation_id)
    assert (await world.conversation(conversation_id)).offer_expires_at is None
    assert "transferred: transferred to Olga by Светлана: знает" in await world.decisions(
        conversation_id
    )
    assert await chat_signals.mark_read(world.hub, olga, conversation_id, 10**9) == inbound_id
    assert await chat_signals.mark_read(world.hub, olga, conversation_id, 10**9) is None
    assert (await world.conversation(conversation_id)).agent_read_up_to == inbound_id
