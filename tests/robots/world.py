"""Objects for the robots' tests, written straight into the tables (the tests are about what
robots see and do, not about how conversations or calls come to be), and the robots'
traces read back: firings, standing flags, notices sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub.actions import pipelines, unit_of_work
from hub.actions.teams import create_team
from hub.core import Hub
from hub.models import (
    Call,
    CallDirection,
    CallOutcome,
    Contact,
    Conversation,
    ConversationStatus,
    Direction,
    EventLog,
    Lead,
    LeadStatus,
    Message,
    RobotFiring,
    RobotFlag,
    RobotRule,
)
from hub.policy import SystemActor
from robots import builtin, manage
from tests.conftest import add_channel

MSK = ZoneInfo("Europe/Moscow")
OFFICE_HOURS: dict[str, Any] = {
    "tz": "Europe/Moscow",
    "days": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
STAGES = [
    pipelines.StageSpec("Интерес"),
    pipelines.StageSpec("КП", probability=50),
    pipelines.StageSpec("Договор", "won", 100),
    pipelines.StageSpec("Проиграна", "lost"),
]


def msk(*args: int) -> datetime:
    """A Moscow wall-clock moment as the UTC instant the clock holds."""
    return datetime(*args, tzinfo=MSK).astimezone(UTC)  # type: ignore[misc]


async def pipeline(hub: Hub, name: str = "Продажи") -> dict[str, int]:
    async with unit_of_work(hub) as uow:
        made = await pipelines.add_pipeline(uow, name, STAGES)
        return {s.name: s.id for s in await pipelines.pipeline_stages(uow, made.id)}


async def office_team(hub: Hub, name: str = "Продажи", members: tuple[int, ...] = ()) -> int:
    team = await create_team(
        hub, SystemActor(), name, business_hours=OFFICE_HOURS, member_ids=members
    )
    return team.id


async def contact(hub: Hub, name: str = "Клиент", responsible: int | None = None) -> int:
    async with hub.db.sessions() as session, session.begin():
        row = Contact(name=name, responsible_user_id=responsible, created_at=hub.clock())
        session.add(row)
        await session.flush()
        return row.id


async def conversation(
    hub: Hub, channel_id: int, contact_id: int, *, team_id: int | None, at: datetime
) -> int:
    async with hub.db.sessions() as session, session.begin():
        row = Conversation(
            contact_id=contact_id,
            channel_id=channel_id,
            team_id=team_id,
            status=ConversationStatus.open,
            created_at=at,
            last_message_at=at,
            waiting_since=at,
        )
        session.add(row)
        await session.flush()
        session.add(
            Message(
                conversation_id=row.id,
                direction=Direction.inbound,
                text="Здравствуйте",
                created_at=at,
            )
        )
        return row.id


async def answer(hub: Hub, conversation_id: int, at: datetime) -> None:
    async with hub.db.sessions() as session, session.begin():
        row = await session.get_one(Conversation, conversation_id)
        row.first_response_at = at
        row.waiting_since = None
        session.add(
            Message(
                conversation_id=row.id,
                direction=Direction.outbound,
                text="Добрый день",
                created_at=at,
            )
        )


async def call(
    hub: Hub,
    number: str,
    at: datetime,
    *,
    direction: CallDirection = CallDirection.inbound,
    outcome: CallOutcome = CallOutcome.missed,
    conversation_id: int | None = None,
) -> int:
    channel_id = await _pbx(hub)
    async with hub.db.sessions() as session, session.begin():
        row = Call(
            channel_id=channel_id,
            linkedid=f"{number}-{at.timestamp()}",
            direction=direction,
            client_number=number,
            outcome=outcome,
            started_at=at,
            ended_at=at + timedelta(seconds=30),
            conversation_id=conversation_id,
            agents_rung=[],
        )
        session.add(row)
        await session.flush()
        return row.id


async def _pbx(hub: Hub) -> int:
    from hub.models import Channel

    async with hub.db.sessions() as session:
        found = (
            await session.execute(select(Channel.id).where(Channel.kind == "asterisk"))
        ).scalar()
    return found if found is not None else await add_channel(hub, "asterisk", "pbx")


async def lead(hub: Hub, contact_id: int, at: datetime, responsible: int | None = None) -> int:
    async with hub.db.sessions() as session, session.begin():
        row = Lead(
            contact_id=contact_id,
            title="Заявка с сайта",
            status=LeadStatus.new,
            responsible_user_id=responsible,
            created_at=at,
        )
        session.add(row)
        await session.flush()
        return row.id


async def builtin_rule(hub: Hub, key: str, **tune: Any) -> int:
    """The preset installed, tuned (its rule's trigger and actions changed as given), on."""
    await builtin.install(hub)
    async with hub.db.sessions() as session:
        rule = (
            await session.execute(select(RobotRule).where(RobotRule.builtin_key == key))
        ).scalar_one()
    if tune:
        spec = {
            "trigger": rule.trigger,
            "conditions": rule.conditions or None,
            "actions": rule.actions,
        }
        spec.update(tune)
        await manage.update(hub, SystemActor(), rule.id, version=rule.version, rule=spec)
    from hub.actions import robots as robot_actions

    await robot_actions.set_enabled(hub, SystemActor(), rule.id, True)
    return rule.id


async def firings(hub: Hub, rule_id: int) -> list[RobotFiring]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(RobotFiring).where(RobotFiring.rule_id == rule_id).order_by(RobotFiring.id)
        )
        return list(rows.scalars())


async def standing_flags(hub: Hub, object_type: str | None = None) -> list[tuple[str, int, str]]:
    async with hub.db.sessions() as session:
        stmt = select(RobotFlag.object_type, RobotFlag.object_id, RobotFlag.code).where(
            RobotFlag.cleared_at.is_(None)
        )
        if object_type is not None:
            stmt = stmt.where(RobotFlag.object_type == object_type)
        return [tuple(r) for r in (await session.execute(stmt.order_by(RobotFlag.id))).all()]  # type: ignore[misc]


async def notices(hub: Hub) -> list[dict[str, Any]]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(EventLog.payload, EventLog.audience)
            .where(EventLog.kind == "robot.notice")
            .order_by(EventLog.id)
        )
        return [{**payload, "audience": audience} for payload, audience in rows.all()]


async def count(hub: Hub, model: Any) -> int:
    async with hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def ru_calendar(hub: Hub) -> None:
    """The production calendar 0014 pre-fills; PostgreSQL tests start from emptied tables,
    so it is put back from the migration's own rows (SQLite's template keeps it)."""
    import importlib.util
    from pathlib import Path

    from hub.actions import robots as robot_actions

    path = Path(__file__).parents[2] / "hub/migrations/versions/0014_robots.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for row in migration._calendar_rows():
        await robot_actions.set_calendar_day(
            hub, SystemActor(), row["day"], str(row["kind"]), str(row["note"])
        )
