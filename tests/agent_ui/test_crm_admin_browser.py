"""The administrator's CRM settings in Debian's Chromium: a deal field «Тип объекта2» of
kind list is added (a repeated option refused at that option first, in Russian) and the deal
panel on /deals offers it; two stages are reordered from the keyboard and by dragging, saved,
and both the reloaded page and the /deals board show the new order (a stage renamed and one
added too), while removing a stage that holds deals is refused with the reason, and a new
pipeline is added; and operators' visibility set to «свои» and back to «все» decides whether
an operator reads another operator's contact through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import crm, unit_of_work
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import CustomField, Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.agent_ui.test_deals_browser import STAGES, column, seed
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

FIELD = "Тип объекта2"
OPTIONS = ["Квартира", "Частный дом", "Офис"]


async def start(sqlite_backend: Backend, serve: Callable[..., Any]) -> Ui:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    return ui


def stage_names(page: Any) -> Any:
    """The stage names of the pipeline «Продажи» in the editor, in the shown order."""
    return page.locator(".pipeline-card").first.locator(".stage-row [data-part=name]")


async def names_in_editor(page: Any) -> list[str]:
    inputs = stage_names(page)
    return [await inputs.nth(n).input_value() for n in range(await inputs.count())]


async def test_admin_adds_a_list_field_of_deals_and_the_deal_panel_offers_it(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    ui = await start(sqlite_backend, serve)
    seeded = await seed(ui)
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.click("nav >> text=Доп. поля")
        await page.wait_for_url(ui.url("/admin/fields"))
        await page.locator("#fields-empty:not([hidden])").wait_for()
        deals_tab = page.get_by_role("tab", name="Сделки")
        await deals_tab.click()
        assert await deals_tab.get_attribute("aria-selected") == "true"
        assert page.url.endswith("#deal")

        # A list whose second option repeats the first: refused beside that option, in Russian.
        await page.click("#field-add")
        assert await page.locator("#field-dialog-title").text_content() == "Новое поле сделок"
        await page.fill("#field-label", FIELD)
        await page.select_option("#field-kind", "list")
        options = page.locator("#option-rows input")
        await options.nth(0).fill(OPTIONS[0])
        for text in (OPTIONS[0], OPTIONS[2]):
            await page.click("#option-add")
            await options.last.fill(text)
        await page.click("#field-save")
        repeated = page.locator('[data-error-for="options.1"]')
        await repeated.get_by_text("Этот вариант указан дважды.").wait_for()
        assert await page.locator(".field-error:not(:empty)").count() == 1
        assert await page.locator("#field-form-error").text_content() == (
            "Проверьте выделенные поля."
        )
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-field-form.png"))
        await options.nth(1).fill(OPTIONS[1])
        await page.click("#field-save")
        row = page.locator("#field-rows tr", has_text=FIELD)
        await row.wait_for()
        assert await row.locator(".chip").all_text_contents() == OPTIONS
        key = str(await row.get_attribute("data-key"))
        assert key == "tip_obekta2"
        async with ui.hub.db.sessions() as session:
            stored = (
                await session.execute(select(CustomField).where(CustomField.key == key))
            ).scalar_one()
        assert (stored.entity, stored.kind, stored.options) == ("deal", "list", OPTIONS)

        # Options stay editable: one more, and the kind is fixed (shown, not changeable).
        await row.locator("button[data-action=edit]").click()
        assert await page.locator("#field-kind").is_disabled()
        await page.click("#option-add")
        await options.last.fill("Склад")
        await page.click("#field-save")
        await row.locator(".chip", has_text="Склад").wait_for()

        # A contact field added and deleted, asked first.
        await page.get_by_role("tab", name="Контакты").click()
        await page.click("#field-add")
        await page.fill("#field-label", "Временное поле")
        await page.click("#field-save")
        temporary = page.locator("#field-rows tr", has_text="Временное поле")
        await temporary.locator("button[data-action=delete]").click()
        confirm = page.locator("#confirm-dialog")
        await confirm.get_by_text("Удалить поле «Временное поле»?", exact=False).wait_for()
        await page.click("#confirm-ok")
        await temporary.wait_for(state="detached")
        await page.locator("#fields-empty:not([hidden])").wait_for()
        await page.get_by_role("tab", name="Сделки").click()
        await page.screenshot(path=str(ARTIFACTS / "admin-fields.png"), full_page=True)

        # The deal's panel on /deals now has the field with its options.
        await page.click("nav >> text=Сделки")
        await page.wait_for_url(ui.url("/deals"))
        deal = seeded["deals"]["Балконы Полимер"]
        await column(page, "Проект договора").locator(".deal-title", has_text=deal["title"]).click()
        chooser = page.locator(f'#deal-panel select[name="cf.{key}"]')
        await chooser.wait_for()
        holder = page.locator("#deal-panel .field", has=page.locator(f'select[name="cf.{key}"]'))
        label = holder.locator(".field-label")
        assert await label.text_content() == FIELD
        assert await chooser.locator("option").all_text_contents() == ["—", *OPTIONS, "Склад"]
        # One 422 was the point (the repeated option); nothing else may fail.
        assert [p for p in problems if "status of 422" not in p] == []
    finally:
        await context.close()
        await ui.close()


async def test_admin_reorders_stages_by_keyboard_and_drag_and_the_board_follows(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    ui = await start(sqlite_backend, serve)
    seeded = await seed(ui)
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/admin/pipelines"))
        card = page.locator(".pipeline-card").first
        await stage_names(page).first.wait_for()
        assert await names_in_editor(page) == [name for name, _, _ in STAGES]
        assert await card.locator(".pipeline-name").input_value() == "Продажи"

        # The keyboard: Alt+↑ in «Возможная сделка» puts it first, and says so.
        second = stage_names(page).nth(1)
        await second.focus()
        await second.press("Alt+ArrowUp")
        announcer = page.locator("#stage-announce")
        await announcer.get_by_text("«Возможная сделка»: место 1 из 7.").wait_for()
        # The focus stays with the moved stage.
        assert await page.evaluate("document.activeElement.value") == "Возможная сделка"
        names = [name for name, _, _ in STAGES]
        names[0], names[1] = names[1], names[0]
        assert await names_in_editor(page) == names

        # Dragging: «Договор» dropped on «Проект договора» takes its place.
        rows = card.locator(".stage-row")
        contract_row = rows.nth(names.index("Договор"))
        draft_row = rows.nth(names.index("Проект договора"))
        assert await contract_row.locator("[data-part=name]").input_value() == "Договор"
        await contract_row.locator(".drag-handle").drag_to(draft_row)
        await announcer.get_by_text("«Договор»: место 4 из 7.").wait_for()
        names[3], names[4] = names[4], names[3]
        assert await names_in_editor(page) == names
        # The buttons too: ↓ on «Успешно реализовано» and ↑ back leave it where it was.
        won = rows.nth(5)
        await won.locator("[data-move=down]").click()
        await announcer.get_by_text("«Успешно реализовано»: место 7 из 7.").wait_for()
        await rows.nth(6).locator("[data-move=up]").click()
        await announcer.get_by_text("«Успешно реализовано»: место 6 из 7.").wait_for()
        assert await names_in_editor(page) == names
        await card.locator(".cell-status[data-state=dirty]").wait_for()

        # Renamed, and a stage added at the end, then moved up before the closing stages.
        await rows.nth(names.index("Интерес")).locator("[data-part=name]").fill("Первичный интерес")
        names[names.index("Интерес")] = "Первичный интерес"
        await card.locator("button[data-action=add-stage]").click()
        added = rows.nth(7)
        assert await page.evaluate("document.activeElement.dataset.part") == "name"
        await added.locator("[data-part=name]").fill("Замер")
        await added.locator("[data-part=probability]").fill("50")
        await added.locator("[data-move=up]").click()
        await rows.nth(6).locator("[data-move=up]").click()
        await announcer.get_by_text("«Замер»: место 6 из 8.").wait_for()
        names.insert(5, "Замер")
        assert await names_in_editor(page) == names

        await card.locator("button[data-action=save]").click()
        await card.locator(".cell-status[data-state=saved]").wait_for()
        await page.reload()
        await stage_names(page).first.wait_for()
        assert await names_in_editor(page) == names
        stored = await seeded["api"].call("GET", "/pipelines")
        assert [s["name"] for s in stored["items"][0]["stages"]] == names
        measure = stored["items"][0]["stages"][5]
        assert (measure["probability"], measure["outcome"]) == (50, "open")
        # The stages kept their ids: the deals standing in them stayed where they were.
        kept = {s["name"]: s["id"] for s in stored["items"][0]["stages"]}
        assert kept["Коммерческое предложение"] == seeded["stage"]["Коммерческое предложение"]
        assert kept["Первичный интерес"] == seeded["stage"]["Интерес"]

        # A stage that holds deals cannot go: it comes back, with the reason beside it.
        offer = rows.nth(names.index("Коммерческое предложение"))
        await offer.locator("button[data-action=remove-stage]").click()
        assert await rows.count() == len(names) - 1
        await card.locator("button[data-action=save]").click()
        back = card.locator(".stage-row.invalid")
        await back.get_by_text("Сделок на этапе: 2.", exact=False).wait_for()
        assert await back.locator("[data-part=name]").input_value() == "Коммерческое предложение"
        await card.locator(".form-error", has_text="возвращён в список").wait_for()
        assert await names_in_editor(page) == names
        await page.screenshot(path=str(ARTIFACTS / "admin-pipelines.png"), full_page=True)

        # A new pipeline: a stage without a name is refused at that name, then it is stored.
        await page.click("#pipeline-add")
        fresh = page.locator('.pipeline-card[data-id="new"]')
        await fresh.locator(".pipeline-name").fill("Тендеры")
        await fresh.locator("[data-part=name]").first.fill("Заявка")
        await fresh.locator("button[data-action=add-stage]").click()
        await fresh.locator("button[data-action=save]").click()
        await fresh.locator('[data-error-for="stages.1.name"]:not(:empty)').wait_for()
        await fresh.locator("[data-part=name]").nth(1).fill("Победа")
        await fresh.locator("[data-part=outcome]").nth(1).select_option("won")
        await fresh.locator("button[data-action=save]").click()
        tender = page.locator(".pipeline-card").last
        await tender.locator(".cell-status[data-state=saved]").wait_for()
        assert await tender.get_attribute("data-id") != "new"
        stored = await seeded["api"].call("GET", "/pipelines")
        assert [(p["name"], [s["name"] for s in p["stages"]]) for p in stored["items"]][1] == (
            "Тендеры",
            ["Заявка", "Победа"],
        )

        # The board shows the columns in the new order.
        await card.locator("button[data-action=reset]").click()
        await page.goto(ui.url("/deals"))
        await page.locator(".column-title").first.wait_for()
        await page.wait_for_function(
            "(n) => document.querySelectorAll('.deal-column').length === n", arg=len(names)
        )
        assert await page.locator(".column-title").all_text_contents() == names
        # The refused saves (409, 422) were the point; nothing else may fail.
        assert [p for p in problems if "status of 409" not in p and "status of 422" not in p] == []
    finally:
        await context.close()
        await ui.close()


async def test_operators_visibility_decides_whether_another_operators_contact_is_seen(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    ui = await start(sqlite_backend, serve)
    await ui.add_user("ivanov", Role.operator, name="Иван Иванов")
    async with unit_of_work(ui.hub) as uow:
        theirs = await crm.create_contact(
            uow, "Клиент Петровой", responsible_user_id=ui.users["petrova"].id
        )
    ivanov = await ui.signed_in("ivanov")

    async def ivanov_reads() -> int:
        async with ivanov.get(ui.url(f"/api/v1/contacts/{theirs.id}")) as reply:
            return reply.status

    assert await ivanov_reads() == 200  # without a setting every role sees all
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/admin/operators"))
        await page.click("nav >> text=Видимость CRM")
        await page.wait_for_url(ui.url("/admin/visibility"))
        await page.locator("#scope-operator input[value=all]:checked").wait_for()
        assert await page.locator("#visibility-save").is_disabled()
        # Supervisors are offered their teams' records or all, not their own only.
        assert not await page.locator("#scope-supervisor input[value=own]").is_visible()

        await page.locator("#scope-operator").get_by_text("свои:", exact=False).click()
        await page.locator("#visibility-status[data-state=dirty]").wait_for()
        await page.click("#visibility-save")
        await page.locator("#visibility-status[data-state=saved]").wait_for()
        assert await ivanov_reads() == 404

        await page.reload()
        await page.locator("#scope-operator input[value=own]:checked").wait_for()
        await page.locator("#scope-operator").get_by_text("все:", exact=False).click()
        await page.click("#visibility-save")
        await page.locator("#visibility-status[data-state=saved]").wait_for()
        assert await ivanov_reads() == 200
        await page.screenshot(path=str(ARTIFACTS / "admin-visibility.png"), full_page=True)
        assert problems == []
    finally:
        await context.close()
        await ui.close()
