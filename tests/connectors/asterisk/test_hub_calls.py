"""Every recorded scenario through the whole hub: AMI socket -> connector -> ingest -> calls
table, the client's conversation and history. The hub's own actions in the recordings
(click-to-call, transfers, queue pauses) are made the way Okno makes them: through the API
and the connector, and must match the recording header for header."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from connectors.asterisk.channels import member_extension
from hub.models import (
    Call,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Direction,
    Identity,
    InboundEvent,
    Lead,
    Message,
)
from hub.queries.metrics_calls import CallSettings, call_figures_of, call_report
from hub.queries.metrics_common import Period
from routing.identity import normalise_phone
from tests.conftest import Backend
from tests.waiting import until

from .ami_server import AmiServer
from .helpers import SCENARIOS, TOLERANCE_S, expected_calls, transcript
from .hub_world import CLIENT_NUMBER, World, start_world

LOGIN_OF = {"101": "ivanov", "102": "petrov"}


@pytest.fixture
async def world(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[World]:
    async for world in start_world(backend, serve):
        yield world


async def drive(world: World, server: AmiServer) -> None:
    """Do what the hub did in the recording, the way Okno does it."""
    while True:
        recorded = await server.hub_actions.get()
        name = recorded["Action"]
        if name == "Originate":
            login = LOGIN_OF[recorded["Channel"].split("/", 1)[1]]
            status, body = await world.api(
                "POST", "/api/v1/calls", login, json={"contact_id": world.client_id}
            )
            assert (status, body["number"]) == (202, recorded["Exten"]), body
        elif name in ("Redirect", "Atxfer"):
            await until(world.live_call, what="an answered call to transfer")
            live = await world.live_call()
            assert live is not None
            status, body = await world.api(
                "POST",
                f"/api/v1/calls/{live.id}/transfer",
                LOGIN_OF[live.answered_by_extension or ""],
                json={"extension": recorded["Exten"], "attended": name == "Atxfer"},
            )
            assert status == 202, body
        elif name == "QueuePause":
            extension = member_extension(recorded["Interface"])
            assert extension is not None
            await world.connector.pause(
                extension,
                recorded["Paused"] == "true",
                queue=recorded.get("Queue"),
                reason=recorded.get("Reason"),
            )
        elif name == "QueueStatus":
            link = world.connector.link
            assert link is not None
            await link.client.queue_status(recorded.get("Queue"))
        else:
            raise AssertionError(f"the test cannot play a recorded {name}")


async def replay(world: World, server: AmiServer, calls: int) -> None:
    await world.connect(server)
    driver = asyncio.create_task(drive(world, server))
    try:
        await asyncio.wait_for(server.at_logoff.wait(), 20)
        await until(lambda: _finished(world, calls), what=f"{calls} finished calls")
    finally:
        driver.cancel()
        await world.disconnect()
    if not driver.cancelled() and driver.exception() is not None:
        raise driver.exception()  # type: ignore[misc]
    assert server.mismatches == []


async def _finished(world: World, count: int) -> bool:
    return await world.finished_calls() >= count


def row_as_expected(call: Call) -> dict[str, Any]:
    return {
        "linkedid": call.linkedid,
        "direction": call.direction.value,
        "caller": call.caller,
        "callee": call.callee,
        "queue": call.queue,
        "outcome": call.outcome.value if call.outcome else None,
        "answered_by": call.answered_by_extension,
        "transferred_to": call.transferred_to,
        "transfer_kind": call.transfer_kind,
        "ring_or_wait_seconds": call.wait_s,
        "talk_seconds": call.talk_s,
        "hangup_cause": call.hangup_cause,
        "recording": call.recording,
        "agents_rung": list(call.agents_rung),
    }


def differences(rows: list[Call], expected: list[dict[str, Any]]) -> list[str]:
    got = {row.linkedid: row_as_expected(row) for row in rows}
    problems = [] if len(got) == len(rows) else ["a Linkedid is stored twice"]
    want = {item["linkedid"]: item for item in expected}
    if set(got) != set(want):
        return [*problems, f"calls {sorted(got)} != expected {sorted(want)}"]
    for linkedid, item in want.items():
        for key, value in item.items():
            actual = got[linkedid][key]
            if key.endswith("seconds") and value is not None and actual is not None:
                if abs(actual - value) > TOLERANCE_S:
                    problems.append(f"{linkedid} {key}: {actual} != {value}")
            elif actual != value:
                problems.append(f"{linkedid} {key}: {actual!r} != {value!r}")
    return problems


async def test_every_scenario_is_stored_as_its_answer_key(world: World) -> None:
    """One hub for all the recordings in turn (each on a fresh AMI connection), as one PBX
    would send them over a day: each call's row matches its answer key."""
    problems: dict[str, list[str]] = {}
    for scenario in SCENARIOS:
        expected = expected_calls(scenario)
        done = await world.finished_calls()
        await replay(world, AmiServer(transcript(scenario)), done + len(expected))
        linkedids = {item["linkedid"] for item in expected}
        rows = [row for row in await world.calls() if row.linkedid in linkedids]
        found = differences(rows, expected) + await stored_problems(world, rows)
        if found:
            problems[scenario] = found
    assert problems == {}
    assert len(await world.calls()) == sum(len(expected_calls(s)) for s in SCENARIOS)
    await calls_counted_as_their_answer_keys(world)


