"""`deal.changed` reaches the open boards over /ws, each only where its reader may see the
deal: the fan-out passes every kind on, the event's audience decides."""

from __future__ import annotations

from typing import Any

from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.models import CrmVisibility, Role, User
from tests.agent_ui.conftest import Ui, events_until


async def test_a_moved_deal_reaches_the_boards_allowed_to_see_it(ui: Ui) -> None:
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("lead", Role.supervisor, name="Олег Старший")
    manager = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    await ui.add_user("sidorov", Role.operator, name="Игорь Сидоров")
    async with unit_of_work(ui.hub) as uow:
        # Operators see their own deals only; supervisors all.
        uow.session.add(CrmVisibility(role=Role.operator.value, scope="own"))
        token = await create_api_token(uow, await uow.session.get_one(User, ui.users["boss"].id))
    admin = ui.anonymous(headers={"Authorization": f"Bearer {token}"})

    async def call(method: str, path: str, body: Any) -> Any:
        async with admin.request(method, ui.url("/api/v1" + path), json=body) as reply:
            assert reply.status in (200, 201), await reply.text()
            return await reply.json()

    pipeline = await call(
        "POST",
        "/pipelines",
        {
            "name": "Продажи",
            "stages": [
                {"name": "Коммерческое предложение", "outcome": "open"},
                {"name": "Проект договора", "outcome": "open"},
            ],
        },
    )
    offer, draft = (stage["id"] for stage in pipeline["stages"])
    deal = await call(
        "POST",
        "/deals",
        {
            "title": "Окна для СтройМонтаж",
            "stage_id": offer,
            "amount": "1250000.00",
            "responsible_id": manager.id,
        },
    )
    sockets = {
        login: await ui.socket(await ui.signed_in(login))
        for login in ("petrova", "lead", "sidorov")
    }
    await call("POST", f"/deals/{deal['id']}/move", {"stage_id": draft, "version": 1})

    def moved(frames: list[dict[str, Any]]) -> bool:
        return any(f.get("kind") == "deal.changed" for f in frames)

    for login in ("petrova", "lead"):
        frames = await events_until(sockets[login], moved)
        event = next(f for f in frames if f.get("kind") == "deal.changed")
        payload = event["payload"]
        assert payload["change"] == "moved"
        assert payload["from_stage_id"] == offer
        card = payload["deal"]
        assert (card["id"], card["stage_id"], card["version"]) == (deal["id"], draft, 2)
        assert (card["title"], card["amount"]) == ("Окна для СтройМонтаж", "1250000.00")
        assert card["responsible"] == {"id": manager.id, "name": "Мария Петрова"}
        assert event["cursor"] > 0  # logged: a reconnecting board resumes past it
    # Another operator's board does not hear of a deal he may not see.
    extra = await ui.nothing_more(sockets["sidorov"])
    assert [f for f in extra if f.get("kind") == "deal.changed"] == []
