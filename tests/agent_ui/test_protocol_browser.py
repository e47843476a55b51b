"""A meeting's protocol in Debian's Chromium: date, place, our and the client's participants,
agenda, decisions, result and the next steps, printed on one A4 page (Chromium's own PDF);
what a client wrote is shown as text; a colleague who may not see the meeting gets 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from hub.actions import activities, crm, unit_of_work
from hub.auth import Principal
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import CrmVisibility, Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.agent_ui.test_deals_browser import seed
from tests.agent_ui.test_tasks_browser import moscow_day, plan
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

AGENDA = "1. Сроки монтажа\n2. Цена <script>window.__oknoXss=1</script>"


async def test_the_protocol_prints_on_one_a4_page(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    petrova = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    sidorov = await ui.add_user("sidorov", Role.operator, name="Игорь Сидоров")
    await ui.add_user("gusev", Role.operator, name="Павел Гусев")
    seeded = await seed(ui)
    async with unit_of_work(ui.hub) as uow:
        uow.session.add(CrmVisibility(role=Role.operator.value, scope="own"))
        engineer = await crm.create_contact(uow, "Олег Инженеров", responsible_user_id=petrova.id)
    now = moscow_day(0, 10)
    ui.hub.clock = lambda: now
    deal = seeded["deals"]["Окна для СтройМонтаж"]
    meeting = await plan(
        ui,
        "petrova",
        kind="meeting",
        subject="Встреча в офисе СтройМонтаж",
        due_at=moscow_day(0, 11),
        duration_min=90,
        place="Москва, ул. Строителей, 5",
        agenda=AGENDA,
        deal_id=deal["id"],
        contact_id=seeded["contact"],
        participant_ids=[sidorov.id],
        contact_participant_ids=[seeded["contact"], engineer.id],
    )
    ui.hub.clock = lambda: moscow_day(0, 13)
    await activities.complete_activity(
        ui.hub,
        Principal(petrova.id, petrova.login, petrova.name, petrova.role, "ru"),
        meeting,
        "Клиент согласен на монтаж в июне",
        outcome="Монтаж в июне; предоплата 30 %",
        next_activity={"kind": "call", "subject": "Выставить счёт", "due_at": moscow_day(1, 11)},
    )
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/activities/{meeting}/protocol"))
        assert await page.text_content("#protocol-subject") == "Встреча в офисе СтройМонтаж"
        when = await page.text_content("#protocol-when") or ""
        assert re.match(r"\d\d\.\d\d\.\d{4} 11:00–12:30 \(Europe/Moscow\)", when.strip()), when
        assert await page.text_content("#protocol-place") == "Москва, ул. Строителей, 5"
        ours = await page.locator("#protocol-ours li").all_text_contents()
        assert ours == ["Мария Петрова (ответственный)", "Игорь Сидоров"]
        theirs = await page.locator("#protocol-theirs li").all_text_contents()
        assert theirs == ["Анна Соколова", "Олег Инженеров"]
        assert await page.text_content("#protocol-agenda") == AGENDA
        assert await page.evaluate("window.__oknoXss") is None
        assert await page.text_content("#protocol-decisions") == "Монтаж в июне; предоплата 30 %"
        assert await page.text_content("#protocol-result") == "Клиент согласен на монтаж в июне"
        steps = await page.locator("#protocol-steps tbody td").all_text_contents()
        assert steps[1:] == ["Выставить счёт", "Мария Петрова"]

        ARTIFACTS.mkdir(exist_ok=True)
        await page.emulate_media(media="print")
        await page.screenshot(path=str(ARTIFACTS / "meeting-protocol.png"), full_page=True)
        pdf = await page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
        assert pdf.startswith(b"%PDF")
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one A4 page
        assert problems == []
    finally:
        await context.close()

    # Another operator, who sees only his own records and was not invited: no such page.
    outsider = await ui.signed_in("gusev")
    async with outsider.get(ui.url(f"/activities/{meeting}/protocol")) as reply:
        assert reply.status == 404
        assert await reply.text() == "Такого дела нет."
    await ui.close()
