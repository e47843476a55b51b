"""/api/v1/robots and /api/v1/flags: administrators set robots up (per-field errors, versions,
a dry run that writes nothing), supervisors see firings and clear flags; flags appear in the
conversation list and on the deal's card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.actions import deals
from hub.models import RobotFiring, Role
from hub.policy import SystemActor
from robots import engine
from tests.conftest import Clock
from tests.hub.api.conftest import Api
from tests.robots import world
from tests.robots.world import msk

NO_REPLY_5 = {
    "name": "Нет первого ответа 5 минут",
    "description": "Флаг, если клиенту не ответили за 5 минут",
    "trigger": {
        "type": "time",
        "state": "conversation.no_first_response",
        "after": {"amount": 5, "unit": "minutes", "working_time": True},
    },
    "actions": [
        {"type": "flag", "code": "no-reply", "reason": "Нет ответа 5 минут"},
        {"type": "notify", "to": "supervisor", "text": "Обращение №{id} ждёт ответа"},
    ],
}


async def test_robot_lifecycle_over_the_api(api: Api) -> None:
    clock = Clock()
    clock.now = msk(2026, 6, 15, 10, 0)
    api.hub.clock = clock
    await api.add_user("admin", Role.admin, "Администратор")

    for login in ("olga", "sveta"):
        assert (await api.post("/api/v1/robots", login, NO_REPLY_5)).status == 403
    bad: dict[str, Any] = {**NO_REPLY_5, "conditions": {"field": "mood", "value": "bad"}}
    refused = await api.post("/api/v1/robots", "admin", bad)
    assert refused.status == 422
    assert [d["field"] for d in refused.body["error"]["details"]] == ["conditions.field"]

    created = await api.post("/api/v1/robots", "admin", NO_REPLY_5)
    assert created.status == 201
    robot = created.body
    assert (robot["version"], robot["enabled"], robot["kind"]) == (1, False, "custom")

    conversation_id = await api.inbound()
    clock.advance(4 * 60)
    dry = await api.post(f"/api/v1/robots/{robot['id']}/dry-run", "admin", {})
    assert dry.status == 200 and dry.body["items"] == []
    clock.advance(60)
    dry = await api.post(f"/api/v1/robots/{robot['id']}/dry-run", "admin", {})
    [would] = dry.body["items"]
    assert (would["object_type"], would["object_id"]) == ("conversation", conversation_id)
    assert would["actions"][1]["text"] == f"Обращение №{conversation_id} ждёт ответа"
    assert await world.count(api.hub, RobotFiring) == 0  # a dry run writes nothing

    assert (await api.post(f"/api/v1/robots/{robot['id']}/enable", "admin")).body["enabled"]
    await engine.tick(api.hub)
    listed = (await api.get("/api/v1/robots", "sveta")).body["items"]
    # The built-in pack is installed (switched off) when the node starts.
    assert [(r["name"], r["enabled"], r["fired_this_week"]) for r in listed] == [
        ("Зависшая сделка", False, 0),
        ("Нет первого ответа", False, 0),
        ("Пропущенный звонок не перезвонили", False, 0),
        ("Лид без контакта", False, 0),
        ("Просроченная задача", False, 0),
        ("Нет следующего контакта", False, 0),
        ("Не оплачено после договора", False, 0),
        ("SLA на грани", False, 0),
        (NO_REPLY_5["name"], True, 1),
    ]
    history = (await api.get(f"/api/v1/robots/{robot['id']}/firings", "sveta")).body["items"]
    assert [(f["object_id"], f["rule_version"], f["status"]) for f in history] == [
        (conversation_id, 1, "done")
    ]

    shown = (await api.get(f"/api/v1/conversations/{conversation_id}", "olga")).body
    assert [(f["kind"], f["label"]) for f in shown["flags"]] == [("no-reply", "Нет ответа 5 минут")]
    flags = (await api.get("/api/v1/flags", "olga")).body["items"]
    assert [(f["object_type"], f["object_id"]) for f in flags] == [
        ("conversation", conversation_id)
    ]

    flag_id = flags[0]["id"]
    assert (
        await api.post(f"/api/v1/flags/{flag_id}/clear", "olga", {"comment": "ок"})
    ).status == 403
    cleared = await api.post(
        f"/api/v1/flags/{flag_id}/clear", "sveta", {"comment": "Клиент звонил"}
    )
    assert cleared.status == 200
    [flag] = cleared.body["items"]
    assert flag["cleared_by_id"] == api.users["sveta"].id and flag["comment"] == "Клиент звонил"
    assert (await api.get("/api/v1/flags", "olga")).body["items"] == []
    assert (await api.get(f"/api/v1/conversations/{conversation_id}", "olga")).body["flags"] == []
    again = await api.post(f"/api/v1/flags/{flag_id}/clear", "sveta", {"comment": "ещё"})
    assert again.status == 409

    # Editing the rule makes version 2; the old firing keeps version 1.
    stale = await api.call(
        "PATCH", f"/api/v1/robots/{robot['id']}", "admin", json={"version": 0, "name": "X"}
    )
    assert stale.status == 409
    patch = {**{k: NO_REPLY_5[k] for k in ("trigger", "actions")}, "version": 1}
    patch["trigger"] = {**NO_REPLY_5["trigger"], "after": {"amount": 10, "unit": "minutes"}}
    edited = await api.call("PATCH", f"/api/v1/robots/{robot['id']}", "admin", json=patch)
    assert edited.status == 200 and edited.body["version"] == 2
    history = (await api.get(f"/api/v1/robots/{robot['id']}/firings", "sveta")).body["items"]
    assert [f["rule_version"] for f in history] == [1]
    off = await api.post(f"/api/v1/robots/{robot['id']}/disable", "admin")
    assert off.body["enabled"] is False


async def test_a_flag_on_the_deal_card(api: Api) -> None:
    clock = Clock()
    api.hub.clock = clock
    stages = await world.pipeline(api.hub)
    rule_id = await world.builtin_rule(api.hub, "stalled_deal")
    deal_id = await deals.create_deal(
        api.hub, SystemActor(), title="Поставка", stage_id=stages["КП"]
    )
    clock.advance(timedelta(days=7).total_seconds())
    await engine.tick(api.hub)
    card = (await api.get(f"/api/v1/deals/{deal_id}", "sveta")).body
    assert [(f["kind"], f["rule_id"]) for f in card["flags"]] == [("stalled", rule_id)]
    builtins = (await api.get("/api/v1/robots", "sveta")).body["items"]
    assert {r["builtin_key"] for r in builtins} == {
        "stalled_deal",
        "no_first_response",
        "missed_call",
        "lead_not_contacted",
        "overdue_task",
        "no_next_contact",
        "unpaid_after_contract",
        "sla_near",
    }


async def test_a_draft_is_checked_on_the_data_before_it_is_saved(api: Api) -> None:
    clock = Clock()
    clock.now = msk(2026, 6, 15, 10, 0)
    api.hub.clock = clock
    await api.add_user("admin", Role.admin, "Администратор")
    conversation_id = await api.inbound()
    clock.advance(6 * 60)
    later = await api.inbound()
    draft = {k: v for k, v in NO_REPLY_5.items() if k in ("trigger", "actions")}
    draft["trigger"] = {**draft["trigger"], "after": {"amount": 5, "unit": "minutes"}}

    assert (await api.post("/api/v1/robots/dry-run", "sveta", draft)).status == 403
    zero = {**draft, "trigger": {**draft["trigger"], "after": {"amount": 0}}}
    refused = await api.post("/api/v1/robots/dry-run", "admin", zero)
    assert refused.status == 422
    assert [d["field"] for d in refused.body["error"]["details"]] == ["trigger.time.after.amount"]

    dry = await api.post("/api/v1/robots/dry-run", "admin", draft)
    assert dry.status == 200
    assert [(i["object_type"], i["object_id"]) for i in dry.body["items"]] == [
        ("conversation", conversation_id)
    ]
    assert later != conversation_id
    assert dry.body["items"][0]["actions"][0]["reason"] == "Нет ответа 5 минут"
    assert await world.count(api.hub, RobotFiring) == 0


async def test_the_production_calendar_is_read_by_all_and_changed_by_admins(api: Api) -> None:
    await world.ru_calendar(api.hub)
    await api.add_user("admin", Role.admin, "Администратор")
    year = (await api.get("/api/v1/production-calendar", "olga", year=2027)).body["items"]
    assert [(d["day"], d["kind"]) for d in year][:2] == [
        ("2027-01-01", "holiday"),
        ("2027-01-04", "holiday"),
    ]
    assert ("2027-05-03", "holiday", "Перенос с 1 мая") in [
        (d["day"], d["kind"], d["note"]) for d in year
    ]
    saturday = {"day": "2027-11-13", "kind": "workday", "note": "Перенос на 5 ноября"}
    assert (
        await api.call("PUT", "/api/v1/production-calendar", "sveta", json=saturday)
    ).status == 403
    changed = await api.call("PUT", "/api/v1/production-calendar", "admin", json=saturday)
    assert changed.status == 200
    assert ("2027-11-13", "workday") in [(d["day"], d["kind"]) for d in changed.body["items"]]
    bad = await api.call(
        "PUT", "/api/v1/production-calendar", "admin", json={**saturday, "kind": "rest"}
    )
    assert bad.status == 422
    plain = await api.call(
        "PUT", "/api/v1/production-calendar", "admin", json={"day": "2027-11-13", "kind": None}
    )
    assert "2027-11-13" not in [d["day"] for d in plain.body["items"]]
