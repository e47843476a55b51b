"""Creating and editing contacts: normalised phones (unparsed ones kept), duplicates as
warnings, per-field errors with nothing written, the version check, and who hears of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from hub.actions import unit_of_work
from hub.auth import SESSION_COOKIE
from hub.models import Contact, ContactStatus, Role, User, VisibilityScope

from .conftest import Api
from .crm_setup import add_contact, add_custom_field, add_organisation, set_scope


async def contact_count(api: Api) -> int:
    async with api.hub.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Contact))).scalar_one())


async def test_create_normalises_and_keeps_what_it_cannot_parse(api: Api) -> None:
    await add_custom_field(api, "city", "Город", "text")
    org = await add_organisation(api, "ООО «СтройМонтаж»", "7707083893")
    reply = await api.post(
        "/api/v1/contacts",
        "olga",
        {
            "name": "  Анна Соколова ",
            "phones": ["8 (916) 555-12-34", "доб. 123 у секретаря", ""],
            "emails": ["Anna@Mail.Example"],
            "organisations": [{"id": org, "position": "Бухгалтер"}],
            "source": "exhibition",
            "next_contact_at": "2026-12-10T09:00:00+03:00",
            "custom_fields": {"city": "Москва"},
        },
    )
    assert reply.status == 201, reply.body
    card = reply.body
    olga = api.users["olga"]
    assert card["name"] == "Анна Соколова" and card["status"] == "client"
    assert card["responsible"] == {
        "id": olga.id,
        "login": "olga",
        "name": olga.name,
        "role": "operator",
    }
    assert card["phones"] == [
        {"value": "+79165551234", "raw": "8 (916) 555-12-34", "unparsed": False},
        {"value": "доб. 123 у секретаря", "raw": "доб. 123 у секретаря", "unparsed": True},
    ]
    assert card["emails"] == ["anna@mail.example"]
    assert card["organisations"] == [
        {"id": org, "name": "ООО «СтройМонтаж»", "inn": "7707083893", "position": "Бухгалтер"}
    ]
    assert card["source"] == "exhibition"
    assert card["next_contact_at"] == "2026-12-10T06:00:00+00:00"
    assert card["custom_fields"] == {"city": "Москва"}
    assert (card["version"], card["warnings"]) == (1, [])
    # The card read later says the same, the unparsed phone included.
    again = await api.get(f"/api/v1/contacts/{card['id']}", "olga")
    assert again.body["phones"] == card["phones"]
    assert again.body["custom_fields"] == {"city": "Москва"}

    # Fixing the unparsed phone: the list is sent again with the right number in its place.
    fixed = await api.call(
        "PATCH",
        f"/api/v1/contacts/{card['id']}",
        "olga",
        json={"version": 1, "phones": ["+7 916 555-12-34", "+7 (495) 123-45-67"]},
    )
    assert fixed.status == 200, fixed.body
    assert [(p["value"], p["unparsed"]) for p in fixed.body["phones"]] == [
        ("+79165551234", False),
        ("+74951234567", False),
    ]
    assert fixed.body["version"] == 2
    # Untouched fields stay.
    assert fixed.body["emails"] == ["anna@mail.example"]
    assert fixed.body["custom_fields"] == {"city": "Москва"}


async def test_a_phone_or_email_of_another_contact_is_a_warning_and_not_attached(
    api: Api,
) -> None:
    anna = await add_contact(
        api, "Анна Соколова", phones=["+7 916 555-12-34"], emails=["anna@mail.example"]
    )
    # Someone nobody in the view may see holds another number.
    await set_scope(api, Role.operator, VisibilityScope.own)
    await add_contact(api, "Чужой клиент", phones=["+7 903 000-00-09"], responsible="petr")
    reply = await api.post(
        "/api/v1/contacts",
        "olga",
        {
            "name": "Анна С.",
            "phones": ["8 916 555 12 34", "+7 903 000-00-01", "+7 903 000-00-09"],
            "emails": ["ANNA@mail.example", "a.s@mail.example"],
        },
    )
    assert reply.status == 201, reply.body
    assert reply.body["warnings"] == [
        {
            "field": "phones.0",
            "type": "duplicate-phone",
            "value": "+79165551234",
            "contact": {"id": anna, "name": "Анна Соколова"},
        },
        # Olga may not see whose it is: she is not told.
        {"field": "phones.2", "type": "duplicate-phone", "value": "+79030000009", "contact": None},
        {
            "field": "emails.0",
            "type": "duplicate-email",
            "value": "anna@mail.example",
            "contact": {"id": anna, "name": "Анна Соколова"},
        },
    ]
    assert [p["value"] for p in reply.body["phones"]] == ["+79030000001"]
    assert reply.body["emails"] == ["a.s@mail.example"]
    kept = await api.get(f"/api/v1/contacts/{anna}", "olga")
    assert [p["value"] for p in kept.body["phones"]] == ["+79165551234"]


async def test_bad_fields_are_reported_together_and_nothing_is_written(api: Api) -> None:
    await add_custom_field(api, "rooms", "Комнат", "number")
    before = await contact_count(api)
    reply = await api.post(
        "/api/v1/contacts",
        "olga",
        {
            "name": " ",
            "phones": ["+7 916 555-12-34"],
            "emails": ["ok@mail.example", "not an e-mail"],
            "organisations": [{"id": 999}],
            "responsible_id": 999,
            "custom_fields": {"rooms": "много"},
        },
    )
    assert reply.status == 422, reply.body
    assert sorted((d["field"], d["type"]) for d in reply.body["error"]["details"]) == [
        ("custom_fields.rooms", "custom-not-a-number"),
        ("emails.1", "invalid-email"),
        ("name", "missing"),
        ("organisations.0.id", "no-such-organisation"),
        ("responsible_id", "no-such-user"),
    ]
    assert await contact_count(api) == before
    found = await api.get("/api/v1/contacts", "olga", phone="+7 916 555-12-34")
    assert found.body["items"] == []

    contact = await add_contact(api, "Анна", phones=["+7 903 000-00-01"], responsible="olga")
    edit = await api.call(
        "PATCH",
        f"/api/v1/contacts/{contact}",
        "olga",
        json={"version": 1, "name": "Анна Б.", "emails": ["плохой"], "phones": []},
    )
    assert edit.status == 422
    assert [d["field"] for d in edit.body["error"]["details"]] == ["emails.0"]
    card = (await api.get(f"/api/v1/contacts/{contact}", "olga")).body
    assert (card["name"], card["version"], len(card["phones"])) == ("Анна", 1, 1)


async def test_a_stale_version_is_a_conflict_and_changes_nothing(api: Api) -> None:
    contact = await add_contact(api, "Анна", responsible="olga", source="site")
    path = f"/api/v1/contacts/{contact}"
    first = await api.call("PATCH", path, "olga", json={"version": 1, "name": "Анна Соколова"})
    assert first.status == 200 and first.body["version"] == 2
    # The same manager in another tab, still on version 1.
    late = await api.call("PATCH", path, "olga", json={"version": 1, "name": "Анна Петрова"})
    assert late.status == 409
    error = late.body["error"]
    assert error["id"] == "stale-version"
    assert error["details"]["current_version"] == 2
    assert error["details"]["current"]["name"] == "Анна Соколова"
    assert error["details"]["current"]["version"] == 2
    card = (await api.get(path, "olga")).body
    assert (card["name"], card["version"], card["source"]) == ("Анна Соколова", 2, "site")


async def test_the_responsible_manager_must_be_an_active_user(api: Api) -> None:
    contact = await add_contact(api, "Анна", responsible="olga")
    gone = await api.add_user("gone", Role.operator)
    async with unit_of_work(api.hub) as uow:
        (await uow.session.get_one(User, gone.id)).is_active = False
    reply = await api.call(
        "PATCH",
        f"/api/v1/contacts/{contact}",
        "olga",
        json={"version": 1, "responsible_id": gone.id},
    )
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "responsible_id"
    handed = await api.call(
        "PATCH",
        f"/api/v1/contacts/{contact}",
        "olga",
        json={"version": 1, "responsible_id": api.users["petr"].id, "next_contact_at": None},
    )
    assert handed.status == 200
    assert handed.body["responsible"]["login"] == "petr"


# Who hears of a change: the websocket of each user.


@pytest.fixture
async def sockets(api: Api) -> AsyncIterator[Callable[[str], Any]]:
    opened: list[aiohttp.ClientSession] = []

    async def open_socket(login: str) -> aiohttp.ClientWebSocketResponse:
        token, _csrf = await api.session_cookie(login)
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(session)
        session.cookie_jar.update_cookies({SESSION_COOKIE: token}, api.client.make_url("/"))
        ws = await session.ws_connect(api.client.make_url("/ws"))
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello"
        return ws

    yield open_socket
    for session in opened:
        await session.close()


async def changes_until(
    ws: aiohttp.ClientWebSocketResponse, contact_id: int
) -> list[dict[str, Any]]:
    """The contact.changed payloads received up to the one about `contact_id`."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while not seen or seen[-1]["contact_id"] != contact_id:
            frame = await ws.receive_json()
            if frame.get("type") == "event" and frame["kind"] == "contact.changed":
                seen.append(frame["payload"])
    return seen


