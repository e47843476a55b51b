"""A sales floor for the deal tests: two teams, a pipeline, a stopped clock, deals to order.

Team «Продажи»: olga and petr (operators), sveta (their supervisor). Team «Сервис»: igor
(operator) and boris (supervisor). adam is the administrator. The pipeline «Продажи» is
created through the API by adam; «Сервис» is a second pipeline, for moves across.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hub.actions import unit_of_work
from hub.actions.deals import add_deal
from hub.actions.teams import create_team
from hub.models import CrmVisibility, Role, Stage
from hub.policy import SystemActor
from tests.conftest import Clock
from tests.hub.api.conftest import Api

STAGES = [
    {"name": "Интерес", "outcome": "open", "probability": 10},
    {"name": "Возможная сделка", "outcome": "open", "probability": 25},
    {"name": "Коммерческое предложение", "outcome": "open", "probability": 50},
    {"name": "Проект договора", "outcome": "open", "probability": 75},
    {"name": "Договор", "outcome": "won", "probability": 100},
    {"name": "Проиграна", "outcome": "lost", "probability": 0},
]


@dataclass
class Floor:
    api: Api
    clock: Clock
    pipeline_id: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    other_pipeline_id: int = 0
    other_stages: dict[str, int] = field(default_factory=dict)

    def user_id(self, login: str) -> int:
        return self.api.users[login].id

    async def deal(
        self,
        title: str,
        stage: str = "Интерес",
        amount: str = "0",
        owner: str | None = None,
        **values: Any,
    ) -> int:
        """A deal written straight through the action (set-up, not under test)."""
        async with unit_of_work(self.api.hub) as uow:
            row = await uow.session.get_one(Stage, self.stages[stage])
            deal = await add_deal(
                uow,
                SystemActor(),
                title=title,
                stage=row,
                amount=Decimal(amount),
                responsible_user_id=self.user_id(owner) if owner else None,
                **values,
            )
            return deal.id

    async def scope(self, role: str, scope: str) -> None:
        # A unit of work, not a bare session: on SQLite its BEGIN IMMEDIATE waits for the app's
        # background writers, where merge's read-then-write would fail at once ("locked").
        async with unit_of_work(self.api.hub) as uow:
            await uow.session.merge(CrmVisibility(role=role, scope=scope))

    async def move(self, deal_id: int, stage: str, as_user: str, **extra: Any) -> Any:
        body = {"stage_id": self.stages.get(stage) or self.other_stages[stage], **extra}
        return await self.api.post(f"/api/v1/deals/{deal_id}/move", as_user, body)

    async def board(self, as_user: str, **params: Any) -> Any:
        return await self.api.get(f"/api/v1/pipelines/{self.pipeline_id}/board", as_user, **params)

    async def column(self, as_user: str, stage: str, **params: Any) -> dict[str, Any]:
        reply = await self.board(as_user, **params)
        assert reply.status == 200, reply.body
        [found] = [c for c in reply.body["columns"] if c["stage"]["name"] == stage]
        return dict(found)


async def build_floor(api: Api) -> Floor:
    clock = Clock()
    api.hub.clock = clock
    await api.add_user("adam", Role.admin, "Адам Админов")
    await api.add_user("igor", Role.operator, "Игорь Сидоров")
    await api.add_user("boris", Role.supervisor, "Борис Борисов")
    users = api.users
    await create_team(
        api.hub,
        SystemActor(),
        "Продажи",
        member_ids=[users["olga"].id, users["petr"].id, users["sveta"].id],
    )
    await create_team(
        api.hub, SystemActor(), "Сервис", member_ids=[users["igor"].id, users["boris"].id]
    )
    made = await api.post("/api/v1/pipelines", "adam", {"name": "Продажи", "stages": STAGES})
    assert made.status == 201, made.body
    other = await api.post(
        "/api/v1/pipelines",
        "adam",
        {"name": "Сервис", "stages": [{"name": "Заявка"}, {"name": "Выполнено", "outcome": "won"}]},
    )
    assert other.status == 201, other.body
    return Floor(
        api,
        clock,
        made.body["id"],
        {s["name"]: s["id"] for s in made.body["stages"]},
        other.body["id"],
        {s["name"]: s["id"] for s in other.body["stages"]},
    )
