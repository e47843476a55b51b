"""Organisations over HTTP on both backends: the registry, the card, creating and editing,
who sees and edits what, version conflicts, per-field errors and the change events."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from sqlalchemy import select

from hub.actions import crm, deals, pipelines, unit_of_work
from hub.actions.teams import create_team
from hub.events import Envelope
from hub.models import CrmVisibility, Organisation, Role, User
from hub.policy import SystemActor

from .conftest import Api

ORGS = "/api/v1/organisations"
FIELDS = "/api/v1/custom-fields"
# Real requisites: Сбербанк (ИНН 7707083893, КПП 773601001, ОГРН 1027700132195) and a person's
# 12-digit INN with its ОГРНИП (see tests/hub/test_requisites.py for the arithmetic).
SBER = {"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195"}
IP_INN, IP_OGRNIP = "500100732259", "304500116000157"


@pytest.fixture
async def crm_api(api: Api) -> Api:
    """olga and petr (operators) and sveta (supervisor) in «Продажи»; anna (operator) and
    vera (supervisor) in «Сервис»; boss, an admin in no team."""
    await api.add_user("anna", Role.operator, "Анна Белова")
    await api.add_user("vera", Role.supervisor, "Вера Жукова")
    await api.add_user("boss", Role.admin, "Борис Главный")
    ids = {login: user.id for login, user in api.users.items()}
    actor = SystemActor("test")
    await create_team(
        api.hub, actor, "Продажи", member_ids=[ids["olga"], ids["petr"], ids["sveta"]]
    )
    await create_team(api.hub, actor, "Сервис", member_ids=[ids["anna"], ids["vera"]])
    return api


def uid(api: Api, login: str) -> int:
    return api.users[login].id


async def create(api: Api, as_user: str = "boss", **body: Any) -> dict[str, Any]:
    reply = await api.post(ORGS, as_user, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


async def patch(api: Api, org_id: int, as_user: str, **body: Any) -> Any:
    return await api.call("PATCH", f"{ORGS}/{org_id}", as_user, json=body)


async def set_scope(api: Api, role: Role, scope: str) -> None:
    async with unit_of_work(api.hub) as uow:
        uow.session.add(CrmVisibility(role=role.value, scope=scope))


async def stored(api: Api, org_id: int) -> Organisation:
    async with api.hub.db.sessions() as session:
        return await session.get_one(Organisation, org_id)


def names(reply: Any) -> list[str]:
    return [item["name"] for item in reply.body["items"]]


def problems(reply: Any) -> list[tuple[str, str]]:
    assert reply.status == 422, reply.body
    return [(d["field"], d["type"]) for d in reply.body["error"]["details"]]


async def test_create_cleans_everything_and_the_card_has_it_all(crm_api: Api) -> None:
    api = crm_api
    created = await create(
        api,
        "olga",
        name="  ПАО  Сбербанк ",
        inn=" 7707 083 893 ",
        kpp="773601001",
        ogrn="1027700132195",
        legal_address="117997, г. Москва, ул. Вавилова, д. 19",
        phones=["8 (495) 500-55-50", "+7 495 500-55-50", "8 800 555 55 50"],
        emails=["SberBank@Sberbank.RU"],
        site="sberbank.ru",
    )
    assert created == {
        "id": created["id"],
        "name": "ПАО Сбербанк",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
        "actual_address": "",
        "phones": ["+74955005550", "+78005555550"],
        "emails": ["sberbank@sberbank.ru"],
        "site": "sberbank.ru",
        # Nobody named: whoever creates it is responsible.
        "responsible": {"id": uid(api, "olga"), "name": "Ольга Иванова"},
        "custom_fields": {},
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
        "version": 1,
        "contacts": [],
        "deals": [],
        "warnings": [],
    }
    card = await api.get(f"{ORGS}/{created['id']}", "olga")
    assert card.status == 200 and card.body == created

    # The same INN again: saved, with a warning naming the first one.
    branch = await create(api, "olga", name="Сбербанк, филиал", inn="7707083893")
    assert branch["warnings"] == [
        {
            "field": "inn",
            "type": "duplicate-inn",
            "organisation": {"id": created["id"], "name": "ПАО Сбербанк"},
        }
    ]
    nobody = await create(api, "boss", name="Ничья", responsible_id=None)
    assert nobody["responsible"] is None


async def test_bad_input_is_refused_per_field_and_nothing_is_written(crm_api: Api) -> None:
    api = crm_api
    async with unit_of_work(api.hub) as uow:
        gone = await uow.session.get_one(User, uid(api, "anna"))
        gone.is_active = False
    field = await api.post(
        FIELDS, "boss", {"entity": "organisation", "label": "Сотрудников", "kind": "number"}
    )
    assert field.status == 201
    refused = await api.post(
        ORGS,
        "boss",
        {
            "name": "Плохая",
            "inn": "7707083894",
            "kpp": "77360100",
            "ogrn": "1027700132196",
            "phones": ["+7 495 500-55-50", "12"],
            "emails": ["ok@example.ru", "not-an-email"],
            "responsible_id": uid(api, "anna"),
            "custom_fields": {"sotrudnikov": "много", "nope": 1},
        },
    )
    assert sorted(problems(refused)) == sorted(
        [
            ("inn", "inn-bad-checksum"),
            ("kpp", "kpp-bad-length"),
            ("ogrn", "ogrn-bad-checksum"),
            ("phones.1", "invalid-phone"),
            ("emails.1", "invalid-email"),
            ("responsible_id", "no-such-user"),
            ("custom_fields.sotrudnikov", "custom-not-a-number"),
            ("custom_fields.nope", "custom-unknown-field"),
        ]
    )
    assert problems(await api.post(ORGS, "boss", {"name": "X", "inn": "123"})) == [
        ("inn", "inn-bad-length")
    ]
    assert names(await api.get(ORGS, "boss")) == []

    org = await create(api, name="Хорошая", **SBER, phones=["+7 495 500-55-50"])
    before = await stored(api, org["id"])
    for body, expected in [
        ({"inn": "7707083892"}, [("inn", "inn-bad-checksum")]),
        ({"name": "Новое имя", "ogrn": "12345"}, [("ogrn", "ogrn-bad-length")]),
        (
            {"name": "Новое имя", "custom_fields": {"sotrudnikov": "сто"}},
            [("custom_fields.sotrudnikov", "custom-not-a-number")],
        ),
        ({"phones": ["+7 495 500-55-51", "abc"]}, [("phones.1", "invalid-phone")]),
        ({"name": "   "}, [("name", "name-blank")]),
    ]:
        reply = await patch(api, org["id"], "boss", version=1, **body)
        assert problems(reply) == expected
    after = await stored(api, org["id"])
    # The refused edits left the row exactly as it was.
    assert (after.name, after.inn, after.ogrn, after.phones, after.custom_fields) == (
        before.name,
        before.inn,
        before.ogrn,
        before.phones,
        before.custom_fields,
    )
    assert after.version == 1 and after.updated_at == before.updated_at


async def test_stale_version_is_a_conflict_with_the_current_card(crm_api: Api) -> None:
    api = crm_api
    org = await create(api, "olga", name="Завод", inn=IP_INN, ogrn=IP_OGRNIP)
    first = await patch(api, org["id"], "olga", version=1, actual_address="г. Тула")
    assert first.status == 200
    assert first.body["version"] == 2 and first.body["actual_address"] == "г. Тула"
    # A second editor still holding version 1 is told, with what is there now.
    late = await patch(api, org["id"], "olga", version=1, actual_address="г. Орёл")
    assert late.status == 409
    error = late.body["error"]
    assert error["id"] == "stale-version"
    assert error["details"]["current_version"] == 2
    assert error["details"]["current"]["actual_address"] == "г. Тула"
    assert error["details"]["current"]["version"] == 2
    assert (await stored(api, org["id"])).actual_address == "г. Тула"
    again = await patch(api, org["id"], "olga", version=2, actual_address="г. Орёл", inn=None)
    assert again.status == 200
    assert (again.body["version"], again.body["actual_address"], again.body["inn"]) == (
        3,
        "г. Орёл",
        None,
    )


async def test_two_simultaneous_edits_of_one_version_one_wins(crm_api: Api) -> None:
    api = crm_api
    org = await create(api, name="Гонка")
    replies = await asyncio.gather(
        patch(api, org["id"], "boss", version=1, site="first.ru"),
        patch(api, org["id"], "boss", version=1, site="second.ru"),
    )
    assert sorted(r.status for r in replies) == [200, 409]
    winner = next(r for r in replies if r.status == 200)
    row = await stored(api, org["id"])
    assert (row.version, row.site) == (2, winner.body["site"])


# Operator olga's view of her own, her team mate petr's and Сервис anna's organisations.
# (visible in the list, GET status, PATCH status), by the operators' scope.
ACCESS = {
    "own": {"own": (True, 200, 200), "mate": (False, 404, 404), "other": (False, 404, 404)},
    "team": {"own": (True, 200, 200), "mate": (True, 200, 403), "other": (False, 404, 404)},
    "all": {"own": (True, 200, 200), "mate": (True, 200, 403), "other": (True, 200, 403)},
}


@pytest.mark.parametrize("scope", ["own", "team", "all"])
async def test_operator_access_matrix(crm_api: Api, scope: str) -> None:
    api = crm_api
    await set_scope(api, Role.operator, scope)
    orgs = {
        "own": await create(api, name="Своя", responsible_id=uid(api, "olga")),
        "mate": await create(api, name="Коллеги", responsible_id=uid(api, "petr")),
        "other": await create(api, name="Чужая", responsible_id=uid(api, "anna")),
    }
    listed = set(names(await api.get(ORGS, "olga")))
    for which, (in_list, get_status, patch_status) in ACCESS[scope].items():
        org = orgs[which]
        assert (org["name"] in listed) is in_list, which
        assert (await api.get(f"{ORGS}/{org['id']}", "olga")).status == get_status, which
        reply = await patch(api, org["id"], "olga", version=1, site="example.ru")
        assert reply.status == patch_status, which
        if patch_status == 404:
            # Not revealed: the same answer as for an organisation that does not exist.
            assert reply.body["error"]["id"] == "no-such-organisation"
    assert (await stored(api, orgs["mate"]["id"])).site == ""
    assert (await stored(api, orgs["other"]["id"])).site == ""


async def test_supervisors_edit_their_teams_records_admins_everything(crm_api: Api) -> None:
    api = crm_api
    mate = await create(api, name="Коллеги", responsible_id=uid(api, "petr"))
    other = await create(api, name="Чужая", responsible_id=uid(api, "anna"))
    assert (await patch(api, mate["id"], "sveta", version=1, site="a.ru")).status == 200
    refused = await patch(api, other["id"], "sveta", version=1, site="a.ru")
    assert refused.status == 403 and refused.body["error"]["id"] == "not-responsible"
    assert (await patch(api, other["id"], "vera", version=1, site="b.ru")).status == 200
    # Whoever may edit a record hands it to any active colleague, as for contacts and deals:
    # a supervisor passes his team's organisation to someone outside his teams...
    handed = await patch(api, mate["id"], "sveta", version=2, responsible_id=uid(api, "anna"))
    assert handed.status == 200 and handed.body["responsible"]["id"] == uid(api, "anna")
    # ...and having done so, may no longer edit it.
    gone = await patch(api, mate["id"], "sveta", version=3, site="c.ru")
    assert gone.status == 403 and gone.body["error"]["id"] == "not-responsible"
    # An operator creates a record for a colleague: it is the colleague's.
    foreign = await api.post(ORGS, "olga", {"name": "Для Пети", "responsible_id": uid(api, "petr")})
    assert foreign.status == 201 and foreign.body["responsible"]["id"] == uid(api, "petr")
    # Nobody may name an inactive or missing user.
    ghost = await api.post(ORGS, "olga", {"name": "Призрак", "responsible_id": 999_999})
    assert ghost.status == 422
    for org, version in ((mate, 3), (other, 2)):
        reply = await patch(api, org["id"], "boss", version=version, site="boss.ru")
        assert reply.status == 200 and reply.body["version"] == version + 1


async def test_registry_search_filters_sorts_and_pages(crm_api: Api) -> None:
    api = crm_api
    for label, kind, options in [
        ("Отрасль", "list", ["Стройка", "Торговля"]),
        ("Сотрудников", "number", []),
        ("VIP", "flag", []),
        ("Каналы", "multilist", ["Сайт", "Выставка", "Звонок"]),
    ]:
        reply = await api.post(
            FIELDS,
            "boss",
            {"entity": "organisation", "label": label, "kind": kind, "options": options},
        )
        assert reply.status == 201
    stroy = await create(
        api,
        name="СтройМонтаж",
        **SBER,
        responsible_id=uid(api, "olga"),
        custom_fields={
            "otrasl": "Стройка",
            "sotrudnikov": "120",
            "vip": "да",
            "kanaly": ["Сайт", "Звонок"],
        },
    )
    await create(
        api,
        name="Стройка века",
        inn=IP_INN,
        responsible_id=uid(api, "petr"),
        custom_fields={
            "otrasl": "Стройка",
            "sotrudnikov": 15,
            "vip": False,
            "kanaly": ["Выставка"],
        },
    )
    await create(
        api,
        name="Ёлки-Палки",
        responsible_id=uid(api, "petr"),
        custom_fields={"otrasl": "Торговля", "kanaly": ["Сайт"]},
    )
    await create(api, name="Альфа", responsible_id=None)

    async def found(**params: Any) -> list[str]:
        reply = await api.get(ORGS, "olga", **params)
        assert reply.status == 200, reply.body
        return names(reply)

    assert await found() == ["Альфа", "Ёлки-Палки", "Стройка века", "СтройМонтаж"]
    assert await found(order="desc") == ["СтройМонтаж", "Стройка века", "Ёлки-Палки", "Альфа"]
    assert await found(sort="created_at") == ["Альфа", "Ёлки-Палки", "Стройка века", "СтройМонтаж"]
    assert await found(sort="created_at", order="asc") == [
        "СтройМонтаж",
        "Стройка века",
        "Ёлки-Палки",
        "Альфа",
    ]
    # Name prefix in any case, ё as е; ten or twelve digits are an INN.
    assert await found(q="строй") == ["Стройка века", "СтройМонтаж"]
    assert await found(q="СТРОЙМ") == ["СтройМонтаж"]
    assert await found(q="елки") == ["Ёлки-Палки"]
    assert await found(q="7707083893") == ["СтройМонтаж"]
    assert await found(q=IP_INN) == ["Стройка века"]
    assert await found(inn="7707083893") == ["СтройМонтаж"]
    assert await found(responsible_id=uid(api, "petr")) == ["Ёлки-Палки", "Стройка века"]
    # Custom fields: the filter value is read by the field's own rules.
    assert await found(**{"cf.otrasl": "Стройка"}) == ["Стройка века", "СтройМонтаж"]
    assert await found(**{"cf.sotrudnikov": "120"}) == ["СтройМонтаж"]
    assert await found(**{"cf.sotrudnikov": "15"}) == ["Стройка века"]
    assert await found(**{"cf.vip": "true"}) == ["СтройМонтаж"]
    assert await found(**{"cf.vip": "нет"}) == ["Стройка века"]
    assert await found(**{"cf.kanaly": "Сайт"}) == ["Ёлки-Палки", "СтройМонтаж"]
    assert await found(**{"cf.kanaly": "Сайт", "cf.otrasl": "Стройка", "q": "стр"}) == [
        "СтройМонтаж"
    ]
    bad = await api.get(ORGS, "olga", **{"cf.sotrudnikov": "много", "cf.zzz": "1"})
    assert sorted((d["field"], d["type"], d["location"]) for d in bad.body["error"]["details"]) == [
        ("cf.sotrudnikov", "custom-not-a-number", "query"),
        ("cf.zzz", "custom-unknown-field", "query"),
    ]
    assert (await api.get(ORGS, "olga", **{"cf.otrasl": "Космос"})).status == 422

    # Keyset pages, nothing skipped or repeated; a cursor belongs to its sort.
    async def all_pages(size: int, **params: Any) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            page = await api.get(
                ORGS, "olga", limit=size, **params, **({"cursor": cursor} if cursor else {})
            )
            assert page.status == 200, page.body
            assert len(page.body["items"]) <= size
            seen += names(page)
            cursor = page.body["next_cursor"]
            if cursor is None:
                return seen
            other_sort = "created_at" if params.get("sort") != "created_at" else "name"
            assert (await api.get(ORGS, "olga", sort=other_sort, cursor=cursor)).status == 422

    assert await all_pages(2) == ["Альфа", "Ёлки-Палки", "Стройка века", "СтройМонтаж"]
    assert await all_pages(3, order="desc") == [
        "СтройМонтаж",
        "Стройка века",
        "Ёлки-Палки",
        "Альфа",
    ]
    assert await all_pages(1, sort="created_at") == [
        "Альфа",
        "Ёлки-Палки",
        "Стройка века",
        "СтройМонтаж",
    ]
    assert await all_pages(3, sort="created_at", order="asc") == [
        "СтройМонтаж",
        "Стройка века",
        "Ёлки-Палки",
        "Альфа",
    ]
    assert await all_pages(1, q="строй") == ["Стройка века", "СтройМонтаж"]
    tampered = await api.get(ORGS, "olga", cursor="not-a-cursor")
    assert tampered.status == 422 and tampered.body["error"]["details"][0]["type"] == "bad-cursor"

    row = (await api.get(ORGS, "olga", q="строймонтаж")).body["items"][0]
    assert row == {
        "id": stroy["id"],
        "name": "СтройМонтаж",
        "inn": "7707083893",
        "kpp": "773601001",
        "responsible": {"id": uid(api, "olga"), "name": "Ольга Иванова"},
        "phones": [],
        "emails": [],
        "contacts_count": 0,
        "open_deals_count": 0,
        "created_at": stroy["created_at"],
        "custom_fields": {
            "otrasl": "Стройка",
            "sotrudnikov": 120,
            "vip": True,
            "kanaly": ["Сайт", "Звонок"],
        },
        "version": 1,
    }


async def test_counts_and_card_show_contacts_and_deals_the_reader_may_see(crm_api: Api) -> None:
    api = crm_api
    await set_scope(api, Role.operator, "own")
    org = await create(api, name="Полимер", responsible_id=None)
    other = await create(api, name="Другая", responsible_id=None)
    olga, anna = uid(api, "olga"), uid(api, "anna")
    async with unit_of_work(api.hub) as uow:
        ivan = await crm.create_contact(uow, "Иван Орлов", responsible_user_id=olga)
        maria = await crm.create_contact(uow, "Мария Юдина", responsible_user_id=anna)
        nobody = await crm.create_contact(uow, "Пётр Ничей")
        await crm.link_contact_organisation(uow, ivan.id, org["id"], "Главный инженер")
        await crm.link_contact_organisation(uow, maria.id, org["id"], "Бухгалтер")
        await crm.link_contact_organisation(uow, nobody.id, org["id"], "")
        await crm.link_contact_organisation(uow, ivan.id, other["id"], "Консультант")
        pipeline = await pipelines.add_pipeline(
            uow, "Продажи", [pipelines.StageSpec("Интерес"), pipelines.StageSpec("Договор", "won")]
        )
        interest, won = await pipelines.pipeline_stages(uow, pipeline.id)
        open_deal = await deals.add_deal(
            uow,
            SystemActor(),
            title="Окна в цех",
            stage=interest,
            amount=Decimal("125000"),
            contact_id=ivan.id,
            organisation_id=org["id"],
            responsible_user_id=olga,
        )
        await deals.add_deal(
            uow,
            SystemActor(),
            title="Окна в офис",
            stage=interest,
            amount=Decimal("1"),
            organisation_id=org["id"],
            responsible_user_id=anna,
        )
        await deals.add_deal(
            uow,
            SystemActor(),
            title="Сервис",
            stage=won,
            amount=Decimal("5000.5"),
            organisation_id=org["id"],
            responsible_user_id=olga,
        )

    def counts(reply: Any) -> dict[str, tuple[int, int]]:
        return {
            item["name"]: (item["contacts_count"], item["open_deals_count"])
            for item in reply.body["items"]
        }

    # olga (own scope) counts what she sees: Иван and Пётр Ничей, her one open deal.
    assert counts(await api.get(ORGS, "olga")) == {"Другая": (1, 0), "Полимер": (2, 1)}
    assert counts(await api.get(ORGS, "boss")) == {"Другая": (1, 0), "Полимер": (3, 2)}
    card = (await api.get(f"{ORGS}/{org['id']}", "olga")).body
    assert card["contacts"] == [
        {"id": ivan.id, "name": "Иван Орлов", "position": "Главный инженер"},
        {"id": nobody.id, "name": "Пётр Ничей", "position": ""},
    ]
    assert [d["title"] for d in card["deals"]] == ["Сервис", "Окна в цех"]
    deal = card["deals"][1]
    assert deal == {
        "id": open_deal.id,
        "title": "Окна в цех",
        "amount": "125000.00",
        "currency": "RUB",
        "pipeline_id": pipeline.id,
        "stage_id": interest.id,
        "contact": {"id": ivan.id, "name": "Иван Орлов"},
        "organisation": {"id": org["id"], "name": "Полимер"},
        "responsible": {"id": olga, "name": "Ольга Иванова"},
        "stage_entered_at": deal["stage_entered_at"],
        "days_in_stage": 0,
        "expected_close_on": None,
        "payment_due_on": None,
        "paid_at": None,
        "flags": [],
        "version": 1,
    }
    assert card["deals"][0]["amount"] == "5000.50"
    boss_card = (await api.get(f"{ORGS}/{org['id']}", "boss")).body
    assert len(boss_card["contacts"]) == 3 and len(boss_card["deals"]) == 3


async def next_envelope(queue: asyncio.Queue[Envelope | None], kind: str) -> Envelope:
    while True:
        envelope = await asyncio.wait_for(queue.get(), 10)
        assert envelope is not None
        if envelope.kind == kind:
            return envelope


async def test_changes_reach_bus_subscribers_with_their_audience(crm_api: Api) -> None:
    api = crm_api
    await set_scope(api, Role.operator, "team")
    subscription = api.hub.bus.subscribe()
    try:
        org = await create(api, "olga", name="Слышно")
        created = await next_envelope(subscription.queue, "organisation.changed")
        assert created.payload == {"organisation_id": org["id"], "version": 1, "change": "created"}
        audience = created.audience
        # olga's team mates see her records (team scope); anna of Сервис does not.
        assert audience.allows(uid(api, "olga"), Role.operator)
        assert audience.allows(uid(api, "petr"), Role.operator)
        assert not audience.allows(uid(api, "anna"), Role.operator)
        assert audience.allows(uid(api, "boss"), Role.admin)

        handed = await patch(api, org["id"], "boss", version=1, responsible_id=uid(api, "anna"))
        assert handed.status == 200
        updated = await next_envelope(subscription.queue, "organisation.changed")
        assert updated.payload == {"organisation_id": org["id"], "version": 2, "change": "updated"}
        # Both the old and the new owners' sides hear of the hand-over.
        assert updated.audience.allows(uid(api, "petr"), Role.operator)
        assert updated.audience.allows(uid(api, "anna"), Role.operator)
    finally:
        subscription.close()


async def test_replies_match_the_openapi_document(crm_api: Api) -> None:
    api = crm_api
    async with api.client.get("/api/openapi.json") as response:
        document = await response.json()
    org = await create(api, name="Документ", **SBER)
    dup = await api.post(ORGS, "boss", {"name": "Дубль", "inn": SBER["inn"]})
    stale = await patch(api, org["id"], "boss", version=7, site="x.ru")
    bad = await api.post(ORGS, "boss", {"name": "Плохая", "inn": "1"})

    def check(path: str, method: str, status: int, body: Any) -> None:
        schema = document["paths"][path][method]["responses"][str(status)]["content"][
            "application/json"
        ]["schema"]
        OAS31Validator({**schema, "components": document["components"]}).validate(body)

    check(ORGS, "get", 200, (await api.get(ORGS, "boss")).body)
    check(f"{ORGS}/{{id}}", "get", 200, (await api.get(f"{ORGS}/{org['id']}", "boss")).body)
    check(ORGS, "post", 201, dup.body)
    check(f"{ORGS}/{{id}}", "patch", 409, stale.body)
    check(ORGS, "post", 422, bad.body)
    check(FIELDS, "get", 200, (await api.get(FIELDS, "boss")).body)
    async with api.hub.db.sessions() as session:
        assert (
            await session.execute(select(Organisation.name).order_by(Organisation.id))
        ).scalars().all() == ["Документ", "Дубль"]
