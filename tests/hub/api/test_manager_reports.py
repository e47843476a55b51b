"""The managers' report and plans over HTTP on the hand-built day
(tests/hub/queries/managers_history.py): supervisors only, the figures the formulas give, a
plan a supervisor sets and takes off, and exports whose cells are the numbers the JSON shows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import Clock
from tests.hub.queries.managers_history import UNDER_A_RUNNING_APP, Day, at, build_day

from .conftest import Api

MONDAY = {"period": "custom", "from": "2026-06-15", "to": "2026-06-15"}


@pytest.fixture
def app_settings() -> dict[str, object]:
    return UNDER_A_RUNNING_APP


@pytest.fixture
async def day(api: Api) -> Day:
    clock = Clock()
    found = await build_day(api.hub, clock)
    clock.now = at(20)
    return found


async def download(api: Api, path: str, **params: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {api.tokens['sveta']}"}
    async with api.client.get(path, params=params, headers=headers) as response:
        return response.status, await response.read()


async def test_report_plans_and_exports(api: Api, day: Day) -> None:
    assert (await api.get("/api/v1/reports/managers", "olga", **MONDAY)).status == 403
    assert (await api.get("/api/v1/manager-plans", "olga", month="2026-06")).status == 403
    reply = await api.get("/api/v1/reports/managers", "sveta", **MONDAY)
    assert reply.status == 200, reply.body
    assert (reply.body["report"], reply.body["version"]) == ("managers", 2)
    rows = {row["label"]: row["figures"] for row in reply.body["rows"]}
    assert (rows["Анна"]["occupancy"], rows["Анна"]["plan_sum"]) == (0.5476, 100000.0)
    # Operators are listed even idle; the supervisor with nothing done is not.
    assert {"Ольга Иванова", "Пётр Смирнов", "Борис"} <= set(rows)
    assert "Светлана Орлова" not in rows

    # The supervisor sets June's plan to 1,500,000 (50,000 a day): 150,000.50 / 50,000 = 3.00001.
    put = await api.call(
        "PUT", f"/api/v1/manager-plans/{day.anna}", "sveta",
        json={"month": "2026-06", "amount": "1500000", "deals": 15},
    )  # fmt: skip
    assert put.status == 200, put.body
    plans = {item["name"]: item for item in put.body["items"]}
    assert (plans["Анна"]["amount"], plans["Анна"]["deals"]) == (1500000.0, 15)
    assert plans["Борис"]["amount"] is None
    again = await api.get("/api/v1/reports/managers", "sveta", operator=day.anna, **MONDAY)
    (anna,) = again.body["rows"]
    assert (anna["figures"]["plan_sum"], anna["figures"]["plan_done"]) == (50000.0, 3.0)
    assert anna["figures"]["plan_deals"] == 0.5

    refused = await api.call(
        "PUT", f"/api/v1/manager-plans/{day.anna}", "olga", json={"month": "2026-06", "amount": 1}
    )
    assert refused.status == 403
    for wrong in ({"month": "2026-13", "amount": 1}, {"month": "2026-06", "amount": -1}):
        bad = await api.call("PUT", f"/api/v1/manager-plans/{day.anna}", "sveta", json=wrong)
        assert (bad.status, bad.body["error"]["id"]) == (422, "invalid-input")
    nobody = await api.call(
        "PUT", "/api/v1/manager-plans/999999", "sveta", json={"month": "2026-06", "amount": 1}
    )
    assert (nobody.status, nobody.body["error"]["id"]) == (404, "no-such-user")
    # A null amount takes the plan off: no plan, not a plan of 0.
    off = await api.call(
        "PUT", f"/api/v1/manager-plans/{day.anna}", "sveta", json={"month": "2026-06"}
    )
    assert {i["name"]: i["amount"] for i in off.body["items"]}["Анна"] is None

    status, data = await download(
        api, "/api/v1/reports/managers/export", format="xlsx",
        columns="occupancy,deals_won,won_sum,plan_sum", operator=str(day.anna), **MONDAY,
    )  # fmt: skip
    assert status == 200
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells == [
        ["Оператор", "Занятость", "Сделок выиграно", "Сумма выигранных", "План"],
        ["Анна", 0.5476, 2, 150000.5, None],
        ["Итого", 0.5476, 2, 150000.5, None],
    ]
    status, data = await download(
        api, "/api/v1/reports/managers/export", format="csv", operator=str(day.anna), **MONDAY
    )
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:4] == ["Оператор", "В сети, ч", "Занят, ч", "Занятость"]
    assert lines[1][:4] == ["Анна", "3.5", "1.92", "0.5476"]
    bad, _ = await download(api, "/api/v1/reports/managers/export", columns="nope")
    assert bad == 422


async def test_drill_down_lists_what_each_number_counts(api: Api, day: Day) -> None:
    async def drill(column: str, key: str = "total", login: str = "sveta") -> dict[str, Any]:
        reply = await api.get(
            "/api/v1/reports/managers/drill", login, key=key, column=column, **MONDAY
        )
        assert reply.status == 200, reply.body
        body: dict[str, Any] = reply.body
        return body

    def moments(body: dict[str, Any]) -> list[datetime]:
        return [datetime.fromisoformat(item["at"]) for item in body["items"]]

    # Анна's seven responses of Monday, newest first: the two e-mails, then Telegram's five.
    responses = await drill("responses", str(day.anna))
    assert responses["count"] == 7
    assert moments(responses) == [
        at(8, 45),
        at(7, 5),
        at(6, 25),
        at(6, 20),
        at(6, 15),
        at(6, 10),
        at(6, 5),
    ]
    assert {item["kind"] for item in responses["items"]} == {"message"}
    # Answers per hour lists the responses it divides; e-mails sent only the two letters.
    assert (await drill("answers_per_hour"))["count"] == 7
    assert moments(await drill("emails_sent", str(day.anna))) == [at(8, 45), at(7, 5)]
    # Overdue: the task still planned (due 14:00), the meeting done late (at 11:00), the
    # task due at 00:30 Moscow time.
    overdue = await drill("overdue", str(day.anna))
    assert overdue["count"] == 3
    assert [i["title"] for i in overdue["items"]] == ["task", "meeting", "task"]
    assert moments(overdue) == [at(14), at(11), at(21, 30, day=14)]
    done = await drill("activities_done")
    assert [i["title"] for i in done["items"]] == ["reminder", "email", "meeting", "call"]
    meetings = await drill("meetings")
    assert [(i["title"], i["state"]) for i in meetings["items"]] == [("meeting", "meeting")]
    # Deals won on Monday (not Sunday evening's, not the lost one), with their sums.
    won = await drill("won_sum", str(day.anna))
    assert [(i["title"], i["amount"], i["state"]) for i in won["items"]] == [
        ("won 50000.50", 50000.5, "won"),
        ("won 100000.00", 100000.0, "won"),
    ]
    assert [i["deal_id"] is not None for i in won["items"]] == [True, True]
    calls = await drill("calls", str(day.anna))
    assert [(i["title"], i["state"]) for i in calls["items"]] == [("+79160000001", "answered")]
    # Борис did none of it; someone outside the filters lists nothing.
    assert (await drill("responses", str(day.boris)))["count"] == 0
    elsewhere = await api.get(
        "/api/v1/reports/managers/drill", "sveta", key=str(day.anna), column="responses",
        operator=day.boris, **MONDAY,
    )  # fmt: skip
    assert (elsewhere.status, elsewhere.body["count"]) == (200, 0)
    # Time figures and the plan list nothing; only supervisors drill.
    for column in ("occupancy", "plan_sum", "nope"):
        reply = await api.get(
            "/api/v1/reports/managers/drill", "sveta", key="total", column=column, **MONDAY
        )
        assert (reply.status, reply.body["error"]["id"]) == (404, "no-such-figure")
    denied = await api.get(
        "/api/v1/reports/managers/drill", "olga", key="total", column="responses", **MONDAY
    )
    assert denied.status == 403
