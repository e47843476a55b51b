"""The website chat socket against the running app, on both backends: what a visitor may do,
what they see, and that the operator's side (replies, typing, read state) reaches them."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from hub.actions import conversations, messages, unit_of_work
from hub.actions.channels import create_channel
from hub.host.appkeys import RUNNER
from hub.host.channels import spec_of
from hub.models import (
    Conversation,
    EventLog,
    Identity,
    InboundEvent,
    Message,
    Presence,
    Role,
    User,
)
from routing import presence as routing_presence
from tests.agent_ui.conftest import Ui, events_until, receive
from tests.waiting import until

SITE = "https://shop.example"
Frame = dict[str, Any]


async def add_widget(ui: Ui, name: str = "site", **options: Any) -> None:
    values: dict[str, Any] = {"allowed_origins": [SITE], **options}
    async with unit_of_work(ui.hub) as uow:
        channel = await create_channel(uow, "widget", name, values, title="Окна Мытищи")
    await ui.server.app[RUNNER].start_channel(spec_of(channel))


async def visitor(
    ui: Ui, token: str | None = None, name: str = "site", origin: str = SITE
) -> tuple[aiohttp.ClientWebSocketResponse, Frame]:
    session = ui.anonymous()
    ws = await session.ws_connect(ui.url(f"/widget/{name}/ws"), headers={"Origin": origin})
    hello: Frame = {"type": "hello", "page_url": f"{SITE}/catalog"}
    if token:
        hello["token"] = token
    await ws.send_json(hello)
    welcome = await receive(ws)
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


async def say(
    ws: aiohttp.ClientWebSocketResponse, text: str, client_id: str | None = None
) -> Frame:
    """Send a message and return its ack (skipping live frames that come first)."""
    cid = client_id or str(uuid.uuid4())
    await ws.send_json({"type": "message", "client_id": cid, "text": text})
    frames = await events_until(ws, lambda fs: bool(fs) and fs[-1]["type"] in ("ack", "error"))
    return frames[-1]


async def count(ui: Ui, model: Any) -> int:
    async with ui.hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def newest_logged(ui: Ui) -> int:
    async with ui.hub.db.sessions() as session:
        return int((await session.execute(select(func.max(EventLog.id)))).scalar_one() or 0)


async def logged_kinds(ui: Ui, after: int) -> list[str]:
    async with ui.hub.db.sessions() as session:
        found = await session.execute(
            select(EventLog.kind).where(EventLog.id > after).order_by(EventLog.id)
        )
        return list(found.scalars())


async def only_conversation(ui: Ui) -> Conversation:
    async with ui.hub.db.sessions() as session:
        return (await session.execute(select(Conversation))).scalar_one()


async def reply(ui: Ui, conversation_id: int, login: str, text: str) -> int:
    async with unit_of_work(ui.hub) as uow:
        conversation = await conversations.get_for_update(uow, conversation_id)
        author = await uow.session.get_one(User, ui.users[login].id)
        assert conversation is not None
        message, _item = await messages.queue_reply(uow, conversation, author, text)
        return message.id


async def test_a_foreign_site_is_refused_and_nothing_is_stored(ui: Ui) -> None:
    await add_widget(ui)
    session = ui.anonymous()
    for origin in ("https://evil.example", "null", ""):
        headers = {"Origin": origin} if origin else {}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(ui.url("/widget/site/ws"), headers=headers)
        assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as missing:
        await session.ws_connect(ui.url("/widget/nope/ws"), headers={"Origin": SITE})
    assert missing.value.status == 404
    assert await count(ui, InboundEvent) == 0


async def test_history_continues_with_the_token_and_a_resend_is_stored_once(ui: Ui) -> None:
    await add_widget(ui)
    ws, welcome = await visitor(ui)
    token = welcome["token"]
    assert welcome["messages"] == [] and welcome["title"] == "Окна Мытищи"
    assert welcome["online"] is False
    cid = str(uuid.uuid4())
    ack = await say(ws, "Здравствуйте, сколько стоит окно?", cid)
    assert ack["type"] == "ack" and ack["duplicate"] is False
    first = ack["message"]
    assert first["mine"] is True and first["client_id"] == cid and first["id"] > 0
    # The same client_id again (a resend after a reconnect): stored once.
    again = await say(ws, "Здравствуйте, сколько стоит окно?", cid)
    assert again["duplicate"] is True and again["message"]["id"] == first["id"]
    assert await count(ui, Message) == 1
    await ws.close()

    # A page reload: the same token brings the same history back.
    ws2, welcome2 = await visitor(ui, token)
    assert [m["id"] for m in welcome2["messages"]] == [first["id"]]
    assert welcome2["token"] == token
    await say(ws2, "Это снова я")
    conversation = await only_conversation(ui)
    async with ui.hub.db.sessions() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
    # The stored identity is a digest of the token, never the token itself.
    assert identity.kind.value == "web_visitor" and identity.value != token
    assert conversation.widget_visitor == identity.value
    assert await count(ui, Conversation) == 1
    # Another browser (no token) is someone else, with an empty history.
    _other, fresh = await visitor(ui)
    assert fresh["messages"] == [] and fresh["token"] != token


async def test_the_reply_reaches_the_visitor_live_and_notes_never_do(ui: Ui) -> None:
    await add_widget(ui)
    await ui.add_user("ivanov", name="Мария Петрова")
    ws, greeting = await visitor(ui)
    await say(ws, "Нужен замер")
    conversation = await only_conversation(ui)
    async with unit_of_work(ui.hub) as uow:
        held = await conversations.get_for_update(uow, conversation.id)
        author = await uow.session.get_one(User, ui.users["ivanov"].id)
        assert held is not None
        await messages.add_note(uow, held, author, "ВНУТРЕННЕЕ: клиент капризный")
    reply_id = await reply(ui, conversation.id, "ivanov", "Приедем в субботу")
    frames = await events_until(
        ws, lambda fs: any(f.get("message", {}).get("id") == reply_id for f in fs)
    )
    shown = [f["message"] for f in frames if f["type"] == "message"]
    assert all("ВНУТРЕННЕЕ" not in m["text"] for m in shown)
    answer = next(m for m in shown if m["id"] == reply_id)
    assert answer == {
        "id": reply_id,
        "conversation_id": conversation.id,
        "mine": False,
        "text": "Приедем в субботу",
        "author": "Мария Петрова",
        "at": answer["at"],
    }

    # The outbox worker reports it sent through the widget connector.
    async def sent() -> bool:
        async with ui.hub.db.sessions() as session:
            stored = await session.get_one(Message, reply_id)
        return bool(stored.meta.get("delivery", {}).get("status") == "sent")

    await until(sent, what="the reply sent")
    # The history on the next load has the reply but not the note.
    _ws2, welcome = await visitor(ui, greeting["token"])
    texts = [m["text"] for m in welcome["messages"]]
    assert texts == ["Нужен замер", "Приедем в субботу"]


async def test_typing_goes_both_ways_and_is_never_logged(ui: Ui) -> None:
    await add_widget(ui)
    await ui.add_user("ivanov", name="Мария Петрова", online=True)
    operator = await ui.socket(await ui.signed_in("ivanov"))
    ws, _ = await visitor(ui)
    await say(ws, "Есть вопрос")
    conversation = await only_conversation(ui)
    before = await newest_logged(ui)

    await ws.send_json({"type": "typing"})
    frames = await events_until(operator, lambda fs: any(f.get("kind") == "typing" for f in fs))
    signal = next(f for f in frames if f.get("kind") == "typing")
    assert signal["cursor"] == 0
    assert signal["payload"] == {"conversation_id": conversation.id, "by": "client"}
    # Throttled: a second one right away is not passed on. The widget handles its frames in
    # order: once the ping's pong is back, the second typing has been handled.
    await ws.send_json({"type": "typing"})
    await ws.send_json({"type": "ping"})
    await events_until(ws, lambda fs: any(f["type"] == "pong" for f in fs))
    assert [f for f in await ui.nothing_more(operator) if f.get("kind") == "typing"] == []

    await operator.send_json({"type": "typing", "conversation_id": conversation.id})
    seen = await events_until(ws, lambda fs: any(f["type"] == "typing" for f in fs))
    assert next(f for f in seen if f["type"] == "typing") == {
        "type": "typing",
        "by": "agent",
        "name": "Мария Петрова",
    }
    # Never logged: the one event logged meanwhile is the test's own barrier.
    assert await logged_kinds(ui, after=before) == ["robot.notice"]
    # Not for a conversation someone else holds.
    await ui.add_user("petrov")
    other = await ui.socket(await ui.signed_in("petrov"))
    async with unit_of_work(ui.hub) as uow:
        held = await conversations.get_for_update(uow, conversation.id)
        assert held is not None
        await conversations.assign(uow, held, ui.users["ivanov"].id, "test")
    await other.send_json({"type": "typing", "conversation_id": conversation.id})
    refused = await events_until(other, lambda fs: any(f["type"] == "error" for f in fs))
    assert refused[-1]["id"] == "not-your-conversation"


async def test_read_markers_move_forward_only_and_reach_the_other_side(ui: Ui) -> None:
    await add_widget(ui)
    await ui.add_user("ivanov", name="Мария Петрова", online=True)
    operator = await ui.socket(await ui.signed_in("ivanov"))
    ws, _ = await visitor(ui)
    mine = (await say(ws, "Первое"))["message"]["id"]
    conversation = await only_conversation(ui)
    reply_id = await reply(ui, conversation.id, "ivanov", "Ответ")
    await events_until(ws, lambda fs: any(f.get("message", {}).get("id") == reply_id for f in fs))

    # The visitor saw the reply.
    await ws.send_json({"type": "read", "up_to": reply_id})
    frames = await events_until(
        operator, lambda fs: any(f.get("kind") == "conversation.read" for f in fs)
    )
    read = next(f for f in frames if f.get("kind") == "conversation.read")
    assert read["payload"] == {
        "conversation_id": conversation.id,
        "by": "client",
        "up_to": reply_id,
    }
    assert read["cursor"] > 0  # logged: a reconnecting workspace replays it

    # The operator saw the visitor's message; the visitor's widget hears it.
    await operator.send_json({"type": "read", "conversation_id": conversation.id, "up_to": mine})
    seen = await events_until(
        ws, lambda fs: any(f["type"] == "read" and f["by"] == "agent" for f in fs)
    )
    assert next(f for f in seen if f["type"] == "read" and f["by"] == "agent")["up_to"] == mine
    # Going back is ignored; an id from someone else's chat is refused.
    await ws.send_json({"type": "read", "up_to": mine})
    stranger, _ = await visitor(ui)
    theirs = (await say(stranger, "Я другой посетитель"))["message"]["id"]
    await ws.send_json({"type": "read", "up_to": theirs})
    refusal = await events_until(ws, lambda fs: any(f["type"] == "error" for f in fs))
    assert refusal[-1]["id"] == "unknown-message"
    assert [f for f in refusal if f["type"] == "read"] == []
    async with ui.hub.db.sessions() as session:
        stored = await session.get_one(Conversation, conversation.id)
        kinds = (await session.execute(select(EventLog.kind))).scalars().all()
    assert (stored.client_read_up_to, stored.agent_read_up_to) == (reply_id, mine)
    assert kinds.count("conversation.read") == 2
    _again, welcome = await visitor(ui, None)
    assert welcome["read"] == {"client": 0, "agent": 0}  # a stranger sees nothing of it


async def test_offline_flag_follows_the_operator(ui: Ui) -> None:
    await add_widget(ui)
    user = await ui.add_user("ivanov")
    ws, welcome = await visitor(ui)
    assert welcome["online"] is False and welcome["offline_form"] is True
    await routing_presence.change(ui.hub, user.id, Presence.online)
    frames = await events_until(ws, lambda fs: any(f["type"] == "status" for f in fs))
    assert frames[-1] == {"type": "status", "online": True}
    await routing_presence.change(ui.hub, user.id, Presence.away)
    frames = await events_until(ws, lambda fs: any(f["type"] == "status" for f in fs))
    assert frames[-1] == {"type": "status", "online": False}


async def test_contact_details_and_the_offline_form_become_identities(ui: Ui) -> None:
    await add_widget(ui)
    ws, _ = await visitor(ui)
    await say(ws, "Хочу консультацию")
    await ws.send_json(
        {
            "type": "contact",
            "client_id": str(uuid.uuid4()),
            "name": "Анна",
            "phone": "8 916 123-45-67",
        }
    )
    ack = await events_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    shown = next(f for f in ack if f["type"] == "ack")["message"]
    assert shown["text"] == "" and shown["contact_details"] == {
        "name": "Анна",
        "phone": "8 916 123-45-67",
    }
    await ws.send_json(
        {
            "type": "offline",
            "client_id": str(uuid.uuid4()),
            "name": "Анна",
            "email": "Anna@Example.ru",
            "text": "Перезвоните вечером",
        }
    )
    await events_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    async with ui.hub.db.sessions() as session:
        identities = {
            (i.kind.value, i.value) for i in (await session.execute(select(Identity))).scalars()
        }
        conversation = (await session.execute(select(Conversation))).scalar_one()
        from hub.models import Contact

        contact = await session.get_one(Contact, conversation.contact_id)
    assert ("phone", "+79161234567") in identities and ("email", "anna@example.ru") in identities
    assert contact.name == "Анна"  # the anonymous chat's lead got the name it was given
    assert await count(ui, Conversation) == 1  # all of it in the visitor's one chat
    # A missing contact is refused with the field named.
    await ws.send_json({"type": "contact", "client_id": str(uuid.uuid4()), "name": "Анна"})
    error = await events_until(ws, lambda fs: any(f["type"] == "error" for f in fs))
    assert error[-1]["id"] == "invalid-frame" and "client_id" in error[-1]


async def test_bad_frames_get_errors_and_the_socket_keeps_working(ui: Ui) -> None:
    await add_widget(ui, max_message_chars=100)
    session = ui.anonymous()
    ws = await session.ws_connect(ui.url("/widget/site/ws"), headers={"Origin": SITE})
    await ws.send_json({"type": "message", "client_id": str(uuid.uuid4()), "text": "рано"})
    assert (await receive(ws))["id"] == "hello-first"
    await ws.send_json({"type": "hello"})
    assert (await receive(ws))["type"] == "welcome"
    bad: list[tuple[Any, str]] = [
        ("not json{", "bad-json"),
        ("[1, 2]", "bad-json"),
        ('{"type": "launch-missiles"}', "unknown-type"),
        ('{"type": "message", "client_id": "nope", "text": "x"}', "invalid-frame"),
        (f'{{"type": "message", "client_id": "{uuid.uuid4()}", "text": ""}}', "invalid-frame"),
        ('{"type": "read", "up_to": "all"}', "invalid-frame"),
        ("x" * 70_000, "too-large"),
    ]
    for raw, error_id in bad:
        await ws.send_str(raw)
        answer = await receive(ws)
        assert answer["type"] == "error" and answer["id"] == error_id, (raw[:40], answer)
    await ws.send_bytes(b"\x00\x01binary")
    assert (await receive(ws))["id"] == "bad-frame"
    long = await say(ws, "я" * 101)
    assert long["id"] == "too-long" and long["limit"] == 100 and "client_id" in long
    assert await count(ui, InboundEvent) == 0
    ok = await say(ws, "А теперь нормально")
    assert ok["type"] == "ack" and ok["message"]["text"] == "А теперь нормально"


async def test_a_visitor_flooding_messages_is_rate_limited(ui: Ui) -> None:
    await add_widget(ui, messages_per_minute=3)
    ws, _ = await visitor(ui)
    answers = [await say(ws, f"спам {n}") for n in range(5)]
    assert [a["type"] for a in answers] == ["ack", "ack", "ack", "error", "error"]
    assert answers[3]["id"] == "rate-limited" and answers[3]["retry_after"] >= 1
    assert await count(ui, Message) == 3
    await ws.send_json({"type": "ping"})
    assert (await receive(ws))["type"] == "pong"  # still open


async def test_the_embed_script_carries_its_config_in_the_visitors_language(ui: Ui) -> None:
    await add_widget(ui)
    english = ui.anonymous(headers={"Accept-Language": "en-US,en;q=0.9"})
    async with english.get(ui.url("/widget/site.js")) as answer:
        assert answer.status == 200
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        script = await answer.text()
    assert "__OKNO_CONFIG__" not in script and '"Chat with us"' in script
    assert ui.url("/widget/site/ws").replace("http://", "ws://") in script
    async with ui.anonymous().get(ui.url("/widget/site.js")) as answer:
        assert "\\u041d\\u0430\\u043f\\u0438\\u0448\\u0438\\u0442\\u0435" in await answer.text()
    async with ui.anonymous().get(ui.url("/widget/nope.js")) as answer:
        assert answer.status == 404
    # The demo page embeds it with the one line (same origin: Okno's own address).
    async with ui.anonymous().get(ui.url("/widget/site/demo")) as answer:
        assert answer.status == 200
        assert f'<script src="{ui.url("/widget/site.js")}" async></script>' in await answer.text()


async def test_the_channel_kind_is_listed_with_its_schema(ui: Ui) -> None:
    await ui.add_user("boss", Role.admin)
    admin = await ui.signed_in("boss")
    async with admin.get(ui.url("/api/v1/channels/kinds")) as answer:
        assert answer.status == 200, await answer.text()
        kinds = await answer.json()
    listed = kinds["items"] if isinstance(kinds, dict) else kinds
    widget = next(k for k in listed if k["kind"] == "widget")
    assert "allowed_origins" in widget["options_schema"]["properties"]
