"""A robot's flag and notice reach the sockets live: the operator's list gets the flagged
conversation, the supervisor the notice; an operator is not told what is not his."""

from __future__ import annotations

from typing import Any

from hub.models import Role
from robots import engine
from tests.agent_ui.conftest import Ui, events_until, new_conversation
from tests.conftest import Clock
from tests.robots import world


def flagged(conversation_id: int) -> Any:
    def done(frames: list[dict[str, Any]]) -> bool:
        return any(
            f.get("kind") == "conversation.changed"
            and f["payload"]["change"] == "flagged"
            and f["payload"]["conversation"]["id"] == conversation_id
            for f in frames
        )

    return done


def noticed(frames: list[dict[str, Any]]) -> bool:
    return any(f.get("kind") == "robot.notice" for f in frames)


async def test_flag_and_notice_arrive_live(ui: Ui) -> None:
    clock = Clock()
    ui.hub.clock = clock
    await ui.add_user("olga", Role.operator)
    boss = await ui.add_user("sveta", Role.supervisor)
    conversation_id = await new_conversation(ui.hub, None)
    await world.builtin_rule(
        ui.hub,
        "no_first_response",
        trigger={
            "type": "time",
            "state": "conversation.no_first_response",
            "after": {"amount": 5, "unit": "minutes"},
        },
        actions=[
            {"type": "flag", "code": "no-reply", "reason": "Нет ответа 5 минут"},
            {"type": "notify", "to": "user", "user_id": boss.id, "text": "Ждёт №{id}"},
        ],
    )
    operator = await ui.socket(await ui.signed_in("olga"))
    supervisor = await ui.socket(await ui.signed_in("sveta"))
    clock.advance(5 * 60)
    await engine.tick(ui.hub)

    frames = await events_until(operator, flagged(conversation_id))
    [change] = [f for f in frames if f.get("kind") == "conversation.changed"]
    assert [x["label"] for x in change["payload"]["conversation"]["flags"]] == [
        "Нет ответа 5 минут"
    ]
    assert not noticed(frames + await ui.nothing_more(operator))

    frames = await events_until(supervisor, noticed)
    [notice] = [f for f in frames if f.get("kind") == "robot.notice"]
    assert notice["payload"]["text"] == f"Ждёт №{conversation_id}"
    assert notice["payload"]["object_id"] == conversation_id
