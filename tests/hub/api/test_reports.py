"""The reports over HTTP on the hand-built history (tests/hub/queries/metrics_history.py):
supervisors only, the figures with their formula version and names, a drill-down listing what
a number counts, and exports whose cells are the numbers the JSON shows."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import Clock
from tests.hub.queries.metrics_history import History, at, build_history

from .conftest import Api

MONDAY = {"period": "custom", "from": "2026-06-15", "to": "2026-06-15"}


@pytest.fixture
async def history(api: Api) -> History:
    clock = Clock()
    clock.now = at(12)
    api.hub.clock = clock
    return await build_history(api.hub)


async def download(api: Api, path: str, **params: str) -> tuple[int, bytes, str]:
    headers = {"Authorization": f"Bearer {api.tokens['sveta']}"}
    async with api.client.get(path, params=params, headers=headers) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def test_conversation_report_by_operator(api: Api, history: History) -> None:
    reply = await api.get("/api/v1/reports/conversations", "sveta", group_by="operator", **MONDAY)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    assert (body["version"], body["tz"], body["group_by"]) == (2, "Europe/Moscow", "operator")
    assert (body["start"], body["end"]) == (
        "2026-06-14T21:00:00+00:00",
        "2026-06-15T21:00:00+00:00",
    )
    rows = {row["label"]: row["figures"] for row in body["rows"]}
    assert rows["Оператор Один"]["requests"] == 2
    assert rows["Оператор Два"]["frt_p50"] == 29100
    assert rows[None]["handled"] == 0
    assert body["total"]["figures"]["frt_work_p50"] == 300


async def test_today_follows_the_clock(api: Api, history: History) -> None:
    reply = await api.get("/api/v1/reports/calls", "sveta", period="today", group_by="none")
    assert reply.status == 200, reply.body
    total = reply.body["total"]["figures"]
    assert (total["calls"], total["service_level"], total["called_back"]) == (8, 0.4286, 2)
    exact = await api.get("/api/v1/reports/calls", "sveta", period="today", exact_only="true")
    assert exact.body["total"]["figures"]["calls"] == 7


async def test_only_supervisors_and_sane_periods(api: Api, history: History) -> None:
    assert (await api.get("/api/v1/reports/conversations", "olga")).status == 403
    missing = await api.get("/api/v1/reports/conversations", "sveta", period="custom")
    assert missing.status == 422
    assert missing.body["error"]["id"] == "invalid-input"
    zone = await api.get("/api/v1/reports/calls", "sveta", tz="Mars/Olympus")
    assert zone.status == 422


async def test_drill_down(api: Api, history: History) -> None:
    reply = await api.get(
        "/api/v1/reports/conversations/drill", "sveta", key="total", column="frt_p50", **MONDAY
    )
    assert reply.status == 200, reply.body
    c = history.conversations
    assert reply.body["count"] == 3
    assert [item["id"] for item in reply.body["items"]] == [c["c3"], c["c1"], c["c2"]]
    assert reply.body["items"][0]["operator"] == "Оператор Один"
    calls = await api.get(
        "/api/v1/reports/calls/drill", "sveta", key="total", column="called_back", **MONDAY
    )
    assert {item["id"] for item in calls.body["items"]} == {
        history.calls["k3"],
        history.calls["k7"],
    }
    assert calls.body["items"][0]["client"] == "+79000000007"
    unknown = await api.get(
        "/api/v1/reports/calls/drill", "sveta", key="total", column="nope", **MONDAY
    )
    assert (unknown.status, unknown.body["error"]["id"]) == (404, "no-such-figure")


async def test_exports_hold_what_the_page_shows(api: Api, history: History) -> None:
    shown = await api.get("/api/v1/reports/conversations", "sveta", group_by="channel", **MONDAY)
    by_label = {row["label"]: row["figures"] for row in shown.body["rows"]}
    status, data, kind = await download(
        api, "/api/v1/reports/conversations/export", format="xlsx", group_by="channel",
        columns="requests,frt_p50", **MONDAY,
    )  # fmt: skip
    assert status == 200 and kind.startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == ["Канал", "Обращений", "Первый ответ, медиана, с"]
    # In the page's order: by channel id.
    assert cells[1:] == [
        ["tg", by_label["tg"]["requests"], by_label["tg"]["frt_p50"]],
        ["form", by_label["form"]["requests"], by_label["form"]["frt_p50"]],
        ["Итого", 4, 600],
    ]
    status, data, _ = await download(
        api, "/api/v1/reports/calls/export", format="csv", group_by="none", **MONDAY
    )
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["Всего", "Звонков", "Отвечено"]
    assert lines[-1][:3] == ["Итого", "8", "4"]
    bad, _, _ = await download(api, "/api/v1/reports/calls/export", columns="calls,nope")
    assert bad == 422
