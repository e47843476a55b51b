"""Reading conversations: filters, paging, the client's card, messages, query counts."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from hub.actions import unit_of_work
from hub.models import (
    Contact,
    ContactOrganisation,
    Conversation,
    Deal,
    Organisation,
    Pipeline,
    Stage,
)
from tests.conftest import add_channel

from .conftest import Api


async def ids(api: Api, as_user: str, **params: object) -> list[int]:
    reply = await api.get("/api/v1/conversations", as_user, **params)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


async def test_filters_by_status_assignee_and_channel(api: Api) -> None:
    await add_channel(api.hub, "telegram", "bot")
    queued = await api.inbound(phone="+7 916 000-00-01")
    olgas = await api.inbound(phone="+7 916 000-00-02")
    petrs = await api.inbound(phone="+7 916 000-00-03")
    closed = await api.inbound(phone="+7 916 000-00-04")
    telegram = await api.inbound(phone="+7 916 000-00-05", channel=("telegram", "bot"))
    await api.assign(olgas, "olga")
    await api.assign(petrs, "petr")
    await api.assign(closed, "olga")
    assert (await api.post(f"/api/v1/conversations/{closed}/close", "olga")).status == 200

    # Newest activity first; supervisors see everything open by default.
    assert await ids(api, "sveta") == [telegram, petrs, olgas, queued]
    # Operators: their own plus the shared queue, unless they ask.
    assert await ids(api, "olga") == [telegram, olgas, queued]
    assert await ids(api, "olga", assignee="any") == [telegram, petrs, olgas, queued]
    assert await ids(api, "olga", assignee="me", status="all") == [closed, olgas]
    assert await ids(api, "sveta", assignee="none") == [telegram, queued]
    assert await ids(api, "sveta", assignee=api.users["petr"].id) == [petrs]
    assert await ids(api, "sveta", status="closed") == [closed]
    assert await ids(api, "sveta", channel="telegram") == [telegram]
    assert await ids(api, "sveta", channel="webform", assignee="none") == [queued]


async def test_items_carry_contact_channel_assignee_and_last_message(api: Api) -> None:
    conversation_id = await api.inbound(text="Сколько стоит окно 120x140?")
    await api.assign(conversation_id, "olga")
    reply = await api.get("/api/v1/conversations", "olga")
    [item] = reply.body["items"]
    assert item["id"] == conversation_id
    assert item["contact"]["name"] == "Анна Соколова" and item["contact"]["status"] == "lead"
    assert item["channel"]["kind"] == "webform" and item["channel"]["name"] == "site"
    assert item["assignee"]["login"] == "olga"
    last = item["last_message"]
    assert last == {"id": last["id"], "direction": "in", "text": "Сколько стоит окно 120x140?"}
    assert item["waiting_since"] is not None and item["status"] == "open"


async def test_pages_follow_next_cursor_without_gaps(api: Api) -> None:
    created = [await api.inbound(phone=f"+7 916 000-00-1{i}") for i in range(5)]
    seen: list[int] = []
    params: dict[str, object] = {"limit": 2}
    pages = 0
    while True:
        reply = await api.get("/api/v1/conversations", "sveta", **params)
        pages += 1
        seen += [item["id"] for item in reply.body["items"]]
        if reply.body["next_cursor"] is None:
            break
        params = {"limit": 2, "before_id": reply.body["next_cursor"]}
    assert seen == list(reversed(created))
    assert pages == 3


class StatementLog:
    """SQL run by the request being measured, told apart from the app's background workers.

    SQLAlchemy's async driver runs each statement inside the awaiting task, so statements
    are grouped by task; the request's task is the one that looked up the bearer token.
    """

    def __init__(self, api: Api) -> None:
        self.engine = api.hub.db.engine.sync_engine
        self.by_task: dict[int, list[str]] = defaultdict(list)

    def _record(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.by_task[id(asyncio.current_task())].append(statement)

    async def measure(self, api: Api, path: str, as_user: str) -> tuple[Any, list[str]]:
        self.by_task.clear()
        event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            reply = await api.get(path, as_user)
        finally:
            event.remove(self.engine, "before_cursor_execute", self._record)
        [request] = [s for s in self.by_task.values() if any("FROM api_tokens" in q for q in s)]
        return reply.body, request


async def test_listing_costs_the_same_queries_for_2_or_12_conversations(api: Api) -> None:
    log = StatementLog(api)
    for i in range(2):
        await api.inbound(phone=f"+7 916 100-00-0{i}", text=f"message {i}")
    # A token's first request also stamps its last use (at most once a minute): not counted.
    await log.measure(api, "/api/v1/conversations", "sveta")
    small, small_sql = await log.measure(api, "/api/v1/conversations", "sveta")
    for i in range(10):
        await api.inbound(phone=f"+7 916 200-00-0{i}", name=f"Клиент {i}", text=f"m {i}")
    large, large_sql = await log.measure(api, "/api/v1/conversations", "sveta")

    assert len(small["items"]) == 2 and len(large["items"]) == 12
    assert all(item["last_message"] is not None for item in large["items"])
    assert len(large_sql) == len(small_sql)
    # Beside the token check, one query reads the whole page.
    assert sum("FROM conversations" in q for q in large_sql) == 1


async def test_detail_has_the_full_contact_card(api: Api) -> None:
    conversation_id = await api.inbound(
        email="Anna.Sokolova@Mail.example",
        meta={
            "utm_source": "yandex",
            "utm_campaign": "okna-leto",
            "page_url": "https://okna.example/",
        },
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    # Set-up in a unit of work: it holds SQLite's write lock while it reads, then writes.
    async with unit_of_work(api.hub) as uow:
        session = uow.session
        conversation = await session.get_one(Conversation, conversation_id)
        contact = await session.get_one(Contact, conversation.contact_id)
        contact.responsible_user_id = api.users["petr"].id
        organisation = Organisation(name="ООО Ромашка", inn="7701234567", created_at=now)
        pipeline = Pipeline(name="Продажи")
        session.add_all([organisation, pipeline])
        await session.flush()
        session.add(
            ContactOrganisation(
                contact_id=contact.id, organisation_id=organisation.id, position="Закупщик"
            )
        )
        measuring = Stage(pipeline_id=pipeline.id, name="Замер", position=1, outcome="open")
        won = Stage(pipeline_id=pipeline.id, name="Успешно", position=2, outcome="won")
        session.add_all([measuring, won])
        await session.flush()
        session.add_all(
            [
                Deal(
                    title="Окна в офис",
                    amount=Decimal("185000.00"),
                    pipeline_id=pipeline.id,
                    stage_id=measuring.id,
                    contact_id=contact.id,
                    created_at=now,
                    stage_entered_at=now,
                    last_activity_at=now,
                ),
                Deal(
                    title="Старая сделка",
                    amount=Decimal("1000"),
                    pipeline_id=pipeline.id,
                    stage_id=won.id,
                    contact_id=contact.id,
                    created_at=now,
                    stage_entered_at=now,
                    last_activity_at=now,
                    closed_at=now,
                ),
            ]
        )

    reply = await api.get(f"/api/v1/conversations/{conversation_id}", "olga")
    assert reply.status == 200
    card = reply.body["contact"]
    assert card["name"] == "Анна Соколова" and card["status"] == "lead"
    assert {(i["kind"], i["value"], i["raw"]) for i in card["identities"]} == {
        ("phone", "+79161234567", "8 (916) 123-45-67"),
        ("email", "anna.sokolova@mail.example", "Anna.Sokolova@Mail.example"),
    }
    assert card["responsible"]["login"] == "petr"
    assert card["organisations"] == [
        {
            "id": card["organisations"][0]["id"],
            "name": "ООО Ромашка",
            "inn": "7701234567",
            "position": "Закупщик",
        }
    ]
    [deal] = card["open_deals"]
    assert deal["title"] == "Окна в офис" and deal["stage"]["name"] == "Замер"
    assert deal["pipeline"]["name"] == "Продажи" and Decimal(deal["amount"]) == Decimal("185000")
    [lead] = card["leads"]
    assert lead["source"] == "webform" and lead["status"] == "new"
    assert lead["source_detail"]["utm_source"] == "yandex"
    assert lead["source_detail"]["utm_campaign"] == "okna-leto"
    assert reply.body["id"] == conversation_id and reply.body["channel"]["name"] == "site"


async def test_messages_oldest_first_with_after_id_paging(api: Api) -> None:
    conversation_id = await api.inbound(text="первое")
    path = f"/api/v1/conversations/{conversation_id}/messages"
    for text in ("второе", "третье"):
        assert (await api.post(path, "olga", {"kind": "note", "text": text})).status == 201
    first = await api.get(path, "petr", limit=2)
    assert [m["text"] for m in first.body["items"]] == ["первое", "второе"]
    assert first.body["items"][0]["direction"] == "in"
    assert first.body["items"][1]["author"]["login"] == "olga"
    rest = await api.get(path, "petr", limit=2, after_id=first.body["next_cursor"])
    assert [m["text"] for m in rest.body["items"]] == ["третье"]
    assert rest.body["next_cursor"] is None


async def test_missing_conversation_is_404_with_error_shape(api: Api) -> None:
    for path in ("/api/v1/conversations/999999", "/api/v1/conversations/999999/messages"):
        reply = await api.get(path, "olga")
        assert reply.status == 404
        assert reply.body == {
            "error": {
                "id": "no-such-conversation",
                "message": "There is no such conversation.",
                "details": {"conversation_id": 999999},
            }
        }
    not_an_id = await api.get("/api/v1/conversations/abc", "olga")
    assert not_an_id.status == 404 and "error" in not_an_id.body
