"""Contacts: search by phone in any format, e-mail and Cyrillic name; card; history; leads."""

from __future__ import annotations

import pytest

from connectors.base import IdentityClaim
from hub.actions import unit_of_work
from hub.models import Contact, Conversation
from tests.conftest import add_channel

from .conftest import Api


async def found(api: Api, **params: str) -> list[str]:
    reply = await api.get("/api/v1/contacts", "olga", **params)
    assert reply.status == 200, reply.body
    return [item["name"] for item in reply.body["items"]]


@pytest.mark.parametrize(
    "typed", ["8 916 123-45-67", "+7 (916) 123-45-67", "89161234567", "79161234567", "9161234567"]
)
async def test_phone_search_normalises_what_was_typed(api: Api, typed: str) -> None:
    await api.inbound(name="Анна Соколова", phone="+79161234567")
    await api.inbound(name="Борис Ельцов", phone="+7 903 765-43-21")
    assert await found(api, phone=typed) == ["Анна Соколова"]


async def test_search_by_email_and_by_name_in_any_case(api: Api) -> None:
    await api.inbound(name="Анна Соколова", phone="+7 916 123-45-67", email="anna@mail.example")
    await api.inbound(name="Борис Ельцов", phone="+7 903 765-43-21")
    await api.inbound(name="John O'Hara [VIP]*", phone="+7 903 111-22-33")
    assert await found(api, email=" ANNA@Mail.Example ") == ["Анна Соколова"]
    assert await found(api, q="анна") == ["Анна Соколова"]
    assert await found(api, q="СОКОЛ") == ["Анна Соколова"]
    assert await found(api, q="ельц") == ["Борис Ельцов"]
    # Cyrillic "о": the Latin O of O'Hara is another letter.
    assert await found(api, q="О") == ["Борис Ельцов", "Анна Соколова"]
    # Characters special to GLOB or regular expressions are matched literally.
    assert await found(api, q="o'hara [vip]*") == ["John O'Hara [VIP]*"]
    assert await found(api, q="[") == ["John O'Hara [VIP]*"]
    assert await found(api, q=".*") == []
    # Filters combine.
    assert await found(api, q="анна", phone="+7 903 765-43-21") == []


async def test_search_results_carry_identities_and_page(api: Api) -> None:
    for i in range(3):
        await api.inbound(name=f"Клиент {i}", phone=f"+7 916 000-00-0{i}")
    first = await api.get("/api/v1/contacts", "olga", q="клиент", limit=2)
    assert [c["name"] for c in first.body["items"]] == ["Клиент 2", "Клиент 1"]
    assert first.body["items"][0]["identities"] == [
        {
            "kind": "phone",
            "value": "+79160000002",
            "raw": "+7 916 000-00-02",
            "unreachable_at": None,
        }
    ]
    rest = await api.get(
        "/api/v1/contacts", "olga", q="клиент", limit=2, before_id=first.body["next_cursor"]
    )
    assert [c["name"] for c in rest.body["items"]] == ["Клиент 0"]
    assert rest.body["next_cursor"] is None


async def test_invalid_phone_is_a_field_error(api: Api) -> None:
    reply = await api.get("/api/v1/contacts", "olga", phone="12")
    assert reply.status == 422 and reply.body["error"]["id"] == "invalid-input"
    assert reply.body["error"]["details"][0]["field"] == "phone"


async def test_card_and_history_across_two_channels(api: Api) -> None:
    await add_channel(api.hub, "telegram", "bot")
    form = await api.inbound(text="Заявка с сайта")
    telegram = await api.inbound(
        text="Пишу в телеграм",
        channel=("telegram", "bot"),
        extra=(IdentityClaim("telegram", "5550001"),),
    )
    await api.post(
        f"/api/v1/conversations/{telegram}/messages", "olga", {"kind": "reply", "text": "Слушаю"}
    )
    contact_id = (await api.get(f"/api/v1/conversations/{form}", "olga")).body["contact"]["id"]
    assert (await api.get(f"/api/v1/conversations/{telegram}", "olga")).body["contact"][
        "id"
    ] == contact_id

    card = await api.get(f"/api/v1/contacts/{contact_id}", "petr")
    assert card.status == 200
    assert {i["kind"] for i in card.body["identities"]} == {"phone", "telegram"}

    history = await api.get(f"/api/v1/contacts/{contact_id}/history", "petr", limit=2)
    assert [
        (m["text"], m["channel"]["kind"], m["conversation_id"]) for m in history.body["items"]
    ] == [
        ("Слушаю", "telegram", telegram),
        ("Пишу в телеграм", "telegram", telegram),
    ]
    older = await api.get(
        f"/api/v1/contacts/{contact_id}/history", "petr", before_id=history.body["next_cursor"]
    )
    assert [
        (m["text"], m["channel"]["kind"], m["conversation_id"]) for m in older.body["items"]
    ] == [("Заявка с сайта", "webform", form)]


async def test_missing_contact_is_404(api: Api) -> None:
    for path in ("/api/v1/contacts/777", "/api/v1/contacts/777/history"):
        reply = await api.get(path, "olga")
        assert reply.status == 404 and reply.body["error"]["id"] == "no-such-contact"


async def test_merged_contact_is_hidden_and_points_to_the_survivor(api: Api) -> None:
    survivor_conversation = await api.inbound(name="Анна Соколова", phone="+7 916 000-00-01")
    merged_conversation = await api.inbound(name="Анна С.", phone="+7 916 000-00-02")
    # Set-up in a unit of work: it holds SQLite's write lock while it reads, then writes.
    async with unit_of_work(api.hub) as uow:
        session = uow.session
        survivor = (await session.get_one(Conversation, survivor_conversation)).contact_id
        merged = await session.get_one(
            Contact, (await session.get_one(Conversation, merged_conversation)).contact_id
        )
        merged.merged_into_id = survivor
        merged_id = merged.id
    assert await found(api, q="анна") == ["Анна Соколова"]
    for path in (f"/api/v1/contacts/{merged_id}", f"/api/v1/contacts/{merged_id}/history"):
        reply = await api.get(path, "olga")
        assert reply.status == 404 and reply.body["error"]["id"] == "contact-merged"
        assert reply.body["error"]["details"]["merged_into_id"] == survivor


async def test_leads_with_source_and_status_filter(api: Api) -> None:
    await api.inbound(name="Анна", phone="+7 916 000-00-01", meta={"utm_source": "yandex"})
    await api.inbound(
        name="Борис", phone="+7 916 000-00-02", meta={"utm_source": "vk", "utm_medium": "cpc"}
    )
    reply = await api.get("/api/v1/leads", "olga")
    assert [(lead["contact"]["name"], lead["source"]) for lead in reply.body["items"]] == [
        ("Борис", "webform"),
        ("Анна", "webform"),
    ]
    assert reply.body["items"][0]["source_detail"] == {"utm_source": "vk", "utm_medium": "cpc"}
    assert reply.body["items"][0]["status"] == "new" and reply.body["items"][0]["created_at"]
    assert (await api.get("/api/v1/leads", "olga", status="junk")).body["items"] == []
    bad = await api.get("/api/v1/leads", "olga", status="nonsense")
    assert bad.status == 422 and bad.body["error"]["details"][0]["field"] == "status"
