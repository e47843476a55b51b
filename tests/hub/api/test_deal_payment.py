"""The deal's payment fields over HTTP on both backends: the due date set and cleared, the
«Оплачено» mark (its moment kept while paid), bad input per field, the list and the export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from babel.messages.pofile import read_po

from agent_ui.i18n import catalog_path
from agent_ui.js_strings import JS_STRINGS
from tests.hub.api.conftest import Api
from tests.hub.api.deal_world import Floor, build_floor


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


async def patch(floor: Floor, deal_id: int, body: dict[str, Any]) -> Any:
    return await floor.api.call("PATCH", f"/api/v1/deals/{deal_id}", "olga", json=body)


async def test_due_date_and_paid_mark_round_trip(floor: Floor) -> None:
    made = await floor.api.post(
        "/api/v1/deals",
        "olga",
        {"title": "Окна", "stage_id": floor.stages["Договор"], "payment_due_on": "2026-06-20"},
    )
    assert made.status == 201, made.body
    deal_id = made.body["id"]
    assert (made.body["payment_due_on"], made.body["paid_at"]) == ("2026-06-20", None)

    paid = await patch(floor, deal_id, {"version": 1, "paid": True})
    assert paid.status == 200, paid.body
    assert paid.body["paid_at"] == "2026-06-15T09:00:00+00:00" and paid.body["version"] == 2
    # Marked paid again later: the moment it was paid stays, nothing changes.
    floor.clock.advance(3600)
    again = await patch(floor, deal_id, {"version": 2, "paid": True})
    assert (again.body["paid_at"], again.body["version"]) == ("2026-06-15T09:00:00+00:00", 2)

    moved = await patch(
        floor, deal_id, {"version": 2, "paid": False, "payment_due_on": "2026-07-01"}
    )
    assert moved.status == 200, moved.body
    assert (moved.body["paid_at"], moved.body["payment_due_on"]) == (None, "2026-07-01")
    cleared = await patch(floor, deal_id, {"version": 3, "payment_due_on": None})
    assert cleared.body["payment_due_on"] is None

    fetched = await floor.api.get(f"/api/v1/deals/{deal_id}", "olga")
    assert (fetched.body["payment_due_on"], fetched.body["paid_at"]) == (None, None)
    # Someone else's version: refused, nothing written.
    stale = await patch(floor, deal_id, {"version": 1, "paid": True})
    assert stale.status == 409 and stale.body["error"]["id"] == "stale-version"


def russian(message: str) -> str:
    with catalog_path("ru").open("rb") as fh:
        entry = read_po(fh, locale="ru").get(message)
    assert entry is not None
    return str(entry.string)


@pytest.mark.parametrize("due", ["31.02.2026", "2026-02-30", "завтра", 20260701, True])
async def test_a_due_date_that_is_no_date_is_refused_per_field(floor: Floor, due: Any) -> None:
    deal_id = await floor.deal("Окна", "Договор", owner="olga")
    reply = await patch(floor, deal_id, {"version": 1, "payment_due_on": due})
    assert reply.status == 422, reply.body
    [detail] = reply.body["error"]["details"]
    assert detail["field"] == "payment_due_on"
    # The card shows the type's message in the person's language.
    assert russian(JS_STRINGS[f"fieldError.{detail['type']}"]) == "Нужна дата."
    fetched = await floor.api.get(f"/api/v1/deals/{deal_id}", "olga")
    assert (fetched.body["payment_due_on"], fetched.body["version"]) == (None, 1)


@pytest.mark.parametrize(("paid", "error_type"), [(None, "null"), ("может быть", "bool_parsing")])
async def test_the_paid_mark_is_true_or_false(floor: Floor, paid: Any, error_type: str) -> None:
    deal_id = await floor.deal("Окна", "Договор", owner="olga")
    reply = await patch(floor, deal_id, {"version": 1, "paid": paid})
    assert reply.status == 422
    assert [(d["field"], d["type"]) for d in reply.body["error"]["details"]] == [
        ("paid", error_type)
    ]


async def test_the_list_and_the_export_carry_the_payment_fields(floor: Floor) -> None:
    from datetime import date

    api = floor.api
    unpaid = await floor.deal("Окна", "Договор", owner="olga", payment_due_on=date(2026, 6, 20))
    paid = await floor.deal("Двери", "Договор", owner="olga", payment_due_on=date(2026, 6, 10))
    assert (await patch(floor, paid, {"version": 1, "paid": True})).status == 200
    listed = await api.get("/api/v1/deals", "olga", sort="created_at", order="asc")
    assert [(d["id"], d["payment_due_on"], d["paid_at"]) for d in listed.body["items"]] == [
        (unpaid, "2026-06-20", None),
        (paid, "2026-06-10", "2026-06-15T09:00:00+00:00"),
    ]
    async with api.client.get(
        "/api/v1/deals/export", headers={"Authorization": f"Bearer {api.tokens['olga']}"}
    ) as response:
        assert response.status == 200
        text = (await response.read()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    at = rows[0].index("Срок оплаты")
    assert rows[0][at : at + 2] == ["Срок оплаты", "Оплачено"]
    assert sorted((r[1], r[at], r[at + 1]) for r in rows[1:]) == [
        ("Двери", "2026-06-10", "2026-06-15T09:00:00+00:00"),
        ("Окна", "2026-06-20", ""),
    ]
