"""The live socket, as browser-less operators see it, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from sqlalchemy import select

from agent_ui import ws as ws_module
from hub.actions.teams import create_team
from hub.core import Hub
from hub.events import Audience
from hub.models import Conversation, EventLog, Presence, Role, User
from hub.policy import SystemActor
from tests.agent_ui.conftest import (
    BARRIER,
    Ui,
    client_writes,
    events_until,
    new_conversation,
    receive,
)


def cursors(frames: list[dict[str, Any]]) -> list[int]:
    return [f["cursor"] for f in frames if f["type"] == "event"]


def saw_message(text: str) -> Any:
    def done(frames: list[dict[str, Any]]) -> bool:
        return any(
            f["type"] == "event"
            and f["kind"] == "message.created"
            and f["payload"]["message"]["text"] == text
            for f in frames
        )

    return done


def saw_presence(user_id: int, presence: str) -> Any:
    def done(frames: list[dict[str, Any]]) -> bool:
        return any(
            f["type"] == "event"
            and f["kind"] == "presence.changed"
            and f["payload"] == {"user_id": user_id, "presence": presence}
            for f in frames
        )

    return done


async def allowed_cursors(hub: Hub, user: User, after: int) -> set[int]:
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(EventLog).where(EventLog.id > after))).scalars().all()
    return {
        r.id
        for r in rows
        if Audience.from_json(r.audience).allows(user.id, user.role)
        # `Ui.nothing_more`'s barriers are the test's own, not the socket's to show.
        and r.payload.get("object_type") != BARRIER
    }


async def test_hello_names_the_user_and_the_newest_cursor(ui: Ui) -> None:
    anna = await ui.add_user("anna", name="Анна Иванова")
    await new_conversation(ui.hub, None)
    session = await ui.signed_in("anna")
    ws = await session.ws_connect(ui.url("/ws"))
    hello = await receive(ws)
    async with ui.hub.db.sessions() as db:
        newest = (
            (await db.execute(select(EventLog.id).order_by(EventLog.id.desc()))).scalars().first()
        )
    assert hello["type"] == "hello"
    assert hello["user"]["id"] == anna.id and hello["user"]["name"] == "Анна Иванова"
    assert hello["user"]["role"] == "operator"
    # The socket's own "online" may be logged just before; the cursor is never behind the log.
    assert newest is not None and hello["cursor"] >= newest
    await ws.send_json({"type": "ping"})
    assert (await events_until(ws, lambda f: bool(f) and f[-1]["type"] == "pong"))[-1] == {
        "type": "pong"
    }


async def test_each_socket_gets_only_the_events_its_user_may_see(ui: Ui) -> None:
    a = await ui.add_user("a")
    await ui.add_user("b")
    await ui.add_user("boss", Role.supervisor)
    sockets = {login: await ui.socket(await ui.signed_in(login)) for login in ("a", "b", "boss")}

    conversation_a = await new_conversation(ui.hub, a.id)
    await client_writes(ui.hub, conversation_a, "только для A")
    queued = await new_conversation(ui.hub, None, "в очередь")

    def saw_queued(frames: list[dict[str, Any]]) -> bool:
        return any(
            f["type"] == "event"
            and f["kind"] == "conversation.changed"
            and f["payload"]["conversation"]["id"] == queued
            for f in frames
        )

    seen = {login: await events_until(ws, saw_queued) for login, ws in sockets.items()}
    private = saw_message("только для A")
    assert private(seen["a"]) and private(seen["boss"])
    assert not private(seen["b"])
    # Queued work reaches every operator, assigned work its holder and the supervisors.
    for frames in seen.values():
        assert saw_message("в очередь")(frames)
    assert not private(seen["b"] + await ui.nothing_more(sockets["b"]))


async def test_resume_after_a_reconnect_loses_and_doubles_nothing(ui: Ui) -> None:
    a = await ui.add_user("a")
    session = await ui.signed_in("a")
    first = await session.ws_connect(ui.url("/ws"))
    hello = await receive(first)
    start = hello["cursor"]
    conversation_id = await new_conversation(ui.hub, a.id)
    await client_writes(ui.hub, conversation_id, "до обрыва")
    before = await events_until(first, saw_message("до обрыва"))
    assert len(cursors(before)) == len(set(cursors(before)))
    shown = {c: f for f in before if f["type"] == "event" for c in [f["cursor"]]}
    await first.close()

    # Published while the operator is away: only the replay can bring these.
    while_away = [f"пока нет связи {n}" for n in range(5)]
    for text in while_away:
        await client_writes(ui.hub, conversation_id, text)

    second = await ui.socket(session)
    await second.send_json({"type": "resume", "cursor": max(shown)})
    frames = await events_until(second, lambda f: bool(f) and f[-1]["type"] == "resumed")
    # Everything logged for her by now arrives, replayed or live (routing reacts to the
    # reconnect meanwhile, so more may come)...
    expected = await allowed_cursors(ui.hub, a, start)
    frames += await events_until(
        second, lambda more: expected <= set(shown) | set(cursors(frames + more))
    )
    # ...and then, up to a barrier sent after all of it, nothing comes twice.
    frames += await ui.nothing_more(second)
    # The server never sends one cursor twice on a socket...
    assert len(cursors(frames)) == len(set(cursors(frames)))
    # ...and the client, dropping what it already showed, ends with every event exactly once.
    for frame in frames:
        if frame["type"] == "event" and frame["cursor"] not in shown:
            shown[frame["cursor"]] = frame
    # (Its own "online" may be logged just before the first hello, so it can be <= start.)
    assert expected <= set(shown) <= await allowed_cursors(ui.hub, a, 0)
    texts = [
        f["payload"]["message"]["text"] for f in shown.values() if f["kind"] == "message.created"
    ]
    assert all(texts.count(t) == 1 for t in while_away)
    resumed = next(f for f in frames if f["type"] == "resumed")
    assert resumed["complete"] is True
    # Live events (routing reacting to the reconnect) may interleave with the replay; what
    # matters is that nothing up to the resume point is missing.
    allowed = await allowed_cursors(ui.hub, a, start)
    assert {c for c in allowed if c <= resumed["cursor"]} <= set(shown)


async def test_resume_replays_a_little_below_the_cursor_for_late_commits(ui: Ui) -> None:
    a = await ui.add_user("a")
    conversation_id = await new_conversation(ui.hub, a.id)
    await client_writes(ui.hub, conversation_id, "почти последнее")
    ws = await ui.socket(await ui.signed_in("a"))
    async with ui.hub.db.sessions() as db:
        newest = (
            (await db.execute(select(EventLog.id).order_by(EventLog.id.desc()))).scalars().first()
        )
    assert newest is not None
    await ws.send_json({"type": "resume", "cursor": newest})
    frames = await events_until(ws, lambda f: any(x["type"] == "resumed" for x in f))
    # An event at or below the cursor (it could have committed late) is offered again.
    assert saw_message("почти последнее")(frames)


async def test_presence_follows_the_sockets(ui: Ui) -> None:
    a = await ui.add_user("a")
    await ui.add_user("boss", Role.supervisor)
    boss = await ui.socket(await ui.signed_in("boss"))
    session = await ui.signed_in("a")

    first = await ui.socket(session)
    await events_until(boss, saw_presence(a.id, "online"))
    second = await ui.socket(session)
    await first.close()
    await ui.presence_settled(a.id, sockets_left=1)
    assert not saw_presence(a.id, "offline")(await ui.nothing_more(boss))
    await second.close()
    await events_until(boss, saw_presence(a.id, "offline"))

    # A chosen "away" survives a reconnect: the page asks for it when it connects.
    away = await ui.socket(session, "/ws?presence=away")
    await events_until(boss, saw_presence(a.id, "away"))
    await away.send_json({"type": "presence", "presence": "online"})
    ack = await events_until(away, lambda f: any(x["type"] == "presence" for x in f))
    assert {"type": "presence", "presence": "online"} in ack
    await events_until(boss, saw_presence(a.id, "online"))
    async with ui.hub.db.sessions() as db:
        assert (await db.get_one(User, a.id)).presence is Presence.online


async def test_bad_messages_get_an_error_and_the_socket_stays_up(
    ui: Ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ui.add_user("a")
    ws = await ui.socket(await ui.signed_in("a"))

    async def answer(send: Any) -> dict[str, Any]:
        await (
            ws.send_bytes(send)
            if isinstance(send, bytes)
            else ws.send_str(send)
            if isinstance(send, str)
            else ws.send_json(send)
        )
        frames = await events_until(ws, lambda f: any(x["type"] in ("error", "pong") for x in f))
        return next(x for x in frames if x["type"] in ("error", "pong"))

    assert (await answer({"type": "subscribe_all"}))["id"] == "unknown-type"
    assert (await answer("{not json"))["id"] == "bad-json"
    assert (await answer(b"\x00\x01"))["id"] == "bad-message"
    assert (await answer({"type": "presence", "presence": "offline"}))["id"] == "bad-message"
    assert (await answer({"type": "resume", "cursor": "7"}))["id"] == "bad-message"
    assert (await answer([1, 2]))["id"] == "unknown-type"
    monkeypatch.setitem(ws_module.CLIENT_MESSAGES, "ping", Role.supervisor)
    assert (await answer({"type": "ping"}))["id"] == "forbidden"
    monkeypatch.setitem(ws_module.CLIENT_MESSAGES, "ping", Role.operator)
    assert (await answer({"type": "ping"})) == {"type": "pong"}
    assert not ws.closed


async def test_unauthenticated_and_foreign_origin_sockets_are_refused(ui: Ui) -> None:
    await ui.add_user("a")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ui.anonymous().ws_connect(ui.url("/ws"))
    assert refused.value.status == 401

    session = await ui.signed_in("a")
    with pytest.raises(aiohttp.WSServerHandshakeError) as hijack:
        await session.ws_connect(ui.url("/ws"), headers={"Origin": "https://evil.example"})
    assert hijack.value.status == 403
    own = f"http://{ui.server.host}:{ui.server.port}"
    ws = await ui.socket(session, headers={"Origin": own})
    assert not ws.closed


async def test_shutdown_closes_sockets_with_going_away(ui: Ui) -> None:
    await ui.add_user("a")
    ws = await ui.socket(await ui.signed_in("a"))
    closing = asyncio.create_task(ui.server.close())
    while True:
        message = await ws.receive(timeout=10)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            break
    await closing
    assert ws.close_code == WSCloseCode.GOING_AWAY


# What each client message type answers to each kind of caller (written by hand): the holder of
# the conversation, another operator of his team (neither holder nor queue), an operator of
# another team, a supervisor and an admin. Conversation writes are the holder's whatever the
# team (hub/policy.py), so the stranger answers as the colleague does.
# A new message type without a row here fails the matrix below.
WS_MATRIX: dict[str, dict[str, list[str]]] = {
    "ping": {
        "holder": ["pong"],
        "other": ["pong"],
        "stranger": ["pong"],
        "boss": ["pong"],
        "root": ["pong"],
    },
    "resume": {
        "holder": ["resumed"],
        "other": ["resumed"],
        "stranger": ["resumed"],
        "boss": ["resumed"],
        "root": ["resumed"],
    },
    "presence": {
        "holder": ["presence:away"],
        "other": ["presence:away"],
        "stranger": ["presence:away"],
        "boss": ["presence:away"],
        "root": ["presence:away"],
    },
    "typing": {
        "holder": [],
        "other": ["error:not-your-conversation"],
        "stranger": ["error:not-your-conversation"],
        "boss": [],
        "root": [],
    },
    "read": {
        "holder": [],
        "other": ["error:not-your-conversation"],
        "stranger": ["error:not-your-conversation"],
        "boss": [],
        "root": [],
    },
}


def reply_of(frame: dict[str, Any]) -> str:
    if frame["type"] == "error":
        return f"error:{frame['id']}"
    if frame["type"] == "presence":
        return f"presence:{frame['presence']}"
    return str(frame["type"])


async def test_every_socket_message_type_answers_each_role_as_the_matrix_says(ui: Ui) -> None:
    assert set(WS_MATRIX) == set(ws_module.CLIENT_MESSAGES)
    holder = await ui.add_user("holder")
    other = await ui.add_user("other")
    stranger = await ui.add_user("stranger")
    boss = await ui.add_user("boss", Role.supervisor)
    await ui.add_user("root", Role.admin)
    setup = SystemActor("test set-up")
    await create_team(ui.hub, setup, "Продажи", member_ids=[holder.id, other.id, boss.id])
    await create_team(ui.hub, setup, "Сервис", member_ids=[stranger.id])
    conversation_id = await new_conversation(ui.hub, holder.id)
    message_id = await client_writes(ui.hub, conversation_id, "Когда приедете?")
    frames_of = {
        "ping": {"type": "ping"},
        "resume": {"type": "resume", "cursor": 0},
        "presence": {"type": "presence", "presence": "away"},
        "typing": {"type": "typing", "conversation_id": conversation_id},
        "read": {"type": "read", "conversation_id": conversation_id, "up_to": message_id},
    }
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await ui.anonymous().ws_connect(ui.url("/ws"))
    assert anonymous.value.status == 401
    for login in ("holder", "other", "stranger", "boss", "root"):
        ws = await ui.socket(await ui.signed_in(login))
        for kind, frame in frames_of.items():
            await ws.send_json(frame)
            # The socket handles its messages in order: the ping's pong closes the answer
            # (the second pong, when the message itself was a ping).
            await ws.send_json({"type": "ping"})
            pongs = 2 if kind == "ping" else 1
            frames = await events_until(
                ws, lambda fs, n=pongs: sum(f["type"] == "pong" for f in fs) == n
            )
            replies = [reply_of(f) for f in frames[:-1] if f["type"] != "event"]
            assert replies == WS_MATRIX[kind][login], (kind, login, replies)
        # Left open: the holder closing his last socket would take him offline, and his
        # unanswered conversation back to the queue, where any operator may write.
    async with ui.hub.db.sessions() as db:
        assert (await db.get_one(Conversation, conversation_id)).assignee_id == holder.id


async def test_a_replay_longer_than_the_sockets_memory_sends_no_live_event_again(
    ui: Ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a bus gap the newest events are the live ones written just before the resume;
    a replay of more events than the socket remembers must not push those out before it
    reaches them (it did: the oldest-written were forgotten first, and sent again)."""
    monkeypatch.setattr(ws_module, "SENT_MEMORY", 5)
    a = await ui.add_user("a")
    conversation_id = await new_conversation(ui.hub, a.id)
    ws = await ui.socket(await ui.signed_in("a"))
    await ws.send_json({"type": "resume", "cursor": 0})
    start = await events_until(ws, lambda f: any(x["type"] == "resumed" for x in f))
    cursor = next(x for x in start if x["type"] == "resumed")["cursor"]

    # Eight messages the bus loses (as while Redis is away), then one it carries.
    # A unit of work publishes its events all at once (publish_many).
    publish_many = ui.hub.bus.publish_many

    async def lost(envelopes: Any) -> None:
        return None

    monkeypatch.setattr(ui.hub.bus, "publish_many", lost)
    for n in range(8):
        await client_writes(ui.hub, conversation_id, f"потеряно {n}")
    monkeypatch.setattr(ui.hub.bus, "publish_many", publish_many)
    await client_writes(ui.hub, conversation_id, "вживую")
    live = await events_until(ws, saw_message("вживую"))

    await ws.send_json({"type": "resume", "cursor": cursor})
    replay = await events_until(ws, lambda f: any(x["type"] == "resumed" for x in f))
    assert saw_message("потеряно 7")(replay)
    sent = cursors(live + replay)
    assert len(sent) == len(set(sent)), sent
