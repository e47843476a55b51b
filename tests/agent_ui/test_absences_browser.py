"""«Отсутствие» in Debian's Chromium: a supervisor records a team member's vacation in the
dialog, sees it as a band across those days of the week view, is warned that she is away
when planning a meeting for her («Ольга Иванова в отпуске до …»), opens it from its band to
shorten it by a day, and deletes it from there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.actions import unit_of_work
from hub.actions.absences import AbsenceIn, add_absence
from hub.auth import Principal
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Absence, Role, Team, TeamMember
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.agent_ui.test_calendar_browser import next_wednesday
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests


async def test_a_vacation_recorded_in_the_dialog_is_a_band_and_warns_the_planner(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("orlova", Role.supervisor, name="Светлана Орлова")
    ivanova = await ui.add_user("ivanova", Role.operator, name="Ольга Иванова")
    async with unit_of_work(ui.hub) as uow:
        sales = Team(name="Продажи")
        uow.session.add(sales)
        await uow.session.flush()
        for user in (ui.users["orlova"], ivanova):
            uow.session.add(TeamMember(team_id=sales.id, user_id=user.id))
    wednesday = next_wednesday()
    friday = wednesday + timedelta(days=2)
    key = wednesday.isoformat()
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "orlova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/calendar"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator("#cal-whose").select_option(label="Ольга Иванова")
        await page.click("#cal-next")
        await page.locator(f".cal-column[data-day='{key}']").wait_for()

        # «Отсутствие»: Ольга Иванова, a vacation from next Wednesday to Friday.
        await page.click("#absence-new")
        dialog = page.locator("#absence-dialog")
        await dialog.wait_for()
        assert await dialog.locator("select[name=user_id]").input_value() == str(ivanova.id)
        assert (
            await dialog.locator("#absence-list").text_content() == "В этом периоде отсутствий нет."
        )
        await dialog.locator("select[name=kind]").select_option("vacation")
        await dialog.locator("input[name=starts_on]").fill(key)
        # The last day before the first: refused at the field, in Russian.
        await dialog.locator("input[name=ends_on]").fill(
            (wednesday - timedelta(days=1)).isoformat()
        )
        await dialog.locator("button[type=submit]").click()
        refused = dialog.locator("label:has(input[name=ends_on]) .field-error")
        await refused.wait_for()
        assert await refused.text_content() == "Конец раньше начала."
        await dialog.locator("input[name=ends_on]").fill(friday.isoformat())
        await refused.wait_for(state="detached")  # corrected: the refusal goes at once
        await dialog.locator("textarea[name=note]").fill("Сочи <b>без</b> связи")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "absence-dialog.png"))
        await dialog.locator("button[type=submit]").click()
        await page.locator(
            "#toast", has_text="Отсутствие записано: Отпуск, Ольга Иванова."
        ).wait_for()

        # The band covers Wednesday to Friday of the week shown, and no other day.
        band = page.locator(".cal-allday .cal-absence")
        await band.nth(2).wait_for()
        days = await band.evaluate_all(
            "(ns) => ns.map((n) => n.closest('.cal-allday').dataset.day)"
        )
        assert days == [key, (wednesday + timedelta(days=1)).isoformat(), friday.isoformat()]
        first = page.locator(f".cal-allday[data-day='{key}'] .cal-absence")
        assert await first.text_content() == "Отпуск: Ольга Иванова"
        until = f"{friday.day:02d}.{friday.month:02d}"
        # The note is text, never markup.
        assert await first.get_attribute("title") == f"Отпуск до {until} — Сочи <b>без</b> связи"
        assert "first" in (await first.get_attribute("class") or "")
        await page.screenshot(path=str(ARTIFACTS / "calendar-absence.png"))

        # Planning a meeting for her on Wednesday at 14:00: she is away, and until when.
        await page.locator(f".cal-column[data-day='{key}'] .cal-slot[data-hour='14']").click()
        task = page.locator("#task-dialog")
        await task.wait_for()
        assert await task.locator("select[name=responsible_id]").input_value() == str(ivanova.id)
        warning = task.locator("#task-busy[data-conflict=yes]")
        await warning.wait_for()
        assert await warning.text_content() == f"Ольга Иванова в отпуске до {until}."
        await task.locator("[data-cancel]").click()

        # A click on the band opens it to change: filled, whose fixed, «Сохранить».
        thursday = wednesday + timedelta(days=1)
        await first.click()
        await page.locator("#absence-dialog[open][data-mode=edit]").wait_for()
        form = {
            name: await dialog.locator(f"[name={name}]").input_value()
            for name in ("user_id", "kind", "starts_on", "ends_on", "starts_at", "note")
        }
        assert form == {"user_id": str(ivanova.id), "kind": "vacation", "starts_on": key,
                        "ends_on": friday.isoformat(), "starts_at": "",
                        "note": "Сочи <b>без</b> связи"}  # fmt: skip
        assert await dialog.locator("select[name=user_id]").is_disabled()
        assert await dialog.locator("button[type=submit]").text_content() == "Сохранить"
        # Back a day, to Thursday: the band follows, Friday is free again.
        await dialog.locator("input[name=ends_on]").fill(thursday.isoformat())
        await dialog.locator("button[type=submit]").click()
        await page.locator(
            "#toast", has_text="Отсутствие изменено: Отпуск, Ольга Иванова."
        ).wait_for()
        await page.locator(f".cal-allday[data-day='{friday.isoformat()}'] .cal-absence").wait_for(
            state="detached"
        )
        days = await band.evaluate_all(
            "(ns) => ns.map((n) => n.closest('.cal-allday').dataset.day)"
        )
        assert days == [key, thursday.isoformat()]
        async with ui.hub.db.sessions() as session:
            [kept] = list(await session.scalars(select(Absence)))
            assert (kept.ends_on, kept.version) == (thursday, 2)

        # Opened again from the band, «Удалить»: the band goes.
        await first.click()
        await page.locator("#absence-dialog[open][data-mode=edit]").wait_for()
        await dialog.locator("#absence-delete").click()
        await page.locator("#toast", has_text="Отсутствие удалено.").wait_for()
        await page.wait_for_function("() => !document.querySelector('.cal-absence')")
        assert not await dialog.evaluate("(d) => d.open")
        # «Отсутствие» from the toolbar is a new one again: nothing filled, no delete.
        await page.click("#absence-new")
        await page.locator("#absence-dialog[open][data-mode=new]").wait_for()
        assert await dialog.locator("#absence-delete").is_hidden()
        assert await dialog.locator("button[type=submit]").text_content() == "Записать"
        assert not await dialog.locator("select[name=user_id]").is_disabled()
        await dialog.locator("[data-cancel]").click()
        async with ui.hub.db.sessions() as session:
            assert list(await session.scalars(select(Absence))) == []

        # Recorded elsewhere (the admin, through the use case): the open week follows live.
        boss = ui.users["boss"]
        admin = Principal(boss.id, boss.login, boss.name, boss.role, "ru")
        await add_absence(
            ui.hub,
            admin,
            AbsenceIn(user_id=ivanova.id, kind="sick_leave", starts_on=friday, ends_on=friday),
        )
        sick = page.locator(f".cal-allday[data-day='{friday.isoformat()}'] .cal-absence")
        await sick.wait_for()
        assert await sick.text_content() == "Больничный: Ольга Иванова"
        # The month shows it in Friday's cell.
        await page.click("[data-view=month]")
        cell = page.locator(f".cal-cell[data-day='{friday.isoformat()}'] .cal-absence")
        await cell.wait_for()
        assert await cell.text_content() == "Больничный: Ольга Иванова"
        # The one refusal the browser logs is the 422 asked for above.
        assert problems == [
            "Failed to load resource: the server responded with a status of 422 "
            "(Unprocessable Entity)"
        ]
    finally:
        await context.close()
        await ui.close()
