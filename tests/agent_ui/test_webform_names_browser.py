"""Web-form input in Debian's Chromium: a phone like «123» is refused on the form page in the
visitor's language; a request from a known client's phone under another name shows
«представился как …» in the thread and on the card, as text, and «Добавить как контактное
лицо» makes that person a contact of the client's organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.actions.contacts import NormalisedIdentity
from hub.actions.crm import create_contact, create_organisation, link_contact_organisation
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Contact, ContactOrganisation, IdentityKind
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

TYPED_NAME = '<img src=x onerror="window.__oknoXss=1">Екатерина Соловьёва'


async def test_form_page_and_thread_show_what_the_visitor_typed(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_webform("demo")
    operator = await ui.add_user("ivanov", name="Мария Петрова")
    async with unit_of_work(ui.hub) as uow:
        anna = await create_contact(
            uow,
            "Анна Соколова",
            [NormalisedIdentity(IdentityKind.phone, "+79161234567", "+79161234567")],
            responsible_user_id=operator.id,
        )
        windows = await create_organisation(uow, "ООО Окна")
        await link_contact_organisation(uow, anna.id, windows.id, "закупки")
    problems: list[str] = []
    staff = await signed_in_context(browser, ui, "ivanov")
    visitor = await browser.new_context(locale="ru-RU")
    english = await browser.new_context(locale="en-US")
    try:
        workspace = await staff.new_page()
        watch_console(workspace, problems)
        await workspace.goto(ui.url("/"))
        await workspace.wait_for_selector("#conn-status[data-state=live]")

        # A visitor's «123» is a bad phone, said so in their language, not «give a contact».
        for context, expected in [
            (english, "The phone number is not valid."),
            (visitor, "Телефон указан неверно."),
        ]:
            page = await context.new_page()
            await page.goto(ui.url("/forms/demo"))
            await page.fill("#f-name", "Олег")
            await page.fill("#f-phone", "123")
            await page.check("input[name=consent]")
            await page.click("#okno-form button[type=submit]")
            status = page.locator("#okno-form-status[data-state=error]")
            await status.wait_for()
            assert await status.text_content() == expected
            assert await page.get_attribute("#f-phone", "aria-invalid") == "true"

        # The right number this time, under another name than the client's.
        await page.fill("#f-name", TYPED_NAME)
        await page.fill("#f-phone", "8 (916) 123-45-67")
        await page.fill("#f-message", "Нужен счёт на окна для склада")
        await page.click("#okno-form button[type=submit]")
        await page.wait_for_selector(".okno-done-title")

        item = workspace.locator(".conv-item", has_text="Анна Соколова")
        await item.wait_for()
        await item.click()
        introduced = workspace.locator("#messages .msg-in .msg-introduced")
        await introduced.wait_for()
        assert await introduced.text_content() == f"представился как {TYPED_NAME}"
        typed = workspace.locator("#messages .msg-in .msg-form-contacts")
        assert await typed.text_content() == "Телефон, как указан: 8 (916) 123-45-67"
        on_card = workspace.locator("#card-introduced li.introduced")
        await on_card.wait_for()
        assert (await on_card.locator(".value").text_content()) == f"представился как {TYPED_NAME}"
        assert await workspace.locator("#messages img, #card img").count() == 0
        assert await workspace.evaluate("window.__oknoXss") is None

        await on_card.get_by_role("button", name="Добавить как контактное лицо (ООО Окна)").click()
        added = on_card.locator("a.person-added")
        await added.wait_for()
        assert await added.text_content() == "Добавлено как контактное лицо"
        async with ui.hub.db.sessions() as session:
            person = (
                await session.execute(select(Contact).where(Contact.name == TYPED_NAME))
            ).scalar_one()
            links = await session.execute(
                select(ContactOrganisation.organisation_id).where(
                    ContactOrganisation.contact_id == person.id
                )
            )
            assert list(links.scalars()) == [windows.id]
        assert await added.get_attribute("href") == f"/clients/contacts/{person.id}"
        ARTIFACTS.mkdir(exist_ok=True)
        await workspace.screenshot(path=str(ARTIFACTS / "workspace-introduced.png"))
        assert problems == []
    finally:
        await staff.close()
        await visitor.close()
        await english.close()
        await ui.close()
