"""Changing an absence over HTTP on both backends: PATCH /api/v1/absences/{id} by the same
people and rules as recording one, with the version the edit started from.

The floor (tests/hub/api/deal_world.py): «Продажи» = olga, petr (operators), sveta (their
supervisor); «Сервис» = igor, boris; adam is the admin. The clock: 2026-06-15 09:00 UTC.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.models import EventLog
from tests.hub.api.conftest import Api, Reply
from tests.hub.api.deal_world import Floor, build_floor
from tests.hub.api.test_absences import error, problems, record
from tests.hub.api.test_errors_and_openapi import get_document


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


async def change(floor: Floor, as_user: str, absence_id: int, **values: Any) -> Reply:
    return await floor.api.call("PATCH", f"/api/v1/absences/{absence_id}", as_user, json=values)


async def test_change_the_days_kind_times_and_note(floor: Floor) -> None:
    made = await record(floor, "olga", None, note="Сочи")
    absence_id = made.body["id"]
    moved = await change(floor, "olga", absence_id, version=1, starts_on="2026-06-29",
                         ends_on="2026-07-03", note="  Анапа ")  # fmt: skip
    assert moved.status == 200, moved.body
    assert {k: moved.body[k] for k in ("kind", "starts_on", "ends_on", "note", "version")} == {
        "kind": "vacation", "starts_on": "2026-06-29", "ends_on": "2026-07-03",
        "note": "Анапа", "version": 2,
    }  # fmt: skip
    # A day off in the afternoon, then the whole day again: a time sent as null.
    afternoon = {"starts_on": "2026-06-29", "ends_on": "2026-06-29", "starts_at": "13:00"}
    halved = await change(floor, "olga", absence_id, version=2, kind="day_off", **afternoon)
    assert (halved.body["kind"], halved.body["starts_at"], halved.body["ends_at"]) == (
        "day_off", "13:00", None,
    )  # fmt: skip
    whole = await change(floor, "olga", absence_id, version=3, starts_at=None)
    assert (whole.body["starts_at"], whole.body["version"]) == (None, 4)
    # The list shows it as changed, the creator and the creation time as they were.
    listed = await floor.api.get("/api/v1/absences", "petr", **{"from": "2026-06-01"})
    [shown] = listed.body["items"]
    assert shown == whole.body
    assert (shown["created_by_id"], shown["created_at"]) == (
        floor.user_id("olga"), "2026-06-15T09:00:00+00:00",
    )  # fmt: skip


async def test_a_stale_version_is_refused_with_the_absence_as_it_stands(floor: Floor) -> None:
    made = await record(floor, "sveta", "petr")
    absence_id = made.body["id"]
    first = await change(floor, "sveta", absence_id, version=1, ends_on="2026-06-24")
    assert first.status == 200, first.body
    late = await change(floor, "petr", absence_id, version=1, note="Дача")
    assert error(late) == (409, "stale-version")
    details = late.body["error"]["details"]
    assert (details["current_version"], details["current"]["ends_on"]) == (2, "2026-06-24")
    assert details["current"]["note"] == ""


async def test_the_refusals_of_recording_apply_to_a_change(floor: Floor) -> None:
    made = await record(floor, "olga", None)
    other = await record(floor, "olga", None, kind="business_trip", starts_on="2026-07-06",
                         ends_on="2026-07-08")  # fmt: skip
    absence_id = made.body["id"]
    backwards = await change(floor, "olga", absence_id, version=1, ends_on="2026-06-20")
    assert problems(backwards) == [("ends_on", "ends-before-start")]
    into_trip = await change(floor, "olga", absence_id, version=1, ends_on="2026-07-06")
    assert problems(into_trip) == [("starts_on", "absence-overlaps")]
    assert "business_trip 2026-07-06–2026-07-08" in into_trip.body["error"]["details"][0]["message"]
    unknown = await change(floor, "olga", absence_id, version=1, kind="holiday")
    assert problems(unknown) == [("kind", "enum")]
    # Its own old days are no overlap: shortening it is fine; nothing was written before.
    shorter = await change(floor, "olga", absence_id, version=1, ends_on="2026-06-23")
    assert (shorter.status, shorter.body["version"]) == (200, 2)
    assert other.status == 201


@pytest.mark.parametrize(
    ("actor", "status"),
    [("olga", 200), ("petr", 403), ("igor", 403), ("sveta", 200), ("boris", 403), ("adam", 200)],
)
async def test_who_changes_whose(floor: Floor, actor: str, status: int) -> None:
    made = await record(floor, "olga", None)
    changed = await change(floor, actor, made.body["id"], version=1, note="Перенесено")
    assert changed.status == status, changed.body
    if status == 403:
        assert changed.body["error"]["id"] == "not-your-absence"


async def test_another_teams_absence_looks_nonexistent(floor: Floor) -> None:
    await floor.scope("operator", "team")
    await floor.scope("supervisor", "team")
    made = await record(floor, "olga", None)
    hidden = await change(floor, "igor", made.body["id"], version=1, note="?")
    assert error(hidden) == (404, "no-such-absence")
    missing = await change(floor, "olga", 999999, version=1, note="?")
    assert error(missing) == (404, "no-such-absence")


async def test_a_change_emits_absence_changed_once_and_a_no_op_none(floor: Floor) -> None:
    made = await record(floor, "sveta", "petr")
    absence_id = made.body["id"]
    assert (await change(floor, "sveta", absence_id, version=1, kind="sick_leave")).status == 200
    same = await change(floor, "sveta", absence_id, version=2, kind="sick_leave")
    assert (same.status, same.body["version"]) == (200, 2)
    async with floor.api.hub.db.sessions() as session:
        rows = list(
            await session.scalars(
                select(EventLog).where(EventLog.kind == "absence.changed").order_by(EventLog.id)
            )
        )
    assert [(r.payload["change"], r.payload["absence"]["kind"]) for r in rows] == [
        ("created", "vacation"),
        ("updated", "sick_leave"),
    ]
    assert rows[1].payload["absence"]["version"] == 2
    assert {floor.user_id(u) for u in ("olga", "petr", "sveta")} <= set(rows[1].audience["users"])


async def test_the_change_is_in_the_api_document(api: Api) -> None:
    document = await get_document(api)
    changed = document["paths"]["/api/v1/absences/{id}"]["patch"]
    assert set(changed["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    assert changed["x-okno-role"] == "operator"
