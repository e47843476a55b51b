"""Activities over HTTP on both backends: planning from a conversation, bad input per field
with nothing written, who sees and changes what, version conflicts, two people completing at
once, the next activity and the client's next-contact date, snoozing, overdue lists.

The floor (tests/hub/api/deal_world.py): «Продажи» olga, petr (operators), sveta
(supervisor); «Сервис» igor (operator), boris (supervisor); adam (admin). The clock stands
at Monday 2026-06-15 09:00 UTC, 12:00 in Moscow.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import Activity, Contact
from tests.hub.api.conftest import Api
from tests.hub.api.crm_setup import add_contact
from tests.hub.api.deal_world import Floor, build_floor


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await build_floor(api)


async def plan(api: Api, as_user: str, **values: Any) -> dict[str, Any]:
    made = await api.post("/api/v1/activities", as_user, {"subject": "Перезвонить", **values})
    assert made.status == 201, made.body
    return dict(made.body)


async def activity_count(api: Api) -> int:
    async with api.hub.db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Activity))).scalar_one()


async def test_a_callback_from_a_conversation_brings_its_client(floor: Floor) -> None:
    api = floor.api
    conversation_id = await api.inbound("Анна Соколова", text="Перезвоните мне")
    # «Перезвонить завтра в 11:00»: the operator's wall clock, Moscow (UTC+3).
    made = await plan(
        api,
        "olga",
        kind="call",
        conversation_id=conversation_id,
        due_at="2026-06-16T11:00",
        duration_min=15,
        remind_at="2026-06-16T10:50",
    )
    assert made["due_at"] == "2026-06-16T08:00:00+00:00"
    assert made["ends_at"] == "2026-06-16T08:15:00+00:00"
    assert made["remind_at"] == "2026-06-16T07:50:00+00:00"
    assert made["contact"]["name"] == "Анна Соколова"
    assert made["conversation_id"] == conversation_id
    assert made["responsible"] == {"id": floor.user_id("olga"), "name": "Ольга Иванова"}
    assert (made["kind"], made["status"], made["version"], made["overdue"]) == (
        "call",
        "planned",
        1,
        False,
    )
    async with api.hub.db.sessions() as session:
        contact = await session.get_one(Contact, made["contact"]["id"])
    assert contact.next_contact_at is not None
    assert contact.next_contact_at.isoformat() == "2026-06-16T08:00:00+00:00"
    mine = await api.get("/api/v1/activities", "olga", responsible="me")
    assert [i["id"] for i in mine.body["items"]] == [made["id"]]
    got = await api.get(f"/api/v1/activities/{made['id']}", "olga")
    assert got.body == made


async def test_bad_input_is_refused_per_field_and_nothing_is_written(floor: Floor) -> None:
    api = floor.api
    await floor.scope("operator", "team")
    igor = floor.user_id("igor")
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        (
            {"due_at": "2026-06-16T11:00", "ends_at": "2026-06-16T10:00"},
            [("ends_at", "ends-before-start")],
        ),
        ({"remind_at": "2026-06-15T08:00:00Z"}, [("remind_at", "in-the-past")]),
        ({"participant_ids": [igor]}, [("participant_ids.0", "not-visible")]),
        ({"responsible_id": igor}, [("responsible_id", "not-visible")]),
        (
            {
                "due_at": "2026-06-16T11:00",
                "ends_at": "2026-06-16T10:00",
                "remind_at": "2026-06-01T08:00",
                "participant_ids": [igor],
            },
            [
                ("ends_at", "ends-before-start"),
                ("remind_at", "in-the-past"),
                ("participant_ids.0", "not-visible"),
            ],
        ),
    ]
    for values, expected in cases:
        reply = await api.post("/api/v1/activities", "olga", {"subject": "Встреча", **values})
        assert reply.status == 422, (values, reply.body)
        details = reply.body["error"]["details"]
        assert sorted((d["field"], d["type"]) for d in details) == sorted(expected), values
    unparsed = await api.post(
        "/api/v1/activities", "olga", {"subject": "Встреча", "due_at": "завтра в 11"}
    )
    assert unparsed.status == 422
    assert [d["field"] for d in unparsed.body["error"]["details"]] == ["due_at"]
    assert await activity_count(api) == 0


async def test_who_sees_and_who_changes_an_activity(floor: Floor) -> None:
    api = floor.api
    await floor.scope("operator", "team")
    await floor.scope("supervisor", "team")
    made = await plan(api, "olga", due_at="2026-06-16T11:00")
    path = f"/api/v1/activities/{made['id']}"
    seen = {login: (await api.get(path, login)).status for login in api.users}
    assert seen == {
        "olga": 200,
        "petr": 200,
        "sveta": 200,
        "adam": 200,
        "igor": 404,
        "boris": 404,
    }
    listed = await api.get("/api/v1/activities", "igor")
    assert listed.body["items"] == []
    # A team mate sees it but does not change it; the supervisor of the team does.
    refused = await api.call("PATCH", path, "petr", json={"version": 1, "subject": "Моё"})
    assert (refused.status, refused.body["error"]["id"]) == (403, "not-responsible")
    hidden = await api.call("PATCH", path, "igor", json={"version": 1, "subject": "Моё"})
    assert hidden.status == 404
    changed = await api.call("PATCH", path, "sveta", json={"version": 1, "place": "Офис"})
    assert (changed.status, changed.body["place"], changed.body["version"]) == (200, "Офис", 2)
    # Invited by the admin across teams: igor now sees it (and only sees it).
    invited = await api.call(
        "PATCH", path, "adam", json={"version": 2, "participant_ids": [floor.user_id("igor")]}
    )
    assert invited.status == 200, invited.body
    assert [p["name"] for p in invited.body["participants"]] == ["Игорь Сидоров"]
    assert (await api.get(path, "igor")).status == 200
    done = await api.post(f"{path}/complete", "igor", {"result": "Готово"})
    assert done.status == 403
    anonymous = await api.get(path, None)
    assert anonymous.status == 401


async def test_an_edit_from_an_old_version_gets_409_with_the_current_one(floor: Floor) -> None:
    api = floor.api
    made = await plan(api, "olga", due_at="2026-06-16T11:00")
    path = f"/api/v1/activities/{made['id']}"
    first = await api.call("PATCH", path, "olga", json={"version": 1, "subject": "Позвонить"})
    assert first.status == 200 and first.body["version"] == 2
    stale = await api.call("PATCH", path, "sveta", json={"version": 1, "subject": "Написать"})
    assert stale.status == 409
    error = stale.body["error"]
    assert (error["id"], error["details"]["current_version"]) == ("stale-version", 2)
    assert error["details"]["current"]["subject"] == "Позвонить"
    moved = await api.post(
        f"{path}/reschedule", "olga", {"due_at": "2026-06-17T15:00:00+03:00", "version": 2}
    )
    assert moved.status == 200
    assert (moved.body["due_at"], moved.body["version"]) == ("2026-06-17T12:00:00+00:00", 3)


async def test_a_form_sent_back_whole_keeps_a_passed_reminder(floor: Floor) -> None:
    api = floor.api
    made = await plan(api, "olga", due_at="2026-06-15T10:00:00Z", remind_at="2026-06-15T09:30Z")
    floor.clock.advance(3600)  # the reminder time has passed
    path = f"/api/v1/activities/{made['id']}"
    same = {"version": 1, "subject": "Перезвонить!", "remind_at": made["remind_at"]}
    kept = await api.call("PATCH", path, "olga", json=same)
    assert kept.status == 200, kept.body
    assert kept.body["remind_at"] == "2026-06-15T09:30:00+00:00"
    moved = {"version": 2, "remind_at": "2026-06-15T09:45:00Z"}
    refused = await api.call("PATCH", path, "olga", json=moved)
    assert refused.status == 422
    assert refused.body["error"]["details"][0]["type"] == "in-the-past"


async def test_two_people_completing_at_once_one_wins(floor: Floor) -> None:
    api = floor.api
    made = await plan(api, "olga", due_at="2026-06-15T10:00:00Z")
    path = f"/api/v1/activities/{made['id']}/complete"
    replies = await asyncio.gather(
        api.post(path, "olga", {"result": "Договорились о замере"}),
        api.post(path, "sveta", {"result": "Клиент занят"}),
    )
    statuses = sorted(r.status for r in replies)
    assert statuses == [200, 409], [r.body for r in replies]
    [won] = [r for r in replies if r.status == 200]
    [lost] = [r for r in replies if r.status == 409]
    assert lost.body["error"]["id"] == "activity-already-done"
    assert lost.body["error"]["details"]["done_by_id"] == won.body["done_by"]["id"]
    assert won.body["status"] == "done" and won.body["version"] == 2
    again = await api.post(path, "olga", {"result": "ещё раз"})
    assert (again.status, again.body["error"]["id"]) == (409, "activity-already-done")


async def test_completing_asks_a_result_and_plans_the_next_contact(floor: Floor) -> None:
    api = floor.api
    contact_id = await add_contact(api, "ООО Ромашка", responsible="olga")
    made = await plan(api, "olga", contact_id=contact_id, due_at="2026-06-15T10:00:00Z")
    path = f"/api/v1/activities/{made['id']}"
    blank = await api.post(f"{path}/complete", "olga", {"result": "  "})
    assert blank.status == 422 and blank.body["error"]["details"][0]["field"] == "result"
    done = await api.post(
        f"{path}/complete",
        "olga",
        {
            "result": "Просят КП",
            "next": {"kind": "email", "subject": "Отправить КП", "due_at": "2026-06-18T10:00"},
        },
    )
    assert done.status == 200, done.body
    assert (done.body["result"], done.body["done_at"]) == ("Просят КП", "2026-06-15T09:00:00+00:00")
    listed = await api.get("/api/v1/activities", "olga", contact_id=contact_id, status="planned")
    [follow_up] = listed.body["items"]
    assert (follow_up["subject"], follow_up["kind"], follow_up["due_at"]) == (
        "Отправить КП",
        "email",
        "2026-06-18T07:00:00+00:00",
    )
    assert follow_up["contact"]["id"] == contact_id
    card = await api.get(f"/api/v1/contacts/{contact_id}", "olga")
    assert card.body["next_contact_at"] == "2026-06-18T07:00:00+00:00"
    cancelled = await api.post(f"/api/v1/activities/{follow_up['id']}/cancel", "olga", {})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    card = await api.get(f"/api/v1/contacts/{contact_id}", "olga")
    assert card.body["next_contact_at"] is None


async def test_snooze_ten_minutes_an_hour_or_tomorrow_morning_in_my_zone(floor: Floor) -> None:
    api = floor.api
    made = await plan(api, "olga", due_at="2026-06-15T15:00", remind_at="2026-06-15T14:30")
    path = f"/api/v1/activities/{made['id']}/snooze"
    expected = {
        "10m": "2026-06-15T09:10:00+00:00",
        "1h": "2026-06-15T10:00:00+00:00",
        # 9:00 tomorrow in Moscow is 06:00 UTC.
        "tomorrow": "2026-06-16T06:00:00+00:00",
    }
    for preset, remind_at in expected.items():
        snoozed = await api.post(path, "olga", {"preset": preset})
        assert snoozed.status == 200, snoozed.body
        assert snoozed.body["remind_at"] == remind_at, preset
    zone = await api.call("PUT", "/api/v1/calendar/settings", "olga", json={"time_zone": "UTC"})
    assert zone.status == 200
    utc = await api.post(path, "olga", {"preset": "tomorrow"})
    assert utc.body["remind_at"] == "2026-06-16T09:00:00+00:00"
    wrong = await api.call("PUT", "/api/v1/calendar/settings", "olga", json={"time_zone": "Mars"})
    assert wrong.status == 422


async def test_overdue_today_and_team_lists(floor: Floor) -> None:
    api = floor.api
    overdue = await plan(api, "olga", subject="Просрочено", due_at="2026-06-14T10:00:00Z")
    today = await plan(api, "olga", subject="Сегодня", due_at="2026-06-15T16:00")
    await plan(api, "petr", subject="Завтра у Петра", due_at="2026-06-16T10:00")
    # An all-day task on today's date is not overdue while the day lasts in Moscow.
    await plan(api, "olga", subject="Весь день", due_at="2026-06-15", all_day=True)
    late = await api.get("/api/v1/activities", "olga", overdue="true")
    assert [i["subject"] for i in late.body["items"]] == ["Просрочено"]
    assert late.body["items"][0]["overdue"] is True
    day = await api.get(
        "/api/v1/activities",
        "olga",
        responsible="me",
        **{"from": "2026-06-15T00:00", "to": "2026-06-16T00:00"},
    )
    assert [i["subject"] for i in day.body["items"]] == ["Весь день", "Сегодня"]
    assert day.body["items"][0]["due_on"] == "2026-06-15"
    team = await api.get("/api/v1/activities", "sveta", team_id=await _team_id(floor))
    assert {i["subject"] for i in team.body["items"]} == {
        "Просрочено",
        "Сегодня",
        "Завтра у Петра",
        "Весь день",
    }
    assert overdue["id"] != today["id"]


async def _team_id(floor: Floor) -> int:
    reply = await floor.api.get("/api/v1/teams", "adam")
    assert reply.status == 200, reply.body
    items = reply.body if isinstance(reply.body, list) else reply.body["items"]
    return int(next(t["id"] for t in items if t["name"] == "Продажи"))


async def test_the_today_panel_in_my_zone(floor: Floor) -> None:
    api = floor.api
    await plan(api, "olga", subject="Позавчера", due_at="2026-06-13T10:00")
    await plan(api, "olga", subject="Утром", due_at="2026-06-15T10:00")  # 07:00 UTC, past
    await plan(api, "olga", subject="Вечером", due_at="2026-06-15T19:00", duration_min=30)
    done = await plan(api, "olga", subject="Сделано", due_at="2026-06-15T09:30")
    await api.post(f"/api/v1/activities/{done['id']}/complete", "olga", {"result": "Ок"})
    await plan(api, "olga", subject="Завтра", due_at="2026-06-16T23:30")
    await plan(api, "olga", subject="Послезавтра", due_at="2026-06-17T00:30")
    await plan(
        api,
        "petr",
        subject="Петя зовёт",
        kind="meeting",
        due_at="2026-06-16T12:00",
        duration_min=60,
        participant_ids=[floor.user_id("olga")],
    )
    panel = await api.get("/api/v1/activities/today", "olga")
    assert panel.status == 200, panel.body
    body = panel.body
    assert (body["date"], body["time_zone"]) == ("2026-06-15", "Europe/Moscow")
    assert [i["subject"] for i in body["overdue"]] == ["Позавчера"]
    assert [(i["subject"], i["overdue"]) for i in body["today"]] == [
        ("Сделано", False),
        ("Утром", True),
        ("Вечером", False),
    ]
    assert [i["subject"] for i in body["tomorrow"]] == ["Петя зовёт", "Завтра"]
    assert body["badge"] == 3
