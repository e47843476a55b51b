"""«Клиенты» in Debian's Chromium: a client found by a phone typed the way people type it,
a card edited on one page updating another open page live (or saying it was changed when
that page is mid-edit, and refusing a stale save), a bad e-mail refused next to its field in
Russian and another contact's phone warned about with a link, an unparsed phone fixed in
place, a new organisation with per-field requisite errors, sorting and paging, and a lead made
a client with a first deal."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from hub.actions import conversations, messages, unit_of_work
from hub.actions.contacts import NormalisedIdentity, note_unparsed_phones
from hub.actions.crm import create_contact, create_organisation, link_contact_organisation
from hub.actions.custom_fields import create_field
from hub.actions.users import start_session
from hub.auth import SESSION_COOKIE
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import (
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    CrmEntity,
    FieldKind,
    IdentityKind,
    Role,
    User,
)
from hub.policy import SystemActor
from tests.agent_ui.conftest import Ui, new_conversation
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend, add_channel

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

XSS_NAME = '<img src=x onerror="window.__oknoXss=1">Хакер'


async def add_contact(
    ui: Ui,
    name: str,
    phones: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    *,
    status: ContactStatus = ContactStatus.client,
    responsible: str | None = None,
) -> int:
    identities = [NormalisedIdentity(IdentityKind.phone, p, p) for p in phones] + [
        NormalisedIdentity(IdentityKind.email, e, e) for e in emails
    ]
    owner = ui.users[responsible].id if responsible else None
    async with unit_of_work(ui.hub) as uow:
        contact = await create_contact(uow, name, identities, owner, status=status)
        return contact.id


async def client_wrote(ui: Ui, contact_id: int, text: str) -> None:
    """A message from the contact on the website form, in a conversation of its own."""
    channel_id = await add_channel(ui.hub, "webform", f"form-{contact_id}")
    async with unit_of_work(ui.hub) as uow:
        channel = await uow.session.get_one(Channel, channel_id)
        conversation = await conversations.open_conversation(uow, contact_id, channel, text, None)
        await messages.receive(uow, conversation, text, {}, None)


async def api_session(ui: Ui, login: str) -> aiohttp.ClientSession:
    """The REST API as this user's browser calls it: session cookie and CSRF token."""
    async with unit_of_work(ui.hub) as uow:
        user = await uow.session.get_one(User, ui.users[login].id)
        token, csrf = await start_session(uow, user, 3600)
    session = ui.anonymous(headers={"X-CSRF-Token": csrf})
    session.cookie_jar.update_cookies({SESSION_COOKIE: token}, ui.server.make_url("/"))
    return session


async def contact_row(ui: Ui, contact_id: int) -> Contact:
    async with ui.hub.db.sessions() as session:
        found = await session.get(Contact, contact_id)
        assert found is not None
        return found


