"""Channel management over the API: per-field option errors, secrets never shown, roles,
partial changes that restart the connector, delete = disable with the history kept, and
other nodes following the changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from connectors.runner import ConnectorRunner
from hub.actions import unit_of_work
from hub.actions.channels import create_channel, disable_channel, update_channel
from hub.core import Hub
from hub.db import Database
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.models import Channel, EventLog, Role
from tests.conftest import FIXTURES, Backend
from tests.waiting import until

from .conftest import Api, Reply
from .test_errors_and_openapi import check, get_document

TOKEN = "123456789:AAFsecretTokenPartThatIsLongEnough_x1"
HOOK_SECRET = "hook-secret-never-shown"
PASSWORD = "imap-password-never-shown"
SITE = "https://okna-mytishchi.example"
SUBMISSION = json.loads((FIXTURES / "webform" / "submit__basic.json").read_text())
CHANNELS = "/api/v1/channels"


async def admin(api: Api) -> str:
    await api.add_user("root", Role.admin, "Админ")
    return "root"


def telegram(name: str = "bot", **options: Any) -> dict[str, Any]:
    config = {"token": TOKEN, "mode": "webhook", "webhook_secret": HOOK_SECRET, **options}
    return {"kind": "telegram", "name": name, "title": "Бот", "options": config}


def webform(name: str = "shop", **options: Any) -> dict[str, Any]:
    return {"kind": "webform", "name": name, "options": {"allowed_origins": [SITE], **options}}


async def submit(api: Api, name: str, token: str) -> int:
    body = {**SUBMISSION, "submission_token": f"api-channels-test-{token}"}
    async with api.client.post(f"/forms/{name}", json=body) as response:
        return response.status


def assert_no_secrets(*bodies: Any) -> None:
    text = json.dumps(bodies, ensure_ascii=False)
    for secret in (TOKEN, TOKEN.split(":")[1], HOOK_SECRET, PASSWORD):
        assert secret not in text


async def stored_options(api: Api, name: str) -> dict[str, Any]:
    async with api.hub.db.sessions() as session:
        channel = (await session.execute(select(Channel).where(Channel.name == name))).scalar_one()
    return dict(channel.options)


def runner_of(api: Api) -> ConnectorRunner:
    app = api.client.app
    assert isinstance(app, web.Application)
    return app[RUNNER]


async def test_admin_creates_channels_and_secrets_are_never_shown(api: Api) -> None:
    root = await admin(api)
    form = await api.post(CHANNELS, root, webform(rate_limit_per_minute=3))
    assert form.status == 201, form.body
    assert form.body["status"] == "running" and form.body["enabled"] is True
    assert form.body["webhook_url"].endswith("/forms/shop")
    assert form.body["options"]["allowed_origins"] == [SITE]
    assert form.body["options"]["rate_limit_per_minute"] == 3

    bot = await api.post(CHANNELS, root, telegram())
    assert bot.status == 201, bot.body
    assert bot.body["options"]["token"] == "********"
    assert bot.body["options"]["webhook_secret"] == "********"
    assert bot.body["webhook_url"].endswith("/hooks/telegram/bot")
    assert bot.body["title"] == "Бот" and bot.body["status"] == "running"
    mail_options = {
        "imap_host": "127.0.0.1",
        "smtp_host": "127.0.0.1",
        "username": "sales",
        "password": PASSWORD,
        "address": "sales@okna.example",
    }
    mail = await api.post(
        CHANNELS,
        root,
        {"kind": "email", "name": "sales", "enabled": False, "options": mail_options},
    )
    assert mail.status == 201, mail.body
    assert mail.body["options"]["password"] == "********"
    assert mail.body["webhook_url"] is None and mail.body["status"] == "stopped"

    listed = await api.get(CHANNELS, "sveta")
    assert [(c["kind"], c["name"]) for c in listed.body["items"]] == [
        ("webform", "site"),
        ("webform", "shop"),
        ("telegram", "bot"),
        ("email", "sales"),
    ]
    one = await api.get(f"{CHANNELS}/{bot.body['id']}", "sveta")
    kinds = await api.get(f"{CHANNELS}/kinds", "sveta")
    async with api.hub.db.sessions() as session:
        events = [row.payload for row in (await session.execute(select(EventLog))).scalars()]
    assert_no_secrets(form.body, bot.body, mail.body, listed.body, one.body, kinds.body, events)
    # Stored, though: the connector needs them.
    assert (await stored_options(api, "bot"))["token"] == TOKEN
    assert (await stored_options(api, "sales"))["password"] == PASSWORD

    by_kind = {k["kind"]: k for k in kinds.body["items"]}
    assert by_kind["telegram"]["secret_fields"] == ["token", "webhook_secret"]
    assert "token" in by_kind["telegram"]["options_schema"]["properties"]
    assert by_kind["email"]["has_webhook"] is False

    # Both connectors run: the bot checks Telegram's secret header, the form takes posts.
    async with api.client.post("/hooks/telegram/bot", json={"update_id": 1}) as hook:
        assert hook.status == 401
    assert await submit(api, "shop", "create-0001") == 200


async def test_invalid_options_are_422_with_a_message_per_field(api: Api) -> None:
    root = await admin(api)
    bad_token = await api.post(CHANNELS, root, telegram(token="not-a-token"))
    assert bad_token.status == 422
    assert bad_token.body["error"]["id"] == "invalid-options"
    assert set(bad_token.body["error"]["details"]) == {"token"}
    assert "BotFather" in bad_token.body["error"]["details"]["token"]

    bad_origin = await api.post(
        CHANNELS, root, webform(allowed_origins=[SITE, "okna.example/path"], colour="red")
    )
    assert bad_origin.status == 422
    details = bad_origin.body["error"]["details"]
    assert set(details) == {"allowed_origins.1", "colour"}
    assert "origin" in details["allowed_origins.1"]

    no_webhook_secret = await api.post(CHANNELS, root, telegram(webhook_secret=None))
    assert no_webhook_secret.body["error"]["details"] == {
        "webhook_secret": "is required in webhook mode"
    }
    assert_no_secrets(no_webhook_secret.body)

    for body, field in [
        ({"kind": "fax", "name": "x"}, "kind"),
        (webform(name="Shop Front"), "name"),
        ({**webform(), "team_id": 999}, "team_id"),
    ]:
        reply = await api.post(CHANNELS, root, body)
        assert reply.status == 422 and reply.body["error"]["id"] == "invalid-input", body
        assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert len((await api.get(CHANNELS, root)).body["items"]) == 1  # only the fixture's "site"


async def test_duplicate_is_409_and_roles_are_checked(api: Api) -> None:
    root = await admin(api)
    assert (await api.post(CHANNELS, root, webform())).status == 201
    again = await api.post(CHANNELS, root, webform(rate_limit_per_minute=1))
    assert again.status == 409 and again.body["error"]["id"] == "channel-exists"
    # The same name is free in another kind.
    assert (await api.post(CHANNELS, root, telegram(name="shop"))).status == 201

    channel = f"{CHANNELS}/1"
    for method, path, body in [
        ("GET", CHANNELS, None),
        ("GET", channel, None),
        ("GET", f"{CHANNELS}/kinds", None),
        ("POST", CHANNELS, webform("x")),
        ("PATCH", channel, {"enabled": False}),
        ("DELETE", channel, None),
    ]:
        reply = await api.call(method, path, "olga", json=body)
        assert reply.status == 403, (method, path)
        if method != "GET":
            assert (await api.call(method, path, "sveta", json=body)).status == 403
        assert (await api.call(method, path, None, json=body)).status == 401
    assert (await api.get(channel, "sveta")).status == 200
    assert (await api.get(f"{CHANNELS}/99", "sveta")).body["error"]["id"] == "no-such-channel"


async def test_patch_keeps_secrets_and_restarts_with_the_new_options(api: Api) -> None:
    root = await admin(api)
    bot = (await api.post(CHANNELS, root, telegram())).body
    runner = runner_of(api)
    before = runner.get("telegram", "bot")
    assert before is not None

    changed = await api.call(
        "PATCH", f"{CHANNELS}/{bot['id']}", root, json={"options": {"allow_groups": True}}
    )
    assert changed.status == 200 and changed.body["options"]["allow_groups"] is True
    assert changed.body["options"]["token"] == "********"
    after = runner.get("telegram", "bot")
    assert after is not None and after is not before
    assert after.options.model_dump()["allow_groups"] is True
    # Sending the mask back (a form filled from GET) keeps the secret too.
    masked = {"options": {"token": "********", "webhook_secret": "********"}}
    assert (await api.call("PATCH", f"{CHANNELS}/{bot['id']}", root, json=masked)).status == 200
    stored = await stored_options(api, "bot")
    assert (stored["token"], stored["webhook_secret"]) == (TOKEN, HOOK_SECRET)
    assert runner.get("telegram", "bot") is after  # same options: left running as it was
    renamed = await api.call("PATCH", f"{CHANNELS}/{bot['id']}", root, json={"title": "Бот 2"})
    assert renamed.body["title"] == "Бот 2" and runner.get("telegram", "bot") is after
    bad = await api.call(
        "PATCH", f"{CHANNELS}/{bot['id']}", root, json={"options": {"poll_timeout": 0}}
    )
    assert bad.status == 422 and set(bad.body["error"]["details"]) == {"poll_timeout"}

    form = (await api.post(CHANNELS, root, webform(rate_limit_per_minute=1))).body
    assert [await submit(api, "shop", f"limit-{i:04d}") for i in range(2)] == [200, 429]
    raised = {"options": {"rate_limit_per_minute": 3}}
    assert (await api.call("PATCH", f"{CHANNELS}/{form['id']}", root, json=raised)).status == 200
    statuses = [await submit(api, "shop", f"raised-{i:04d}") for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert (await stored_options(api, "shop"))["allowed_origins"] == [SITE]


async def conversations(api: Api) -> list[dict[str, Any]]:
    reply = await api.get("/api/v1/conversations", "sveta", status="all")
    items: list[dict[str, Any]] = reply.body["items"]
    return items


async def test_delete_disables_keeps_history_and_enable_brings_it_back(api: Api) -> None:
    root = await admin(api)
    form = (await api.post(CHANNELS, root, webform())).body
    assert await submit(api, "shop", "before-0001") == 200
    [conversation] = await until(lambda: conversations(api), what="the form's conversation")

    deleted = await api.call("DELETE", f"{CHANNELS}/{form['id']}", root)
    assert deleted.status == 200
    assert (deleted.body["enabled"], deleted.body["status"]) == (False, "stopped")
    async with api.client.post("/forms/shop", json=SUBMISSION) as refused:
        assert refused.status == 404
        assert (await refused.json())["error"]["id"] == "no-such-channel"
    assert [c["id"] for c in await conversations(api)] == [conversation["id"]]
    messages = await api.get(f"/api/v1/conversations/{conversation['id']}/messages", "sveta")
    assert "замер" in messages.body["items"][0]["text"]
    assert (await api.get(f"{CHANNELS}/{form['id']}", "sveta")).body["enabled"] is False

    enabled = await api.call("PATCH", f"{CHANNELS}/{form['id']}", root, json={"enabled": True})
    assert (enabled.body["enabled"], enabled.body["status"]) == (True, "running")
    assert await submit(api, "shop", "after-0001") == 200


async def test_a_change_made_elsewhere_reaches_this_node(api: Api, backend: Backend) -> None:
    """Another writer (the CLI, another node) on the same bus: this node follows it."""
    runner = runner_of(api)
    other = Hub(settings=api.hub.settings, db=Database(backend.database_url), bus=api.hub.bus)
    try:
        async with unit_of_work(other) as uow:
            channel = await create_channel(uow, "webform", "remote", {"rate_limit_per_minute": 1})
        await until(lambda: runner.get("webform", "remote") is not None)
        first = runner.get("webform", "remote")
        async with unit_of_work(other) as uow:
            row = await uow.session.get_one(Channel, channel.id)
            await update_channel(uow, row, {"rate_limit_per_minute": 7})
        await until(lambda: runner.get("webform", "remote") is not first)
        connector = runner.get("webform", "remote")
        assert connector is not None
        assert connector.options.model_dump()["rate_limit_per_minute"] == 7
        async with unit_of_work(other) as uow:
            await disable_channel(uow, await uow.session.get_one(Channel, channel.id))
        await until(lambda: runner.get("webform", "remote") is None)
    finally:
        await other.db.dispose()


async def test_another_node_follows_api_changes(api: Api, backend: Backend, serve: Any) -> None:
    if backend.name == "sqlite":
        pytest.skip("one SQLite node has no other node; the test above covers the follower")
    second = create_app(backend.settings())
    await serve(second)
    root = await admin(api)
    form = (await api.post(CHANNELS, root, webform("shared"))).body
    await until(lambda: second[RUNNER].get("webform", "shared") is not None)
    await api.call("DELETE", f"{CHANNELS}/{form['id']}", root)
    await until(lambda: second[RUNNER].get("webform", "shared") is None)
    assert second[HUB] is not api.hub


async def test_replies_match_the_openapi_document(api: Api) -> None:
    root = await admin(api)
    document = await get_document(api)
    assert document["paths"][CHANNELS]["post"]["x-okno-role"] == "admin"
    assert document["paths"][CHANNELS]["get"]["x-okno-role"] == "supervisor"
    assert "409" in document["paths"][CHANNELS]["post"]["responses"]
    created: Reply = await api.post(CHANNELS, root, telegram())
    check(document, CHANNELS, "post", 201, created.body)
    invalid = await api.post(CHANNELS, root, telegram(name="b2", token="x"))
    check(document, CHANNELS, "post", 422, invalid.body)
    check(document, CHANNELS, "get", 200, (await api.get(CHANNELS, root)).body)
    check(
        document, f"{CHANNELS}/kinds", "get", 200, (await api.get(f"{CHANNELS}/kinds", root)).body
    )
    path = f"{CHANNELS}/{created.body['id']}"
    patched = await api.call("PATCH", path, root, json={"team_id": None})
    check(document, f"{CHANNELS}/{{id}}", "patch", 200, patched.body)
    deleted = await api.call("DELETE", path, root)
    check(document, f"{CHANNELS}/{{id}}", "delete", 200, deleted.body)
