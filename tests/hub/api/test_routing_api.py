"""Routing and identity endpoints: transfer, accept, decisions, duplicates, merge, leads, teams."""

from __future__ import annotations

from sqlalchemy import select

from hub.models import Contact, Identity, Role
from tests.hub.api.conftest import Api


async def test_transfer_to_an_operator_records_the_reason(api: Api) -> None:
    conversation = await api.inbound()
    await api.set_online("petr")
    await api.assign(conversation, "olga")
    reply = await api.call(
        "POST",
        f"/api/v1/conversations/{conversation}/transfer",
        "olga",
        json={"user_id": api.users["petr"].id, "note": "он ведёт этот объект"},
    )
    assert reply.status == 200, reply.body
    assert reply.body["assignee"]["login"] == "petr"
    decisions = (
        await api.call("GET", f"/api/v1/conversations/{conversation}/routing", "olga")
    ).body
    last = decisions["items"][-1]
    assert last["kind"] == "transferred" and "он ведёт этот объект" in last["reason"]
    # The same reason as data, for pages to show in their own language.
    olga, petr = api.users["olga"].name, api.users["petr"].name
    assert last["reason_parts"] == [
        {
            "code": "transferred_note",
            "params": {"target": petr, "by": olga, "note": "он ведёт этот объект"},
        }
    ]
    assert last["from_user"]["login"] == "olga" and last["to_user"]["login"] == "petr"
    assert last["by_user"]["login"] == "olga"


async def test_transfer_rules(api: Api) -> None:
    conversation = await api.inbound()
    await api.assign(conversation, "olga")
    # Petr is offline: refused with a reason, nothing changes.
    offline = await api.call(
        "POST",
        f"/api/v1/conversations/{conversation}/transfer",
        "olga",
        json={"user_id": api.users["petr"].id},
    )
    assert offline.status == 409 and offline.body["error"]["id"] == "operator-offline"
    # Not petr's conversation: he may not move it.
    await api.set_online("petr")
    foreign = await api.call(
        "POST",
        f"/api/v1/conversations/{conversation}/transfer",
        "petr",
        json={"user_id": api.users["petr"].id},
    )
    assert foreign.status == 403
    both = await api.call(
        "POST",
        f"/api/v1/conversations/{conversation}/transfer",
        "olga",
        json={"user_id": 1, "team_id": 1},
    )
    assert both.status == 422


