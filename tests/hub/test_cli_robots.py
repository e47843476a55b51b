"""`okno robots list | enable | disable | run-once [--dry-run]`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from hub.actions import deals
from hub.core import Hub
from hub.models import Deal, RobotFiring
from hub.policy import SystemActor
from tests.conftest import Backend
from tests.hub.test_cli import _no_okno_environment, okno
from tests.robots import world

__all__ = ["_no_okno_environment"]


async def test_list_switch_and_run_once(
    backend: Backend, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", backend.database_url)
    assert await okno("robots", "list", *db) == 0
    listed = capsys.readouterr().out
    assert "off  Зависшая сделка" in listed and "Лид без контакта" in listed

    assert await okno("robots", "enable", "Зависшая сделка", *db) == 0
    assert "switched on" in capsys.readouterr().out
    assert await okno("robots", "enable", "Нет такого", *db) == 1
    assert "no robot named" in capsys.readouterr().err

    stages = await world.pipeline(hub)
    deal_id = await deals.create_deal(hub, SystemActor(), title="Поставка", stage_id=stages["КП"])
    long_ago = hub.clock() - timedelta(days=30)
    async with hub.db.sessions() as session, session.begin():
        await session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(stage_entered_at=long_ago, last_activity_at=long_ago)
        )
    assert await okno("robots", "run-once", "Зависшая сделка", "--dry-run", *db) == 0
    out = capsys.readouterr().out
    assert f'"object_id": {deal_id}' in out and "nothing was written" in out
    assert await world.count(hub, RobotFiring) == 0

    assert await okno("robots", "run-once", "Зависшая сделка", *db) == 0
    assert "fired for 1 object(s)" in capsys.readouterr().out
    assert await okno("robots", "run-once", "Зависшая сделка", *db) == 0
    assert "fired for 0 object(s)" in capsys.readouterr().out
    assert await world.standing_flags(hub) == [("deal", deal_id, "stalled")]

    assert await okno("robots", "disable", "Зависшая сделка", *db) == 0
    assert "switched off" in capsys.readouterr().out
