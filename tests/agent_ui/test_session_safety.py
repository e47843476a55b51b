"""Sessions rotate: a login replaces the browser's previous session, a role change ends the
user's sessions. Secrets never reach the log: passwords, session cookies, API tokens and the
calendar feed's token, through everything a request or the node writes (a test greps the
whole captured log, every logger at DEBUG)."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from hub.actions import unit_of_work
from hub.actions.calendar_settings import issue_feed_token
from hub.actions.users import create_api_token, update_user
from hub.auth import SESSION_COOKIE, Principal
from hub.models import Role, User
from hub.policy import SystemActor
from tests.agent_ui.conftest import PASSWORD, Ui, csrf_from


def session_token(browser: aiohttp.ClientSession) -> str:
    tokens = [c.value for c in browser.cookie_jar if c.key == SESSION_COOKIE]
    assert len(tokens) == 1
    return tokens[0]


async def me(ui: Ui, token: str) -> int:
    async with ui.anonymous().get(
        ui.url("/api/v1/me"), headers={"Cookie": f"{SESSION_COOKIE}={token}"}
    ) as answer:
        return answer.status


async def test_logging_in_again_replaces_the_browsers_session(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("anna")
    await ui.add_user("boris")
    browser = await ui.login("anna")
    first = session_token(browser)
    assert await me(ui, first) == 200

    # Someone else logs in at the same browser (it still sends anna's cookie): anna's
    # session ends, boris gets a new one.
    same_browser = ui.anonymous()
    async with same_browser.get(ui.url("/login?lang=ru")) as page:
        csrf = csrf_from(await page.text())
    async with same_browser.post(
        ui.url("/login"),
        data={"login": "boris", "password": PASSWORD, "csrf_token": csrf},
        headers={"Cookie": f"{SESSION_COOKIE}={first}"},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303
    second = session_token(same_browser)
    assert second != first
    assert await me(ui, first) == 401
    assert await me(ui, second) == 200


async def test_a_role_change_ends_the_users_sessions(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    anna = await ui.add_user("anna")
    token = session_token(await ui.login("anna"))
    await update_user(ui.hub, SystemActor(), anna.id, name="Анна Смирнова")
    assert await me(ui, token) == 200  # a change of name leaves her signed in
    await update_user(ui.hub, SystemActor(), anna.id, role=Role.supervisor)
    assert await me(ui, token) == 401  # new rights, new sign-in
    again = session_token(await ui.login("anna"))
    async with ui.anonymous().get(
        ui.url("/api/v1/me"), headers={"Cookie": f"{SESSION_COOKIE}={again}"}
    ) as answer:
        assert (await answer.json())["role"] == "supervisor"


async def test_no_secret_reaches_the_log(sqlite_ui: Ui, caplog: pytest.LogCaptureFixture) -> None:
    ui = sqlite_ui
    caplog.set_level(logging.DEBUG)
    anna = await ui.add_user("anna")
    browser = await ui.login("anna")
    cookie = session_token(browser)
    # A wrong password, as an attacker would try it.
    wrong = "Wrong-Pa55-Guess"
    attacker = ui.anonymous()
    async with attacker.get(ui.url("/login?lang=ru")) as page:
        csrf = csrf_from(await page.text())
    async with attacker.post(
        ui.url("/login"),
        data={"login": "anna", "password": wrong, "csrf_token": csrf},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 401
    async with unit_of_work(ui.hub) as uow:
        api_token = await create_api_token(uow, await uow.session.get_one(User, anna.id), "ci")
    async with ui.anonymous().get(
        ui.url("/api/v1/me"), headers={"Authorization": f"Bearer {api_token}"}
    ) as answer:
        assert answer.status == 200
    principal = Principal(anna.id, "anna", anna.name, Role.operator, "ru")
    feed = await issue_feed_token(ui.hub, principal)
    async with ui.anonymous().get(ui.url(f"/ical/{feed}.ics")) as answer:
        assert answer.status == 200
    async with ui.anonymous().get(ui.url(f"/api/v1/me?token={api_token}")) as answer:
        assert answer.status == 401  # a token in the query is no credential, nor logged

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records)
    assert "/ical/[redacted].ics" in logged  # the feed's request was logged, without it
    for secret in (PASSWORD, wrong, cookie, api_token, feed, "test-secret"):
        assert secret not in logged, secret
