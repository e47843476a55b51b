"""Who sees and who edits which contact: each role and scope × own, a team mate's, another
team's and nobody's contact, written out by hand; the visibility setting itself."""

from __future__ import annotations

import pytest

from hub.models import Role, VisibilityScope

from .conftest import Api
from .crm_setup import add_contact, add_team, set_scope

# olga, petr (operators) and sveta (supervisor) are the team «Продажи»; ivan (operator) is
# «Сервис»; root is an admin. The contacts: olga's, petr's, ivan's and one nobody's.
RECORDS = ("olga", "petr", "ivan", "free")


async def world(api: Api) -> dict[str, int]:
    await api.add_user("ivan", Role.operator, "Иван Сервисов")
    await api.add_user("root", Role.admin, "Админ")
    await add_team(api, "Продажи", "olga", "petr", "sveta")
    await add_team(api, "Сервис", "ivan")
    return {
        "olga": await add_contact(api, "Клиент Ольги", responsible="olga"),
        "petr": await add_contact(api, "Клиент Петра", responsible="petr"),
        "ivan": await add_contact(api, "Клиент Ивана", responsible="ivan"),
        "free": await add_contact(api, "Ничей клиент"),
    }


# (who, role set up, its scope) -> which records the list shows, GET status, PATCH status.
MATRIX = [
    ("olga", Role.operator, "own", {"olga", "free"},
     {"olga": 200, "petr": 404, "ivan": 404, "free": 200},
     {"olga": 200, "petr": 404, "ivan": 404, "free": 200}),
    ("olga", Role.operator, "team", {"olga", "petr", "free"},
     {"olga": 200, "petr": 200, "ivan": 404, "free": 200},
     {"olga": 200, "petr": 403, "ivan": 404, "free": 200}),
    ("olga", Role.operator, "all", {"olga", "petr", "ivan", "free"},
     {"olga": 200, "petr": 200, "ivan": 200, "free": 200},
     {"olga": 200, "petr": 403, "ivan": 403, "free": 200}),
    ("sveta", Role.supervisor, "own", {"free"},
     {"olga": 404, "petr": 404, "ivan": 404, "free": 200},
     {"olga": 404, "petr": 404, "ivan": 404, "free": 200}),
    ("sveta", Role.supervisor, "team", {"olga", "petr", "free"},
     {"olga": 200, "petr": 200, "ivan": 404, "free": 200},
     {"olga": 200, "petr": 200, "ivan": 404, "free": 200}),
    ("sveta", Role.supervisor, "all", {"olga", "petr", "ivan", "free"},
     {"olga": 200, "petr": 200, "ivan": 200, "free": 200},
     {"olga": 200, "petr": 200, "ivan": 403, "free": 200}),
    # Admins see and edit everything, whatever the others' scopes.
    ("root", Role.operator, "own", {"olga", "petr", "ivan", "free"},
     {"olga": 200, "petr": 200, "ivan": 200, "free": 200},
     {"olga": 200, "petr": 200, "ivan": 200, "free": 200}),
]  # fmt: skip


@pytest.mark.parametrize(("who", "role", "scope", "listed", "reads", "edits"), MATRIX)
async def test_access_matrix(
    api: Api,
    who: str,
    role: Role,
    scope: str,
    listed: set[str],
    reads: dict[str, int],
    edits: dict[str, int],
) -> None:
    ids = await world(api)
    await set_scope(api, role, VisibilityScope(scope))
    name_of = {contact_id: record for record, contact_id in ids.items()}

    page = await api.get("/api/v1/contacts", who)
    assert page.status == 200
    assert {name_of[item["id"]] for item in page.body["items"]} == listed

    for record in RECORDS:
        path = f"/api/v1/contacts/{ids[record]}"
        card = await api.get(path, who)
        assert card.status == reads[record], (record, card.body)
        if card.status == 404:
            assert card.body["error"]["id"] == "no-such-contact"
        history = await api.get(f"{path}/history", who)
        assert history.status == reads[record], record

        version = (await api.get(path, "root")).body["version"]
        edit = await api.call("PATCH", path, who, json={"version": version, "source": who})
        assert edit.status == edits[record], (record, edit.body)
        if edit.status == 403:
            assert edit.body["error"]["id"] == "not-responsible"
        if edit.status == 404:
            assert edit.body["error"]["id"] == "no-such-contact"
        after = (await api.get(path, "root")).body
        assert after["version"] == (version + 1 if edit.status == 200 else version)