async def test_teams_and_transfer_to_a_team(api: Api) -> None:
    created = await api.call("POST", "/api/v1/teams", "sveta", json={"name": "Сервис"})
    assert created.status == 403  # admins manage teams
    await api.add_user("root", Role.admin)
    created = await api.call(
        "POST",
        "/api/v1/teams",
        "root",
        json={
            "name": "Сервис",
            "strategy": "round_robin",
            "accept_timeout_s": 30,
            "member_ids": [api.users["petr"].id],
            "business_hours": {"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]]}},
        },
    )
    assert created.status == 201, created.body
    team_id = created.body["id"]
    bad = await api.call(
        "PATCH", f"/api/v1/teams/{team_id}", "root", json={"business_hours": {"tz": "Mars/Olympus"}}
    )
    assert bad.status == 422
    patched = await api.call(
        "PATCH",
        f"/api/v1/teams/{team_id}",
        "root",
        json={"business_hours": None, "wait_limit_s": 120},
    )
    assert patched.body["strategy"] == "round_robin" and patched.body["wait_limit_s"] == 120
    conversation = await api.inbound()
    await api.assign(conversation, "olga")
    await api.set_online("petr")
    moved = await api.call(
        "POST",
        f"/api/v1/conversations/{conversation}/transfer",
        "olga",
        json={"team_id": team_id, "note": "гарантия"},
    )
    assert moved.status == 200 and moved.body["assignee"]["login"] == "petr"
    teams = await api.call("GET", "/api/v1/teams", "olga")
    assert teams.body["items"][0]["member_ids"] == [api.users["petr"].id]


async def test_accept_only_what_is_offered_to_you(api: Api) -> None:
    conversation = await api.inbound()
    await api.assign(conversation, "olga", accept_timeout_s=45)
    assert (
        await api.call("POST", f"/api/v1/conversations/{conversation}/accept", "petr")
    ).status == 409
    accepted = await api.call("POST", f"/api/v1/conversations/{conversation}/accept", "olga")
    assert accepted.status == 200
    kinds = [
        d["kind"]
        for d in (
            await api.call("GET", f"/api/v1/conversations/{conversation}/routing", "olga")
        ).body["items"]
    ]
    assert kinds[-1] == "accepted"


async def test_duplicates_merge_unmerge_round_trip(api: Api) -> None:
    first = await api.inbound(name="Иван Петров", phone=None, email="ivan.petrov@gmail.com")
    second = await api.inbound(
        name="Петров Иван", phone="+7 903 111-22-33", email="ivanpetrov+x@gmail.com"
    )
    contacts = {}
    for conversation in (first, second):
        body = (await api.call("GET", f"/api/v1/conversations/{conversation}", "olga")).body
        contacts[conversation] = body["contact"]["id"]
    assert (await api.call("GET", "/api/v1/duplicates", "olga")).status == 403
    found = (await api.call("GET", "/api/v1/duplicates", "sveta")).body["items"]
    assert [(sorted(c["id"] for c in d["contacts"]), d["reason"]) for d in found] == [
        (sorted(contacts.values()), "same_email")
    ]
    survivor, other = contacts[first], contacts[second]
    merged = await api.call(
        "POST", f"/api/v1/contacts/{survivor}/merge", "sveta", json={"merge_id": other}
    )
    assert merged.status == 200, merged.body
    assert merged.body["moved"]["conversations"] == [second]
    gone = await api.call("GET", f"/api/v1/contacts/{other}", "olga")
    assert gone.status == 404 and gone.body["error"]["id"] == "contact-merged"
    again = await api.call(
        "POST", f"/api/v1/contacts/{survivor}/merge", "sveta", json={"merge_id": other}
    )
    assert again.status == 404  # the merged contact is gone from view
    undone = await api.call("POST", f"/api/v1/contacts/{survivor}/unmerge", "sveta", json={})
    assert undone.status == 200 and undone.body["undone_at"] is not None
    async with api.hub.db.sessions() as session:
        owners = {
            i.value: i.contact_id for i in (await session.execute(select(Identity))).scalars()
        }
        restored = await session.get_one(Contact, other)
    assert owners["+79031112233"] == other and owners["ivan.petrov@gmail.com"] == survivor
    assert restored.merged_into_id is None


async def test_lead_qualification_and_conversion(api: Api) -> None:
    conversation = await api.inbound()
    card = (await api.call("GET", f"/api/v1/conversations/{conversation}", "olga")).body["contact"]
    lead_id = card["leads"][0]["id"]
    qualified = await api.call(
        "PATCH", f"/api/v1/leads/{lead_id}", "olga", json={"status": "qualified"}
    )
    assert qualified.body == {"id": lead_id, "status": "qualified"}
    converted = await api.call("POST", f"/api/v1/contacts/{card['id']}/convert", "olga", json={})
    assert converted.status == 200
    assert (
        converted.body["status"] == "client" and converted.body["leads"][0]["status"] == "converted"
    )
    assert converted.body["responsible"]["login"] == "olga"


async def test_operator_routing_settings(api: Api) -> None:
    petr = api.users["petr"].id
    assert (
        await api.call(
            "PATCH", f"/api/v1/users/{petr}/routing", "olga", json={"max_conversations": 9}
        )
    ).status == 403
    reply = await api.call(
        "PATCH",
        f"/api/v1/users/{petr}/routing",
        "sveta",
        json={"max_conversations": 9, "skills": ["lang:en"]},
    )
    assert reply.body == {
        "id": petr,
        "max_conversations": 9,
        "skills": ["lang:en"],
        "is_active": True,
        "extension": None,
    }


async def test_conversation_shows_its_offer_and_queue_place(api: Api) -> None:
    conversation = await api.inbound()
    queued = (await api.call("GET", f"/api/v1/conversations/{conversation}", "olga")).body
    assert queued["assignee"] is None and queued["queued_at"] is not None
    assert queued["offer_expires_at"] is None
    await api.assign(conversation, "olga", accept_timeout_s=45)
    offered = (await api.call("GET", f"/api/v1/conversations/{conversation}", "olga")).body
    assert offered["queued_at"] is None and offered["offer_expires_at"] is not None
    await api.call("POST", f"/api/v1/conversations/{conversation}/accept", "olga")
    accepted = (await api.call("GET", f"/api/v1/conversations/{conversation}", "olga")).body
    assert accepted["offer_expires_at"] is None


async def test_one_hand_over_rule_for_assign_and_transfer(api: Api) -> None:
    """An operator hands over what he holds, by either endpoint; what sits in the shared
    queue or with a colleague is moved by a supervisor, by either endpoint."""
    await api.set_online("petr")
    queued = await api.inbound(phone="+7 916 000-00-11")
    for endpoint, error_id in (("assign", "forbidden"), ("transfer", "not-your-conversation")):
        refused = await api.post(
            f"/api/v1/conversations/{queued}/{endpoint}", "olga", {"user_id": api.users["petr"].id}
        )
        assert (refused.status, refused.body["error"]["id"]) == (403, error_id), endpoint
    await api.add_user("root", Role.admin)
    team = (await api.call("POST", "/api/v1/teams", "root", json={"name": "Сервис"})).body
    to_team = await api.post(
        f"/api/v1/conversations/{queued}/transfer", "olga", {"team_id": team["id"]}
    )
    assert to_team.status == 403

    mine = await api.inbound(phone="+7 916 000-00-12")
    await api.assign(mine, "olga")
    handed = await api.post(
        f"/api/v1/conversations/{mine}/assign",
        "olga",
        {"user_id": api.users["petr"].id, "note": "он ведёт объект"},
    )
    assert handed.status == 200 and handed.body["assignee"]["login"] == "petr"
    # Now it is petr's: olga may no longer move it, by either endpoint.
    back = await api.post(
        f"/api/v1/conversations/{mine}/transfer", "olga", {"user_id": api.users["olga"].id}
    )
    assert back.status == 403
    # A supervisor moves a colleague's one.
    await api.set_online("olga")
    by_lead = await api.post(
        f"/api/v1/conversations/{mine}/transfer", "sveta", {"user_id": api.users["olga"].id}
    )
    assert by_lead.status == 200 and by_lead.body["assignee"]["login"] == "olga"
