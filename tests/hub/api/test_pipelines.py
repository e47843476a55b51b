"""Pipelines over HTTP: anyone reads them, only admins change them; stages reorder without
tripping (pipeline, position) uniqueness, and a stage deals stand in is not deleted."""

from __future__ import annotations

import pytest

from tests.hub.api.conftest import Api
from tests.hub.api.deal_world import Floor, build_floor


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


def shape(stages: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(s["name"], s["position"], s["outcome"], s["probability"]) for s in stages]


async def test_admin_creates_a_pipeline_and_everyone_reads_it(floor: Floor) -> None:
    listed = await floor.api.get("/api/v1/pipelines", "olga")
    assert listed.status == 200
    assert [(p["name"], p["position"]) for p in listed.body["items"]] == [
        ("Продажи", 1),
        ("Сервис", 2),
    ]
    sales = listed.body["items"][0]
    assert shape(sales["stages"]) == [
        ("Интерес", 1, "open", 10),
        ("Возможная сделка", 2, "open", 25),
        ("Коммерческое предложение", 3, "open", 50),
        ("Проект договора", 4, "open", 75),
        ("Договор", 5, "won", 100),
        ("Проиграна", 6, "lost", 0),
    ]
    assert [s["id"] for s in sales["stages"]] == list(floor.stages.values())


async def test_operators_and_supervisors_may_not_change_pipelines(floor: Floor) -> None:
    api = floor.api
    body = {"name": "Тендеры", "stages": [{"name": "Заявка"}]}
    for login in ("olga", "sveta"):
        assert (await api.post("/api/v1/pipelines", login, body)).status == 403
        patched = await api.call(
            "PATCH", f"/api/v1/pipelines/{floor.pipeline_id}", login, json={"name": "Мои"}
        )
        assert patched.status == 403
    names = [p["name"] for p in (await api.get("/api/v1/pipelines", "adam")).body["items"]]
    assert names == ["Продажи", "Сервис"]


async def test_reorder_rename_add_and_remove_stages_in_one_edit(floor: Floor) -> None:
    s = floor.stages
    # Swap the first two (each takes the other's position), rename and re-weigh one, drop
    # «Проект договора» (no deals there), add «Тендер» before the won stage.
    stages = [
        {"id": s["Возможная сделка"], "name": "Возможная сделка", "probability": 20},
        {"id": s["Интерес"], "name": "Первичный интерес", "probability": 5},
        {"id": s["Коммерческое предложение"], "name": "КП", "probability": 50},
        {"name": "Тендер", "probability": 60},
        {"id": s["Договор"], "name": "Договор", "outcome": "won", "probability": 100},
        {"id": s["Проиграна"], "name": "Проиграна", "outcome": "lost"},
    ]
    reply = await floor.api.call(
        "PATCH",
        f"/api/v1/pipelines/{floor.pipeline_id}",
        "adam",
        json={"name": "Продажи B2B", "stages": stages},
    )
    assert reply.status == 200, reply.body
    assert reply.body["name"] == "Продажи B2B"
    assert shape(reply.body["stages"]) == [
        ("Возможная сделка", 1, "open", 20),
        ("Первичный интерес", 2, "open", 5),
        ("КП", 3, "open", 50),
        ("Тендер", 4, "open", 60),
        ("Договор", 5, "won", 100),
        ("Проиграна", 6, "lost", 0),
    ]
    ids = [st["id"] for st in reply.body["stages"]]
    assert ids[:3] == [s["Возможная сделка"], s["Интерес"], s["Коммерческое предложение"]]
    assert ids[4:] == [s["Договор"], s["Проиграна"]]
    assert ids[3] not in s.values()


async def test_a_stage_with_deals_is_not_deleted(floor: Floor) -> None:
    await floor.deal("Окна в цех", "Проект договора", "1000.00", owner="olga")
    kept = [
        {"id": i, "name": n, "outcome": "won" if n == "Договор" else "open"}
        for n, i in floor.stages.items()
        if n not in ("Проект договора", "Проиграна")
    ]
    reply = await floor.api.call(
        "PATCH", f"/api/v1/pipelines/{floor.pipeline_id}", "adam", json={"stages": kept}
    )
    assert reply.status == 409
    assert reply.body["error"]["id"] == "stage-has-deals"
    assert reply.body["error"]["details"] == {
        "stages": [{"id": floor.stages["Проект договора"], "deals": 1}]
    }
    after = (await floor.api.get("/api/v1/pipelines", "adam")).body["items"][0]
    assert [st["name"] for st in after["stages"]] == list(floor.stages)  # nothing changed


async def test_bad_stage_lists_are_refused_per_field(floor: Floor) -> None:
    api = floor.api
    no_open = await api.post(
        "/api/v1/pipelines", "adam", {"name": "X", "stages": [{"name": "Итог", "outcome": "won"}]}
    )
    assert no_open.status == 422
    assert [d["type"] for d in no_open.body["error"]["details"]] == ["no-open-stage"]
    too_likely = await api.post(
        "/api/v1/pipelines", "adam", {"name": "X", "stages": [{"name": "A", "probability": 101}]}
    )
    assert too_likely.status == 422
    assert [d["field"] for d in too_likely.body["error"]["details"]] == ["stages.0.probability"]
    foreign = await api.call(
        "PATCH",
        f"/api/v1/pipelines/{floor.pipeline_id}",
        "adam",
        json={"stages": [{"id": floor.other_stages["Заявка"], "name": "Чужой"}]},
    )
    assert foreign.status == 422
    assert foreign.body["error"]["details"][0]["field"] == "stages.0.id"
    twice = await api.post(
        "/api/v1/pipelines", "adam", {"name": "Сервис", "stages": [{"name": "A"}]}
    )
    assert twice.status == 409 and twice.body["error"]["id"] == "pipeline-exists"
    missing = await api.call("PATCH", "/api/v1/pipelines/999999", "adam", json={"name": "Y"})
    assert missing.status == 404
