"""The calendar, free/busy and iCalendar over HTTP on both backends.

Monday 2026-06-15. «Продажи» (olga, petr, sveta) work 09:00–18:00 Moscow = 06:00–15:00 UTC;
«Сервис» (igor, boris) work 09:00–18:00 UTC. adam (admin) is in no team: office hours in
his own zone. Every expectation below is worked out by hand in UTC.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.actions.teams import update_team
from hub.policy import SystemActor
from tests.hub.api.conftest import Api
from tests.hub.api.crm_setup import add_contact
from tests.hub.api.deal_world import Floor, build_floor

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
DAY = {"from": "2026-06-15T00:00:00Z", "to": "2026-06-16T00:00:00Z"}


def hours(tz: str) -> dict[str, Any]:
    return {"tz": tz, "days": {day: [["09:00", "18:00"]] for day in WEEKDAYS}}


async def team_ids(api: Api) -> dict[str, int]:
    reply = await api.get("/api/v1/teams", "adam")
    items = reply.body if isinstance(reply.body, list) else reply.body["items"]
    return {t["name"]: t["id"] for t in items}


@pytest.fixture
async def floor(api: Api) -> Floor:
    floor = await build_floor(api)
    teams = await team_ids(api)
    await update_team(
        api.hub, SystemActor(), teams["Продажи"], business_hours=hours("Europe/Moscow")
    )
    await update_team(api.hub, SystemActor(), teams["Сервис"], business_hours=hours("UTC"))
    return floor


async def plan(api: Api, as_user: str, subject: str, **values: Any) -> dict[str, Any]:
    made = await api.post(
        "/api/v1/activities", as_user, {"subject": subject, "kind": "meeting", **values}
    )
    assert made.status == 201, made.body
    return dict(made.body)


async def meetings(floor: Floor) -> None:
    api = floor.api
    await plan(api, "olga", "Замер", due_at="2026-06-15T10:00", duration_min=60)
    await plan(api, "petr", "Монтаж", due_at="2026-06-15T10:30", duration_min=90)
    await plan(
        api,
        "olga",
        "Планёрка",
        due_at="2026-06-15T14:00",
        duration_min=60,
        participant_ids=[floor.user_id("petr")],
    )
    await plan(api, "olga", "Подготовить КП", kind="task", due_at="2026-06-15T13:00")
    cancelled = await plan(api, "petr", "Отменена", due_at="2026-06-15T16:00", duration_min=60)
    await api.post(f"/api/v1/activities/{cancelled['id']}/cancel", "petr", {})
    await plan(api, "olga", "Выставка", kind="task", due_at="2026-06-15", all_day=True)


def spans(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(s["start"][11:16], s["end"][11:16]) for s in items]


async def free(api: Api, as_user: str, users: list[int], duration: int) -> Any:
    ids = ",".join(str(u) for u in users)
    return await api.get("/api/v1/calendar/free", as_user, users=ids, duration=duration, **DAY)


async def test_free_slots_over_overlapping_meetings_and_moscow_hours(floor: Floor) -> None:
    await meetings(floor)
    olga, petr = floor.user_id("olga"), floor.user_id("petr")
    reply = await free(floor.api, "olga", [olga, petr], 60)
    assert reply.status == 200, reply.body
    by_user = {u["id"]: u for u in reply.body["users"]}
    assert spans(by_user[olga]["working"]) == [("06:00", "15:00")]
    # Замер 07–08, Планёрка 11–12 (the task and the all-day item block nothing).
    assert spans(by_user[olga]["busy"]) == [("07:00", "08:00"), ("11:00", "12:00")]
    # Монтаж 07:30–09:00 and the Планёрка he is invited to; the cancelled one is gone.
    assert spans(by_user[petr]["busy"]) == [("07:30", "09:00"), ("11:00", "12:00")]
    assert spans(reply.body["slots"]) == [
        ("06:00", "07:00"),
        ("09:00", "11:00"),
        ("12:00", "15:00"),
    ]
    longer = await free(floor.api, "olga", [olga, petr], 90)
    assert spans(longer.body["slots"]) == [("09:00", "11:00"), ("12:00", "15:00")]


async def test_free_slots_across_a_moscow_and_a_utc_team(floor: Floor) -> None:
    await meetings(floor)
    olga, igor = floor.user_id("olga"), floor.user_id("igor")
    reply = await free(floor.api, "adam", [olga, igor], 60)
    assert reply.status == 200, reply.body
    by_user = {u["id"]: u for u in reply.body["users"]}
    assert spans(by_user[igor]["working"]) == [("09:00", "18:00")]
    assert spans(reply.body["slots"]) == [("09:00", "11:00"), ("12:00", "15:00")]
    # adam is in no team: office hours in his zone, here UTC.
    zone = await floor.api.call(
        "PUT", "/api/v1/calendar/settings", "adam", json={"time_zone": "UTC"}
    )
    assert zone.status == 200
    alone = await free(floor.api, "adam", [floor.user_id("adam"), igor], 30)
    assert spans(alone.body["slots"]) == [("09:00", "18:00")]


async def test_a_colleague_of_a_team_you_may_not_see_is_refused(floor: Floor) -> None:
    await floor.scope("operator", "team")
    reply = await free(floor.api, "igor", [floor.user_id("olga")], 30)
    assert reply.status == 422
    assert [d["field"] for d in reply.body["error"]["details"]] == ["users.0"]
    backwards = await floor.api.get(
        "/api/v1/calendar",
        "olga",
        users=str(floor.user_id("olga")),
        **{"from": "2026-06-16T00:00:00Z", "to": "2026-06-15T00:00:00Z"},
    )
    assert backwards.status == 422
    assert backwards.body["error"]["details"][0]["type"] == "ends-before-start"


async def test_the_calendar_of_two_managers_over_a_week(floor: Floor) -> None:
    await meetings(floor)
    await plan(floor.api, "petr", "Следующая неделя", due_at="2026-06-22T10:00", duration_min=30)
    users = f"{floor.user_id('olga')},{floor.user_id('petr')}"
    # Naive bounds: the caller's own week in Moscow.
    week = await floor.api.get(
        "/api/v1/calendar",
        "sveta",
        users=users,
        **{"from": "2026-06-15T00:00", "to": "2026-06-22T00:00"},
    )
    assert week.status == 200, week.body
    assert week.body["start"] == "2026-06-14T21:00:00+00:00"
    assert [i["subject"] for i in week.body["items"]] == [
        "Выставка",
        "Замер",
        "Монтаж",
        "Подготовить КП",
        "Планёрка",
    ]
    assert [u["name"] for u in week.body["users"]] == ["Ольга Иванова", "Пётр Смирнов"]


async def test_a_weeks_cells_field_by_field(floor: Floor) -> None:
    """Every field of a cell, the same on both backends (PostgreSQL makes the JSON itself):
    a meeting begun before the week that runs into it, a meeting with a guest, a client, a
    deal and a place, a task without a duration, all-day tasks on the week's first and last
    day and one the day after. The clock: Monday 2026-06-15 09:00 UTC (12:00 Moscow)."""
    api = floor.api
    olga, petr = floor.user_id("olga"), floor.user_id("petr")
    contact_id = await add_contact(api, "ООО Ромашка", responsible="olga")
    deal_id = await floor.deal("Окна в офис", owner="olga")
    late = await plan(api, "olga", "Поздний звонок", kind="call", due_at="2026-06-14T23:30",
                      duration_min=60)  # fmt: skip
    meeting = await plan(api, "olga", "Встреча", due_at="2026-06-15T10:00", duration_min=45,
                         participant_ids=[petr], contact_id=contact_id, deal_id=deal_id,
                         place="Офис клиента")  # fmt: skip
    first = await plan(api, "olga", "Выставка", kind="task", due_at="2026-06-15", all_day=True)
    # Half a second past: the fraction is kept, as Python writes it (six digits).
    task = await plan(api, "petr", "Отчёт", kind="task", due_at="2026-06-16T09:00:00.5")
    last = await plan(api, "petr", "Дежурство", kind="task", due_at="2026-06-21", all_day=True)
    await plan(api, "petr", "После недели", kind="task", due_at="2026-06-22", all_day=True)

    def cell(made: dict[str, Any], **values: Any) -> dict[str, Any]:
        base = {"id": made["id"], "status": "planned", "duration_min": None, "all_day": False,
                "due_on": None, "participant_ids": [], "contact": None, "deal": None,
                "place": "", "version": 1}  # fmt: skip
        return {**base, "kind": made["kind"], "subject": made["subject"], **values}

    async def week() -> list[dict[str, Any]]:
        reply = await api.get("/api/v1/calendar", "sveta", users=f"{olga},{petr}",
                              **{"from": "2026-06-15T00:00", "to": "2026-06-22T00:00"})  # fmt: skip
        assert reply.status == 200, reply.body
        return list(reply.body["items"])

    expected = [
        # 23:30 Moscow on Sunday is 20:30 UTC; it ends at 00:30 Moscow, inside the week.
        cell(late, due_at="2026-06-14T20:30:00+00:00", ends_at="2026-06-14T21:30:00+00:00",
             duration_min=60, overdue=True, responsible_id=olga),
        cell(first, due_at="2026-06-15T00:00:00+00:00", ends_at="2026-06-16T00:00:00+00:00",
             all_day=True, due_on="2026-06-15", overdue=False, responsible_id=olga),
        cell(meeting, due_at="2026-06-15T07:00:00+00:00", ends_at="2026-06-15T07:45:00+00:00",
             duration_min=45, overdue=True, responsible_id=olga, participant_ids=[petr],
             contact={"id": contact_id, "name": "ООО Ромашка"},
             deal={"id": deal_id, "name": "Окна в офис"}, place="Офис клиента"),
        cell(task, due_at="2026-06-16T06:00:00.500000+00:00",
             ends_at="2026-06-16T06:00:00.500000+00:00",
             overdue=False, responsible_id=petr),
        cell(last, due_at="2026-06-21T00:00:00+00:00", ends_at="2026-06-22T00:00:00+00:00",
             all_day=True, due_on="2026-06-21", overdue=False, responsible_id=petr),
    ]  # fmt: skip
    assert await week() == expected
    # A day on, Tuesday 09:00 UTC: Monday's all-day task is over in Moscow, the report due
    # at 06:00 UTC is late; Sunday's duty is still ahead.
    floor.clock.now += timedelta(days=1)
    expected[1]["overdue"] = expected[3]["overdue"] = True
    assert await week() == expected


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75, line
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def fields(lines: list[str], begin: str = "BEGIN:VEVENT") -> dict[str, str]:
    start = lines.index(begin)
    found: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if line.startswith("END:"):
            break
        name, _, value = line.partition(":")
        found.setdefault(name, value)
    return found


async def ics(api: Api, path: str, as_user: str | None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {api.tokens[as_user]}"} if as_user else {}
    async with api.client.get(path, headers=headers) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_an_activity_as_an_ics_file_parses_back(floor: Floor) -> None:
    api = floor.api
    long_agenda = "Обсудить сроки, цену; монтаж. " * 6
    made = await plan(
        api,
        "olga",
        "Встреча с ООО «Окна, двери; стёкла»",
        due_at="2026-06-16T14:00",
        ends_at="2026-06-16T15:30",
        place="Москва, ул. Тверская, 1",
        agenda=long_agenda,
        remind_at="2026-06-16T13:45",
    )
    status, content_type, text = await ics(api, f"/api/v1/activities/{made['id']}.ics", "olga")
    assert (status, content_type) == (200, "text/calendar; charset=utf-8")
    lines = unfold(text)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-1] == "END:VCALENDAR"
    event = fields(lines)
    assert event["UID"] == f"activity-{made['id']}@127.0.0.1"
    assert event["DTSTART"] == "20260616T110000Z"
    assert event["DTEND"] == "20260616T123000Z"
    assert event["SUMMARY"] == "Встреча: Встреча с ООО «Окна\\, двери\\; стёкла»"
    assert event["LOCATION"] == "Москва\\, ул. Тверская\\, 1"
    assert event["DESCRIPTION"].startswith("Повестка: Обсудить сроки\\, цену\\; монтаж.")
    assert event["STATUS"] == "CONFIRMED" and event["SEQUENCE"] == "0"
    alarm = fields(lines, "BEGIN:VALARM")
    assert alarm["TRIGGER;VALUE=DATE-TIME"] == "20260616T104500Z"
    hidden = await ics(api, f"/api/v1/activities/{made['id']}.ics", None)
    assert hidden[0] == 401
    all_day = await plan(api, "olga", "Выставка", kind="task", due_at="2026-06-17", all_day=True)
    _, _, text = await ics(api, f"/api/v1/activities/{all_day['id']}.ics", "olga")
    event = fields(unfold(text))
    assert (event["DTSTART;VALUE=DATE"], event["DTEND;VALUE=DATE"]) == ("20260617", "20260618")


async def test_the_personal_feed_opens_by_its_token_only(floor: Floor) -> None:
    api = floor.api
    await meetings(floor)
    issued = await api.post("/api/v1/calendar/feed", "petr")
    assert issued.status == 201, issued.body
    path = "/ical/" + issued.body["url"].split("/ical/", 1)[1]
    status, content_type, text = await ics(api, path, None)
    assert (status, content_type) == (200, "text/calendar; charset=utf-8")
    lines = unfold(text)
    summaries = [line.split(":", 1)[1] for line in lines if line.startswith("SUMMARY:")]
    # His own, the one he is invited to, and the cancelled one (so calendars drop it).
    assert summaries == ["Встреча: Монтаж", "Встреча: Планёрка", "Встреча: Отменена"]
    assert "STATUS:CANCELLED" in lines
    wrong = await ics(api, "/ical/" + "x" * 43 + ".ics", None)
    bogus = await ics(api, "/ical/nothing-here", None)
    assert wrong[0] == bogus[0] == 404
    assert wrong[2] == bogus[2]  # the same bare answer: nothing to tell them apart
    again = await api.post("/api/v1/calendar/feed", "petr")
    assert (await ics(api, path, None))[0] == 404
    assert (await ics(api, "/ical/" + again.body["token"] + ".ics", None))[0] == 200


async def test_the_personal_feed_holds_ones_absences_as_busy_days(floor: Floor) -> None:
    api = floor.api
    vacation = await api.post(
        "/api/v1/absences",
        "petr",
        {
            "kind": "vacation",
            "starts_on": "2026-06-22",
            "ends_on": "2026-06-26",
            "note": "Сочи, море",
        },
    )
    afternoon = await api.post(
        "/api/v1/absences",
        "petr",
        {
            "kind": "day_off",
            "starts_on": "2026-06-29",
            "ends_on": "2026-06-29",
            "starts_at": "14:00",
        },
    )
    others = await api.post(
        "/api/v1/absences",
        "olga",
        {"kind": "sick_leave", "starts_on": "2026-06-17", "ends_on": "2026-06-18"},
    )
    assert (vacation.status, afternoon.status, others.status) == (201, 201, 201)
    issued = await api.post("/api/v1/calendar/feed", "petr")
    path = "/ical/" + issued.body["url"].split("/ical/", 1)[1]
    _, _, text = await ics(api, path, None)
    lines = unfold(text)
    events = [fields(lines[i:]) for i, line in enumerate(lines) if line == "BEGIN:VEVENT"]
    away = [e for e in events if e["UID"].startswith("absence-")]
    assert [(e["UID"], e["SUMMARY"], e.get("DESCRIPTION")) for e in away] == [
        (f"absence-{vacation.body['id']}@127.0.0.1", "Отпуск", "Сочи\\, море"),
        (f"absence-{afternoon.body['id']}@127.0.0.1", "Отгул", None),
    ]
    # Whole days stay on their dates; the afternoon off is 14:00–24:00 in Moscow, in UTC.
    assert (away[0]["DTSTART;VALUE=DATE"], away[0]["DTEND;VALUE=DATE"]) == ("20260622", "20260627")
    assert (away[1]["DTSTART"], away[1]["DTEND"]) == ("20260629T110000Z", "20260629T210000Z")
    assert all(e["TRANSP"] == "OPAQUE" for e in away)


async def test_an_invitation_moves_with_its_meeting(floor: Floor) -> None:
    api = floor.api
    petr = floor.user_id("petr")
    made = await plan(
        api, "olga", "Планёрка", due_at="2026-06-15T14:00", duration_min=60, participant_ids=[petr]
    )

    async def petrs(day: str) -> list[str]:
        reply = await api.get(
            "/api/v1/calendar",
            "petr",
            users=str(petr),
            **{"from": f"{day}T00:00", "to": f"{day}T23:59"},
        )
        assert reply.status == 200, reply.body
        return [i["subject"] for i in reply.body["items"]]

    assert await petrs("2026-06-15") == ["Планёрка"]
    moved = await api.post(
        f"/api/v1/activities/{made['id']}/reschedule", "olga", {"due_at": "2026-06-19T14:00"}
    )
    assert moved.status == 200, moved.body
    assert await petrs("2026-06-15") == []
    assert await petrs("2026-06-19") == ["Планёрка"]
    edited = await api.call(
        "PATCH",
        f"/api/v1/activities/{made['id']}",
        "olga",
        json={"version": 2, "due_at": "2026-06-15T16:00"},
    )
    assert edited.status == 200, edited.body
    assert await petrs("2026-06-15") == ["Планёрка"]
    busy = await free(api, "petr", [petr], 30)
    assert spans(busy.body["users"][0]["busy"]) == [("13:00", "14:00")]
