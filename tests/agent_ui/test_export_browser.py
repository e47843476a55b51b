"""«Экспорт» in Debian's Chromium: the CSV and XLSX of «Клиенты» and the CSV of the «Сделки»
list hold exactly the rows their filters show (the export URL is the list's own query)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.actions.contacts import NormalisedIdentity
from hub.actions.crm import create_contact
from hub.actions.deals import create_deal
from hub.actions.pipelines import StageSpec, create_pipeline
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import ContactStatus, IdentityKind, Stage
from hub.policy import SystemActor
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def add_contact(ui: Ui, name: str, phone: str, status: ContactStatus) -> int:
    async with unit_of_work(ui.hub) as uow:
        identity = NormalisedIdentity(IdentityKind.phone, phone, phone)
        contact = await create_contact(uow, name, [identity], None, status=status)
        return contact.id


async def test_the_export_holds_exactly_the_filtered_rows(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any], tmp_path: Path
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov", name="Мария Петрова")
    await add_contact(ui, "Анна Соколова", "+79165551234", ContactStatus.client)
    await add_contact(ui, "Борис Ершов", "+79031112233", ContactStatus.lead)
    await add_contact(ui, "Вера Лебедева", "+79037778899", ContactStatus.lead)
    await add_contact(ui, "Глеб Орлов", "+79260001122", ContactStatus.client)
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/clients"))
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 4"
        )
        # An operator exports, but is not offered the import.
        assert await page.locator("#clients-import").count() == 0

        await page.select_option("#f-status", "lead")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 2"
        )
        shown = sorted(await page.locator("#clients-rows .row-name").all_text_contents())
        async with page.expect_download() as caught:
            await page.click("#clients-export-csv")
        download = await caught.value
        assert download.suggested_filename.startswith("contacts-")
        assert download.suggested_filename.endswith(".csv")
        saved = tmp_path / "contacts.csv"
        await download.save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
        assert rows[0][:4] == ["ID", "ФИО", "Статус", "Телефон"]
        assert sorted(r[1] for r in rows[1:]) == shown == ["Борис Ершов", "Вера Лебедева"]
        assert sorted((r[2], r[3]) for r in rows[1:]) == [
            ("лид", "'+79031112233"),  # «+» quoted: Excel keeps the phone as text
            ("лид", "'+79037778899"),
        ]

        # Another filter on top (a phone typed any way): the XLSX follows it too.
        await page.fill("#clients-search", "8 903 777-88-99")
        await page.wait_for_function(
            "() => document.querySelectorAll('#clients-rows tr').length === 1"
        )
        async with page.expect_download() as caught:
            await page.click("#clients-export-xlsx")
        download = await caught.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / "contacts.xlsx"
        await download.save_as(saved)
        sheet = load_workbook(saved, read_only=True).worksheets[0]
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert cells[0][1] == "ФИО"
        assert [row[1] for row in cells[1:]] == ["Вера Лебедева"]

        # The organisations tab exports organisations, with the same link.
        await page.click("#tab-organisations")
        await page.locator("#clients-empty").wait_for(state="visible")
        href = await page.get_attribute("#clients-export-csv", "href")
        assert (href or "").startswith("/api/v1/organisations/export?")
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_the_deals_list_exports_its_filtered_rows(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any], tmp_path: Path
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    agent = await ui.add_user("ivanov", name="Мария Петрова")
    pipeline_id = await create_pipeline(
        ui.hub, SystemActor(), "Продажи", [StageSpec("Интерес"), StageSpec("Договор")]
    )
    async with ui.hub.db.sessions() as session:
        stages = {
            s.name: s.id
            for s in (
                await session.execute(select(Stage).where(Stage.pipeline_id == pipeline_id))
            ).scalars()
        }
    for title, stage in (("Окна для офиса", "Интерес"), ("Балкон", "Договор"), ("Дача", "Договор")):
        await create_deal(
            ui.hub,
            SystemActor(),
            title=title,
            pipeline_id=pipeline_id,
            stage_id=stages[stage],
            amount=Decimal("1000"),
            responsible_id=agent.id,
        )
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/deals?view=list"))
        await page.wait_for_function(
            "() => document.querySelectorAll('#deals-rows tr').length === 3"
        )
        assert await page.locator("#deals-import").count() == 0
        await page.select_option("#list-filters select[name=stage]", label="Договор")
        await page.wait_for_function(
            "() => document.querySelectorAll('#deals-rows tr').length === 2"
        )
        async with page.expect_download() as caught:
            await page.click("#deals-export-csv")
        download = await caught.value
        saved = tmp_path / "deals.csv"
        await download.save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
        assert rows[0][:2] == ["ID", "Название сделки"]
        assert sorted((r[1], r[5]) for r in rows[1:]) == [
            ("Балкон", "Договор"),
            ("Дача", "Договор"),
        ]
        assert problems == []
    finally:
        await context.close()
        await ui.close()