async def calls_counted_as_their_answer_keys(world: World) -> None:
    """The call report (docs/metrics.md) over every recording counts each inbound call by
    its answer key's outcome: missed = nobody answered though the caller stayed (no answer,
    queue timeout, busy), abandoned = the caller hung up."""
    keys = [c for s in SCENARIOS for c in expected_calls(s) if c["direction"] == "inbound"]
    outcomes = [c["outcome"] for c in keys]
    everything = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    async with world.hub.db.sessions() as session:
        report = await call_report(session, everything, "none", CallSettings())
    total = call_figures_of(report.total)
    counted = (total["calls"], total["answered"], total["missed"], total["abandoned"])
    assert counted == (
        len(keys),
        outcomes.count("answered"),
        sum(outcomes.count(o) for o in ("missed", "busy", "failed")),
        outcomes.count("abandoned"),
    )


async def stored_problems(world: World, rows: list[Call]) -> list[str]:
    """What else each call must have left: its operator, client, conversation, history line."""
    users = {login: user.id for login, user in world.users.items()}
    problems: list[str] = []

    def check(ok: bool, what: str, row: Call) -> None:
        if not ok:
            problems.append(f"{row.linkedid}: {what}")

    async with world.hub.db.sessions() as session:
        for row in rows:
            extension = row.answered_by_extension
            check(
                row.answered_by_user_id == (users[LOGIN_OF[extension]] if extension else None),
                f"answered by user {row.answered_by_user_id}",
                row,
            )
            url = (
                f"https://pbx.example/recordings/{quote(row.recording)}" if row.recording else None
            )
            check(row.recording_url == url, f"recording_url {row.recording_url}", row)
            if row.direction.value == "internal":
                check((row.contact_id, row.conversation_id) == (None, None), "has a client", row)
                continue
            number = row.callee if row.direction.value == "outbound" else row.caller
            check(row.client_number == normalise_phone(number or ""), "client number", row)
            contact = await session.get_one(Contact, row.contact_id)
            if row.client_number == CLIENT_NUMBER:
                check(contact.id == world.client_id, "not matched to the client", row)
            else:  # an unknown number: a new lead holding that number
                lead = (
                    await session.execute(select(Lead).where(Lead.contact_id == contact.id))
                ).scalar_one()
                phones = await session.execute(
                    select(Identity.value).where(Identity.contact_id == contact.id)
                )
                check(contact.status is ContactStatus.lead, "caller is no lead", row)
                check(lead.source == "asterisk", f"lead source {lead.source}", row)
                check(list(phones.scalars()) == [row.client_number], "lead's phone", row)
            # The call is an item of its own conversation, closed once the call ended.
            conversation = await session.get_one(Conversation, row.conversation_id)
            check(conversation.contact_id == contact.id, "conversation of someone else", row)
            check(conversation.status is ConversationStatus.closed, "conversation open", row)
            check(conversation.assignee_id == row.answered_by_user_id, "assignee", row)
            lines = list(
                (
                    await session.execute(
                        select(Message).where(Message.conversation_id == conversation.id)
                    )
                ).scalars()
            )
            check(len(lines) == 1, f"{len(lines)} history lines", row)
            call_meta = lines[0].meta.get("call", {}) if lines else {}
            check(lines[0].direction is Direction.system, "history line direction", row)
            check(call_meta.get("id") == row.id, "history line of another call", row)
            check(call_meta.get("recording_url") == row.recording_url, "history recording", row)
    # Nobody stays "on a call" once the calls are over.
    for login in ("ivanov", "petrov"):
        if (await world.user(login)).on_call:
            problems.append(f"{login} still on a call")
    return problems


async def test_recorded_call_shows_in_the_client_history_with_its_recording(
    world: World,
) -> None:
    await replay(world, AmiServer(transcript("inbound_queue__recorded")), 1)
    [row] = await world.calls()
    assert row.recording and row.recording.endswith(".wav")
    status, body = await world.api("GET", f"/api/v1/contacts/{world.client_id}/history", "sidorov")
    assert status == 200
    [item] = body["items"]
    assert item["channel"]["kind"] == "asterisk" and item["direction"] == "system"
    assert item["meta"]["call"]["recording_url"] == (
        f"https://pbx.example/recordings/{quote(row.recording)}"
    )
    assert item["meta"]["call"]["answered_by"]["user"]["login"] == "ivanov"
    assert "отвечен" in item["text"] and "запись" in item["text"]


async def test_a_replayed_transcript_stores_each_call_once(world: World) -> None:
    """The hub restarts its reader and the PBX sends the same events again: the events
    are the same (same ids), so no call, message, lead or task is stored twice."""
    scenario = "inbound_queue__concurrent"
    await replay(world, AmiServer(transcript(scenario)), 6)

    async def counts() -> list[int]:
        async with world.hub.db.sessions() as session:
            return [
                int((await session.execute(select(func.count()).select_from(model))).scalar_one())
                for model in (Call, InboundEvent, Message, Lead, Conversation)
            ]

    before = await counts()
    second = AmiServer(transcript(scenario))
    await world.connect(second)
    await asyncio.wait_for(second.at_logoff.wait(), 20)
    # Wait until the reader has handed over every event it got (all duplicates).
    await until(lambda: world.connector.submitted >= before[1], what="the replay submitted")
    await world.disconnect()
    assert await counts() == before
    assert before[:2] == [6, before[1]] and before[3] == 6  # 6 calls, 6 new callers' leads