async def test_a_client_is_found_by_a_phone_typed_any_way(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    anna = await add_contact(ui, "Анна Соколова", ("+79165551234",), ("anna@example.ru",))
    await add_contact(ui, "Борис Ершов", ("+79031112233",))
    await add_contact(ui, XSS_NAME, ("+79160000001",), status=ContactStatus.lead)
    async with unit_of_work(ui.hub) as uow:
        org = await create_organisation(uow, "ООО «СтройМонтаж»", inn="7707083893")
        await link_contact_organisation(uow, anna, org.id, "Главный инженер")
    await client_wrote(ui, anna, "Нужен замер на 5 окон")
    started = time.monotonic()
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/clients"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        rows = page.locator("#clients-rows tr")
        await page.locator("#clients-rows tr", has_text="Борис Ершов").wait_for()
        assert await rows.count() == 3
        # A name with markup is shown as text and never runs.
        await page.locator("#clients-rows .row-name", has_text="Хакер").wait_for()
        assert await page.locator("#clients-rows img").count() == 0
        assert await page.evaluate("window.__oknoXss") is None

        # Filters: leads only, then the people of one organisation (chosen by its name).
        await page.select_option("#f-status", "lead")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 1"
        )
        assert "Хакер" in (await rows.first.text_content() or "")
        await page.select_option("#f-status", "")
        await page.fill("#f-organisation", "ООО «СтройМонтаж»")
        await page.wait_for_function(
            """() => [...document.querySelectorAll('#clients-rows .row-name')]
                .map((a) => a.textContent).join('|') === 'Анна Соколова'"""
        )
        assert "organisation_id=" in page.url
        await page.fill("#f-organisation", "")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 3"
        )

        await page.fill("#clients-search", "8 (916) 555-12-34")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 1"
        )
        found = page.locator("#clients-rows tr")
        assert await found.locator(".row-name").text_content() == "Анна Соколова"
        assert "+79165551234" in (await found.locator("[data-col=phones]").text_content() or "")
        orgs = await found.locator("[data-col=organisations]").text_content()
        assert orgs == "ООО «СтройМонтаж» · Главный инженер"
        # The address keeps the search, so a reload or a shared link shows the same rows.
        assert "q=8+%28916%29+555-12-34" in page.url

        await found.locator(".row-name").click()
        await page.wait_for_url(ui.url(f"/clients/contacts/{anna}"))
        await page.locator("#card-title", has_text="Анна Соколова").wait_for()
        assert await page.input_value("#card-name") == "Анна Соколова"
        assert await page.locator("#card-phones input").first.input_value() == "+79165551234"
        assert await page.locator("#card-title").text_content() == "Анна Соколова"
        # The history across channels, and the organisation's, made of its people's.
        said = page.locator("#card-history .history-item", has_text="Нужен замер на 5 окон")
        await said.wait_for()
        assert await said.locator(".msg-author").text_content() == "Клиент"
        await page.click("#card-organisations a.org-name")
        await page.wait_for_url(ui.url(f"/clients/organisations/{org.id}"))
        await page.locator("#card-people a", has_text="Анна Соколова").wait_for()
        await page.click("#card-tab-history")
        said = page.locator("#card-history .history-item", has_text="Нужен замер на 5 окон")
        await said.wait_for()
        assert await said.locator(".history-contact").text_content() == "Анна Соколова"

        # Nobody by that phone: the table says so.
        await page.goto(ui.url("/clients"))
        await page.fill("#clients-search", "+7 999 000-00-00")
        await page.locator("#clients-empty").wait_for(state="visible")
        assert await page.locator("#clients-empty").text_content() == "Никого не нашлось."
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "clients.png"))
        assert problems == []
    finally:
        await context.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def test_an_edit_on_one_page_reaches_the_other_open_card_live(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    await ui.add_user("boss", Role.admin, name="Ольга Руководитель")
    anna = await add_contact(ui, "Анна Соколова", ("+79165551234",), responsible="ivanov")
    started = time.monotonic()
    problems: list[str] = []
    mine = await signed_in_context(browser, ui, "ivanov")
    theirs = await signed_in_context(browser, ui, "boss")
    try:
        editor = await mine.new_page()
        watcher = await theirs.new_page()
        for page in (editor, watcher):
            watch_console(page, problems)
            await page.goto(ui.url(f"/clients/contacts/{anna}"))
            await page.wait_for_selector("#conn-status[data-state=live]")
            await page.wait_for_function(
                "() => document.getElementById('card-name').value === 'Анна Соколова'"
            )

        # An edit on one page: the other, untouched, shows it without a reload.
        await editor.fill("#card-name", "Анна Соколова-Ветрова")
        await editor.click("#card-emails-add")
        await editor.locator("#card-emails input").last.fill("anna@vetrov.ru")
        await editor.click("#card-save")
        await editor.locator("#card-saved", has_text="Сохранено.").wait_for()
        await watcher.wait_for_function(
            "() => document.getElementById('card-name').value === 'Анна Соколова-Ветрова'"
        )
        assert await watcher.locator("#card-title").text_content() == "Анна Соколова-Ветрова"
        assert await watcher.locator("#card-emails input").first.input_value() == "anna@vetrov.ru"
        await watcher.locator("#card-saved", has_text="карточку изменил другой").wait_for()
        assert (await contact_row(ui, anna)).name == "Анна Соколова-Ветрова"

        # Mid-edit, the other page's change is announced, not poured over what one types.
        await watcher.fill("#card-source", "выставка")
        await editor.fill("#card-name", "Анна Ветрова")
        await editor.click("#card-save")
        await editor.locator("#card-saved", has_text="Сохранено.").wait_for()
        banner = watcher.locator("#card-banner")
        await banner.wait_for(state="visible")
        text = await watcher.locator("#card-banner-text").text_content()
        assert (text or "").startswith("Изменено другим пользователем.")
        assert await watcher.input_value("#card-source") == "выставка"
        assert await watcher.input_value("#card-name") == "Анна Соколова-Ветрова"

        # Saving over it anyway is refused: the version the edit started from is stale.
        await watcher.click("#card-save")
        await watcher.locator(
            "#card-banner-text", has_text="Карточку изменили, пока вы редактировали."
        ).wait_for()
        assert (await contact_row(ui, anna)).source == ""
        await watcher.click("#card-banner-reload")
        await banner.wait_for(state="hidden")
        assert await watcher.input_value("#card-name") == "Анна Ветрова"
        assert await watcher.input_value("#card-source") == ""
        ARTIFACTS.mkdir(exist_ok=True)
        await watcher.screenshot(path=str(ARTIFACTS / "client-card.png"), full_page=True)
        # Only the refused save, which the browser logs as a failed request.
        assert [p for p in problems if "409 (Conflict)" not in p] == []
    finally:
        await mine.close()
        await theirs.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def test_a_bad_email_is_refused_next_to_its_field_in_russian(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    anna = await add_contact(ui, "Анна Соколова", ("+79165551234",), responsible="ivanov")
    boris = await add_contact(ui, "Борис Ершов", ("+79031112233",))
    version = (await contact_row(ui, anna)).version
    started = time.monotonic()
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        # The page reports the refused save in the console as a failed request: expected.
        watch_console(page, problems)
        await page.goto(ui.url(f"/clients/contacts/{anna}"))
        await page.wait_for_function(
            "() => document.getElementById('card-name').value === 'Анна Соколова'"
        )
        await page.click("#card-emails-add")
        await page.locator("#card-emails input").last.fill("anna@@example")
        await page.click("#card-save")
        error = page.locator('#card-emails [data-error-for="emails.0"]')
        await error.wait_for()
        assert await error.text_content() == "Это не адрес e-mail."
        assert await page.locator("#card-form-error").text_content() == (
            "Проверьте выделенные поля."
        )
        assert await page.locator("#card-emails li.invalid").count() == 1
        assert (await contact_row(ui, anna)).version == version  # nothing written

        # Corrected, it saves and the error goes.
        await page.locator("#card-emails input").last.fill("anna@example.ru")
        await page.click("#card-save")
        await page.locator("#card-saved", has_text="Сохранено.").wait_for()
        assert await error.text_content() == ""
        assert (await contact_row(ui, anna)).version == version + 1

        # Another contact's phone is not taken over: saved without it, with a link to them.
        await page.click("#card-phones-add")
        await page.locator("#card-phones input").last.fill("8 903 111-22-33")
        await page.click("#card-save")
        warning = page.locator("#card-warnings li[data-type=duplicate-phone]")
        await warning.wait_for()
        assert await warning.text_content() == (
            "Телефон +79031112233 уже есть у другого контакта и не добавлен: Борис Ершов"
        )
        link = warning.locator("a")
        assert await link.get_attribute("href") == f"/clients/contacts/{boris}"
        phones = [await i.input_value() for i in await page.locator("#card-phones input").all()]
        assert phones == ["+79165551234"]
        await link.click()
        await page.wait_for_url(ui.url(f"/clients/contacts/{boris}"))
        await page.locator("#card-title", has_text="Борис Ершов").wait_for()
        assert [p for p in problems if "422" not in p] == []
    finally:
        await context.close()
        await ui.close()
    assert time.monotonic() - started < 30


async def test_an_unparsed_phone_is_shown_raw_and_fixed_in_place(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    anna = await add_contact(ui, "Анна Соколова", ("+79165551234",), responsible="ivanov")
    async with unit_of_work(ui.hub) as uow:
        await note_unparsed_phones(uow, anna, ["555-12 доб. 7"])
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/clients/contacts/{anna}"))
        unparsed = page.locator("#card-phones li.unparsed")
        await unparsed.wait_for()
        # Never hidden: its raw text, marked, with «Исправить».
        assert await unparsed.locator("input").input_value() == "555-12 доб. 7"
        assert await unparsed.locator(".unparsed-badge").text_content() == "не распознан"
        await unparsed.get_by_role("button", name="Исправить").click()
        assert await page.evaluate("document.activeElement.value") == "555-12 доб. 7"
        await page.keyboard.type("8 (916) 555-00-11")
        await page.click("#card-save")
        await page.locator("#card-saved", has_text="Сохранено.").wait_for()
        phones = [await i.input_value() for i in await page.locator("#card-phones input").all()]
        assert phones == ["+79165551234", "+79165550011"]
        assert await page.locator("#card-phones li.unparsed").count() == 0
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_a_lead_becomes_a_client_with_a_first_deal(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    await ui.add_user("root", Role.admin)
    admin = await api_session(ui, "root")
    stages = [{"name": "Интерес", "outcome": "open"}, {"name": "Договор", "outcome": "won"}]
    async with admin.post(
        ui.url("/api/v1/pipelines"), json={"name": "Продажи", "stages": stages}
    ) as reply:
        status, text = reply.status, await reply.text()
    if status == 404:
        await ui.close()
        pytest.skip("the deals API (branch h-deals) is not merged here")
    assert status == 201, text
    lead = await add_contact(
        ui, "Олег Гусев", ("+79031234567",), status=ContactStatus.lead, responsible="ivanov"
    )
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/clients/contacts/{lead}"))
        await page.locator("#card-status", has_text="Лид").wait_for()
        await page.click("#card-convert")
        await page.check("#deal-create")
        await page.fill("#deal-title", "Остекление коттеджа")
        await page.fill("#deal-amount", "125 000")
        await page.click("#deal-ok")
        await page.locator("#card-status", has_text="Клиент").wait_for()
        assert await page.locator("#card-convert").is_hidden()
        await page.click("#card-tab-deals")
        deal = page.locator("#card-deals tbody tr")
        await deal.wait_for()
        assert await deal.locator("td").nth(0).text_content() == "Остекление коттеджа"
        assert await deal.locator("td").nth(2).text_content() == "Интерес"
        assert (await contact_row(ui, lead)).status is ContactStatus.client
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_the_registry_sorts_and_pages_by_cursor(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    async with unit_of_work(ui.hub) as uow:
        for n in range(1, 61):
            await create_contact(uow, f"Клиент {n:02d}")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/clients"))
        rows = page.locator("#clients-rows tr")
        await page.locator("#clients-more").wait_for()
        assert await rows.count() == 50
        await page.click("th[data-col=name] button.sort")
        await page.wait_for_selector("th[data-col=name][aria-sort=ascending]")
        await page.locator(
            "#clients-rows tr:first-child .row-name", has_text="Клиент 01"
        ).wait_for()
        await page.click("th[data-col=name] button.sort")
        await page.wait_for_selector("th[data-col=name][aria-sort=descending]")
        await page.locator(
            "#clients-rows tr:first-child .row-name", has_text="Клиент 60"
        ).wait_for()
        await page.click("#clients-more")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 60"
        )
        names = await page.locator("#clients-rows .row-name").all_text_contents()
        assert names == [f"Клиент {n:02d}" for n in range(60, 0, -1)]
        assert await page.locator("#clients-more").is_hidden()
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_a_new_organisation_with_requisites_and_custom_fields(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    await create_field(
        ui.hub, SystemActor(), CrmEntity.organisation, "Сотрудников", FieldKind.number, key="staff"
    )
    await create_field(
        ui.hub,
        SystemActor(),
        CrmEntity.organisation,
        "Отрасль",
        FieldKind.list,
        key="industry",
        options=["Стройка", "Торговля"],
    )
    await create_field(
        ui.hub, SystemActor(), CrmEntity.organisation, "Бюджет", FieldKind.money, key="budget"
    )
    async with unit_of_work(ui.hub) as uow:
        taken = await create_organisation(uow, "ПАО «Сбербанк»", inn="7707083893")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/clients?tab=organisations"))
        await page.locator("#clients-rows tr", has_text="ПАО «Сбербанк»").wait_for()
        # Custom fields are columns of the registry and filters above it.
        assert await page.locator("th[data-col='cf.staff']").text_content() == "Сотрудников"
        await page.locator("#f-custom select[name='cf.industry']").wait_for()
        await page.fill("#f-custom input[name='cf.staff']", "много")
        refused = page.locator("#clients-error", has_text="Сотрудников: Нужно число.")
        await refused.wait_for()
        await page.fill("#f-custom input[name='cf.staff']", "")
        await refused.wait_for(state="hidden")
        await page.locator("#clients-rows tr", has_text="ПАО «Сбербанк»").wait_for()
        await page.click("#new-organisation")
        await page.wait_for_url(ui.url("/clients/organisations/new"))
        await page.locator("#card-custom-fields [data-key=staff] input").wait_for()
        await page.fill("#card-name", "ООО «Ромашка»")
        await page.fill("#card-inn", "7707083894")  # one digit off: the checksum fails
        await page.fill("#card-kpp", "7707")
        await page.fill("#card-custom-fields [data-key=staff] input", "много")
        await page.select_option("#card-custom-fields [data-key=industry] select", "Стройка")
        await page.fill("#card-custom-fields [data-key=budget] input", "1 250 000,50")
        await page.click("#card-save")
        inn_error = page.locator('[data-error-for="inn"]')
        await inn_error.wait_for()
        assert await inn_error.text_content() == (
            "Контрольные цифры ИНН не сходятся: проверьте, нет ли опечатки."
        )
        assert await page.locator('[data-error-for="kpp"]').text_content() == "В КПП 9 символов."
        assert await page.locator('[data-error-for="custom_fields.staff"]').text_content() == (
            "Нужно число."
        )
        assert page.url == ui.url("/clients/organisations/new")  # nothing was created

        # Corrected, but the INN is another organisation's: saved, with a link to that one.
        await page.fill("#card-inn", "7707083893")
        await page.fill("#card-kpp", "773601001")
        await page.fill("#card-custom-fields [data-key=staff] input", "120")
        await page.click("#card-save")
        await page.locator("#card-saved", has_text="Сохранено.").wait_for()
        assert "/clients/organisations/new" not in page.url
        warning = page.locator("#card-warnings li[data-type=duplicate-inn]")
        assert await warning.text_content() == (
            "ИНН 7707083893 уже есть у другой организации: ПАО «Сбербанк»"
        )
        assert await warning.locator("a").get_attribute("href") == (
            f"/clients/organisations/{taken.id}"
        )
        assert await page.input_value("#card-custom-fields [data-key=budget] input") == (
            "1250000.50"
        )
        # Renamed elsewhere (another tab, the API): the open, untouched card follows.
        org_id = int(page.url.rsplit("/", 1)[1])
        version = int(await page.get_attribute("#card-form", "data-version") or 0)
        elsewhere = await api_session(ui, "ivanov")
        async with elsewhere.patch(
            ui.url(f"/api/v1/organisations/{org_id}"),
            json={"version": version, "name": "ООО «Ромашка и партнёры»"},
        ) as reply:
            assert reply.status == 200, await reply.text()
        await page.locator("#card-title", has_text="ООО «Ромашка и партнёры»").wait_for()
        assert await page.input_value("#card-name") == "ООО «Ромашка и партнёры»"
        await page.locator("#card-tab-contacts").wait_for()
        assert await page.locator("#card-tab-panel .empty").text_content() == (
            "Контактных лиц пока нет."
        )
        await page.click("#card-new-person")
        await page.wait_for_url("**/clients/contacts/new?organisation_id=*")
        await page.locator("#card-organisations li", has_text="ООО «Ромашка и партнёры»").wait_for()
        assert [p for p in problems if "422 (Unprocessable" not in p] == []
    finally:
        await context.close()
        await ui.close()


async def test_the_workspace_card_opens_the_clients_card(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    operator = await ui.add_user("ivanov", name="Мария Петрова")
    conversation_id = await new_conversation(ui.hub, operator.id, "Сколько стоит замер?")
    async with ui.hub.db.sessions() as session:
        contact_id = (await session.get_one(Conversation, conversation_id)).contact_id
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.locator(".conv-item").first.click()
        link = page.locator("#card-open")
        await link.wait_for()
        assert await link.text_content() == "Открыть карточку клиента"
        async with context.expect_page() as opened:
            await link.click()
        card = await opened.value
        watch_console(card, problems)
        await card.wait_for_url(ui.url(f"/clients/contacts/{contact_id}"))
        await card.locator("#card-status", has_text="Лид").wait_for()
        await card.locator("#card-history .msg-text", has_text="Сколько стоит замер?").wait_for()
        assert problems == []
    finally:
        await context.close()
        await ui.close()
