"""A small hand-built history for the report tests: five conversations and ten calls on
Monday 15 June 2026 (Moscow, UTC+3), written straight into the tables with fixed times.

The figures each scenario must give are computed by hand in the tests next to it; the
comment on each item says what it is there to prove.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.actions import metric_facts
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
    Message,
    Team,
)
from tests.conftest import add_channel, add_user

# Mon–Fri 09:00–18:00 Moscow = 06:00–15:00 UTC.
OFFICE_HOURS = {
    "tz": "Europe/Moscow",
    "days": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}


# Before anything the history holds.
REBUILT_SINCE = datetime(2026, 6, 1, tzinfo=UTC)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


@dataclass
class History:
    op1: int = 0
    op2: int = 0
    team: int = 0
    telegram: int = 0
    webform: int = 0
    pbx: int = 0
    conversations: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)


async def build_history(hub: Hub) -> History:
    h = History()
    h.op1 = (await add_user(hub, "op1", name="Оператор Один")).id
    h.op2 = (await add_user(hub, "op2", name="Оператор Два")).id
    h.telegram = await add_channel(hub, "telegram", "tg")
    h.webform = await add_channel(hub, "webform", "form")
    h.pbx = await add_channel(hub, "asterisk", "pbx")
    async with hub.db.sessions() as session, session.begin():
        team = Team(name="Продажи", business_hours=OFFICE_HOURS)
        session.add(team)
        survivor, merged = Contact(name="Анна"), Contact(name="Анна (дубль)")
        session.add_all([survivor, merged])
        await session.flush()
        h.team = team.id
        merged.merged_into_id = survivor.id
        # The duplicate was merged into Анна: its conversation now belongs to her.
        conversation_contact = survivor.id

        def conversation(
            name: str,
            channel: int,
            created: datetime,
            team_id: int | None,
            assignee: int | None,
            first_assigned: datetime | None,
            closed: datetime | None,
        ) -> Conversation:
            row = Conversation(
                contact_id=conversation_contact,
                channel_id=channel,
                team_id=team_id,
                assignee_id=assignee,
                created_at=created,
                last_message_at=created,
                first_assigned_at=first_assigned,
                status=ConversationStatus.closed if closed else ConversationStatus.open,
                closed_at=closed,
            )
            session.add(row)
            return row

        # C1: office hours; an auto-reply (no author) answers first but does not count;
        # two customer messages in a row are one wait; a note is not a response.
        c1 = conversation("c1", h.telegram, at(7), team.id, h.op1, at(7, 1), at(7, 20))
        # C2: written at 01:00 Moscow, assigned to op1 at 09:00, transferred to op2, who
        # answers at 09:05: calendar 8 h 05 min, working 5 min.
        c2 = conversation("c2", h.telegram, at(22, day=14), team.id, h.op2, at(6), None)
        # C3: no team (round the clock); closed, reopened by the customer, closed again.
        c3 = conversation("c3", h.webform, at(8), None, h.op1, at(8, 10), at(10))
        # C4: only a bot answered; nobody holds it.
        c4 = conversation("c4", h.webform, at(9), None, None, None, None)
        # C5: opened the evening before the period (23:00 Moscow on Sunday): not counted.
        c5 = conversation("c5", h.webform, at(20, day=14), None, h.op1, at(6), None)
        await session.flush()
        h.conversations = {"c1": c1.id, "c2": c2.id, "c3": c3.id, "c4": c4.id, "c5": c5.id}

        def message(
            row: Conversation, when: datetime, direction: Direction, by: int | None
        ) -> None:
            session.add(
                Message(
                    conversation_id=row.id,
                    direction=direction,
                    author_user_id=by,
                    text="…",
                    created_at=when,
                )
            )

        IN, OUT, NOTE = Direction.inbound, Direction.outbound, Direction.note
        for row, when, direction, by in [
            (c1, at(7), IN, None),
            (c1, at(7, 0, 5), OUT, None),  # auto-reply
            (c1, at(7, 2), OUT, h.op1),  # first response: 120 s
            (c1, at(7, 10), IN, None),
            (c1, at(7, 11), IN, None),
            (c1, at(7, 12), NOTE, h.op1),
            (c1, at(7, 15), OUT, h.op1),  # next response: 300 s
            (c2, at(22, day=14), IN, None),
            (c2, at(6, 5), OUT, h.op2),
            (c3, at(8), IN, None),
            (c3, at(8, 10), OUT, h.op1),  # 600 s
            (c3, at(9), IN, None),  # after the first close: reopens
            (c3, at(9, 30), OUT, h.op1),  # next response: 1800 s
            (c4, at(9), IN, None),
            (c4, at(9, 0, 1), OUT, None),  # a bot
            (c5, at(20, day=14), IN, None),
            (c5, at(6, 30), OUT, h.op1),
        ]:
            message(row, when, direction, by)
            await session.flush()
        session.add(
            EventLog(
                kind="conversation.changed",
                payload={"conversation": {"id": c3.id}, "change": "reopened", "reason": ""},
                audience={},
                created_at=at(9),
            )
        )

        def call(
            name: str,
            started: datetime,
            outcome: CallOutcome | None,
            wait: float | None,
            talk: float | None = None,
            by: int | None = None,
            number: str | None = None,
            direction: CallDirection = CallDirection.inbound,
            resynced: bool = False,
        ) -> Call:
            row = Call(
                channel_id=h.pbx,
                linkedid=name,
                direction=direction,
                client_number=number,
                outcome=outcome,
                answered_by_user_id=by,
                wait_s=wait,
                talk_s=talk,
                resynced=resynced,
                started_at=started,
                answered_at=None,
                ended_at=None,
            )
            session.add(row)
            return row

        A, M, AB, B = (
            CallOutcome.answered,
            CallOutcome.missed,
            CallOutcome.abandoned,
            CallOutcome.busy,
        )
        calls = {
            "k1": call("k1", at(7), A, 10, 100, h.op1, "+79000000001"),
            "k2": call("k2", at(7, 5), A, 30, 200, h.op2, "+79000000002"),
            # Missed (the queue gave up on him), called back 30 min later.
            "k3": call("k3", at(8), M, 60, number="+79000000003"),
            "k3b": call("k3b", at(8, 30), A, 0, 40, h.op1, "+79000000003", CallDirection.outbound),
            # A short abandon: 3 s, a misdial.
            "k4": call("k4", at(8, 10), AB, 3, number="+79000000004"),
            # Abandoned after 40 s; he called again 90 min later and got through: too late.
            "k5": call("k5", at(9), AB, 40, number="+79000000005"),
            "k6": call("k6", at(10, 30), A, 5, 50, h.op1, "+79000000005"),
            # Busy; our call back 20 min later was not picked up, but we did call back.
            "k7": call("k7", at(11), B, 0, number="+79000000007"),
            "k7b": call(
                "k7b", at(11, 20), M, 15, None, None, "+79000000007", CallDirection.outbound
            ),
            # The PBX link was down when it ended: inexact.
            "k8": call("k8", at(12), A, 2, 5, h.op2, "+79000000008", resynced=True),
            # Still ringing: not counted.
            "k9": call("k9", at(13), None, None, number="+79000000009"),
        }
        await session.flush()
        h.calls = {name: row.id for name, row in calls.items()}
    # Written straight into the tables, as an import would: the reports' facts come from a
    # rebuild (its figures, worked out by hand in the tests, are what proves it).
    await metric_facts.rebuild(hub, REBUILT_SINCE)
    return h
