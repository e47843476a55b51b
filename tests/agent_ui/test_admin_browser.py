"""The admin pages in Debian's Chromium: an administrator adds a Telegram bot (seeing the
per-field error first), edits and disables it, adds a PBX with its extension map, sets an
operator's extension and creates a user; an operator is refused the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Channel, Role, Team, User
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, log_in, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

TOKEN = "123456789:AAFbrowserTestTokenThatIsLongEnough_1"
HOOK_SECRET = "browser-hook-secret-never-shown"
AMI_SECRET = "ami-secret-never-shown"


async def channel(ui: Ui, name: str) -> Channel:
    async with ui.hub.db.sessions() as session:
        return (await session.execute(select(Channel).where(Channel.name == name))).scalar_one()


async def test_admin_manages_channels_and_operators(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("root", Role.admin, name="Анна Админова")
    await ui.add_user("ivanov", name="Мария Петрова")
    async with ui.hub.db.sessions() as session, session.begin():
        session.add(Team(name="Продажи"))
    problems: list[str] = []
    staff = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="ru-RU")
    other = await browser.new_context(locale="ru-RU")
    try:
        page = await staff.new_page()
        watch_console(page, problems)
        await log_in(page, ui, "root")
        await page.click("nav >> text=Каналы")
        await page.wait_for_url(ui.url("/admin/channels"))
        await page.locator("#channels-empty").wait_for()

        # A Telegram bot with a malformed token: the error is shown at the token field.
        await page.click("#channel-add")
        await page.select_option("#channel-kind", "telegram")
        await page.fill("#channel-name", "salesbot")
        await page.fill("#channel-title", "Бот продаж")
        await page.select_option("#channel-team", label="Продажи")
        await page.fill("#opt-token", "not-a-token")
        await page.select_option("#opt-mode", "webhook")
        await page.fill("#opt-webhook_secret", HOOK_SECRET)
        await page.click("#channel-save")
        token_field = page.locator(".field", has=page.locator("#opt-token"))
        error = token_field.locator('[data-error-for="token"]')
        await error.get_by_text("BotFather", exact=False).wait_for()
        assert "invalid" in (await token_field.get_attribute("class") or "")
        assert await page.locator(".field-error:not(:empty)").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-channel-form.png"))

        await page.fill("#opt-token", TOKEN)
        await page.click("#channel-save")
        row = page.locator("tr[data-name=salesbot]")
        await row.locator(".state[data-state=running]").wait_for()
        await row.get_by_text("Продажи").wait_for()
        await row.get_by_text("/hooks/telegram/salesbot", exact=False).wait_for()
        stored = await channel(ui, "salesbot")
        assert stored.options["token"] == TOKEN and stored.options["mode"] == "webhook"
        html = await page.content()
        for secret in (TOKEN, TOKEN.split(":")[1], HOOK_SECRET):
            assert secret not in html

        # Edit the title: the secret inputs are empty ("stored"), and the secrets are kept.
        await row.locator("button[data-action=edit]").click()
        assert await page.input_value("#opt-token") == ""
        assert await page.get_attribute("#opt-token", "type") == "password"
        await page.get_by_text("Сохранено — оставьте пустым", exact=False).first.wait_for()
        assert await page.input_value("#opt-mode") == "webhook"
        await page.fill("#channel-title", "Бот отдела продаж")
        await page.click("#channel-save")
        await row.get_by_text("Бот отдела продаж").wait_for()
        stored = await channel(ui, "salesbot")
        assert stored.title == "Бот отдела продаж"
        assert stored.options["token"] == TOKEN and stored.options["webhook_secret"] == HOOK_SECRET
        assert TOKEN not in await page.content()

        # Disable (= delete): asked first, then the row shows it off and the history stays.
        await row.locator("button[data-action=disable]").click()
        await (
            page.locator("#confirm-dialog").get_by_text("Бот отдела продаж", exact=False).wait_for()
        )
        await page.click("#confirm-ok")
        await row.locator(".state[data-state=disabled]").wait_for()
        assert (await channel(ui, "salesbot")).enabled is False
        await row.locator("button[data-action=enable]").wait_for()

        # A PBX with its map of extensions to operators (stored, not started: no AMI here).
        await page.click("#channel-add")
        await page.select_option("#channel-kind", "asterisk")
        await page.fill("#channel-name", "office-pbx")
        await page.fill("#channel-title", "Офисная АТС")
        await page.uncheck("#channel-enabled")
        await page.fill("#opt-host", "127.0.0.1")
        await page.fill("#opt-username", "okno")
        await page.fill("#opt-secret", AMI_SECRET)
        extensions = page.locator("#opt-extensions")
        for extension, login in (("101", "ivanov"), ("102", "root")):
            await extensions.locator(".kv-add").click()
            inputs = extensions.locator(".kv-row").last.locator("input")
            await inputs.nth(0).fill(extension)
            await inputs.nth(1).fill(login)
        await page.click("#channel-save")
        pbx = page.locator("tr[data-name=office-pbx]")
        await pbx.locator(".state[data-state=disabled]").wait_for()
        stored = await channel(ui, "office-pbx")
        assert stored.options["extensions"] == {"101": "ivanov", "102": "root"}
        assert stored.options["port"] == 5038 and stored.options["secret"] == AMI_SECRET
        assert AMI_SECRET not in await page.content()
        await page.screenshot(path=str(ARTIFACTS / "admin-channels.png"), full_page=True)

        # Operators: set Maria's extension in the table; it is saved when the field is left.
        await page.click("nav >> text=Операторы")
        await page.wait_for_url(ui.url("/admin/operators"))
        maria = page.locator("tr[data-login=ivanov]")
        extension = maria.locator("input[data-field=extension]")
        await extension.fill("205")
        await extension.press("Tab")
        await maria.locator(".cell-status[data-state=saved]").wait_for()
        async with ui.hub.db.sessions() as session:
            user = await session.get_one(User, ui.users["ivanov"].id)
        assert user.extension == "205"
        # Her own row: the admin cannot switch herself off.
        assert await page.locator("tr[data-login=root] input[data-field=is_active]").is_disabled()

        # A new user: a short password is refused at its field, then the account is made.
        await page.click("#user-add")
        await page.fill("#user-login", "petrov")
        await page.fill("#user-name", "Пётр Петров")
        await page.fill("#user-password", "short")
        await page.click("#user-save")
        await page.locator('[data-error-for="password"]:not(:empty)').wait_for()
        await page.fill("#user-password", "long-enough-pass")
        await page.click("#user-save")
        await page.locator("tr[data-login=petrov]").wait_for()
        await page.screenshot(path=str(ARTIFACTS / "admin-operators.png"), full_page=True)
        # The two 422s were the point (bad token, short password); nothing else may fail.
        assert [p for p in problems if "status of 422" not in p] == []
        assert len(problems) == 2

        # An operator is refused both pages, by the server.
        operator = await other.new_page()
        await log_in(operator, ui, "ivanov")
        for path in ("/admin/channels", "/admin/operators"):
            response = await operator.goto(ui.url(path))
            assert response is not None and response.status == 403, path
            assert "salesbot" not in await operator.content()
        assert await operator.locator("nav >> text=Каналы").count() == 0
    finally:
        await staff.close()
        await other.close()
        await ui.close()


async def test_admin_sets_a_persons_telegram_chat(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    """The chat with the company's bot where robots' notices go, set in the user dialog:
    what is not a chat id is refused at its field, a chat id is kept and shown again."""
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("root", Role.admin, name="Анна Админова")
    await ui.add_user("petrov", name="Пётр Петров")
    problems: list[str] = []
    staff = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="ru-RU")
    try:
        page = await staff.new_page()
        watch_console(page, problems)
        await log_in(page, ui, "root")
        await page.goto(ui.url("/admin/operators"))
        edit = page.locator("tr[data-login=petrov] button[data-action=edit]")
        await edit.click()
        label = page.locator("label[for=user-telegram] .field-label")
        assert await label.inner_text() == "ID чата в Telegram"
        await page.fill("#user-telegram", "@petrov")
        await page.click("#user-save")
        await page.locator('[data-error-for="telegram_chat_id"]:not(:empty)').wait_for()
        await page.fill("#user-telegram", "700100200")
        await page.click("#user-save")
        await page.wait_for_function("() => !document.getElementById('user-dialog').open")
        async with ui.hub.db.sessions() as session:
            petrov = await session.get_one(User, ui.users["petrov"].id)
        assert petrov.telegram_chat_id == "700100200"
        await page.reload()
        await edit.click()
        assert await page.input_value("#user-telegram") == "700100200"
        # The one 422 was the point (a chat id that is not one).
        assert len(problems) == 1 and "status of 422" in problems[0]
    finally:
        await staff.close()
        await ui.close()
