"""Writing: replies through the outbox, notes, assignment, close and reopen, and who may."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from hub.models import (
    Conversation,
    Direction,
    Message,
    OutboxItem,
    OutboxStatus,
    RoutingDecision,
)

from .conftest import Api


async def outbox_rows(api: Api) -> list[OutboxItem]:
    async with api.hub.db.sessions() as session:
        return list((await session.execute(select(OutboxItem))).scalars())


async def conversation(api: Api, conversation_id: int) -> Conversation:
    async with api.hub.db.sessions() as session:
        return await session.get_one(Conversation, conversation_id)


async def decision_reasons(api: Api, conversation_id: int) -> list[str]:
    async with api.hub.db.sessions() as session:
        rows = await session.execute(
            select(RoutingDecision.reason)
            .where(RoutingDecision.conversation_id == conversation_id)
            .order_by(RoutingDecision.id)
        )
        return list(rows.scalars())


async def test_reply_queues_an_outbox_row_and_takes_the_unassigned_conversation(api: Api) -> None:
    conversation_id = await api.inbound()
    reply = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        "olga",
        {"kind": "reply", "text": "Здравствуйте! Замерщик приедет завтра."},
    )
    assert reply.status == 201
    message = reply.body
    assert message["direction"] == "out" and message["author"]["login"] == "olga"
    assert message["meta"]["delivery"]["status"] == "queued"

    [item] = await outbox_rows(api)
    assert item.message_id == message["id"] and item.conversation_id == conversation_id
    assert item.status is OutboxStatus.queued
    taken = await conversation(api, conversation_id)
    assert taken.assignee_id == api.users["olga"].id
    assert taken.waiting_since is None and taken.first_response_at is not None
    # Out of the queue and held: the sweeper will not move it on.
    assert taken.queued_at is None and taken.offer_expires_at is None
    assert "taken by Ольга Иванова" in await decision_reasons(api, conversation_id)


async def test_note_stays_internal(api: Api) -> None:
    conversation_id = await api.inbound()
    reply = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages", "olga", {"kind": "note", "text": "VIP"}
    )
    assert reply.status == 201 and reply.body["direction"] == "note"
    assert await outbox_rows(api) == []
    after = await conversation(api, conversation_id)
    assert after.assignee_id is None and after.waiting_since is not None


async def test_reply_to_a_closed_conversation_reopens_it(api: Api) -> None:
    conversation_id = await api.inbound()
    await api.assign(conversation_id, "olga")
    closed = await api.post(f"/api/v1/conversations/{conversation_id}/close", "olga")
    assert closed.status == 200 and closed.body["status"] == "closed"
    again = await api.post(f"/api/v1/conversations/{conversation_id}/close", "olga")
    assert again.status == 409 and again.body["error"]["id"] == "already-closed"

    reply = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        "olga",
        {"kind": "reply", "text": "Ещё вопрос?"},
    )
    assert reply.status == 201
    reopened = await conversation(api, conversation_id)
    assert reopened.status.value == "open" and reopened.closed_at is None
    assert len(await outbox_rows(api)) == 1


async def test_close_and_reopen(api: Api) -> None:
    conversation_id = await api.inbound()
    path = f"/api/v1/conversations/{conversation_id}"
    not_closed = await api.post(f"{path}/reopen", "sveta")
    assert not_closed.status == 409 and not_closed.body["error"]["id"] == "already-open"
    assert (await api.post(f"{path}/close", "sveta")).body["closed_at"] is not None
    reopened = await api.post(f"{path}/reopen", "sveta")
    assert reopened.status == 200
    assert reopened.body["status"] == "open" and reopened.body["closed_at"] is None


async def test_operator_reads_but_cannot_write_on_someone_elses_conversation(api: Api) -> None:
    conversation_id = await api.inbound()
    await api.assign(conversation_id, "petr")
    path = f"/api/v1/conversations/{conversation_id}"
    assert (await api.get(path, "olga")).status == 200
    assert (await api.get(f"{path}/messages", "olga")).status == 200
    for action, body in [
        ("messages", {"kind": "reply", "text": "Это я отвечу"}),
        ("messages", {"kind": "note", "text": "заметка"}),
        ("close", None),
        ("assign", {"user_id": api.users["olga"].id}),
        ("assign", {"user_id": None}),
    ]:
        reply = await api.post(f"{path}/{action}", "olga", body)
        assert reply.status == 403, (action, body)
        assert reply.body["error"]["id"] == "not-your-conversation"
    assert await outbox_rows(api) == []
    async with api.hub.db.sessions() as session:
        written = (
            await session.execute(select(Message).where(Message.direction != Direction.inbound))
        ).all()
    assert written == []
    # A supervisor may.
    supervisor = await api.post(f"{path}/messages", "sveta", {"kind": "reply", "text": "Отвечаю"})
    assert supervisor.status == 201
    assert (await conversation(api, conversation_id)).assignee_id == api.users["petr"].id


async def test_assignment_rules(api: Api) -> None:
    conversation_id = await api.inbound()
    path = f"/api/v1/conversations/{conversation_id}/assign"
    olga, petr = api.users["olga"].id, api.users["petr"].id

    to_other = await api.post(path, "olga", {"user_id": petr})
    assert to_other.status == 403 and to_other.body["error"]["id"] == "forbidden"

    taken = await api.post(path, "olga", {"user_id": olga})
    assert taken.status == 200 and taken.body["assignee"]["login"] == "olga"
    released = await api.post(path, "olga", {"user_id": None, "note": "ухожу на обед"})
    assert released.status == 200 and released.body["assignee"] is None
    assert (await conversation(api, conversation_id)).queued_at is not None
    assert "ухожу на обед" in await decision_reasons(api, conversation_id)
    assert (await api.post(path, "olga", {"user_id": olga})).status == 200

    offline = await api.post(path, "sveta", {"user_id": petr})
    assert offline.status == 409 and offline.body["error"]["id"] == "operator-offline"
    await api.set_online("petr")
    handed = await api.post(path, "sveta", {"user_id": petr, "note": "он знает клиента"})
    assert handed.status == 200 and handed.body["assignee"]["login"] == "petr"
    assert any("он знает клиента" in r for r in await decision_reasons(api, conversation_id))
    notes = await api.get(f"/api/v1/conversations/{conversation_id}/messages", "petr")
    assert notes.body["items"][-1]["direction"] == "note"
    assert notes.body["items"][-1]["text"] == "он знает клиента"

    unknown = await api.post(path, "sveta", {"user_id": 987654})
    assert unknown.status == 422
    assert [d["field"] for d in unknown.body["error"]["details"]] == ["user_id"]


async def test_answering_or_taking_accepts_a_pending_offer(api: Api) -> None:
    first = await api.inbound(phone="+7 916 000-00-01")
    second = await api.inbound(phone="+7 916 000-00-02")
    for conversation_id in (first, second):
        await api.assign(conversation_id, "olga", accept_timeout_s=45)
        assert (await conversation(api, conversation_id)).offer_expires_at is not None
    answer = {"kind": "reply", "text": "Добрый день"}
    assert (await api.post(f"/api/v1/conversations/{first}/messages", "olga", answer)).status == 201
    taking = await api.post(f"/api/v1/conversations/{second}/assign", "olga", {"user_id": None})
    assert taking.status == 200 and taking.body["assignee"] is None  # giving back works too
    await api.assign(second, "olga", accept_timeout_s=45)
    took = await api.post(
        f"/api/v1/conversations/{second}/assign", "olga", {"user_id": api.users["olga"].id}
    )
    assert took.status == 200
    for conversation_id in (first, second):
        held = await conversation(api, conversation_id)
        assert held.assignee_id == api.users["olga"].id and held.offer_expires_at is None


async def test_reopening_a_conversation_nobody_holds_puts_it_in_the_queue(api: Api) -> None:
    conversation_id = await api.inbound()
    assert (await api.post(f"/api/v1/conversations/{conversation_id}/close", "sveta")).status == 200
    closed = await conversation(api, conversation_id)
    assert closed.queued_at is None and closed.assignee_id is None
    assert (
        await api.post(f"/api/v1/conversations/{conversation_id}/reopen", "sveta")
    ).status == 200
    # Nobody is online, so the routing engine queues it.
    assert (await conversation(api, conversation_id)).queued_at is not None


async def test_missing_conversation_on_write_is_404(api: Api) -> None:
    reply = await api.post(
        "/api/v1/conversations/424242/messages", "sveta", {"kind": "note", "text": "x"}
    )
    assert reply.status == 404 and reply.body["error"]["id"] == "no-such-conversation"


async def test_two_operators_replying_to_the_queue_at_once_one_takes_it(api: Api) -> None:
    conversation_id = await api.inbound()
    path = f"/api/v1/conversations/{conversation_id}/messages"
    first, second = await asyncio.gather(
        api.post(path, "olga", {"kind": "reply", "text": "Я отвечу"}),
        api.post(path, "petr", {"kind": "reply", "text": "Нет, я"}),
    )
    assert sorted([first.status, second.status]) == [201, 403]
    winner = "olga" if first.status == 201 else "petr"
    assert (await conversation(api, conversation_id)).assignee_id == api.users[winner].id
    assert len(await outbox_rows(api)) == 1