async def test_an_operator_still_sees_the_card_of_a_conversation_he_holds(api: Api) -> None:
    """Leads of others are filtered and their cards are 404, but the conversation an operator
    was given shows its client's card whoever is responsible for it."""
    await api.add_user("ivan", Role.operator, "Иван Сервисов")
    await set_scope(api, Role.operator, VisibilityScope.own)
    conversation = await api.inbound(name="Анна Соколова", phone="+7 916 000-00-01")
    await api.inbound(name="Борис", phone="+7 916 000-00-02")
    detail = await api.get(f"/api/v1/conversations/{conversation}", "olga")
    contact = detail.body["contact"]
    leads = await api.get("/api/v1/leads", "olga")
    assert [lead["contact"]["name"] for lead in leads.body["items"]] == ["Борис", "Анна Соколова"]

    handed = await api.call(
        "PATCH",
        f"/api/v1/contacts/{contact['id']}",
        "sveta",
        json={"version": contact["version"], "responsible_id": api.users["ivan"].id},
    )
    assert handed.status == 200
    await api.assign(conversation, "olga")

    assert (await api.get(f"/api/v1/contacts/{contact['id']}", "olga")).status == 404
    leads = await api.get("/api/v1/leads", "olga")
    assert [lead["contact"]["name"] for lead in leads.body["items"]] == ["Борис"]
    held = await api.get(f"/api/v1/conversations/{conversation}", "olga")
    assert held.status == 200
    assert held.body["contact"]["id"] == contact["id"]
    assert held.body["contact"]["responsible"]["login"] == "ivan"
    # Ivan, whose client it now is, sees it all.
    assert (await api.get(f"/api/v1/contacts/{contact['id']}", "ivan")).status == 200


async def test_visibility_is_read_by_anyone_and_set_by_an_admin(api: Api) -> None:
    await api.add_user("root", Role.admin, "Админ")
    everything = {"operator": "all", "supervisor": "all", "admin": "all"}
    assert (await api.get("/api/v1/crm-visibility", "olga")).body == everything

    for login in ("olga", "sveta"):
        refused = await api.call("PUT", "/api/v1/crm-visibility", login, json={"operator": "own"})
        assert refused.status == 403, login
    assert (await api.get("/api/v1/crm-visibility", "olga")).body == everything

    changed = await api.call("PUT", "/api/v1/crm-visibility", "root", json={"operator": "team"})
    assert changed.status == 200
    assert changed.body == {"operator": "team", "supervisor": "all", "admin": "all"}
    changed = await api.call("PUT", "/api/v1/crm-visibility", "root", json={"supervisor": "own"})
    assert changed.body == {"operator": "team", "supervisor": "own", "admin": "all"}

    for bad in ({"admin": "own"}, {"operator": "everyone"}):
        reply = await api.call("PUT", "/api/v1/crm-visibility", "root", json=bad)
        assert reply.status == 422, bad
    assert (await api.get("/api/v1/crm-visibility", "sveta")).body == {
        "operator": "team",
        "supervisor": "own",
        "admin": "all",
    }


async def test_leads_of_a_contact_outside_the_view_are_not_found(api: Api) -> None:
    await api.add_user("ivan", Role.operator, "Иван Сервисов")
    await set_scope(api, Role.operator, VisibilityScope.own)
    conversation = await api.inbound(name="Анна Соколова", phone="+7 916 000-00-01")
    contact = (await api.get(f"/api/v1/conversations/{conversation}", "olga")).body["contact"]
    lead_id = contact["leads"][0]["id"]
    handed = await api.call(
        "PATCH",
        f"/api/v1/contacts/{contact['id']}",
        "sveta",
        json={"version": contact["version"], "responsible_id": api.users["ivan"].id},
    )
    assert handed.status == 200

    qualify = await api.call("PATCH", f"/api/v1/leads/{lead_id}", "olga", json={"status": "junk"})
    assert qualify.status == 404 and qualify.body["error"]["id"] == "no-such-lead"
    convert = await api.post(f"/api/v1/contacts/{contact['id']}/convert", "olga", {})
    assert convert.status == 404 and convert.body["error"]["id"] == "no-such-contact"
    # Seen but not his: an operator of a wider scope may not take someone's client over.
    await set_scope(api, Role.operator, VisibilityScope.all)
    convert = await api.post(f"/api/v1/contacts/{contact['id']}/convert", "olga", {})
    assert convert.status == 403 and convert.body["error"]["id"] == "not-responsible"
    qualify = await api.call("PATCH", f"/api/v1/leads/{lead_id}", "olga", json={"status": "junk"})
    assert qualify.status == 403 and qualify.body["error"]["id"] == "not-responsible"
    own = await api.call("PATCH", f"/api/v1/leads/{lead_id}", "ivan", json={"status": "qualified"})
    assert own.status == 200 and own.body["status"] == "qualified"
    mine = await api.post(f"/api/v1/contacts/{contact['id']}/convert", "ivan", {})
    assert mine.status == 200 and mine.body["status"] == "client"
    assert mine.body["leads"][0]["status"] == "converted"
