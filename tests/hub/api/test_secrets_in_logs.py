"""No secret reaches the log on the API's and the channels' side (the browser's side is
tests/agent_ui/test_session_safety.py): a login through the form, a wrong password, an API
token's use, a Telegram channel created over the API with its bot token and webhook secret,
its webhook called with the right secret and with a guessed one. Every logger at DEBUG,
the whole captured record (message, arguments, traceback, extra fields) grepped."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from hub.auth import SESSION_COOKIE
from hub.models import Message
from tests.agent_ui.conftest import PASSWORD, csrf_from
from tests.conftest import FIXTURES

from .conftest import Api
from .test_channels import CHANNELS, HOOK_SECRET, TOKEN, admin, telegram

GUESSED_SECRET = "guessed-hook-secret-42"
WRONG_PASSWORD = "Wrong-Pa55-Guess"
UPDATE = json.loads((FIXTURES / "telegram" / "message__text.json").read_text())


async def login(api: Api, login: str, password: str) -> int:
    async with api.client.get("/login?lang=ru") as page:
        csrf = csrf_from(await page.text())
    async with api.client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf},
        allow_redirects=False,
    ) as answer:
        return answer.status


async def hook(api: Api, secret: str) -> int:
    async with api.client.post(
        "/hooks/telegram/bot", json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    ) as answer:
        return answer.status


async def stored_messages(api: Api) -> int:
    async with api.hub.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


async def test_no_token_password_or_secret_reaches_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    root = await admin(api)

    assert await login(api, root, WRONG_PASSWORD) == 401
    assert await login(api, root, PASSWORD) == 303
    cookies = [c.value for c in api.client.session.cookie_jar if c.key == SESSION_COOKIE]
    assert len(cookies) == 1

    # The channel is created with the administrator's API token (a Bearer header).
    created = await api.post(CHANNELS, root, telegram())
    assert created.status == 201, created.body
    assert await hook(api, GUESSED_SECRET) == 401
    assert await hook(api, HOOK_SECRET) == 200
    # The update was taken in (stored before the 200): the right secret was used.
    assert await stored_messages(api) == 1

    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''} {r.__dict__!r}" for r in caplog.records
    )
    # The log did see these requests (so the grep looks at something real), with Okno's own
    # loggers open at DEBUG.
    assert "/hooks/telegram/bot" in logged and "/api/v1/channels" in logged
    for name in ("hub", "connectors", "agent_ui"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG)
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "session cookie": cookies[0],
        "API token": api.tokens[root],
        "bot token": TOKEN,
        "bot token's secret part": TOKEN.split(":")[1],
        "webhook secret": HOOK_SECRET,
        "guessed webhook secret": GUESSED_SECRET,
    }
    for what, secret in secrets.items():
        assert secret not in logged, what
