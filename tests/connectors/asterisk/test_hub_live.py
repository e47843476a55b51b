"""What operators see while calls happen: screen-pops with the client card for the ringing
operator only (and supervisors), on-call presence during the call (no chats offered), the
call's conversation assigned to whoever answered, and callback tasks for missed calls."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import channels as channel_actions
from hub.actions import unit_of_work
from hub.events import Envelope
from hub.host.appkeys import INGESTOR
from hub.models import Activity, Conversation, ConversationStatus, Message, Presence, Role
from tests.conftest import Backend
from tests.waiting import until

from .ami_server import AmiServer
from .helpers import replay_offline, transcript
from .hub_world import (
    CLIENT_NUMBER,
    OPTIONS,
    World,
    set_presence_quietly,
    start_world,
)


@pytest.fixture
async def world(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[World]:
    async for world in start_world(backend, serve):
        yield world


async def play(world: World, scenario: str, calls: int) -> AmiServer:
    server = AmiServer(transcript(scenario))
    await world.connect(server)
    await asyncio.wait_for(server.at_logoff.wait(), 20)
    await until(lambda: _finished(world, calls), what=f"{calls} finished calls")
    await world.disconnect()
    assert server.mismatches == []
    return server


async def _finished(world: World, count: int) -> bool:
    return await world.finished_calls() >= count


async def test_screen_pop_goes_to_the_ringing_operator_with_the_client_card(
    world: World,
) -> None:
    await world.webform_message("f-1", "8 495 123-45-67", "Анна Соколова", "Нужен замер")
    subscription = world.hub.bus.subscribe()
    await play(world, "inbound_queue__answered", 1)
    seen: list[Envelope] = []
    while not subscription.queue.empty():
        envelope = await subscription.queue.get()
        if envelope is not None and envelope.kind.startswith("call."):
            seen.append(envelope)
    subscription.close()
    ids = {login: user.id for login, user in world.users.items()}

    pops = [e for e in seen if e.kind == "call.ringing"]
    assert [(e.payload["extension"], sorted(e.audience.users)) for e in pops] == [
        ("102", [ids["petrov"]]),
        ("101", [ids["ivanov"]]),
    ]
    # Whose screen pops (a supervisor's workspace sees every pop, but pops none of them).
    assert [e.payload["user_id"] for e in pops] == [ids["petrov"], ids["ivanov"]]
    for pop in pops:
        # The ringing operator and the supervisors; no other operator.
        assert pop.audience.allows(ids["boss"], Role.supervisor)
        assert not pop.audience.allows(ids["sidorov"], Role.operator)
    assert not pops[1].audience.allows(ids["petrov"], Role.operator)
    card = pops[1].payload["card"]
    assert (card["id"], card["name"], card["status"]) == (
        world.client_id,
        "Анна Соколова",
        "client",
    )
    assert [i["value"] for i in card["identities"] if i["kind"] == "phone"] == [CLIENT_NUMBER]
    assert card["responsible"]["login"] == "ivanov"
    assert [(o["name"], o["position"]) for o in card["organisations"]] == [("ООО Окна", "закупки")]
    assert [(d["title"], d["amount"], d["stage"]["name"]) for d in card["open_deals"]] == [
        ("Окна в офис", "120000.00", "Замер")
    ]
    [last] = card["last_contacts"]
    assert (last["channel"]["kind"], last["text"]) == ("webform", "Нужен замер")
    assert pops[1].payload["call"]["caller"] == CLIENT_NUMBER
    assert pops[1].payload["call"]["outcome"] is None  # still ringing

    changes = [(e.payload["change"], e.payload["call"]["outcome"]) for e in seen[2:]]
    assert changes == [("answered", "answered"), ("ended", "answered")]
    answered = seen[2]
    assert answered.payload["call"]["answered_by"]["user"]["login"] == "ivanov"
    # Both rung operators hear it was answered (petrov's pop can close), sidorov does not.
    assert answered.audience.users == {ids["ivanov"], ids["petrov"]}


async def test_operator_on_a_call_gets_no_chats_and_holds_the_call(world: World) -> None:
    """Mid-call (the recording waits for the hub's transfer): ivanov answered, is on the
    call and holds its conversation; a chat arriving now is not offered to him. He then
    transfers the call from the workspace (Redirect) and is free at once, not when it ends."""
    ivanov = world.users["ivanov"]
    await set_presence_quietly(world.hub, ivanov.id, presence=Presence.online)
    server = AmiServer(transcript("transfer__redirect_from_queue"))
    await world.connect(server)
    recorded = await asyncio.wait_for(server.hub_actions.get(), 10)
    assert recorded["Action"] == "Redirect"
    await until(world.live_call, what="the answered call")
    live = await world.live_call()
    assert live is not None and live.answered_by_user_id == ivanov.id
    assert (await world.user("ivanov")).on_call
    async with world.hub.db.sessions() as session:
        held = await session.get_one(Conversation, live.conversation_id)
    assert held.assignee_id == ivanov.id and held.status is ConversationStatus.open

    chat = await world.webform_message("f-2", "+7 916 555-00-11", "Олег", "Вы работаете?")
    async with world.hub.db.sessions() as session:
        assert (await session.get_one(Conversation, chat)).assignee_id is None

    subscription = world.hub.bus.subscribe()
    status, body = await world.api(
        "POST", f"/api/v1/calls/{live.id}/transfer", "ivanov", json={"extension": "102"}
    )
    assert status == 202, body
    assert (body["kind"], body["target"], body["call"]["id"]) == ("blind", "102", live.id)
    await asyncio.wait_for(server.at_logoff.wait(), 20)
    await until(lambda: _finished(world, 1), what="the call to end")
    await world.disconnect()
    changes = []
    while not subscription.queue.empty():
        envelope = await subscription.queue.get()
        if envelope is not None and envelope.kind == "call.changed":
            changes.append((envelope.payload["change"], envelope.payload["call"]["ended_at"]))
    subscription.close()
    # Handed on while the call went on (102 talked 10 s more): ivanov was freed then, in the
    # transaction of that change, not when the caller hung up (issue #14).
    assert [change for change, _ in changes] == ["transferred", "ended"]
    assert changes[0][1] is None
    assert server.mismatches == []  # the Redirect went out exactly as recorded
    [call] = await world.calls()
    assert (call.transferred_to, call.transfer_kind) == ("102", "redirect")
    # The moment ivanov handed it on is kept (occupancy counts him busy until then).
    assert call.answered_at is not None and call.transferred_at is not None
    assert call.ended_at is not None
    assert call.answered_at < call.transferred_at < call.ended_at
    assert not (await world.user("ivanov")).on_call


async def tasks(world: World) -> list[Activity]:
    async with world.hub.db.sessions() as session:
        stmt = select(Activity).where(Activity.kind == "task").order_by(Activity.id)
        return list((await session.execute(stmt)).scalars())


async def test_missed_calls_become_callbacks_closed_by_a_later_answered_call(
    world: World,
) -> None:
    # Two unknown callers give up in the queue: callbacks for the team (no manager yet).
    await play(world, "inbound_queue__concurrent", 6)
    first = await tasks(world)
    assert [(t.subject, t.status, t.user_id) for t in first] == [
        ("Перезвонить +79161111115", "planned", None),
        ("Перезвонить +79161111116", "planned", None),
    ]
    # The known client gives up: a callback for her responsible manager, due in 15 minutes.
    await play(world, "inbound_queue__abandoned", 7)
    [task] = [t for t in await tasks(world) if t.contact_id == world.client_id]
    assert (task.subject, task.status) == (f"Перезвонить {CLIENT_NUMBER}", "planned")
    assert task.user_id == world.users["ivanov"].id
    assert task.due_at is not None and task.created_at is not None
    assert abs(task.due_at - task.created_at - timedelta(minutes=15)) < timedelta(seconds=1)
    assert "sales" in task.body
    # She calls again and is answered: her callback is done; the others stay open.
    await play(world, "inbound_queue__answered", 8)
    statuses = {t.subject: t.status for t in await tasks(world)}
    assert statuses == {
        "Перезвонить +79161111115": "planned",
        "Перезвонить +79161111116": "planned",
        f"Перезвонить {CLIENT_NUMBER}": "done",
    }


async def test_events_applied_out_of_order_leave_the_same_call(world: World) -> None:
    """A call first heard of when it ended (its live events come late, e.g. retried after
    a failure): one record, one history line, nobody left on a call, no stale screen-pop."""
    async with unit_of_work(world.hub) as uow:
        await channel_actions.create_channel(uow, "asterisk", "pbx", {**OPTIONS, "port": 5038})
    events = replay_offline("inbound_queue__answered").events
    subscription = world.hub.bus.subscribe()
    for event in reversed(events):  # ended, answered, ringing 101, ringing 102
        await world.app[INGESTOR].submit(dataclasses.replace(event, channel_name="pbx"))
    kinds = []
    while not subscription.queue.empty():
        envelope = await subscription.queue.get()
        if envelope is not None:
            kinds.append(envelope.kind)
    subscription.close()
    assert "call.ringing" not in kinds and kinds.count("call.changed") == 1
    [call] = await world.calls()
    assert (call.outcome and call.outcome.value, call.answered_by_extension) == ("answered", "101")
    assert call.agents_rung == ["101", "102"]
    assert call.talk_s is not None and abs(call.talk_s - 8.0) < 0.5
    async with world.hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, call.conversation_id)
        lines = (
            await session.execute(select(Message).where(Message.conversation_id == conversation.id))
        ).scalars()
        assert len(list(lines)) == 1
    assert conversation.status is ConversationStatus.closed
    assert conversation.assignee_id == world.users["ivanov"].id
    assert not (await world.user("ivanov")).on_call
