"""The contacts registry: what `q` means, every filter, every sort, and keyset paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.models import ContactStatus

from .conftest import Api
from .crm_setup import add_contact, add_custom_field, add_organisation

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


async def names(api: Api, **params: Any) -> list[str]:
    reply = await api.get("/api/v1/contacts", "olga", **params)
    assert reply.status == 200, reply.body
    return [item["name"] for item in reply.body["items"]]


async def ids(api: Api, **params: Any) -> list[int]:
    reply = await api.get("/api/v1/contacts", "olga", **params)
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


async def test_q_is_a_phone_an_email_an_inn_or_a_name(api: Api) -> None:
    stroy = await add_organisation(api, "ООО «СтройМонтаж»", "7707083893")
    other = await add_organisation(api, "ООО «Рама»", "7814098765")
    petrov = await add_contact(
        api,
        "Иван Петров",
        at=T0,
        phones=["+7 916 555 12 34"],
        emails=["ivan.petrov@stroy.example"],
        organisations=[(stroy, "Директор")],
        source="exhibition",
    )
    await add_contact(api, "Семён Ёлкин", at=T0, phones=["+7 903 111 22 33"])
    await add_contact(api, "Елена Белова", at=T0, organisations=[(stroy, "Закупки")])
    await add_contact(api, "Сергей Волков", at=T0, organisations=[(other, "")])

    assert await names(api, q="8 (916) 555-12-34") == ["Иван Петров"]
    assert await names(api, q="+7 903 111-22-33") == ["Семён Ёлкин"]
    assert await names(api, q="IVAN.PETROV@STROY.EXAMPLE") == ["Иван Петров"]
    assert await names(api, q="7707083893", sort="name") == ["Елена Белова", "Иван Петров"]
    # A name: by its beginning (any case, ё as е) ...
    assert await names(api, q="семен", match="prefix") == ["Семён Ёлкин"]
    assert await names(api, q="СЕМЁ", match="prefix") == ["Семён Ёлкин"]
    assert await names(api, q="е", match="prefix") == ["Елена Белова"]
    assert await names(api, q="ЁЛК", match="prefix") == []
    # ... or anywhere in it, the search the API always had.
    assert await names(api, q="ЁЛК") == ["Семён Ёлкин"]
    assert await names(api, q="ов", sort="name") == ["Елена Белова", "Иван Петров", "Сергей Волков"]

    [row] = (await api.get("/api/v1/contacts", "olga", q="89165551234")).body["items"]
    assert row["id"] == petrov
    assert row["organisations"] == [
        {"id": stroy, "name": "ООО «СтройМонтаж»", "inn": "7707083893", "position": "Директор"}
    ]
    assert row["phones"] == [
        {"value": "+79165551234", "raw": "+7 916 555 12 34", "unparsed": False}
    ]
    assert row["emails"] == ["ivan.petrov@stroy.example"]
    assert (row["status"], row["source"], row["version"]) == ("client", "exhibition", 1)
    assert row["created_at"] == "2026-03-01T10:00:00+00:00"
    assert row["next_contact_at"] is None and row["custom_fields"] == {}


async def seven(api: Api) -> list[int]:
    """Seven contacts a day apart (T0 + i days), with what the filters look at."""
    await add_custom_field(api, "city", "Город", "text")
    await add_custom_field(api, "vip", "VIP", "flag")
    org = await add_organisation(api, "АО «Завод Полимер»", "5029012345")
    day = timedelta(days=1)
    specs: list[dict[str, Any]] = [
        {"name": "Борис", "responsible": "olga", "next_contact_at": T0 + 5 * day,
         "custom_fields": {"city": "Москва", "vip": True}},
        {"name": "алла", "status": ContactStatus.lead},
        {"name": "Вера", "responsible": "olga", "organisations": [(org, "Инженер")],
         "next_contact_at": T0 + day, "custom_fields": {"city": "Казань"}},
        {"name": "Борис", "responsible": "petr", "organisations": [(org, "")]},
        {"name": "Ёжик", "source": "exhibition", "next_contact_at": T0 + day},
        {"name": "Дмитрий", "source": "exhibition", "status": ContactStatus.lead},
        {"name": "Галина", "next_contact_at": T0 + 3 * day, "custom_fields": {"city": "Москва"}},
    ]  # fmt: skip
    return [await add_contact(api, at=T0 + i * day, **spec) for i, spec in enumerate(specs)]


async def test_filters_combine(api: Api) -> None:
    c = await seven(api)
    olga, petr = api.users["olga"].id, api.users["petr"].id
    org = (await api.get("/api/v1/contacts", "olga", q="вера")).body["items"][0]["organisations"]
    org_id = org[0]["id"]

    assert await ids(api, status="lead") == [c[5], c[1]]
    assert await ids(api, status="client") == [c[6], c[4], c[3], c[2], c[0]]
    assert await ids(api, responsible_id=olga) == [c[2], c[0]]
    assert await ids(api, responsible_id=petr) == [c[3]]
    assert await ids(api, organisation_id=org_id) == [c[3], c[2]]
    assert await ids(api, source="exhibition") == [c[5], c[4]]
    # Days are whole UTC days, both ends included; moments are exact (the end excluded).
    assert await ids(api, created_from="2026-03-03", created_to="2026-03-04") == [c[3], c[2]]
    assert await ids(
        api, created_from="2026-03-03T10:00:00Z", created_to="2026-03-04T10:00:00+00:00"
    ) == [c[2]]
    assert await ids(api, **{"cf.city": "Москва"}) == [c[6], c[0]]
    assert await ids(api, **{"cf.vip": "да"}) == [c[0]]
    assert await ids(api, **{"cf.city": "Москва", "responsible_id": olga}) == [c[0]]
    assert await ids(api, status="client", q="бор", sort="name") == [c[0], c[3]]

    unknown = await api.get("/api/v1/contacts", "olga", **{"cf.nope": "1"})
    assert unknown.status == 422
    assert [(d["field"], d["type"]) for d in unknown.body["error"]["details"]] == [
        ("cf.nope", "custom-unknown-field")
    ]
    bad_flag = await api.get("/api/v1/contacts", "olga", **{"cf.vip": "может быть"})
    assert bad_flag.status == 422
    assert bad_flag.body["error"]["details"][0]["field"] == "cf.vip"
    bad_day = await api.get("/api/v1/contacts", "olga", created_from="1 марта")
    assert bad_day.status == 422
    assert bad_day.body["error"]["details"][0]["field"] == "created_from"


async def pages(api: Api, **params: Any) -> list[list[int]]:
    """Every page of the list, following next_cursor."""
    found: list[list[int]] = []
    cursor: str | None = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        reply = await api.get("/api/v1/contacts", "olga", limit=3, **params, **extra)
        assert reply.status == 200, reply.body
        found.append([item["id"] for item in reply.body["items"]])
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return found


async def test_sorts_page_through_three_pages_without_repeats(api: Api) -> None:
    c = await seven(api)
    # Name keys: алла, борис (0), борис (3), вера, галина, дмитрий, ежик — ties by id.
    assert await pages(api, sort="name") == [[c[1], c[0], c[3]], [c[2], c[6], c[5]], [c[4]]]
    assert await pages(api, sort="name", order="desc") == [
        [c[4], c[5], c[6]],
        [c[2], c[3], c[0]],
        [c[1]],
    ]
    assert await pages(api) == [[c[6], c[5], c[4]], [c[3], c[2], c[1]], [c[0]]]
    assert await pages(api, sort="created_at", order="asc") == [
        [c[0], c[1], c[2]],
        [c[3], c[4], c[5]],
        [c[6]],
    ]
    # Next contact soonest first; those without a date come last, by id.
    assert await pages(api, sort="next_contact_at") == [
        [c[2], c[4], c[6]],
        [c[0], c[1], c[3]],
        [c[5]],
    ]
    assert await pages(api, sort="next_contact_at", order="desc") == [
        [c[5], c[3], c[1]],
        [c[0], c[6], c[4]],
        [c[2]],
    ]
    assert await pages(api, sort="updated_at", order="asc") == [
        [c[0], c[1], c[2]],
        [c[3], c[4], c[5]],
        [c[6]],
    ]


async def test_a_contact_added_meanwhile_neither_repeats_nor_shifts_a_page(api: Api) -> None:
    c = await seven(api)
    first = await api.get("/api/v1/contacts", "olga", sort="name", limit=3)
    assert [item["id"] for item in first.body["items"]] == [c[1], c[0], c[3]]
    await add_contact(api, "Аарон", at=T0)  # sorts before everyone: on no later page
    second = await api.get(
        "/api/v1/contacts", "olga", sort="name", limit=3, cursor=first.body["next_cursor"]
    )
    assert [item["id"] for item in second.body["items"]] == [c[2], c[6], c[5]]


async def test_a_forged_cursor_is_bad_input(api: Api) -> None:
    reply = await api.get("/api/v1/contacts", "olga", cursor="bm90IGpzb24")
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["type"] == "bad-cursor"


async def test_the_old_paging_by_id_still_works(api: Api) -> None:
    c = await seven(api)
    assert await ids(api, before_id=c[2]) == [c[1], c[0]]
