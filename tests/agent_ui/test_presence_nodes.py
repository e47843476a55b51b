"""Presence across nodes: an operator with a page on each of two nodes stays online until
their last page anywhere closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent_ui.keys import PRESENCE_GRACE_S
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Presence, Role, User
from tests.agent_ui.conftest import Ui, events_until
from tests.conftest import Backend


def saw_presence(user_id: int, presence: str) -> Callable[[list[dict[str, Any]]], bool]:
    def done(frames: list[dict[str, Any]]) -> bool:
        return any(
            f["type"] == "event"
            and f["kind"] == "presence.changed"
            and f["payload"] == {"user_id": user_id, "presence": presence}
            for f in frames
        )

    return done


async def presence_of(ui: Ui, user_id: int) -> Presence:
    async with ui.hub.db.sessions() as session:
        return (await session.get_one(User, user_id)).presence


async def test_closing_one_node_s_page_keeps_the_operator_online(
    backend: Backend, serve: Callable[..., Any]
) -> None:
    if backend.name != "postgres":
        pytest.skip("two nodes share a server database; SQLite is the single-node default")
    nodes = []
    for _ in range(2):
        app = create_app(backend.settings())
        app[PRESENCE_GRACE_S] = 0.0
        nodes.append(Ui(await serve(app), app[HUB]))
    node_a, node_b = nodes
    try:
        operator = await node_a.add_user("anna")
        node_b.users["anna"] = operator
        await node_a.add_user("boss", Role.supervisor)
        boss = await node_a.socket(await node_a.signed_in("boss"))

        on_a = await node_a.socket(await node_a.signed_in("anna"))
        await events_until(boss, saw_presence(operator.id, "online"))
        on_b = await node_b.socket(await node_b.signed_in("anna"))

        await on_a.close()
        # Node A had her last page there, but node B still holds one: no offline.
        await node_a.presence_settled(operator.id, sockets_left=0)
        assert not saw_presence(operator.id, "offline")(await node_a.nothing_more(boss))
        assert await presence_of(node_a, operator.id) is Presence.online

        await on_b.close()
        await events_until(boss, saw_presence(operator.id, "offline"))
        assert await presence_of(node_a, operator.id) is Presence.offline
    finally:
        await node_a.close()
        await node_b.close()
