"""/api/v1/sla-policies and /api/v1/sla/clocks: supervisors and administrators manage the
policies (operators are refused), one per scope, bad targets refused field by field; the
clocks of a conversation are shown to whoever works it; the board's waits take the
policy's target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.models import Role, Team
from tests.conftest import Clock

from .conftest import Api

URL = "/api/v1/sla-policies"


async def _team(api: Api) -> int:
    async with api.hub.db.sessions() as session, session.begin():
        team = Team(name="Поддержка")
        session.add(team)
        await session.flush()
        return team.id


async def test_supervisors_and_admins_manage_policies_operators_may_not(api: Api) -> None:
    await api.add_user("root", Role.admin)
    team_id = await _team(api)
    body = {"name": "Поддержка", "team_id": team_id, "first_response_s": 900}

    refused = await api.post(URL, "olga", body)
    assert refused.status == 403 and refused.body["error"]["id"] == "forbidden"
    assert (await api.get(URL, "olga")).status == 403

    made = await api.post(URL, "sveta", body)
    assert made.status == 201, made.body
    policy = made.body
    assert (policy["team_id"], policy["channel_id"], policy["first_response_s"]) == (
        team_id,
        None,
        900,
    )
    assert (policy["next_response_s"], policy["working_time"], policy["enabled"]) == (
        None,
        True,
        True,
    )
    # The same scope twice is a conflict; an admin adds the company-wide one.
    taken = await api.post(URL, "root", {**body, "name": "Ещё"})
    assert taken.status == 409 and taken.body["error"]["id"] == "sla-policy-exists"
    company = await api.post(URL, "root", {"name": "Все", "resolution_s": 86400})
    assert company.status == 201, company.body

    listed = await api.get(URL, "sveta")
    assert [p["name"] for p in listed.body["items"]] == ["Поддержка", "Все"]

    changed = await api.call(
        "PATCH",
        f"{URL}/{policy['id']}",
        "sveta",
        json={"first_response_s": None, "next_response_s": 600, "working_time": False},
    )
    assert changed.status == 200, changed.body
    assert (
        changed.body["first_response_s"],
        changed.body["next_response_s"],
        changed.body["working_time"],
        changed.body["version"],
    ) == (None, 600, False, 2)
    assert (await api.call("DELETE", f"{URL}/{policy['id']}", "olga")).status == 403
    gone = await api.call("DELETE", f"{URL}/{policy['id']}", "sveta")
    assert gone.status == 200 and gone.body == {"id": policy["id"]}
    missing = await api.call("DELETE", f"{URL}/{policy['id']}", "sveta")
    assert missing.status == 404 and missing.body["error"]["id"] == "no-such-sla-policy"


async def test_bad_policies_are_refused_by_field(api: Api) -> None:
    no_target = await api.post(URL, "sveta", {"name": "Пусто"})
    assert no_target.status == 422
    too_short = await api.post(URL, "sveta", {"name": "Быстро", "first_response_s": 10})
    assert too_short.status == 422
    assert [d["field"] for d in too_short.body["error"]["details"]] == ["first_response_s"]
    no_team = await api.post(URL, "sveta", {"name": "Нет", "team_id": 999, "resolution_s": 600})
    assert no_team.status == 404 and no_team.body["error"]["id"] == "no-such-team"
    null_name = await api.call("PATCH", f"{URL}/1", "sveta", json={"name": None})
    assert null_name.status == 422


async def test_clocks_for_who_works_the_conversation_and_the_boards_target(api: Api) -> None:
    clock = Clock()
    clock.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    api.hub.clock = clock
    made = await api.post(
        URL,
        "sveta",
        {"name": "Все", "first_response_s": 600, "resolution_s": 3600, "working_time": False},
    )
    assert made.status == 201, made.body
    conversation_id = await api.inbound()  # at 09:00, in the shared queue
    clock.now = datetime(2026, 6, 15, 9, 8, tzinfo=UTC)

    shown = await api.get("/api/v1/sla/clocks", "olga", ids=str(conversation_id))
    assert shown.status == 200, shown.body
    assert shown.body["at"] == "2026-06-15T09:08:00+00:00"
    assert [(c["measure"], c["due_at"], c["breached"]) for c in shown.body["items"]] == [
        ("first_response", "2026-06-15T09:10:00+00:00", False),
        ("resolution", "2026-06-15T10:00:00+00:00", False),
    ]
    # Petr's once it is assigned to him: Olga no longer sees its clocks, a supervisor does.
    await api.assign(conversation_id, "petr")
    hidden = await api.get("/api/v1/sla/clocks", "olga", ids=str(conversation_id))
    assert hidden.body["items"] == []
    assert (
        len((await api.get("/api/v1/sla/clocks", "sveta", ids=str(conversation_id))).body["items"])
        == 2
    )
    bad = await api.get("/api/v1/sla/clocks", "olga", ids="1,x")
    assert bad.status == 422

    # The board: 8 of 10 minutes is 80 %, about to breach against the policy's target (not
    # the team's default 300 s, which it would be past already).
    board = await api.get("/api/v1/board", "sveta")
    waits = board.body["waits"]
    assert [(w["conversation_id"], w["target_s"], w["breached"], w["due_at"]) for w in waits] == [
        (conversation_id, 600, False, "2026-06-15T09:10:00+00:00")
    ]
    clock.now += timedelta(minutes=2)
    board = await api.get("/api/v1/board", "sveta")
    assert [w["breached"] for w in board.body["waits"]] == [True]
