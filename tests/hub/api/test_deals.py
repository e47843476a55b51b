"""Deals over HTTP on both backends: the board's counts and sums, moves with their history,
version conflicts, bad input per field, creating from a conversation, the list with totals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hub.actions import crm, unit_of_work
from hub.models import CustomField, Deal, DealStageChange
from tests.hub.api.conftest import Api
from tests.hub.api.deal_world import Floor, build_floor

T0 = "2026-06-15T09:00:00+00:00"


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


def counts(board: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {c["stage"]["name"]: (c["count"], c["amount"]) for c in board["columns"]}


async def history_rows(floor: Floor, deal_id: int) -> int:
    async with floor.api.hub.db.sessions() as session:
        stmt = select(func.count()).where(DealStageChange.deal_id == deal_id)
        return (await session.execute(stmt)).scalar_one()


async def test_a_move_changes_both_columns_and_the_history_keeps_the_time(floor: Floor) -> None:
    api = floor.api
    made = await api.post(
        "/api/v1/deals",
        "olga",
        {
            "title": "Остекление склада",
            "stage_id": floor.stages["Коммерческое предложение"],
            "amount": "250000",
        },
    )
    assert made.status == 201, made.body
    deal_id = made.body["id"]
    await floor.deal("Окна в офис", "Коммерческое предложение", "100000.50", owner="olga")
    await floor.deal("Витраж", "Проект договора", "1000000", owner="petr")
    before = (await floor.board("olga")).body
    assert counts(before) == {
        "Интерес": (0, "0.00"),
        "Возможная сделка": (0, "0.00"),
        "Коммерческое предложение": (2, "350000.50"),
        "Проект договора": (1, "1000000.00"),
        "Договор": (0, "0.00"),
        "Проиграна": (0, "0.00"),
    }

    floor.clock.advance(3 * 86400 + 2 * 3600)  # 3 days 2 hours in «Коммерческое предложение»
    moved = await floor.move(deal_id, "Проект договора", "olga", version=1)
    assert moved.status == 200, moved.body
    after = (await floor.board("olga")).body
    assert counts(after)["Коммерческое предложение"] == (1, "100000.50")
    assert counts(after)["Проект договора"] == (2, "1250000.00")

    floor.clock.advance(2 * 86400 + 600)  # two days and ten minutes in «Проект договора»
    deal = (await api.get(f"/api/v1/deals/{deal_id}", "olga")).body
    olga = {"id": floor.user_id("olga"), "name": "Ольга Иванова"}
    assert deal["history"] == [
        {
            "stage": {
                "id": floor.stages["Коммерческое предложение"],
                "name": "Коммерческое предложение",
            },
            "entered_at": T0,
            "left_at": "2026-06-18T11:00:00+00:00",
            "seconds": 266400,
            "by": olga,
            "actor": "user",
        },
        {
            "stage": {"id": floor.stages["Проект договора"], "name": "Проект договора"},
            "entered_at": "2026-06-18T11:00:00+00:00",
            "left_at": None,
            "seconds": 173400,
            "by": olga,
            "actor": "user",
        },
    ]
    assert deal["days_in_stage"] == 2 and deal["version"] == 2
    assert deal["stage_entered_at"] == "2026-06-18T11:00:00+00:00"
    [card] = [
        c for c in (await floor.column("olga", "Проект договора"))["deals"] if c["id"] == deal_id
    ]
    assert card == {
        "id": deal_id,
        "title": "Остекление склада",
        "amount": "250000.00",
        "currency": "RUB",
        "pipeline_id": floor.pipeline_id,
        "stage_id": floor.stages["Проект договора"],
        "contact": None,
        "organisation": None,
        "responsible": olga,
        "stage_entered_at": "2026-06-18T11:00:00+00:00",
        "days_in_stage": 2,
        "expected_close_on": None,
        "payment_due_on": None,
        "paid_at": None,
        "flags": [],
        "version": 2,
    }


async def test_a_stage_of_another_pipeline_or_an_unknown_one_is_refused(floor: Floor) -> None:
    deal_id = await floor.deal("Окна", owner="olga")
    across = await floor.move(deal_id, "Заявка", "olga")
    assert across.status == 422
    assert across.body["error"]["id"] == "stage-not-in-pipeline"
    assert across.body["error"]["details"][0]["field"] == "stage_id"
    unknown = await floor.api.post(f"/api/v1/deals/{deal_id}/move", "olga", {"stage_id": 999999})
    assert unknown.status == 422
    assert unknown.body["error"]["details"][0]["type"] == "no-such-stage"
    deal = (await floor.api.get(f"/api/v1/deals/{deal_id}", "olga")).body
    assert deal["stage_id"] == floor.stages["Интерес"] and deal["version"] == 1
    assert await history_rows(floor, deal_id) == 1


async def test_lost_needs_a_reason_and_closing_is_undone_by_reopening(floor: Floor) -> None:
    deal_id = await floor.deal("Окна", owner="olga")
    no_reason = await floor.move(deal_id, "Проиграна", "olga", loss_reason="  ")
    assert no_reason.status == 422
    assert [(d["field"], d["type"]) for d in no_reason.body["error"]["details"]] == [
        ("loss_reason", "loss-reason-required")
    ]
    floor.clock.advance(60)
    lost = await floor.move(deal_id, "Проиграна", "olga", loss_reason="Дорого")
    assert lost.status == 200
    assert (lost.body["loss_reason"], lost.body["closed_at"]) == (
        "Дорого",
        "2026-06-15T09:01:00+00:00",
    )
    reopened = await floor.move(deal_id, "Возможная сделка", "olga")
    assert (reopened.body["loss_reason"], reopened.body["closed_at"]) == ("", None)
    floor.clock.advance(60)
    won = await floor.move(deal_id, "Договор", "olga")
    assert won.body["closed_at"] == "2026-06-15T09:02:00+00:00"
    assert [h["stage"]["name"] for h in won.body["history"]] == [
        "Интерес",
        "Проиграна",
        "Возможная сделка",
        "Договор",
    ]


async def test_a_move_to_the_same_stage_writes_nothing(floor: Floor) -> None:
    deal_id = await floor.deal("Окна", owner="olga")
    same = await floor.move(deal_id, "Интерес", "olga", version=1)
    assert same.status == 200 and same.body["version"] == 1
    assert await history_rows(floor, deal_id) == 1


async def test_a_concurrent_edit_gets_409_with_the_current_deal(floor: Floor) -> None:
    api = floor.api
    deal_id = await floor.deal("Окна", owner="olga", amount="100")
    first = await api.call(
        "PATCH", f"/api/v1/deals/{deal_id}", "olga", json={"version": 1, "title": "Окна ПВХ"}
    )
    assert first.status == 200 and first.body["version"] == 2
    second = await api.call(
        "PATCH",
        f"/api/v1/deals/{deal_id}",
        "sveta",
        json={"version": 1, "title": "Окна алюминиевые", "amount": 5},
    )
    assert second.status == 409
    error = second.body["error"]
    assert error["id"] == "stale-version"
    assert error["details"]["current_version"] == 2
    assert (error["details"]["current"]["title"], error["details"]["current"]["amount"]) == (
        "Окна ПВХ",
        "100.00",
    )
    stale_move = await floor.move(deal_id, "Договор", "olga", version=1)
    assert stale_move.status == 409
    async with api.hub.db.sessions() as session:
        deal = await session.get_one(Deal, deal_id)
        assert (deal.title, deal.amount, deal.version, deal.stage_id) == (
            "Окна ПВХ",
            100,
            2,
            floor.stages["Интерес"],
        )
    assert await history_rows(floor, deal_id) == 1


@pytest.mark.parametrize(
    ("amount", "error_type"),
    [
        (-1, "money-negative"),
        ("10.555", "money-decimals"),
        ("десять", "money"),
        (True, "money"),
    ],
)
async def test_bad_amounts_are_named_per_field(floor: Floor, amount: Any, error_type: str) -> None:
    reply = await floor.api.post("/api/v1/deals", "olga", {"title": "Окна", "amount": amount})
    assert reply.status == 422
    assert [(d["field"], d["type"]) for d in reply.body["error"]["details"]] == [
        ("amount", error_type)
    ]


async def test_amounts_currency_and_dates_in_and_out(floor: Floor) -> None:
    api = floor.api
    number = await api.post("/api/v1/deals", "olga", {"title": "A", "amount": 1500.5})
    text = await api.post(
        "/api/v1/deals",
        "olga",
        {"title": "B", "amount": "1500", "currency": "USD", "expected_close_on": "2026-07-01"},
    )
    assert (number.body["amount"], number.body["currency"]) == ("1500.50", "RUB")
    assert (text.body["amount"], text.body["currency"]) == ("1500.00", "USD")
    assert text.body["expected_close_on"] == "2026-07-01"
    # No pipeline named: the first pipeline's first stage; the creator is responsible.
    assert number.body["stage_id"] == floor.stages["Интерес"]
    assert number.body["responsible"]["id"] == floor.user_id("olga")
    bad = await api.post(
        "/api/v1/deals",
        "olga",
        {"title": " ", "currency": "rub", "expected_close_on": "2026-13-01"},
    )
    assert bad.status == 422
    fields = {d["field"] for d in bad.body["error"]["details"]}
    assert fields == {"currency", "expected_close_on"}
    blank = await api.post("/api/v1/deals", "olga", {"title": " "})
    assert blank.status == 422 and blank.body["error"]["details"][0]["field"] == "title"


async def test_a_deal_from_a_conversation_is_prefilled_and_linked(floor: Floor) -> None:
    api = floor.api
    conversation_id = await api.inbound(name="Анна Соколова", text="Нужен замер")
    await api.assign(conversation_id, "olga")
    found = await api.get(f"/api/v1/conversations/{conversation_id}", "olga")
    contact_id = found.body["contact"]["id"]
    async with unit_of_work(api.hub) as uow:
        first = await crm.create_organisation(uow, "ООО Окна")
        later = await crm.create_organisation(uow, "ООО Рама")
        # Linked in the other order: "first" is the organisation's, not the link's.
        await crm.link_contact_organisation(uow, contact_id, later.id, "закупки")
        await crm.link_contact_organisation(uow, contact_id, first.id, "закупки")
        first_id = first.id
    reply = await api.post(
        "/api/v1/deals",
        "olga",
        {"title": "Замер окон", "conversation_id": conversation_id, "amount": "45000"},
    )
    assert reply.status == 201, reply.body
    deal = reply.body
    assert deal["contact"] == {"id": contact_id, "name": "Анна Соколова"}
    assert deal["organisation"] == {"id": first_id, "name": "ООО Окна"}
    assert deal["source"] == "webform"
    assert deal["responsible"] == {"id": floor.user_id("olga"), "name": "Ольга Иванова"}
    assert deal["conversations"] == [conversation_id]
    assert deal["stage_id"] == floor.stages["Интерес"]
    assert [(h["stage"]["name"], h["by"]["id"]) for h in deal["history"]] == [
        ("Интерес", floor.user_id("olga"))
    ]
    async with api.hub.db.sessions() as session:
        row = await session.get_one(Deal, deal["id"])
        assert row.source_conversation_id == conversation_id


async def test_the_list_filters_pages_and_totals(floor: Floor) -> None:
    api = floor.api
    ids = {}
    for title, stage, amount in [
        ("Окна для цеха", "Интерес", "300.00"),
        ("окна в офис", "Коммерческое предложение", "100.00"),
        ("Двери", "Интерес", "200.00"),
        ("Ёлочные витражи", "Договор", "50.25"),
        ("Фасад", "Проиграна", "1000.00"),
    ]:
        if stage == "Проиграна":
            ids[title] = await floor.deal(title, "Интерес", amount, owner="olga")
            await floor.move(ids[title], stage, "olga", loss_reason="Дорого")
        else:
            ids[title] = await floor.deal(title, stage, amount, owner="olga")
    everything = await api.get("/api/v1/deals", "olga", sort="amount", order="asc", limit=2)
    assert everything.body["totals"] == {
        "count": 5,
        "amount": "1650.25",
        "amounts": {"RUB": "1650.25"},
    }
    pages = [[d["title"] for d in everything.body["items"]]]
    cursor = everything.body["next_cursor"]
    while cursor:
        more = await api.get(
            "/api/v1/deals", "olga", sort="amount", order="asc", limit=2, cursor=cursor
        )
        assert more.body["totals"] == {
            "count": 5,
            "amount": "1650.25",
            "amounts": {"RUB": "1650.25"},
        }
        pages.append([d["title"] for d in more.body["items"]])
        cursor = more.body["next_cursor"]
    assert pages == [["Ёлочные витражи", "окна в офис"], ["Двери", "Окна для цеха"], ["Фасад"]]
    # Title prefix in any case (Cyrillic on SQLite too), ё as е.
    windows = await api.get("/api/v1/deals", "olga", q="ОКНА")
    assert sorted(d["title"] for d in windows.body["items"]) == ["Окна для цеха", "окна в офис"]
    assert windows.body["totals"] == {"count": 2, "amount": "400.00", "amounts": {"RUB": "400.00"}}
    fir = await api.get("/api/v1/deals", "olga", q="елочные")
    assert [d["title"] for d in fir.body["items"]] == ["Ёлочные витражи"]
    open_ = await api.get("/api/v1/deals", "olga", outcome="open")
    assert open_.body["totals"] == {"count": 3, "amount": "600.00", "amounts": {"RUB": "600.00"}}
    lost = await api.get("/api/v1/deals", "olga", outcome="lost")
    assert [d["title"] for d in lost.body["items"]] == ["Фасад"]
    stage = await api.get("/api/v1/deals", "olga", stage_id=floor.stages["Интерес"])
    assert stage.body["totals"]["count"] == 2
    mine = await api.get("/api/v1/deals", "olga", responsible_id=floor.user_id("petr"))
    assert mine.body["totals"] == {"count": 0, "amount": "0.00", "amounts": {}}
    wrong = await api.get("/api/v1/deals", "olga", sort="created_at", cursor=cursor or "e30")
    assert wrong.status == 422


async def test_sums_keep_currencies_apart(floor: Floor) -> None:
    api = floor.api
    for title, amount, currency in [
        ("Окна", "1000.00", "RUB"),
        ("Двери", "250.50", "RUB"),
        ("Фасад", "300.00", "USD"),
        ("Витраж", "40.00", "EUR"),
    ]:
        reply = await api.post(
            "/api/v1/deals", "olga", {"title": title, "amount": amount, "currency": currency}
        )
        assert reply.status == 201
    listed = await api.get("/api/v1/deals", "olga")
    # Rubles are the sum; dollars and euros are beside it, never added to it.
    assert listed.body["totals"] == {
        "count": 4,
        "amount": "1250.50",
        "amounts": {"RUB": "1250.50", "EUR": "40.00", "USD": "300.00"},
    }
    board = await api.get(f"/api/v1/pipelines/{floor.pipeline_id}/board", "olga")
    first = board.body["columns"][0]
    assert (first["count"], first["amount"], first["amounts"]) == (
        4,
        "1250.50",
        {"RUB": "1250.50", "EUR": "40.00", "USD": "300.00"},
    )
    dollars_only = await api.get("/api/v1/deals", "olga", q="Фасад")
    assert dollars_only.body["totals"] == {
        "count": 1,
        "amount": "0.00",
        "amounts": {"USD": "300.00"},
    }


async def test_custom_fields_are_checked_kept_and_filtered(floor: Floor) -> None:
    api = floor.api
    async with api.hub.db.sessions() as session, session.begin():
        session.add(CustomField(entity="deal", key="city", label="Город", kind="text"))
    moscow = await api.post(
        "/api/v1/deals", "olga", {"title": "Окна", "custom_fields": {"city": "Москва"}}
    )
    assert moscow.status == 201 and moscow.body["custom_fields"] == {"city": "Москва"}
    await api.post("/api/v1/deals", "olga", {"title": "Двери", "custom_fields": {"city": "Тула"}})
    found = await api.get("/api/v1/deals", "olga", **{"cf.city": "Москва"})
    assert [d["id"] for d in found.body["items"]] == [moscow.body["id"]]
    unknown = await api.post("/api/v1/deals", "olga", {"title": "X", "custom_fields": {"nope": 1}})
    assert unknown.status == 422
    assert unknown.body["error"]["details"][0]["field"] == "custom_fields.nope"
    edited = await api.call(
        "PATCH",
        f"/api/v1/deals/{moscow.body['id']}",
        "olga",
        json={"version": 1, "custom_fields": {"city": "Химки"}},
    )
    assert edited.body["custom_fields"] == {"city": "Химки"} and edited.body["version"] == 2


async def test_board_filters_and_a_long_column_continues_in_the_list(floor: Floor) -> None:
    api = floor.api
    for n in range(52):
        await floor.deal(f"Окно {n:02}", "Интерес", "10", owner="olga")
        floor.clock.advance(60)  # each enters a minute after the previous one
    await floor.deal("Дверь", "Интерес", "5", owner="petr")
    column = await floor.column("olga", "Интерес")
    assert (column["count"], column["amount"]) == (53, "525.00")
    # The 50 longest in the stage first.
    assert [d["title"] for d in column["deals"]] == [f"Окно {n:02}" for n in range(50)]
    rest = await api.get(
        "/api/v1/deals",
        "olga",
        stage_id=floor.stages["Интерес"],
        sort="stage_entered_at",
        order="asc",
        cursor=column["next_cursor"],
    )
    assert [d["title"] for d in rest.body["items"]] == ["Окно 50", "Окно 51", "Дверь"]
    assert rest.body["next_cursor"] is None
    petr = await floor.column("olga", "Интерес", responsible_id=floor.user_id("petr"))
    assert (petr["count"], petr["amount"], petr["next_cursor"]) == (1, "5.00", None)
    assert [d["title"] for d in petr["deals"]] == ["Дверь"]
    prefix = await floor.column("olga", "Интерес", q="окно 5")
    assert [d["title"] for d in prefix["deals"]] == ["Окно 50", "Окно 51"]
    assert (prefix["count"], prefix["amount"]) == (2, "20.00")
    missing = await api.get("/api/v1/pipelines/999999/board", "olga")
    assert missing.status == 404 and missing.body["error"]["id"] == "no-such-pipeline"
