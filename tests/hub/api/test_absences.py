"""Absences over HTTP on both backends: recording, listing and removing them by role and
team, the refusals per field (and their RU and EN wording in the pages), overlaps, the
`absence.changed` event, and free/busy naming the reason a colleague is away.

The floor (tests/hub/api/deal_world.py): «Продажи» = olga, petr (operators), sveta (their
supervisor); «Сервис» = igor (operator), boris (supervisor); adam is the admin, in no team.
The clock stands at Monday 2026-06-15 09:00 UTC.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from agent_ui.i18n import compile_catalog
from agent_ui.js_strings import js_strings
from hub.actions.absences import AbsenceIn, add_absence
from hub.models import EventLog
from hub.policy import InvalidInput, SystemActor
from tests.hub.api.conftest import Api, Reply
from tests.hub.api.deal_world import Floor, build_floor
from tests.hub.api.test_errors_and_openapi import get_document

VACATION = {"kind": "vacation", "starts_on": "2026-06-22", "ends_on": "2026-06-26"}


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


async def record(floor: Floor, as_user: str, whose: str | None, **values: Any) -> Reply:
    body = {**VACATION, **values}
    if whose is not None:
        body["user_id"] = floor.user_id(whose)
    return await floor.api.post("/api/v1/absences", as_user, body)


def error(reply: Reply) -> tuple[int, str]:
    return reply.status, reply.body["error"]["id"]


def problems(reply: Reply) -> list[tuple[str, str]]:
    assert reply.status == 422, reply.body
    return [(d["field"], d["type"]) for d in reply.body["error"]["details"]]


async def test_record_list_and_remove_ones_own(floor: Floor) -> None:
    made = await record(floor, "olga", None, note="Сочи")
    assert made.status == 201, made.body
    body = dict(made.body)
    assert body.pop("id") > 0
    assert body == {
        "user_id": floor.user_id("olga"),
        "user_name": "Ольга Иванова",
        "kind": "vacation",
        "starts_on": "2026-06-22",
        "ends_on": "2026-06-26",
        "starts_at": None,
        "ends_at": None,
        "note": "Сочи",
        "created_by_id": floor.user_id("olga"),
        "created_at": "2026-06-15T09:00:00+00:00",
        "version": 1,
    }
    listed = await floor.api.get(
        "/api/v1/absences", "petr", user_id=floor.user_id("olga"), **{"from": "2026-06-01"}
    )
    assert listed.status == 200, listed.body
    assert [a["id"] for a in listed.body["items"]] == [made.body["id"]]
    # The period counts: a list of July has none of it; its last day is still in it.
    july = await floor.api.get("/api/v1/absences", "petr", **{"from": "2026-07-01"})
    assert july.body["items"] == []
    last_day = await floor.api.get(
        "/api/v1/absences", "petr", **{"from": "2026-06-26", "to": "2026-06-26"}
    )
    assert len(last_day.body["items"]) == 1
    gone = await floor.api.call("DELETE", f"/api/v1/absences/{made.body['id']}", "olga")
    assert (gone.status, gone.body) == (200, {"id": made.body["id"]})
    again = await floor.api.call("DELETE", f"/api/v1/absences/{made.body['id']}", "olga")
    assert error(again) == (404, "no-such-absence")


# Who records an absence for whom (every CRM view sees all: nobody is hidden here).
@pytest.mark.parametrize(
    ("actor", "whose", "status"),
    [
        ("olga", "olga", 201),  # one's own
        ("olga", "petr", 403),  # a team mate's: his supervisor's business
        ("olga", "igor", 403),  # another team's
        ("sveta", "petr", 201),  # a supervisor, for a member of his team
        ("sveta", "sveta", 201),
        ("sveta", "igor", 403),  # a supervisor of another team
        ("boris", "igor", 201),
        ("adam", "igor", 201),  # an admin, for anyone
        ("adam", "olga", 201),
    ],
)
async def test_who_records_for_whom(floor: Floor, actor: str, whose: str, status: int) -> None:
    made = await record(floor, actor, whose)
    assert made.status == status, made.body
    if status == 403:
        assert made.body["error"]["id"] == "not-your-absence"
    else:
        assert made.body["created_by_id"] == floor.user_id(actor)


@pytest.mark.parametrize(
    ("actor", "whose", "status"),
    [
        ("olga", "olga", 200),
        ("petr", "olga", 403),
        ("igor", "olga", 403),
        ("sveta", "olga", 200),
        ("boris", "olga", 403),
        ("adam", "olga", 200),
    ],
)
async def test_who_removes_whose(floor: Floor, actor: str, whose: str, status: int) -> None:
    made = await record(floor, whose, None)
    removed = await floor.api.call("DELETE", f"/api/v1/absences/{made.body['id']}", actor)
    assert removed.status == status, removed.body
    if status == 403:
        assert removed.body["error"]["id"] == "not-your-absence"


async def test_another_team_looks_nonexistent_under_team_scopes(floor: Floor) -> None:
    await floor.scope("operator", "team")
    await floor.scope("supervisor", "team")
    igors = await record(floor, "boris", "igor")
    olgas = await record(floor, "olga", None, starts_on="2026-06-29", ends_on="2026-07-03")
    assert igors.status == olgas.status == 201
    # sveta cannot see «Сервис»: igor is as good as nonexistent to her...
    assert error(await record(floor, "sveta", "igor", starts_on="2026-08-03")) == (
        404,
        "no-such-user",
    )
    assert error(await record(floor, "olga", "igor", starts_on="2026-08-03")) == (
        404,
        "no-such-user",
    )
    listed = await floor.api.get("/api/v1/absences", "sveta", user_id=floor.user_id("igor"))
    assert error(listed) == (404, "no-such-user")
    removed = await floor.api.call("DELETE", f"/api/v1/absences/{igors.body['id']}", "sveta")
    assert error(removed) == (404, "no-such-absence")
    # ...and everyone's list holds only the people she may see.
    everyone = await floor.api.get("/api/v1/absences", "sveta", **{"to": "2026-07-31"})
    assert [a["user_name"] for a in everyone.body["items"]] == ["Ольга Иванова"]
    # A team's list: its members she may see.
    teams = await floor.api.get("/api/v1/teams", "adam")
    items = teams.body if isinstance(teams.body, list) else teams.body["items"]
    service = next(t["id"] for t in items if t["name"] == "Сервис")
    theirs = await floor.api.get("/api/v1/absences", "sveta", team_id=service)
    assert theirs.body["items"] == []
    seen_by_boris = await floor.api.get("/api/v1/absences", "boris", team_id=service)
    assert [a["id"] for a in seen_by_boris.body["items"]] == [igors.body["id"]]
    # The admin sees and removes anyone's.
    assert (
        await floor.api.call("DELETE", f"/api/v1/absences/{igors.body['id']}", "adam")
    ).status == 200


async def test_refusals_per_field(floor: Floor) -> None:
    backwards = await record(floor, "olga", None, starts_on="2026-06-26", ends_on="2026-06-22")
    assert problems(backwards) == [("ends_on", "ends-before-start")]
    same_day = await record(
        floor, "olga", None, kind="day_off", starts_on="2026-06-22", ends_on="2026-06-22",
        starts_at="14:00", ends_at="10:00",
    )  # fmt: skip
    assert problems(same_day) == [("ends_at", "ends-before-start")]
    unknown = await record(floor, "olga", None, kind="holiday")
    assert problems(unknown) == [("kind", "enum")]
    too_long = await record(floor, "olga", None, starts_on="2026-06-22", ends_on="2027-07-01")
    assert problems(too_long) == [("ends_on", "range-too-long")]
    bad_date = await record(floor, "olga", None, starts_on="22.06.2026")
    assert problems(bad_date) == [("starts_on", "date_from_datetime_parsing")]
    backwards_list = await floor.api.get(
        "/api/v1/absences", "olga", **{"from": "2026-06-26", "to": "2026-06-22"}
    )
    assert problems(backwards_list) == [("to", "ends-before-start")]


async def test_the_use_case_refuses_an_unknown_kind_itself(floor: Floor) -> None:
    """Callers other than the API (the CLI, robots) get the same per-field refusal."""
    values = AbsenceIn(
        user_id=floor.user_id("olga"),
        kind="holiday",
        starts_on=date(2026, 6, 22),
        ends_on=date(2026, 6, 19),
    )
    with pytest.raises(InvalidInput) as refused:
        await add_absence(floor.api.hub, SystemActor(), values)
    assert [(d["field"], d["type"]) for d in refused.value.details] == [
        ("kind", "unknown-kind"),
        ("ends_on", "ends-before-start"),
    ]


async def test_an_overlapping_absence_of_the_same_person_is_refused(floor: Floor) -> None:
    assert (await record(floor, "olga", None)).status == 201
    overlapping = await record(floor, "olga", None, kind="sick_leave", starts_on="2026-06-26",
                               ends_on="2026-06-30")  # fmt: skip
    assert problems(overlapping) == [("starts_on", "absence-overlaps")]
    assert "vacation 2026-06-22–2026-06-26" in overlapping.body["error"]["details"][0]["message"]
    # The next day is free; so is the same week for someone else.
    after = await record(floor, "olga", None, kind="business_trip", starts_on="2026-06-27",
                         ends_on="2026-06-30")  # fmt: skip
    assert after.status == 201, after.body
    assert (await record(floor, "petr", None)).status == 201
    # Half days: a morning off and an afternoon off on one day both fit; a third does not.
    morning = await record(floor, "petr", None, kind="day_off", starts_on="2026-07-06",
                           ends_on="2026-07-06", ends_at="13:00")  # fmt: skip
    afternoon = await record(floor, "petr", None, kind="day_off", starts_on="2026-07-06",
                             ends_on="2026-07-06", starts_at="13:00")  # fmt: skip
    assert (morning.status, afternoon.status) == (201, 201)
    noon = await record(floor, "petr", None, kind="other", starts_on="2026-07-06",
                        ends_on="2026-07-06", starts_at="12:00", ends_at="14:00")  # fmt: skip
    assert problems(noon) == [("starts_on", "absence-overlaps")]


async def test_each_change_emits_absence_changed_to_the_team(floor: Floor) -> None:
    made = await record(floor, "sveta", "petr")
    await floor.api.call("DELETE", f"/api/v1/absences/{made.body['id']}", "sveta")
    async with floor.api.hub.db.sessions() as session:
        rows = list(
            await session.scalars(
                select(EventLog).where(EventLog.kind == "absence.changed").order_by(EventLog.id)
            )
        )
    assert [(r.payload["change"], r.payload["absence"]["id"]) for r in rows] == [
        ("created", made.body["id"]),
        ("removed", made.body["id"]),
    ]
    assert rows[0].payload["absence"]["kind"] == "vacation"
    team = {floor.user_id(u) for u in ("olga", "petr", "sveta")}
    assert team <= set(rows[0].audience["users"])
    assert "admin" in rows[0].audience["roles"]


async def test_free_busy_names_the_absence_and_its_last_day(floor: Floor) -> None:
    await record(floor, "olga", None, starts_on="2026-06-15", ends_on="2026-06-19")
    olga, petr = floor.user_id("olga"), floor.user_id("petr")
    reply = await floor.api.get(
        "/api/v1/calendar/free", "petr", users=f"{olga},{petr}", duration=60,
        **{"from": "2026-06-17T00:00:00Z", "to": "2026-06-18T00:00:00Z"},
    )  # fmt: skip
    assert reply.status == 200, reply.body
    by_user = {u["id"]: u for u in reply.body["users"]}
    # Away all day, in her zone (Moscow): busy over the whole range asked, free never.
    assert [(s["start"], s["end"]) for s in by_user[olga]["busy"]] == [
        ("2026-06-17T00:00:00+00:00", "2026-06-18T00:00:00+00:00")
    ]
    assert by_user[olga]["free"] == []
    [away] = by_user[olga]["away"]
    assert away["kind"] == "vacation" and away["until"] == "2026-06-19"
    assert (away["start"], away["end"]) == (
        "2026-06-14T21:00:00+00:00",
        "2026-06-19T21:00:00+00:00",
    )
    assert by_user[petr]["away"] == []
    assert reply.body["slots"] == []
    # The Monday after, she is back.
    monday = await floor.api.get(
        "/api/v1/calendar/free", "petr", users=str(olga), duration=60,
        **{"from": "2026-06-22T00:00:00Z", "to": "2026-06-23T00:00:00Z"},
    )  # fmt: skip
    assert monday.body["users"][0]["away"] == []
    assert monday.body["slots"] == [
        {"start": "2026-06-22T06:00:00+00:00", "end": "2026-06-22T15:00:00+00:00"}
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "ru",
            {
                "fieldError.ends-before-start": "Конец раньше начала.",
                "fieldError.absence-overlaps": "Пересекается с другим отсутствием этого человека.",
                "fieldError.unknown-kind": "Выберите один из предложенных видов.",
                "absenceError.not-your-absence": (
                    "Отсутствия сотрудника меняют он сам, руководитель его команды "
                    "или администратор."
                ),
                "absence.until.vacation": "{name} в отпуске до {until}.",
            },
        ),
        (
            "en",
            {
                "fieldError.ends-before-start": "The end is before the start.",
                "fieldError.absence-overlaps": "Overlaps another absence of this person.",
                "fieldError.unknown-kind": "Choose one of the offered kinds.",
                "absenceError.not-your-absence": (
                    "A person's absences are changed by that person, the team's "
                    "supervisor or an administrator."
                ),
                "absence.until.vacation": "{name} is on vacation until {until}.",
            },
        ),
    ],
)
def test_the_refusals_read_in_the_pages_language(locale: str, expected: dict[str, str]) -> None:
    strings = js_strings(compile_catalog(locale))
    assert {key: strings[key] for key in expected} == expected


async def test_the_endpoints_are_in_the_api_document(api: Api) -> None:
    document = await get_document(api)
    paths = document["paths"]
    listed, recorded = paths["/api/v1/absences"]["get"], paths["/api/v1/absences"]["post"]
    removed = paths["/api/v1/absences/{id}"]["delete"]
    assert [p["name"] for p in listed["parameters"]] == ["user_id", "team_id", "from", "to"]
    assert set(listed["responses"]) == {"200", "401", "404", "422"}
    assert set(recorded["responses"]) == {"201", "400", "401", "403", "404", "422"}
    assert set(removed["responses"]) == {"200", "401", "403", "404"}
    assert {listed["x-okno-role"], recorded["x-okno-role"], removed["x-okno-role"]} == {"operator"}
    kinds = document["components"]["schemas"]["AbsenceKind"]["enum"]
    assert kinds == ["vacation", "sick_leave", "business_trip", "day_off", "other"]
