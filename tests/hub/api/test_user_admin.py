"""User management over the API: extensions, accounts, roles and the self-lockout guard."""

from __future__ import annotations

from typing import Any

from hub.auth import authenticate_password, verify_password
from hub.models import Role, User

from .conftest import Api
from .test_errors_and_openapi import check, get_document

USERS = "/api/v1/users"


async def routing(api: Api, user: str, as_user: str, **body: Any) -> Any:
    return await api.call("PATCH", f"{USERS}/{api.users[user].id}/routing", as_user, json=body)


async def patch(api: Api, user: str, as_user: str, **body: Any) -> Any:
    return await api.call("PATCH", f"{USERS}/{api.users[user].id}", as_user, json=body)


async def stored(api: Api, login: str) -> User:
    async with api.hub.db.sessions() as session:
        return await session.get_one(User, api.users[login].id)


async def test_extension_set_clear_taken_and_invalid(api: Api) -> None:
    await api.add_user("root", Role.admin)
    assert (await routing(api, "petr", "olga", extension="101")).status == 403

    given = await routing(api, "olga", "root", extension="101")
    assert given.status == 200, given.body
    assert given.body["extension"] == "101"
    assert (await stored(api, "olga")).extension == "101"
    # Supervisors set extensions too; feature codes are allowed.
    assert (await routing(api, "petr", "sveta", extension="*72#")).body["extension"] == "*72#"

    taken = await routing(api, "petr", "root", extension="101")
    assert taken.status == 409
    assert taken.body["error"]["id"] == "extension-taken"
    assert taken.body["error"]["details"] == {"field": "extension", "user_id": api.users["olga"].id}
    assert (await stored(api, "petr")).extension == "*72#"

    for bad in ("10a", "1" * 21, "10 1", "+7101"):
        invalid = await routing(api, "petr", "root", extension=bad)
        assert invalid.status == 422, bad
        assert [d["field"] for d in invalid.body["error"]["details"]] == ["extension"]

    cleared = await routing(api, "olga", "root", extension="")
    assert cleared.status == 200 and cleared.body["extension"] is None
    assert (await stored(api, "olga")).extension is None
    # Other settings are left alone by an extension change, and the listing shows it.
    assert (await routing(api, "petr", "root", extension="102")).body["max_conversations"] == 5
    check(await get_document(api), "/api/v1/users/{id}/routing", "patch", 409, taken.body)
    listed = {u["login"]: u for u in (await api.get(USERS, "root")).body["items"]}
    assert listed["petr"]["extension"] == "102" and listed["olga"]["extension"] is None


async def test_an_inactive_users_extension_is_handed_over(api: Api) -> None:
    await api.add_user("root", Role.admin)
    assert (await routing(api, "olga", "root", extension="201")).status == 200
    assert (await patch(api, "olga", "root", is_active=False)).body["is_active"] is False
    moved = await routing(api, "petr", "root", extension="201")
    assert moved.status == 200 and moved.body["extension"] == "201"
    assert (await stored(api, "olga")).extension is None


async def test_admin_creates_a_user_with_a_hashed_password(api: Api) -> None:
    await api.add_user("root", Role.admin)
    body = {
        "login": "masha",
        "name": "  Мария Кузнецова ",
        "role": "operator",
        "password": "correct horse 1",
        "locale": "en",
    }
    for who in ("olga", "sveta"):
        assert (await api.post(USERS, who, body)).status == 403
    created = await api.post(USERS, "root", body)
    assert created.status == 201, created.body
    assert created.body["name"] == "Мария Кузнецова" and created.body["locale"] == "en"
    assert created.body["is_active"] is True and created.body["extension"] is None
    assert "password" not in str(created.body)
    async with api.hub.db.sessions() as session:
        user = await session.get_one(User, created.body["id"])
    assert user.password_hash.startswith("$argon2")
    assert "correct horse" not in user.password_hash
    assert await authenticate_password(api.hub, "masha", "correct horse 1") is not None

    duplicate = await api.post(USERS, "root", {**body, "name": "Другая Мария"})
    assert duplicate.status == 409 and duplicate.body["error"]["id"] == "login-taken"
    short = await api.post(USERS, "root", {**body, "login": "short", "password": "123456789"})
    assert short.status == 422
    assert [d["field"] for d in short.body["error"]["details"]] == ["password"]
    bad = await api.post(USERS, "root", {**body, "login": "no spaces", "role": "boss"})
    assert sorted(d["field"] for d in bad.body["error"]["details"]) == ["login", "role"]

    document = await get_document(api)
    check(document, USERS, "post", 201, created.body)
    check(document, USERS, "post", 409, duplicate.body)
    check(document, USERS, "get", 200, (await api.get(USERS, "root")).body)


