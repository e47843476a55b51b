"""A hand-built day for the managers' report: Monday 15 June 2026 (Moscow, UTC+3; the
report's day is 14 June 21:00 – 15 June 21:00 UTC). Presence and holdings are written by the
real actions as the injected clock moves, so the test also proves they are stored as the
changes happen; messages, calls, activities and deals go straight into the tables.

Every expected figure is worked out by hand in test_metrics_managers.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from hub.actions import conversations as conversation_actions
from hub.actions import routing as routing_actions
from hub.actions import unit_of_work, users
from hub.core import Hub
from hub.models import (
    Activity,
    Call,
    CallDirection,
    CallOutcome,
    Contact,
    Conversation,
    ConversationStatus,
    Deal,
    Direction,
    ManagerPlan,
    Message,
    Pipeline,
    Presence,
    Role,
    Stage,
    Team,
    TeamMember,
)
from hub.reasons import reason
from tests.conftest import Clock, add_channel, add_user


def at(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


# Settings for an app the day is built under. Its clock jumps hours at a time, so the app's
# sweeper would take Anna offline as a silent browser (her presence is hours old on that
# clock) at whatever step it happens to run, and change her occupancy.
UNDER_A_RUNNING_APP: dict[str, object] = {"presence_timeout_s": 10**9}


@dataclass
class Day:
    anna: int
    boris: int
    boss: int
    team: int
    telegram: int


async def build_day(hub: Hub, clock: Clock) -> Day:
    hub.clock = clock
    anna = (await add_user(hub, "anna", name="Анна", max_conversations=2)).id
    boris = (await add_user(hub, "boris", name="Борис")).id
    boss = (await add_user(hub, "boss", Role.supervisor, name="Руководитель")).id
    telegram = await add_channel(hub, "telegram", "tg")
    email = await add_channel(hub, "email", "mail")
    async with hub.db.sessions() as session, session.begin():
        team = Team(name="Продажи")
        contact = Contact(name="Клиент")
        session.add_all([team, contact])
        await session.flush()
        session.add(TeamMember(team_id=team.id, user_id=anna))

        # A skill nobody has: only this history assigns them. Built under a running app
        # (tests/hub/api), the routing sweeper would otherwise offer Y to Anna again when it
        # is queued at 09:00 while she is online, or not, as the machine's load decides.
        def conversation(channel: int) -> Conversation:
            return Conversation(
                contact_id=contact.id, channel_id=channel, status=ConversationStatus.open,
                created_at=at(5), last_message_at=at(5), weight=1.0,
                required_skill="история",
            )  # fmt: skip

        x, y = conversation(telegram), conversation(email)
        session.add_all([x, y])
        await session.flush()
        x_id, y_id, team_id = x.id, y.id, team.id

    async def presence(moment: datetime, state: Presence) -> None:
        clock.now = moment
        async with unit_of_work(hub) as uow:
            await users.set_presence(uow, anna, state)

    async def assign(moment: datetime, conversation_id: int) -> None:
        clock.now = moment
        async with unit_of_work(hub) as uow:
            row = await conversation_actions.locked(uow, conversation_id)
            await conversation_actions.assign(uow, row, anna, "test")

    # Online 06:00–08:00 and 08:30–10:00 (away between): 3.5 h available.
    await presence(at(6), Presence.online)
    await assign(at(6), x_id)  # 06:00–07:00 half her capacity (1 of 2)
    await assign(at(7), y_id)  # 07:00–08:00 all of it
    clock.now = at(8)
    async with unit_of_work(hub) as uow:
        await conversation_actions.close(uow, await conversation_actions.locked(uow, x_id))
    await presence(at(8), Presence.away)  # Y held while away: not available, not busy
    await presence(at(8, 30), Presence.online)  # 08:30–09:00 Y alone: half
    clock.now = at(9)
    async with unit_of_work(hub) as uow:
        row = await conversation_actions.locked(uow, y_id)
        await routing_actions.enqueue(uow, row, "returned", reason("went_offline", name="Анна"))
    await presence(at(10), Presence.offline)

    async with hub.db.sessions() as session, session.begin():
        # 09:30–09:40 on a call: all of her (600 s).
        session.add(
            Call(
                channel_id=telegram, linkedid="c1", direction=CallDirection.inbound,
                outcome=CallOutcome.answered, answered_by_user_id=anna, wait_s=20.0,
                talk_s=600.0, started_at=at(9, 29), answered_at=at(9, 30),
                ended_at=at(9, 40), client_number="+79160000001",
            )
        )  # fmt: skip

        def message(conversation_id: int, moment: datetime, **values: object) -> Message:
            fields: dict[str, object] = {
                "conversation_id": conversation_id, "direction": Direction.outbound,
                "author_user_id": anna, "text": "ответ", "created_at": moment,
            }  # fmt: skip
            fields.update(values)
            return Message(**fields)

        session.add_all(
            # Five responses in Telegram, two e-mails: seven.
            [message(x_id, at(6, minute)) for minute in (5, 10, 15, 20, 25)]
            + [message(y_id, at(7, 5)), message(y_id, at(8, 45))]
            # Not responses: a note, an auto-reply (no person), the customer.
            + [
                message(x_id, at(6, 30), direction=Direction.note),
                message(x_id, at(6, 31), author_user_id=None),
                message(x_id, at(6, 32), direction=Direction.inbound, author_user_id=None),
                # The evening before, Moscow time: another day.
                message(x_id, at(20, 30, day=14)),
            ]
        )

        def activity(kind: str, due: datetime, status: str = "planned", **values: object) -> None:
            session.add(
                Activity(
                    kind=kind, subject=kind, status=status, user_id=anna, due_at=due,
                    created_at=at(1), **values,
                )
            )  # fmt: skip

        activity("call", at(7), "done", done_at=at(6, 50))  # done in time
        activity("meeting", at(10), "done", done_at=at(11))  # done late: overdue
        activity("email", at(13), "done", done_at=at(12))  # done in time
        activity("reminder", at(23), "done", done_at=at(15))  # done; due outside the day
        activity("task", at(14))  # still planned after its time: overdue
        activity("task", at(22))  # 01:00 Tuesday in Moscow: another day
        activity("task", at(19), "cancelled")  # cancelled: never overdue
        activity("task", at(0), all_day=True)  # due by Monday's end in UTC: after the day
        activity("task", at(21, 30, day=14))  # 00:30 Monday in Moscow: overdue

        pipeline = Pipeline(name="Продажи")
        session.add(pipeline)
        await session.flush()
        stages = {
            outcome: Stage(pipeline_id=pipeline.id, name=outcome, position=i, outcome=outcome)
            for i, outcome in enumerate(("open", "won", "lost"))
        }
        session.add_all(stages.values())
        await session.flush()

        def deal(outcome: str, amount: str, closed: datetime) -> Deal:
            return Deal(
                title=f"{outcome} {amount}", amount=Decimal(amount),
                pipeline_id=pipeline.id, stage_id=stages[outcome].id,
                responsible_user_id=anna, closed_at=closed, created_at=at(1),
            )  # fmt: skip

        session.add_all(
            [
                deal("won", "100000.00", at(10)),
                deal("won", "50000.50", at(16)),
                deal("lost", "70000.00", at(11)),  # lost: not won
                deal("won", "30000.00", at(20, day=14)),  # 23:00 Sunday in Moscow
            ]
        )
        # June: 3,000,000 and 30 deals, a thirtieth of it per day.
        session.add(
            ManagerPlan(
                user_id=anna, month=datetime(2026, 6, 1).date(), amount=Decimal("3000000"),
                deals=30, updated_at=at(1),
            )
        )  # fmt: skip
    return Day(anna=anna, boris=boris, boss=boss, team=team_id, telegram=telegram)
