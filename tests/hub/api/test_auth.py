"""Who may call: bearer tokens, cookie sessions with CSRF, roles."""

from __future__ import annotations

from hub.models import Presence

from .conftest import Api


async def test_anonymous_calls_are_refused_with_401(api: Api) -> None:
    conversation_id = await api.inbound()
    for method, path in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/conversations"),
        ("GET", f"/api/v1/conversations/{conversation_id}"),
        ("POST", f"/api/v1/conversations/{conversation_id}/messages"),
        ("GET", "/api/v1/contacts"),
        ("GET", "/api/v1/users"),
    ]:
        reply = await api.call(method, path, None, json={"kind": "note", "text": "x"})
        assert reply.status == 401, path
        assert reply.body["error"]["id"] == "not-authenticated"


async def test_unknown_bearer_token_is_401(api: Api) -> None:
    reply = await api.call(
        "GET", "/api/v1/me", None, headers={"Authorization": "Bearer not-a-real-token"}
    )
    assert reply.status == 401


async def test_bearer_token_identifies_the_caller(api: Api) -> None:
    reply = await api.get("/api/v1/me", "olga")
    assert reply.status == 200
    assert reply.body == {
        "id": api.users["olga"].id,
        "login": "olga",
        "name": "Ольга Иванова",
        "role": "operator",
        "email": None,
        "presence": Presence.offline.value,
        "locale": "ru",
    }


async def test_cookie_session_needs_the_csrf_header_to_write(api: Api) -> None:
    conversation_id = await api.inbound()
    cookie, csrf = await api.session_cookie("olga")
    headers = {"Cookie": f"okno_session={cookie}"}
    reading = await api.call("GET", "/api/v1/me", None, headers=headers)
    assert reading.status == 200 and reading.body["login"] == "olga"

    path = f"/api/v1/conversations/{conversation_id}/messages"
    note = {"kind": "note", "text": "перезвонить после обеда"}
    refused = await api.call("POST", path, None, json=note, headers=headers)
    assert refused.status == 403 and refused.body["error"]["id"] == "csrf-failed"
    wrong = await api.call("POST", path, None, json=note, headers={**headers, "X-CSRF-Token": "x"})
    assert wrong.status == 403 and wrong.body["error"]["id"] == "csrf-failed"

    accepted = await api.call(
        "POST", path, None, json=note, headers={**headers, "X-CSRF-Token": csrf}
    )
    assert accepted.status == 201 and accepted.body["author"]["login"] == "olga"


async def test_team_list_is_for_supervisors_with_open_counts(api: Api) -> None:
    first = await api.inbound(phone="+7 916 000-00-01")
    await api.inbound(phone="+7 916 000-00-02")
    closed = await api.inbound(phone="+7 916 000-00-03")
    await api.assign(first, "olga")
    await api.assign(closed, "olga")
    assert (await api.post(f"/api/v1/conversations/{closed}/close", "olga")).status == 200

    refused = await api.get("/api/v1/users", "olga")
    assert refused.status == 403 and refused.body["error"]["id"] == "forbidden"

    reply = await api.get("/api/v1/users", "sveta")
    assert reply.status == 200
    rows = {row["login"]: row for row in reply.body["items"]}
    assert set(rows) == {"olga", "petr", "sveta"}
    assert rows["olga"]["open_conversations"] == 1
    assert rows["petr"]["open_conversations"] == 0
    assert rows["sveta"]["role"] == "supervisor" and rows["sveta"]["presence"] == "offline"
