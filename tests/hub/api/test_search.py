"""Search on both backends: a client's conversations by phone in any spelling, e-mail, name
and request number; messages by their words in any form and case, newest first and paged; a
message whose text was edited is found by its new words only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from hub.actions import unit_of_work
from hub.models import Message
from tests.hub.api.conftest import Api


async def _search(api: Api, q: str, **params: Any) -> dict[str, Any]:
    reply = await api.get("/api/v1/search", "olga", q=q, **params)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _conversations(found: dict[str, Any]) -> list[int]:
    return [hit["conversation_id"] for hit in found["conversations"]]


async def test_a_client_is_found_by_phone_in_any_spelling_email_name_and_number(
    api: Api,
) -> None:
    anna = await api.inbound(
        name="Анна Соколова", phone="+7 916 555-12-34", email="anna@example.ru", text="Здравствуйте"
    )
    boris = await api.inbound(name="Борис Ёлкин", phone="+79031234567", text="Добрый день")

    for spelling in ("8 916 555 12 34", "89165551234", "+7 (916) 555-12-34", "555-12-34"):
        found = await _search(api, spelling)
        assert _conversations(found) == [anna], spelling
        assert found["conversations"][0]["matched"] == ["phone"]
    assert _conversations(await _search(api, "ANNA@example.ru")) == [anna]
    assert _conversations(await _search(api, "соколова")) == [anna]
    assert _conversations(await _search(api, "елкин")) == [boris]  # ё typed as е
    by_number = await _search(api, f"№{boris}")
    assert _conversations(by_number) == [boris]
    assert by_number["conversations"][0]["matched"] == ["number"]
    assert by_number["conversations"][0]["contact_name"] == "Борис Ёлкин"
    assert _conversations(await _search(api, "Захар")) == []
    assert (await api.get("/api/v1/search", None, q="Анна")).status == 401
    assert (await api.get("/api/v1/search", "olga", q="")).status == 422


async def test_messages_by_their_words_newest_first_paged(api: Api) -> None:
    first = await api.inbound(name="Анна", phone="+79160000001", text="Нужен ЗАМЕР окон на даче")
    second = await api.inbound(name="Вера", phone="+79160000002", text="Когда приедет замерщик?")
    await api.inbound(name="Глеб", phone="+79160000003", text="Сколько стоит доставка")

    found = await _search(api, "замер")
    assert [hit["conversation_id"] for hit in found["messages"]] == [second, first]
    assert found["messages"][1]["snippet"] == "Нужен ЗАМЕР окон на даче"
    assert found["messages"][0]["contact_name"] == "Вера"
    # Another form of the word finds it (PostgreSQL's Russian stemmer; SQLite's rough stem).
    assert [hit["conversation_id"] for hit in (await _search(api, "замера дачи"))["messages"]] == [
        first
    ]
    both = await _search(api, "окон замер")
    assert [hit["conversation_id"] for hit in both["messages"]] == [first]

    page = await _search(api, "замер", limit=1)
    assert [hit["conversation_id"] for hit in page["messages"]] == [second]
    assert page["next_cursor"] is not None
    rest = await _search(api, "замер", limit=1, cursor=page["next_cursor"])
    assert [hit["conversation_id"] for hit in rest["messages"]] == [first]
    assert rest["next_cursor"] is None and rest["conversations"] == []

    # Quotes and operators are plain words, never query syntax.
    assert len((await _search(api, '"замер*: ('))["messages"]) == 2
    assert (await _search(api, "замер OR доставка"))["messages"] == []  # «or» is a word too
    assert (await _search(api, "доставк"))["messages"][0]["snippet"] == "Сколько стоит доставка"


async def test_an_edited_message_is_found_by_its_new_words(api: Api) -> None:
    conversation = await api.inbound(name="Анна", phone="+79160000009", text="Хочу балкон")
    async with unit_of_work(api.hub) as uow:
        await uow.session.execute(
            update(Message)
            .where(Message.conversation_id == conversation)
            .values(text="Хочу лоджию")
        )
    assert (await _search(api, "балкон"))["messages"] == []
    found = await _search(api, "лоджию")
    assert [hit["conversation_id"] for hit in found["messages"]] == [conversation]
