"""«Импорт» in Debian's Chromium: an XLSX of five contacts (two of them bad)
uploaded from «Клиенты», its Russian headers guessed, imported with the progress bar, the two
bad rows reported on the page by row, column and reason (and as a CSV download), the three
good contacts found in the registry; bad files refused in Russian, an admin's new custom
field and the mapping remembered for the next file; a use case's refusal in the page's words.
The exports are test_export_browser.py."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from hub.actions.custom_fields import create_field
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Contact, CrmEntity, FieldKind, Organisation, Role
from hub.policy import SystemActor
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XSS_HEADER = '<img src=x onerror="window.__oknoXss=1">Заметка'


def contacts_xlsx() -> bytes:
    """Five contacts as an old CRM exports them; row 3 has no phone number in its phone
    column, row 5 no e-mail address in its e-mail column."""
    book = Workbook()
    sheet = book.active
    sheet.append(["ФИО", "Мобильный телефон", "Рабочий e-mail", "Компания", XSS_HEADER])
    sheet.append(
        ["Иванов Иван Петрович", "8 (916) 555-12-34", "ivanov@stroy.ru", "ООО «СтройМонтаж»", ""]
    )
    sheet.append(["Петрова Анна", "12-ab", "anna@example.ru", "ООО «СтройМонтаж»", ""])
    sheet.append(["Смирнов Пётр", "+7 903 111-22-33", "petr@example.ru", None, "<b>жирный</b>"])
    sheet.append(["Кузнецова Мария", "8 926 000 11 22", "no-at-sign", "ИП Кузнецова", None])
    sheet.append(["Волков Алексей", "+79051234567", "volkov@example.ru", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def contact_names(ui: Ui) -> set[str]:
    async with ui.hub.db.sessions() as session:
        return set((await session.execute(select(Contact.name))).scalars())


async def test_contacts_from_an_xlsx_with_two_bad_rows(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any], tmp_path: Path
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("lead", Role.supervisor, name="Пётр Старший")
    started = time.monotonic()
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "lead")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/clients"))
        await page.locator("#clients-empty").wait_for(state="visible")
        await page.click("#clients-import")
        await page.wait_for_url(ui.url("/import?entity=contact"))
        assert await page.input_value("#import-entity") == "contact"

        # No file chosen: said so, nothing sent.
        await page.click("#import-upload")
        await page.locator("#import-error", has_text="Выберите файл CSV или XLSX.").wait_for()

        await page.set_input_files(
            "#import-file",
            files=[{"name": "контакты.xlsx", "mimeType": XLSX_MIME, "buffer": contacts_xlsx()}],
        )
        await page.click("#import-upload")
        await page.locator("#import-step-mapping").wait_for(state="visible")
        assert await page.locator("#import-error").is_hidden()
        assert await page.locator("#import-step-file").is_hidden()
        assert await page.locator("#import-file-info").text_content() == (
            "Файл «контакты.xlsx»: строк — 5"
        )
        assert "job=" in page.url  # a reload reopens this import

        rows = page.locator("#import-columns-rows tr")
        assert await rows.count() == 5
        headers = await page.locator("#import-columns-rows th").all_text_contents()
        assert headers == ["ФИО", "Мобильный телефон", "Рабочий e-mail", "Компания", XSS_HEADER]
        chosen = [await rows.nth(i).locator("select").input_value() for i in range(5)]
        # The Russian headers guessed; a new custom field is an admin's to make, so a
        # supervisor's unknown column starts as «не загружать».
        assert chosen == ["name", "phone", "email", "organisation", ""]
        assert await rows.nth(4).locator("option[value='new-custom-field']").count() == 0
        name_select = rows.nth(0).locator("select")
        assert await name_select.locator("option:checked").text_content() == "ФИО"
        samples = await rows.nth(1).locator(".import-samples li").all_text_contents()
        assert samples == [
            "8 (916) 555-12-34", "12-ab", "+7 903 111-22-33", "8 926 000 11 22", "+79051234567",
        ]  # fmt: skip
        assert await rows.nth(4).locator(".import-samples li").all_text_contents() == [
            "<b>жирный</b>"
        ]
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "import-mapping.png"), full_page=True)
        # Markup in the file is shown as text and never runs.
        assert await page.locator("#import-columns img, #import-columns b").count() == 0
        assert await page.evaluate("window.__oknoXss") is None

        # A field chosen twice is named on its row before anything is sent.
        await rows.nth(3).locator("select").select_option("name")
        await page.click("#import-start")
        taken = rows.nth(3).locator(".field-error")
        await taken.wait_for()
        assert await taken.text_content() == "В это поле уже загружается другой столбец."
        await rows.nth(3).locator("select").select_option("organisation")
        assert await taken.text_content() == ""

        await page.click("#import-start")
        await page.locator("#import-step-result").wait_for(state="visible")
        bar = page.locator("#import-progress")
        assert (await bar.get_attribute("max"), await bar.get_attribute("value")) == ("5", "5")
        assert await page.locator("#import-progress-text").text_content() == (
            "Обработано строк: 5 из 5"
        )
        counts = [
            await page.locator(f"#import-{k}").text_content()
            for k in ("created", "duplicates", "errors")
        ]
        assert counts == ["3", "0", "2"]
        assert await page.locator("#import-summary").text_content() == (
            "Импорт завершён: создано — 3, дубликатов — 0, с ошибками — 2."
        )
        report = [
            await tr.locator("td").all_text_contents()
            for tr in await page.locator("#import-report-rows tr").all()
        ]
        assert report == [
            ["3", "Мобильный телефон", "«12-ab» — не номер телефона"],
            ["5", "Рабочий e-mail", "«no-at-sign» — не адрес электронной почты"],
        ]

        # The same report as a CSV for Excel.
        async with page.expect_download() as caught:
            await page.click("#import-report-link")
        download = await caught.value
        saved = tmp_path / "report.csv"
        await download.save_as(saved)
        lines = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
        assert lines == [
            ["Строка", "Столбец", "Причина", "Тип"],
            ["3", "Мобильный телефон", "«12-ab» — не номер телефона", "invalid-phone"],
            ["5", "Рабочий e-mail", "«no-at-sign» — не адрес электронной почты", "invalid-email"],
        ]
        assert download.suggested_filename == "контакты-ошибки.csv"
        assert await contact_names(ui) == {"Иванов Иван Петрович", "Смирнов Пётр", "Волков Алексей"}
        await page.screenshot(path=str(ARTIFACTS / "import.png"), full_page=True)

        # A reload shows the finished import again, not an empty form.
        await page.reload()
        await page.locator("#import-step-result").wait_for(state="visible")
        assert await page.locator("#import-report-rows tr").count() == 2

        # The three good contacts are in the registry, found by what people type.
        await page.click("#import-open-list")
        await page.wait_for_url(ui.url("/clients"))
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 3"
        )
        names = await page.locator("#clients-rows .row-name").all_text_contents()
        assert sorted(names) == ["Волков Алексей", "Иванов Иван Петрович", "Смирнов Пётр"]
        for typed, name in (
            ("8 903 111-22-33", "Смирнов Пётр"),
            ("ivanov@stroy.ru", "Иванов Иван Петрович"),
            ("Волков", "Волков Алексей"),
        ):
            await page.fill("#clients-search", typed)
            await page.wait_for_function(
                """(name) => [...document.querySelectorAll('#clients-rows .row-name')]
                    .map((a) => a.textContent).join('|') === name""",
                arg=name,
            )
        await page.fill("#clients-search", "Петрова")
        await page.locator("#clients-empty").wait_for(state="visible")
        assert problems == []
    finally:
        await context.close()
        await ui.close()
    assert time.monotonic() - started < 40


async def test_bad_files_refused_in_russian_a_new_field_and_a_remembered_mapping(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ольга Админ")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/import?entity=organisation"))
        await page.set_input_files(
            "#import-file",
            files=[{"name": "orgs.xlsx", "mimeType": XLSX_MIME, "buffer": b"not a workbook"}],
        )
        await page.click("#import-upload")
        error = page.locator("#import-error")
        await error.wait_for(state="visible")
        assert await error.text_content() == (
            "Это не книга Excel (.xlsx). Сохраните файл как XLSX или CSV и загрузите снова."
        )
        await page.set_input_files(
            "#import-file",
            files=[{"name": "orgs.csv", "mimeType": "text/csv", "buffer": b"\x00\x01\x02binary"}],
        )
        await page.click("#import-upload")
        await error.locator("text=Это не таблица в понятной кодировке").wait_for()
        # An admin may make a new custom field of an unknown column; a CSV in windows-1251.
        data = "Название;Отрасль;Сайт\nООО Ромашка;Стройка;romashka.ru\n".encode("cp1251")
        await page.set_input_files(
            "#import-file", files=[{"name": "orgs.csv", "mimeType": "text/csv", "buffer": data}]
        )
        await page.click("#import-upload")
        await page.locator("#import-step-mapping").wait_for(state="visible")
        assert await error.is_hidden()
        assert await page.locator("#import-remembered").is_hidden()
        selects = page.locator("#import-columns-rows select")
        assert [await s.input_value() for s in await selects.all()] == [
            "name",
            "new-custom-field",
            "site",
        ]
        assert await selects.nth(1).locator("option:checked").text_content() == (
            "Новое доп. поле «Отрасль»"
        )
        # Nothing mapped to the name: refused before sending, in words.
        await selects.nth(0).select_option("")
        await page.click("#import-start")
        await page.locator(
            "#import-mapping-error", has_text="Выберите столбец с названием организации."
        ).wait_for()
        await selects.nth(0).select_option("name")
        await selects.nth(2).select_option("")  # the site is left out this time
        await page.click("#import-start")
        await page.locator("#import-summary", has_text="создано — 1,").wait_for()
        assert await page.locator("#import-report").is_hidden()
        async with ui.hub.db.sessions() as session:
            made = (await session.execute(select(Organisation))).scalar_one()
        assert (made.name, made.site, made.custom_fields) == (
            "ООО Ромашка",
            "",
            {"otrasl": "Стройка"},
        )

        # The next file with these columns starts from the fields chosen for this one.
        await page.click("#import-again")
        await page.wait_for_url(ui.url("/import?entity=organisation"))
        more = "Название;Отрасль;Сайт\nООО Лютик;Торговля;lutik.ru\n".encode()
        await page.set_input_files(
            "#import-file", files=[{"name": "more.csv", "mimeType": "text/csv", "buffer": more}]
        )
        await page.click("#import-upload")
        await page.locator("#import-remembered").wait_for(state="visible")
        assert [await s.input_value() for s in await selects.all()] == ["name", "cf.otrasl", ""]
        assert await selects.nth(1).locator("option:checked").text_content() == "Отрасль"
        # Only the refused uploads, which the browser logs as failed requests.
        assert [p for p in problems if "422" not in p] == []
    finally:
        await context.close()
        await ui.close()


async def test_a_refusal_of_the_use_case_is_reported_in_the_pages_language(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("lead", Role.supervisor, name="Пётр Старший")
    # The API words a custom field's refusal in English; the page says it in Russian.
    await create_field(
        ui.hub, SystemActor("test set-up"), CrmEntity.organisation, "Сотрудников", FieldKind.number
    )
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "lead")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/import?entity=organisation"))
        data = "Название;Сотрудников\nАльфа;12\nБета;много\n".encode()
        await page.set_input_files(
            "#import-file", files=[{"name": "team.csv", "mimeType": "text/csv", "buffer": data}]
        )
        await page.click("#import-upload")
        await page.locator("#import-step-mapping").wait_for(state="visible")
        await page.click("#import-start")
        await page.locator("#import-step-result").wait_for(state="visible")
        report = [
            await tr.locator("td").all_text_contents()
            for tr in await page.locator("#import-report-rows tr").all()
        ]
        assert report == [["3", "Сотрудников", "Нужно число."]]
        assert problems == []
    finally:
        await context.close()
        await ui.close()
