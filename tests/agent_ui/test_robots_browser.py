"""The administrator's «Роботы» in Debian's Chromium: the built-in robots are listed in
Russian with what each does; a robot «Нет первого ответа 5 минут» is written in the editor
(a zero delay refused beside its field first), checked on the data (the dry run lists the two
conversations waiting longer than five minutes, not the fresh one), saved switched off and
switched on; the clock moves, the scheduler's pass flags the waiting conversations, notifies
the supervisor, and the list shows how often the robot fired this week."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import RobotRule, Role
from robots import builtin, engine
from tests.agent_ui.conftest import Ui, new_conversation
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend, Clock
from tests.robots import world

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

NAME = "Нет первого ответа 5 минут"


async def test_admin_writes_checks_and_switches_on_a_robot(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    clock = Clock()
    ui.hub.clock = clock
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("sveta", Role.supervisor, name="Света Старшая")
    waiting = [await new_conversation(ui.hub, None) for _ in range(2)]
    clock.advance(6 * 60)
    fresh = await new_conversation(ui.hub, None)
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "boss")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.click("nav >> text=Роботы")
        await page.wait_for_url(ui.url("/admin/robots"))
        stalled = page.locator("#robot-rows tr", has_text="Зависшая сделка")
        await stalled.wait_for()
        assert "Сделка без смены стадии и без активности" in str(await stalled.text_content())
        assert await stalled.locator("[data-part=when]").text_content() == (
            "Сделка без движения и активности дольше 7 дней"
        )
        assert not await stalled.locator("[data-action=toggle]").is_checked()
        # The two states whose delay is not "so long in the state" say what theirs is.
        for key, when in (
            ("unpaid_after_contract", "Сделка не оплачена в срок; дней после срока оплаты: 3"),
            ("sla_near", "Ответ на грани SLA; минут до срока ответа: 1"),
        ):
            row = page.locator(f"#robot-rows tr[data-builtin={key}]")
            assert await row.locator("[data-part=when]").text_content() == when

        await page.click("#robot-add")
        assert await page.locator("#robot-dialog-title").text_content() == "Новый робот"
        await page.fill("#robot-name", NAME)
        await page.fill("#robot-description", "Флаг и уведомление руководителю")
        await page.select_option("#robot-state", "conversation.no_first_response")
        await page.fill("#robot-amount", "0")
        actions = page.locator("#action-rows [data-part=action]")
        await actions.nth(0).locator("[data-part=reason]").fill("Клиенту не ответили 5 минут")
        await page.click("#action-add")
        await actions.nth(1).locator("[data-part=type]").select_option("notify")
        await actions.nth(1).locator("[data-part=to]").select_option("supervisor")
        await actions.nth(1).locator("[data-part=text]").fill("Нет ответа в обращении №{id}")

        # A zero delay: refused beside the delay, nothing is saved.
        await page.click("#robot-dry-run")
        amount_error = page.locator('[data-error-for="trigger.time.after.amount"]')
        await amount_error.get_by_text("Должно быть больше нуля.").wait_for()
        await page.fill("#robot-amount", "5")

        # The dry run lists the two conversations waiting over five minutes, not the fresh one.
        await page.click("#robot-dry-run")
        listed = page.locator("#dry-run-items li")
        await page.get_by_text("Сейчас он сработал бы для объектов: 2").wait_for()
        shown = [int(str(await listed.nth(n).get_attribute("data-object-id"))) for n in range(2)]
        assert sorted(shown) == sorted(waiting) and fresh not in shown
        assert "Поставить флаг: Клиенту не ответили 5 минут" in str(
            await listed.first.text_content()
        )
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-robot-dry-run.png"))
        assert await world.count(ui.hub, RobotRule) == len(builtin.BUILTIN)  # nothing saved

        await page.click("#robot-save")
        row = page.locator("#robot-rows tr", has_text=NAME)
        await row.wait_for()
        assert await row.locator("[data-part=when]").text_content() == (
            "Обращение без первого ответа дольше 5 минут"
        )
        toggle = row.locator("[data-action=toggle]")
        assert not await toggle.is_checked()
        await toggle.check()
        await page.get_by_text(f"Робот «{NAME}» включён.").wait_for()
        async with ui.hub.db.sessions() as session:
            rule = (
                await session.execute(select(RobotRule).where(RobotRule.name == NAME))
            ).scalar_one()
        assert rule.enabled and rule.trigger["after"] == {
            "amount": 5,
            "unit": "minutes",
            "working_time": False,
        }

        # The supervisor watches the queue; the scheduler's pass, the clock moved: the
        # waiting ones flagged, the fresh one too once its five minutes are up, the badge
        # appears live in his list, and the supervisors are told.
        supervisor = await signed_in_context(browser, ui, "sveta")
        watching = await supervisor.new_page()
        watch_console(watching, problems)
        await watching.goto(ui.url("/"))
        await watching.click("[data-tab=queue]")
        await watching.locator(f'.conv-item[data-id="{fresh}"]').wait_for()
        assert await watching.locator(".robot-flag").count() == 0
        clock.advance(5 * 60)
        await engine.tick(ui.hub)
        for conversation_id in [*waiting, fresh]:
            badge = watching.locator(f'.conv-item[data-id="{conversation_id}"] .robot-flag')
            await badge.get_by_text("Клиенту не ответили 5 минут").wait_for()
        await supervisor.close()
        flagged = sorted(i for _, i, _ in await world.standing_flags(ui.hub, "conversation"))
        assert flagged == sorted([*waiting, fresh])
        sent = await world.notices(ui.hub)
        assert sorted(n["text"] for n in sent) == sorted(
            f"Нет ответа в обращении №{i}" for i in [*waiting, fresh]
        )
        await page.reload()
        await row.locator("[data-part=fired]", has_text="3").wait_for()
    finally:
        await context.close()
        await ui.close()
    # One 422 was the point (the zero delay); nothing else may fail.
    assert [p for p in problems if "status of 422" not in p] == []
