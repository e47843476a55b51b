"""Hub actions through AmiClient: the exact AMI fields sent, Asterisk's failure replies as
clear exceptions, timeouts, and what happens to an action when the link drops under it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from connectors.asterisk import (
    AmiActionError,
    AmiClient,
    AmiConnectionLost,
    AmiNotConnected,
    AmiTimeout,
)

from .ami_server import AmiServer
from .test_ami_link import SETTINGS, until


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    server = AmiServer([])  # nothing scripted: realistic default replies to every action
    yield server
    await server.close()


@pytest.fixture
async def client(server: AmiServer) -> AsyncIterator[AmiClient]:
    port = await server.start()
    client = AmiClient(replace(SETTINGS, port=port), on_event=lambda frame, at: None)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(client.wait_ready(), 3)
    yield client
    await client.stop()
    await asyncio.wait_for(task, 3)


def last(server: AmiServer, action: str) -> dict[str, str]:
    sent = [a for a in server.received if a["Action"] == action]
    assert sent, f"no {action} reached the server"
    fields = dict(sent[-1])
    assert fields.pop("ActionID")
    return fields


async def test_originate_is_async_and_returns_once_queued(
    client: AmiClient, server: AmiServer
) -> None:
    reply = await client.originate(
        channel="PJSIP/101", exten="+74951234567", context="from-internal",
        caller_id="+74951234567", variables={"OKNO_CALL": "c-17"},
    )  # fmt: skip
    assert reply["Message"] == "Originate successfully queued"
    fields = last(server, "Originate")
    assert fields.pop("Variable") == "OKNO_CALL=c-17"
    assert fields == {
        "Action": "Originate",
        "Channel": "PJSIP/101",
        "Context": "from-internal",
        "Exten": "+74951234567",
        "Priority": "1",
        "CallerID": "+74951234567",
        "Timeout": "30000",
        "Async": "true",
    }


async def test_transfer_and_queue_actions_send_the_right_fields(
    client: AmiClient, server: AmiServer
) -> None:
    reply = await client.redirect(channel="PJSIP/trunk-0001", exten="102", context="from-internal")
    assert reply["Message"] == "Redirect successful"
    assert last(server, "Redirect") == {
        "Action": "Redirect", "Channel": "PJSIP/trunk-0001", "Context": "from-internal",
        "Exten": "102", "Priority": "1",
    }  # fmt: skip
    reply = await client.blind_transfer(channel="PJSIP/101-02", exten="103", context="internal")
    assert reply["Message"] == "Transfer succeeded"
    assert last(server, "BlindTransfer") == {
        "Action": "BlindTransfer", "Channel": "PJSIP/101-02", "Context": "internal", "Exten": "103"
    }  # fmt: skip
    reply = await client.atxfer(channel="PJSIP/101-02", exten="102", context="from-internal")
    assert reply["Message"] == "Atxfer successfully queued"
    assert last(server, "Atxfer") == {
        "Action": "Atxfer", "Channel": "PJSIP/101-02", "Context": "from-internal", "Exten": "102"
    }  # fmt: skip
    reply = await client.queue_pause(
        interface="Local/101@agents/n", queue="sales", paused=True, reason="lunch"
    )
    assert reply["Message"] == "Interface paused successfully"
    assert last(server, "QueuePause") == {
        "Action": "QueuePause", "Interface": "Local/101@agents/n", "Queue": "sales",
        "Paused": "true", "Reason": "lunch",
    }  # fmt: skip
    reply = await client.queue_pause(interface="Local/101@agents/n", paused=False)
    assert reply["Message"] == "Interface unpaused successfully"
    assert last(server, "QueuePause") == {
        "Action": "QueuePause", "Interface": "Local/101@agents/n", "Paused": "false"
    }  # fmt: skip


async def test_list_actions_return_the_whole_reply(client: AmiClient) -> None:
    channels = await client.core_show_channels()
    assert channels[0]["Message"] == "Channels will follow"
    assert channels[-1]["Event"] == "CoreShowChannelsComplete"
    queues = await client.queue_status("sales")
    assert queues[-1]["Event"] == "QueueStatusComplete"
    assert (await client.ping())["Ping"] == "Pong"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("Originate", "Extension does not exist."),
        ("Redirect", "Channel specified does not exist"),
        ("BlindTransfer", "No such channel"),
        ("Atxfer", "No such channel"),
        ("QueuePause", "Interface not found"),
        ("CoreShowChannels", "Permission denied"),
    ],
)
async def test_failure_replies_raise_a_clear_error(
    client: AmiClient, server: AmiServer, action: str, message: str
) -> None:
    server.errors[action] = message
    calls = {
        "Originate": lambda: client.originate(channel="PJSIP/199", exten="1", context="x"),
        "Redirect": lambda: client.redirect(channel="PJSIP/nope-1", exten="102", context="x"),
        "BlindTransfer": lambda: client.blind_transfer(channel="PJSIP/n-1", exten="1", context="x"),
        "Atxfer": lambda: client.atxfer(channel="PJSIP/nope-1", exten="102", context="x"),
        "QueuePause": lambda: client.queue_pause(interface="PJSIP/199", paused=True),
        "CoreShowChannels": client.core_show_channels,
    }
    with pytest.raises(AmiActionError) as raised:
        await calls[action]()
    assert raised.value.action == action
    assert raised.value.reason == message
    assert str(raised.value) == f"AMI {action} failed: {message}"
    assert client.ready  # an error reply is not a broken link


async def test_an_unknown_action_is_an_error_too(client: AmiClient) -> None:
    with pytest.raises(AmiActionError, match="Invalid/unknown command: Frobnicate"):
        await client.send({"Action": "Frobnicate"})


async def test_an_unanswered_action_times_out(client: AmiClient, server: AmiServer) -> None:
    server.unanswered.add("Redirect")
    with pytest.raises(AmiTimeout, match=r"AMI Redirect: no reply within 0\.2 s"):
        await client.send(
            {"Action": "Redirect", "Channel": "x", "Context": "y", "Exten": "1", "Priority": "1"},
            reply_within=0.2,
        )


async def test_an_action_in_flight_fails_when_the_link_drops_and_is_never_resent(
    client: AmiClient, server: AmiServer
) -> None:
    server.unanswered.add("Originate")
    pending = asyncio.create_task(
        client.originate(channel="PJSIP/101", exten="+74951234567", context="from-internal")
    )
    await until(lambda: any(a["Action"] == "Originate" for a in server.received))
    server.drop()
    with pytest.raises(AmiConnectionLost):
        await asyncio.wait_for(pending, 2)
    await until(lambda: client.sessions == 2 and client.ready)
    await client.ping()  # the new connection works
    # panoramisk alone would send the Originate again after the reconnect: a second call.
    assert [a["Action"] for a in server.received].count("Originate") == 1


async def test_no_action_without_a_link_and_no_header_injection(
    client: AmiClient, server: AmiServer
) -> None:
    with pytest.raises(ValueError, match="must be one line"):
        await client.originate(channel="PJSIP/101", exten="1\r\nAction: Hangup", context="x")
    assert all(a["Action"] != "Hangup" for a in server.received)
    idle = AmiClient(SETTINGS, on_event=lambda frame, at: None)
    with pytest.raises(AmiNotConnected):
        await idle.ping()


async def test_a_refused_login_is_retried_with_backoff(
    server: AmiServer, caplog: pytest.LogCaptureFixture
) -> None:
    port = await server.start()
    settings = replace(SETTINGS, port=port, secret="wrong")
    client = AmiClient(settings, on_event=lambda frame, at: None)
    task = asyncio.create_task(client.run())
    await until(lambda: [a["Action"] for a in server.received].count("Login") >= 3, limit=5)
    assert not client.ready and client.sessions == 0
    assert "login refused for user 'hub'" in caplog.text
    await client.stop()
    await asyncio.wait_for(task, 2)


async def test_an_unreachable_pbx_is_retried_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.asterisk")
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()  # nothing listens there any more
    client = AmiClient(replace(SETTINGS, port=port), on_event=lambda frame, at: None)
    task = asyncio.create_task(client.run())
    await until(lambda: caplog.text.count("ConnectionRefusedError") >= 3, limit=5)
    await client.stop()
    await asyncio.wait_for(task, 2)
    assert client.sessions == 0
