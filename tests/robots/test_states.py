"""The time rules' states as SQL conditions, on both backends: which rows each state holds and
where an episode begins, with rows and answers written by hand. Pinned where mutation testing
(bench/mutation.sh) found the built-in pack's scenarios left them loose: what counts as a call
back, whose messages contact a lead, which activities are a deal's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hub.core import Hub
from hub.models import (
    Activity,
    Call,
    CallDirection,
    CallOutcome,
    Contact,
    Conversation,
    Deal,
    Direction,
    Lead,
    LeadStatus,
    Message,
    Pipeline,
    Stage,
)
from robots.states import STATES
from tests.conftest import add_channel

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def holding(hub: Hub, state: str, id_column: Any) -> set[int]:
    async with hub.db.sessions() as session:
        rows = await session.execute(select(id_column).where(STATES[state].where()))
        return set(rows.scalars())


async def test_a_missed_call_is_called_back_by_a_later_call_out_or_an_answered_one_in(
    hub: Hub,
) -> None:
    channel_id = await add_channel(hub, "asterisk", "pbx")
    calls: dict[str, Call] = {}

    def call(name: str, number: str, minute: int, direction: str, outcome: str | None) -> None:
        calls[name] = Call(
            channel_id=channel_id,
            linkedid=name,
            client_number=number,
            started_at=at(minute),
            direction=CallDirection(direction),
            outcome=CallOutcome(outcome) if outcome else None,
        )

    call("missed_then_called", "+79000000001", 10, "inbound", "missed")
    call("our_call_back", "+79000000001", 20, "outbound", "missed")  # no answer still counts
    call("missed_then_missed", "+79000000002", 10, "inbound", "missed")
    call("missed_again", "+79000000002", 20, "inbound", "abandoned")
    call("missed_then_answered", "+79000000003", 10, "inbound", "missed")
    call("answered_later", "+79000000003", 20, "inbound", "answered")
    call("missed_with_a_call_at_once", "+79000000004", 10, "inbound", "missed")
    call("out_the_same_minute", "+79000000004", 10, "outbound", "answered")
    call("missed_other_number_called", "+79000000005", 10, "inbound", "missed")
    call("call_to_someone_else", "+79000000006", 20, "outbound", "answered")
    async with hub.db.sessions() as session, session.begin():
        session.add_all(calls.values())
    ids = {call.id: name for name, call in calls.items()}
    held = {ids[i] for i in await holding(hub, "call.missed_no_callback", Call.id)}
    assert held == {
        "missed_then_missed",
        "missed_again",
        "missed_with_a_call_at_once",  # not later: the same moment is no call back
        "missed_other_number_called",
    }


async def test_a_lead_is_contacted_by_a_reply_in_its_own_conversation(hub: Hub) -> None:
    channel_id = await add_channel(hub, "webform", "demo")
    async with hub.db.sessions() as session, session.begin():
        leads: dict[str, Lead] = {}
        for name, status in (
            ("untouched", LeadStatus.new),
            ("answered", LeadStatus.new),
            ("only_wrote_to_us", LeadStatus.new),
            ("in_progress", LeadStatus.in_progress),
        ):
            contact = Contact(name=name)
            session.add(contact)
            await session.flush()
            lead = Lead(contact_id=contact.id, status=status)
            session.add(lead)
            await session.flush()
            leads[name] = lead
            conversation = Conversation(
                contact_id=contact.id, channel_id=channel_id, lead_id=lead.id
            )
            session.add(conversation)
            await session.flush()
            directions = {"answered": [Direction.inbound, Direction.outbound]}.get(
                name, [Direction.inbound] if name != "untouched" else []
            )
            for direction in directions:
                session.add(Message(conversation_id=conversation.id, direction=direction))
    ids = {lead.id: name for name, lead in leads.items()}
    held = {ids[i] for i in await holding(hub, "lead.not_contacted", Lead.id)}
    assert held == {"untouched", "only_wrote_to_us"}


async def test_a_deal_has_a_next_contact_when_an_activity_is_planned_on_it_or_its_client(
    hub: Hub,
) -> None:
    async with hub.db.sessions() as session, session.begin():
        pipeline = Pipeline(name="Продажи")
        session.add(pipeline)
        await session.flush()
        stage = Stage(pipeline_id=pipeline.id, name="Новая", position=1)
        session.add(stage)
        await session.flush()
        deals: dict[str, Deal] = {}
        for name in ("planned_on_deal", "planned_with_client", "nothing", "closed", "done_only"):
            contact = Contact(name=name)
            session.add(contact)
            await session.flush()
            deal = Deal(
                title=name,
                pipeline_id=pipeline.id,
                stage_id=stage.id,
                contact_id=None if name == "nothing" else contact.id,
                closed_at=at(0) if name == "closed" else None,
                stage_entered_at=at(0),
                last_activity_at=at(0),
            )
            session.add(deal)
            await session.flush()
            deals[name] = deal
        session.add_all(
            [
                Activity(kind="call", subject="s", deal_id=deals["planned_on_deal"].id),
                Activity(
                    kind="call",
                    subject="s",
                    contact_id=deals["planned_with_client"].contact_id,
                ),
                Activity(
                    kind="call",
                    subject="s",
                    status="done",
                    done_at=at(30),
                    deal_id=deals["done_only"].id,
                ),
                # Done later on another deal: not this deal's episode.
                Activity(
                    kind="call",
                    subject="s",
                    status="done",
                    done_at=at(90),
                    deal_id=deals["closed"].id,
                ),
            ]
        )
    ids = {deal.id: name for name, deal in deals.items()}
    held = {ids[i] for i in await holding(hub, "deal.no_next_contact", Deal.id)}
    assert held == {"nothing", "done_only"}

    # The episode begins when its last activity was finished (later than the deal's own).
    state = STATES["deal.no_next_contact"]
    async with hub.db.sessions() as session:
        anchors: dict[int, datetime] = dict(
            (
                await session.execute(
                    select(Deal.id, state.anchor()).where(
                        Deal.id.in_([deals["done_only"].id, deals["nothing"].id])
                    )
                )
            ).all()
        )
    assert anchors == {deals["done_only"].id: at(30), deals["nothing"].id: at(0)}