async def test_contact_changed_reaches_only_those_who_may_see_the_contact(
    api: Api, sockets: Callable[[str], Any]
) -> None:
    await set_scope(api, Role.operator, VisibilityScope.own)
    mine = await add_contact(api, "Клиент Ольги", responsible="olga")
    nobodys = await add_contact(api, "Ничей клиент")
    olga, petr, sveta = [await sockets(login) for login in ("olga", "petr", "sveta")]

    edited = await api.call("PATCH", f"/api/v1/contacts/{mine}", "olga", json={"version": 1})
    assert edited.status == 200
    # Anyone may see a contact nobody is responsible for: its change reaches everyone.
    other = await api.call("PATCH", f"/api/v1/contacts/{nobodys}", "sveta", json={"version": 1})
    assert other.status == 200

    expected_mine = {"contact_id": mine, "version": 2, "change": "updated"}
    expected_nobodys = {"contact_id": nobodys, "version": 2, "change": "updated"}
    assert await changes_until(olga, nobodys) == [expected_mine, expected_nobodys]
    assert await changes_until(sveta, nobodys) == [expected_mine, expected_nobodys]
    # Petr (operator, own scope) heard of the second only: events arrive in order.
    assert await changes_until(petr, nobodys) == [expected_nobodys]


async def test_converting_a_lead_is_a_new_version_heard_by_open_cards(
    api: Api, sockets: Callable[[str], Any]
) -> None:
    lead = await add_contact(api, "Лид Ольги", responsible="olga", status=ContactStatus.lead)
    sveta = await sockets("sveta")
    converted = await api.post(f"/api/v1/contacts/{lead}/convert", "olga", {})
    assert converted.status == 200
    assert (converted.body["status"], converted.body["version"]) == ("client", 2)
    assert await changes_until(sveta, lead) == [
        {"contact_id": lead, "version": 2, "change": "converted"}
    ]
    # An edit started before the conversion is refused, never a silent overwrite of the status.
    stale = await api.call(
        "PATCH", f"/api/v1/contacts/{lead}", "olga", json={"version": 1, "status": "lead"}
    )
    assert stale.status == 409 and stale.body["error"]["details"]["current_version"] == 2


