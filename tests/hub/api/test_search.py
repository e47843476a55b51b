"""Search on both backends: a client's conversations by phone in any spelling, e-mail, name
and request number; messages by their words in any form and case, newest first and paged; a
message whose text was edited is found by its new words only, and one erased with its
client's personal data by none (PostgreSQL: the stored search vector follows the text)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update

from hub.actions import messages, unit_of_work
from hub.models import Conversation, Message, Role
from hub.queries import search
from tests.conftest import Backend
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


async def _stored_vector(api: Api, conversation: int) -> str:
    """PostgreSQL's stored search vector of the conversation's message, as text."""
    async with unit_of_work(api.hub) as uow:
        vector = await uow.session.scalar(
            text("SELECT search_vector::text FROM messages WHERE conversation_id = :id"),
            {"id": conversation},
        )
    return str(vector)


async def test_a_message_edited_by_its_channel_or_erased_is_searched_by_what_it_now_says(
    api: Api, backend: Backend
) -> None:
    await api.add_user("root", Role.admin)
    anna = await api.inbound(name="Анна Соколова", phone="+79160000011", text="Хочу балкон")
    boris = await api.inbound(name="Борис", phone="+79160000012", text="Балкон течёт")
    async with unit_of_work(api.hub) as uow:
        message = await uow.session.scalar(select(Message).where(Message.conversation_id == anna))
        assert message is not None
        await messages.apply_edit(uow, message, "Хочу лоджию утеплить", None)

    assert [hit["conversation_id"] for hit in (await _search(api, "балкон"))["messages"]] == [boris]
    assert [hit["conversation_id"] for hit in (await _search(api, "лоджия"))["messages"]] == [anna]
    if backend.name == "postgres":
        assert await _stored_vector(api, anna) == "'лодж':2 'утепл':3 'хоч':1"

    async with unit_of_work(api.hub) as uow:
        contact = await uow.session.scalar(
            select(Conversation.contact_id).where(Conversation.id == anna)
        )
    erased = await api.post(
        f"/api/v1/contacts/{contact}/erase", "root", {"confirm_name": "Анна Соколова"}
    )
    assert erased.status == 200, erased.body
    assert (await _search(api, "лоджию"))["messages"] == []
    assert (await _search(api, "хочу"))["messages"] == []
    assert [hit["conversation_id"] for hit in (await _search(api, "балкон"))["messages"]] == [boris]
    if backend.name == "postgres":
        assert await _stored_vector(api, anna) == ""


async def test_a_whole_address_or_number_finds_its_owner_and_a_part_finds_every_holder(
    api: Api,
) -> None:
    anna = await api.inbound(name="Анна", phone="+79165550101", email="anna@example.ru")
    joanna = await api.inbound(name="Жанна", phone="+79265550101", email="joanna@example.ru")

    assert _conversations(await _search(api, "anna@example.ru")) == [anna]
    assert _conversations(await _search(api, "8 916 555-01-01")) == [anna]
    # Nobody has the whole address or number: a part of one is looked for.
    assert _conversations(await _search(api, "nna@example.ru ")) == [joanna, anna]
    assert _conversations(await _search(api, "555-01-01")) == [joanna, anna]
    assert _conversations(await _search(api, "boris@example.ru")) == []


async def test_namesakes_come_newest_conversation_first_and_a_part_of_a_name_still_finds(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await api.inbound(name="Иванова Анна Сергеевна", phone="+79160000021")
    second = await api.inbound(name="ИВАНОВА анна  Сергеевна", phone="+79160000022")
    third = await api.inbound(name="Иванова Анна Сергеевна", phone="+79160000023")
    longer = await api.inbound(name="Иванова Анна Сергеевна-Ким", phone="+79160000024")
    fedorova = await api.inbound(name="Фёдорова Анна", phone="+79160000025")
    # The first client sends another request (a conversation of its own): the newest of all.
    again = await api.inbound(name="Иванова Анна Сергеевна", phone="+79160000021")

    whole = await _search(api, "иванова анна сергеевна")
    assert _conversations(whole) == [again, longer, third, second, first]
    assert [hit["matched"] for hit in whole["conversations"]] == [["name"]] * 5
    assert _conversations(await _search(api, "Иванова Анна Сергеевна-Ким")) == [longer]
    assert _conversations(await _search(api, "ФЕДОРОВА АННА")) == [fedorova]  # ё typed as е
    # Nobody's whole name: a part of one finds every client whose name holds it.
    partial = [again, longer, third, second, first]
    assert _conversations(await _search(api, "ванова анна серг")) == partial
    assert _conversations(await _search(api, "анна")) == [again, fedorova, *partial[1:]]
    assert _conversations(await _search(api, "иванова анна сергеевнаа")) == []

    # As many namesakes as a partial search would return: the part is not looked for, and of
    # more namesakes than the bound the newest clients are taken.
    monkeypatch.setattr(search, "CONTACT_HITS", 2)
    monkeypatch.setattr(search, "NAMESAKES", 2)
    assert _conversations(await _search(api, "иванова анна сергеевна")) == [third, second]
    monkeypatch.setattr(search, "NAMESAKES", 3)
    assert _conversations(await _search(api, "иванова анна сергеевна")) == [
        again,
        third,
        second,
        first,
    ]


async def test_a_name_in_messages_is_found_with_its_last_word_as_a_prefix_paged(
    api: Api,
) -> None:
    older = await api.inbound(
        name="Ольга", phone="+79160000031", text="Звонила Иванова Анна Сергеевна насчёт окон"
    )
    middle = await api.inbound(
        name="Пётр", phone="+79160000032", text="Анна Сергеевна Иванова просила замер"
    )
    # Newest: the whole words without the prefix's: not a match, nor where the search starts.
    await api.inbound(name="Глеб", phone="+79160000033", text="Иванова Анна просила перезвонить")

    page = await _search(api, "Иванова Анна Серг", limit=1)
    assert [hit["conversation_id"] for hit in page["messages"]] == [middle]
    assert page["next_cursor"] is not None
    rest = await _search(api, "Иванова Анна Серг", limit=1, cursor=page["next_cursor"])
    assert [hit["conversation_id"] for hit in rest["messages"]] == [older]
    assert rest["next_cursor"] is None
    assert (await _search(api, "Иванова Анна Петр"))["messages"] == []
    assert (await _search(api, "Сидорова Анна Серг"))["messages"] == []
