"""The whole AMI path over a real socket: panoramisk wrapper + parser + tracker, against the
loopback AMI server replaying the recorded transcripts (full speed with Timestamp headers, and
two scenarios at their recorded pace), plus reconnects, resyncs and hub actions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest

from connectors.asterisk import AmiSettings, AsteriskLink
from tests.waiting import until

from .ami_server import STAMP_BASE, AmiServer
from .helpers import SCENARIOS, Recorder, expected_calls, mismatches, transcript

SETTINGS = AmiSettings(
    "hub",
    "hubsecret",
    connect_timeout=2.0,
    login_timeout=2.0,
    action_timeout=3.0,
    ping_interval=30.0,
    backoff_base=0.05,
    backoff_max=0.2,
)


async def play_hub_actions(server: AmiServer, link: AsteriskLink) -> None:
    """Do what the hub did in the recording, when the recording did it."""
    while True:
        recorded = await server.hub_actions.get()
        await link.wait_ready()
        name = recorded["Action"]
        target = {k.lower(): recorded[k] for k in ("Channel", "Exten", "Context") if k in recorded}
        if name == "Originate":
            await link.originate(**target, caller_id=recorded.get("CallerID"))
        elif name == "Redirect":
            await link.redirect(**target)
        elif name == "Atxfer":
            await link.atxfer(**target)
        elif name == "QueuePause":
            await link.queue_pause(
                interface=recorded["Interface"],
                queue=recorded.get("Queue"),
                paused=recorded["Paused"] == "true",
                reason=recorded.get("Reason"),
            )
        elif name == "QueueStatus":
            await link.client.queue_status(recorded.get("Queue"))
        else:
            raise AssertionError(f"the test cannot play a recorded {name}")


@asynccontextmanager
async def linked(
    server: AmiServer, settings: AmiSettings = SETTINGS
) -> AsyncIterator[tuple[AsteriskLink, Recorder]]:
    port = await server.start()
    recorder = Recorder()
    link = AsteriskLink(replace(settings, port=port), recorder.tracker())
    tasks = [asyncio.create_task(link.run()), asyncio.create_task(play_hub_actions(server, link))]
    try:
        yield link, recorder
    finally:
        await link.stop()
        await asyncio.wait_for(tasks[0], 3)
        tasks[1].cancel()
        await server.close()


async def replay(
    scenario: str, *, timed: bool = False, stamp: bool = True, noise: bool = False
) -> tuple[Recorder, AmiServer, AsteriskLink]:
    server = AmiServer(transcript(scenario), timed=timed, stamp=stamp, noise=noise)
    async with linked(server) as (link, recorder):
        await asyncio.wait_for(server.at_logoff.wait(), 20)
        await until(lambda: len(recorder.calls) >= len(expected_calls(scenario)))
    await asyncio.wait_for(server.played.wait(), 3)
    return recorder, server, link


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_scenario_over_ami_at_full_speed(scenario: str) -> None:
    recorder, server, link = await replay(scenario)
    assert mismatches(recorder.calls, expected_calls(scenario)) == []
    # Every action the hub sent matched the recording, header for header (Logoff included).
    assert server.mismatches == []
    assert [a["Action"] for a in server.received][-1] == "Logoff"
    reconnects = len(transcript(scenario)) - 1
    assert link.client.sessions == link.resyncs == 1 + reconnects


async def test_two_scenarios_at_their_recorded_pace() -> None:
    """No Timestamp headers: durations come from the moments the events arrive."""
    started = time.monotonic()
    results = await asyncio.gather(
        replay("internal__101_to_102", timed=True, stamp=False),
        replay("click_to_call__busy", timed=True, stamp=False),
    )
    for scenario, (recorder, server, _) in zip(
        ("internal__101_to_102", "click_to_call__busy"), results, strict=True
    ):
        assert mismatches(recorder.calls, expected_calls(scenario)) == []
        assert server.mismatches == []
    assert time.monotonic() - started > 9.0  # it really took the recorded time


async def test_noise_on_the_wire_changes_nothing() -> None:
    recorder, server, link = await replay("inbound_queue__concurrent", noise=True)
    assert server.mismatches == []
    assert mismatches(recorder.calls, expected_calls("inbound_queue__concurrent")) == []
    stats = link.tracker.stats
    assert stats.unknown > 0 and stats.orphans > 0


async def test_call_that_ended_while_the_link_was_down() -> None:
    """The socket drops mid-call; when the link is back the call is gone: it is recorded,
    answered by 101, from the snapshot (empty) at the resync."""
    first, _ = transcript("resync__mid_call")
    server = AmiServer([first])
    async with linked(server) as (link, recorder):
        await asyncio.wait_for(server.played.wait(), 5)
        await until(lambda: bool(link.tracker.calls))  # the call is up, 101 talking
        server.drop()
        # The call is recorded during the second session's resync, which completes (and
        # counts the session) a moment later: wait for both, not for one then assert the other.
        await until(lambda: len(recorder.calls) == 1 and link.client.sessions == 2)
    [call] = recorder.calls
    assert call.resynced
    assert (call.outcome, call.answered_by, call.queue) == ("answered", "101", "sales")
    assert (call.caller, call.callee, call.hangup_cause) == ("+74951234567", "74950000000", None)
    # Its end is only known to lie between the last frame of the first connection (+3.031378,
    # 0.000074 s after AgentConnect) and the second one's snapshot: talk runs to the earliest.
    assert call.ended_at.timestamp() == pytest.approx(STAMP_BASE + 3.031378)
    # (The test server stamps the second connection's frames with the last recorded offset.)
    assert call.ended_not_after is not None and call.ended_not_after >= call.ended_at
    assert call.talk_s == pytest.approx(0.000074, abs=0.00001)


async def test_a_ping_reply_is_the_last_sign_of_life_before_a_loss() -> None:
    """Unstamped events (the link's clock): the call is answered, a Ping is answered later,
    then the socket drops; the end lies after that reply, not at the last event."""
    first, _ = transcript("resync__mid_call")
    server = AmiServer([first], stamp=False)
    async with linked(server) as (link, recorder):
        await asyncio.wait_for(server.played.wait(), 5)
        await until(lambda: bool(link.tracker.calls))
        [live] = link.tracker.calls.values()
        await until(lambda: time.time() > (live.answered_at or 0.0) + 0.3)
        await link.client.ping()
        pinged = time.time()
        server.drop()
        await until(lambda: len(recorder.calls) == 1 and link.client.sessions == 2)
    [call] = recorder.calls
    assert live.answered_at is not None
    # Answered, then still up 0.3 s later and more: that much talk at least, and no later
    # than the Ping reply came in.
    assert 0.3 <= call.talk_s <= pinged - live.answered_at
    assert call.ended_not_after is not None and call.ended_not_after > call.ended_at


async def test_call_that_started_while_the_link_was_down() -> None:
    """The first connection ends right after login; the call exists only in the resync of the
    second one (the recorded CoreShowChannels/QueueStatus replies) and in what follows."""
    first, second = transcript("resync__mid_call")
    login_only = first[:3]  # banner, Login, its reply
    server = AmiServer([login_only, second])
    async with linked(server) as (_, recorder):
        await until(lambda: len(recorder.calls) == 1)
    [call] = recorder.calls
    assert call.resynced
    assert mismatches(recorder.calls, expected_calls("resync__mid_call")) == [
        "1795375462.25 agents_rung: ['101'] != ['101', '102']"  # rang and stopped in the gap
    ]


async def test_watchdog_drops_a_silent_server_and_reconnects() -> None:
    server = AmiServer([])
    settings = replace(SETTINGS, ping_interval=0.2, ping_timeout=0.3)
    async with linked(server, settings) as (link, _):
        await asyncio.wait_for(link.wait_ready(), 3)
        server.silence()  # the socket stays open; nothing is answered any more
        silenced = time.monotonic()
        await until(lambda: link.client.sessions == 2, limit=4)
        # 0.2 s to the next Ping + 0.3 s without a reply + a short backoff (slack for load).
        assert time.monotonic() - silenced < 2.5
        assert "watchdog" in (link.client.last_loss or "")
        assert link.client.ready
    actions = [a["Action"] for a in server.received]
    # Login, resync, the Ping nobody answered, then a new Login on a new connection.
    assert actions[:5] == ["Login", "CoreShowChannels", "QueueStatus", "Ping", "Login"]


async def test_a_tracker_kept_across_links_ends_its_calls_at_the_last_frame_heard() -> None:
    """A link stopped on purpose (a lease handed on) reports no loss; the next link over the
    same tracker still places the gap after the last frame the first one heard."""
    first, _ = transcript("resync__mid_call")
    recorder = Recorder()
    old = AmiServer([first], stamp=False)  # the events' instants: when they came in
    port = await old.start()
    link = AsteriskLink(replace(SETTINGS, port=port), recorder.tracker())
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(old.played.wait(), 5)
    await until(lambda: bool(link.tracker.calls))
    await link.stop()
    await asyncio.wait_for(task, 3)
    await old.close()
    stopped = time.time()
    assert recorder.calls == []
    new = AmiServer([], stamp=False)
    port = await new.start()
    again = AsteriskLink(replace(SETTINGS, port=port), recorder.tracker())
    task = asyncio.create_task(again.run())
    await until(lambda: len(recorder.calls) == 1)
    await again.stop()
    await asyncio.wait_for(task, 3)
    await new.close()
    [call] = recorder.calls
    # Not at the new link's snapshot: before the first link was even stopped.
    assert call.ended_at.timestamp() < stopped
    assert call.ended_not_after is not None and call.ended_not_after.timestamp() > stopped