async def test_admin_changes_users_but_not_their_own_role_or_activity(api: Api) -> None:
    await api.add_user("root", Role.admin)
    assert (await patch(api, "petr", "sveta", name="Пётр")).status == 403

    promoted = await patch(api, "petr", "root", role="supervisor", name="Пётр С.")
    assert promoted.status == 200, promoted.body
    assert promoted.body["role"] == "supervisor" and promoted.body["name"] == "Пётр С."
    old_hash = (await stored(api, "petr")).password_hash
    reset = await patch(api, "petr", "root", password="new-password-42")
    assert reset.status == 200
    new_hash = (await stored(api, "petr")).password_hash
    assert new_hash != old_hash and new_hash.startswith("$argon2")
    assert verify_password(new_hash, "new-password-42")

    assert (await patch(api, "olga", "root", is_active=False)).body["is_active"] is False
    assert await authenticate_password(api.hub, "olga", "secret-pass-1") is None
    assert (await patch(api, "olga", "root", is_active=True)).body["is_active"] is True

    for change in ({"role": "operator"}, {"is_active": False}):
        refused = await patch(api, "root", "root", **change)
        assert refused.status == 409, change
        assert refused.body["error"]["id"] == "cannot-change-self"
        assert refused.body["error"]["details"]["field"] == next(iter(change))
    self_routing = await routing(api, "root", "root", is_active=False)
    assert self_routing.status == 409
    stored_root = await stored(api, "root")
    assert stored_root.role is Role.admin and stored_root.is_active
    # Renaming yourself is fine; so is "changing" your role to the one you have.
    assert (await patch(api, "root", "root", name="Главный", role="admin")).status == 200

    # A supervisor manages operators' routing but cannot switch an admin off.
    assert (await routing(api, "root", "sveta", is_active=False)).status == 403
    assert (await routing(api, "petr", "sveta", is_active=False)).status == 200

    missing = await api.call("PATCH", f"{USERS}/999999", "root", json={"name": "X"})
    assert missing.status == 404
    document = await get_document(api)
    check(document, "/api/v1/users/{id}", "patch", 200, promoted.body)
    check(document, "/api/v1/users/{id}", "patch", 409, refused.body)


async def test_admin_sets_and_clears_a_persons_telegram_chat(api: Api) -> None:
    await api.add_user("root", Role.admin)
    given = await patch(api, "olga", "root", telegram_chat_id="700100200")
    assert given.status == 200, given.body
    assert given.body["telegram_chat_id"] == "700100200"
    assert (await stored(api, "olga")).telegram_chat_id == "700100200"
    invalid = await patch(api, "olga", "root", telegram_chat_id="@olga")
    assert invalid.status == 422
    assert [d["field"] for d in invalid.body["error"]["details"]] == ["telegram_chat_id"]
    assert (await patch(api, "olga", "petr", telegram_chat_id="1")).status == 403
    cleared = await patch(api, "olga", "root", telegram_chat_id="")
    assert cleared.status == 200 and cleared.body["telegram_chat_id"] is None
    assert (await stored(api, "olga")).telegram_chat_id is None
