"""Who sees and changes which deal: the access matrix, and `deal.changed` on the sockets.

Operators olga and petr share the team «Продажи» (supervisor sveta); igor is in «Сервис»
(supervisor boris); adam is the admin. Four deals: olga's, petr's (olga's team mate),
igor's (another team's) and nobody's (anyone's to pick up).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse

from hub.models import Deal
from tests.hub.api.conftest import Api
from tests.hub.api.deal_world import Floor, build_floor

OWNERS = {"mine": "olga", "mate": "petr", "other": "igor", "nobody": None}
VISIBLE = {
    "own": {"mine", "nobody"},
    "team": {"mine", "mate", "nobody"},
    "all": {"mine", "mate", "other", "nobody"},
}
# An operator edits only his own deals and nobody's.
EDITABLE = {"mine", "nobody"}


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


async def make_deals(floor: Floor) -> dict[str, int]:
    return {
        key: await floor.deal(f"Сделка {key}", "Интерес", "1000", owner=owner)
        for key, owner in OWNERS.items()
    }


async def version_of(floor: Floor, deal_id: int) -> int:
    async with floor.api.hub.db.sessions() as session:
        return (await session.get_one(Deal, deal_id)).version


async def patch(floor: Floor, deal_id: int, login: str, title: str) -> int:
    body = {"version": await version_of(floor, deal_id), "title": title}
    return (await floor.api.call("PATCH", f"/api/v1/deals/{deal_id}", login, json=body)).status


@pytest.mark.parametrize("scope", ["own", "team", "all"])
async def test_operator_matrix(floor: Floor, scope: str) -> None:
    await floor.scope("operator", scope)
    deals = await make_deals(floor)
    title_of = {deal_id: key for key, deal_id in deals.items()}
    seen = VISIBLE[scope]

    column = await floor.column("olga", "Интерес")
    assert {title_of[d["id"]] for d in column["deals"]} == seen
    assert (column["count"], column["amount"]) == (len(seen), f"{1000 * len(seen)}.00")
    listed = await floor.api.get("/api/v1/deals", "olga")
    assert {title_of[d["id"]] for d in listed.body["items"]} == seen
    assert listed.body["totals"]["count"] == len(seen)

    for key, deal_id in deals.items():
        got = await floor.api.get(f"/api/v1/deals/{deal_id}", "olga")
        expected = 200 if key in seen else 404
        assert got.status == expected, key
        if key in seen:
            assert got.body["title"] == f"Сделка {key}"
        change = 200 if key in EDITABLE else 403 if key in seen else 404
        assert (await floor.move(deal_id, "Возможная сделка", "olga")).status == change, key
        assert await patch(floor, deal_id, "olga", f"Сделка {key}!") == change, key
        # Whatever was refused wrote nothing.
        if change != 200:
            async with floor.api.hub.db.sessions() as session:
                row = await session.get_one(Deal, deal_id)
                assert (row.stage_id, row.title, row.version) == (
                    floor.stages["Интерес"],
                    f"Сделка {key}",
                    1,
                )


async def test_supervisor_moves_his_teams_deals_only_and_admin_moves_all(floor: Floor) -> None:
    deals = await make_deals(floor)
    assert (await floor.move(deals["mate"], "Возможная сделка", "sveta")).status == 200
    assert (await floor.move(deals["mine"], "Возможная сделка", "sveta")).status == 200
    refused = await floor.move(deals["other"], "Возможная сделка", "sveta")
    assert refused.status == 403 and refused.body["error"]["id"] == "not-responsible"
    assert await patch(floor, deals["other"], "sveta", "Чужая") == 403
    assert (await floor.move(deals["other"], "Возможная сделка", "boris")).status == 200
    assert (await floor.move(deals["mate"], "Коммерческое предложение", "boris")).status == 403
    for key in ("mine", "mate", "other"):
        assert (await floor.move(deals[key], "Проект договора", "adam")).status == 200
    await floor.scope("supervisor", "team")
    assert (await floor.api.get(f"/api/v1/deals/{deals['other']}", "sveta")).status == 404
    assert (await floor.move(deals["other"], "Интерес", "sveta")).status == 404


async def receive_until(
    ws: ClientWebSocketResponse, done: Any, timeout: float = 5
) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not done(frames):
            frames.append(await ws.receive_json())
    return frames


def moved(deal_id: int) -> Any:
    def done(frames: list[dict[str, Any]]) -> bool:
        return any(
            f.get("kind") == "deal.changed" and f["payload"]["deal"]["id"] == deal_id
            for f in frames
        )

    return done


async def test_deal_changed_reaches_only_those_who_may_see_the_deal(floor: Floor) -> None:
    api = floor.api
    await floor.scope("operator", "own")
    deals = await make_deals(floor)
    sockets = {
        login: await api.client.ws_connect(
            "/ws", headers={"Authorization": f"Bearer {api.tokens[login]}"}
        )
        for login in ("olga", "petr", "sveta")
    }
    try:
        assert (await floor.move(deals["mate"], "Возможная сделка", "sveta")).status == 200
        for login in ("petr", "sveta"):
            frames = await receive_until(sockets[login], moved(deals["mate"]))
            [event] = [f for f in frames if f.get("kind") == "deal.changed"]
            assert event["payload"]["change"] == "moved"
            assert event["payload"]["from_stage_id"] == floor.stages["Интерес"]
            assert event["payload"]["deal"]["stage_id"] == floor.stages["Возможная сделка"]
            assert event["payload"]["deal"]["responsible"]["id"] == floor.user_id("petr")
        # olga (scope own) waits for her own deal's move, published after petr's: petr's
        # never came to her.
        assert (await floor.move(deals["mine"], "Возможная сделка", "olga")).status == 200
        frames = await receive_until(sockets["olga"], moved(deals["mine"]))
        assert not moved(deals["mate"])(frames)
    finally:
        for ws in sockets.values():
            await ws.close()
