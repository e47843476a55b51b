"""Error shapes for bad input, and the OpenAPI document against the live routes and replies."""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from .conftest import Api


def fields(reply_body: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((d["location"], d["field"]) for d in reply_body["error"]["details"])


async def test_invalid_json_is_400(api: Api) -> None:
    conversation_id = await api.inbound()
    path = f"/api/v1/conversations/{conversation_id}/messages"
    for raw in ('{"kind": "note", "text": ', "", "\xff"):
        reply = await api.call(
            "POST", path, "olga", data=raw, headers={"Content-Type": "application/json"}
        )
        assert reply.status == 400, raw
        assert reply.body["error"]["id"] == "invalid-json"


async def test_validation_errors_are_422_with_each_field(api: Api) -> None:
    conversation_id = await api.inbound()
    path = f"/api/v1/conversations/{conversation_id}"
    reply = await api.post(f"{path}/messages", "olga", {"kind": "shout", "text": ""})
    assert reply.status == 422 and reply.body["error"]["id"] == "invalid-input"
    assert fields(reply.body) == [("body", "kind"), ("body", "text")]

    too_long = await api.post(f"{path}/messages", "olga", {"kind": "note", "text": "я" * 10_001})
    assert fields(too_long.body) == [("body", "text")]
    blank = await api.post(f"{path}/messages", "olga", {"kind": "note", "text": "  \n "})
    assert fields(blank.body) == [("body", "text")]
    unknown = await api.post(f"{path}/messages", "olga", {"kind": "note", "text": "a", "to": "x"})
    assert fields(unknown.body) == [("body", "to")]
    not_object = await api.post(f"{path}/messages", "olga", ["note"])
    assert not_object.status == 422
    no_user = await api.post(f"{path}/assign", "sveta", {"note": "кому?"})
    assert fields(no_user.body) == [("body", "user_id")]

    bad_query = await api.get(
        "/api/v1/conversations", "olga", limit=0, status="maybe", assignee="x"
    )
    assert bad_query.status == 422
    assert fields(bad_query.body) == [
        ("query", "assignee"),
        ("query", "limit"),
        ("query", "status"),
    ]
    huge = await api.get("/api/v1/conversations", "olga", before_id=10**20)
    assert fields(huge.body) == [("query", "before_id")]
    # Nothing was written by any of these.
    assert (await api.get(f"{path}/messages", "olga")).body["items"][-1]["direction"] == "in"


async def test_anonymous_bad_input_is_still_401(api: Api) -> None:
    reply = await api.call("POST", "/api/v1/conversations/1/messages", None, data="{")
    assert reply.status == 401


CORE_ROUTES = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/conversations"),
    ("get", "/api/v1/conversations/{id}"),
    ("get", "/api/v1/conversations/{id}/messages"),
    ("post", "/api/v1/conversations/{id}/messages"),
    ("post", "/api/v1/conversations/{id}/assign"),
    ("post", "/api/v1/conversations/{id}/close"),
    ("post", "/api/v1/conversations/{id}/reopen"),
    ("get", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/{id}"),
    ("get", "/api/v1/contacts/{id}/history"),
    ("get", "/api/v1/leads"),
}


def api_routes_of(api: Api) -> set[tuple[str, str]]:
    found = set()
    for resource in api.client.server.app.router.resources():
        info = resource.get_info()
        path = info.get("formatter") or info.get("path") or ""
        if not path.startswith("/api/v1/"):
            continue
        for route in resource:
            if route.method != "HEAD":
                found.add((route.method.lower(), path.replace(":[0-9]{1,18}", "")))
    return found


async def get_document(api: Api) -> dict[str, Any]:
    async with api.client.get("/api/openapi.json") as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json()
    return document


async def test_document_is_openapi_31_and_lists_every_route(api: Api) -> None:
    document = await get_document(api)
    assert document["openapi"] == "3.1.0"
    validate_spec(document)

    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    live = api_routes_of(api)
    assert documented == live
    assert CORE_ROUTES <= live

    users = document["paths"]["/api/v1/users"]["get"]
    assert users["x-okno-role"] == "supervisor"
    post = document["paths"]["/api/v1/conversations/{id}/messages"]["post"]
    assert set(post["responses"]) >= {"201", "400", "401", "403", "404", "422"}
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    message_in = document["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]
    assert message_in["properties"]["text"]["maxLength"] == 10_000
    params = document["paths"]["/api/v1/contacts"]["get"]["parameters"]
    # The registry's filters beside the search the API always had (cf.<key> is per field).
    assert {p["name"] for p in params} == {
        "phone", "email", "q", "limit", "before_id",
        "match", "status", "responsible_id", "organisation_id", "source",
        "created_from", "created_to", "sort", "order", "cursor",
    }  # fmt: skip
    assert all(p["in"] == "query" for p in params)


def check(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """The reply validates against the schema the document gives for it."""
    schema = document["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"
    ]["schema"]
    OAS31Validator({**schema, "components": document["components"]}).validate(body)


async def test_live_replies_match_the_documented_schemas(api: Api) -> None:
    document = await get_document(api)
    conversation_id = await api.inbound(meta={"utm_source": "yandex"})
    sent = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages", "olga", {"kind": "reply", "text": "Да"}
    )
    check(document, "/api/v1/conversations/{id}/messages", "post", 201, sent.body)
    contact_id = (await api.get(f"/api/v1/conversations/{conversation_id}", "olga")).body[
        "contact"
    ]["id"]
    for path, template in [
        ("/api/v1/me", "/api/v1/me"),
        ("/api/v1/users", "/api/v1/users"),
        ("/api/v1/conversations", "/api/v1/conversations"),
        (f"/api/v1/conversations/{conversation_id}", "/api/v1/conversations/{id}"),
        (
            f"/api/v1/conversations/{conversation_id}/messages",
            "/api/v1/conversations/{id}/messages",
        ),
        ("/api/v1/contacts", "/api/v1/contacts"),
        (f"/api/v1/contacts/{contact_id}", "/api/v1/contacts/{id}"),
        (f"/api/v1/contacts/{contact_id}/history", "/api/v1/contacts/{id}/history"),
        ("/api/v1/leads", "/api/v1/leads"),
    ]:
        reply = await api.get(path, "sveta")
        assert reply.status == 200, path
        check(document, template, "get", 200, reply.body)
    missing = await api.get("/api/v1/contacts/999", "sveta")
    check(document, "/api/v1/contacts/{id}", "get", 404, missing.body)
    invalid = await api.post(
        f"/api/v1/conversations/{conversation_id}/messages", "olga", {"kind": "x", "text": ""}
    )
    check(document, "/api/v1/conversations/{id}/messages", "post", 422, invalid.body)