async def test_organisations_are_replaced_and_must_be_in_view(api: Api) -> None:
    await set_scope(api, Role.operator, VisibilityScope.own)
    petrs = await add_organisation(api, "ООО «Петра»", responsible="petr")
    petrs_other = await add_organisation(api, "ООО «Ещё Петра»", responsible="petr")
    mine = await add_organisation(api, "ООО «Ольги»", responsible="olga")
    contact = await add_contact(api, "Анна", responsible="olga", organisations=[(petrs, "")])
    path = f"/api/v1/contacts/{contact}"
    hidden = await api.call(
        "PATCH", path, "olga", json={"version": 1, "organisations": [{"id": petrs_other}]}
    )
    assert hidden.status == 422
    assert hidden.body["error"]["details"][0]["field"] == "organisations.0.id"
    # One she cannot see but the contact already works for is sent back as the card shows it.
    both = await api.call(
        "PATCH",
        path,
        "olga",
        json={
            "version": 1,
            "organisations": [{"id": petrs, "position": "Юрист"}, {"id": mine}],
        },
    )
    assert both.status == 200, both.body
    assert [(o["id"], o["position"]) for o in both.body["organisations"]] == [
        (mine, ""),
        (petrs, "Юрист"),
    ]
    dropped = await api.call("PATCH", path, "olga", json={"version": 2, "organisations": []})
    assert dropped.body["organisations"] == []
