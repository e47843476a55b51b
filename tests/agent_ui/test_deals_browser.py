"""«Сделки» in Debian's Chromium: a manager drags a deal from «Коммерческое предложение» to
«Проект договора» and sees both columns' counts and sums change and the move in the deal's
stage history; a supervisor's board open beside it follows live; the same move works from the
keyboard, and a lost stage asks for the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from hub.actions import crm, unit_of_work
from hub.actions.users import create_api_token
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role, User
from tests.agent_ui.conftest import Ui, new_conversation
from tests.agent_ui.test_browser import ARTIFACTS, browser, signed_in_context, watch_console
from tests.conftest import Backend

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for this module's tests

STAGES = [
    ("Интерес", "open", 10),
    ("Возможная сделка", "open", 20),
    ("Коммерческое предложение", "open", 40),
    ("Проект договора", "open", 70),
    ("Договор", "open", 90),
    ("Успешно реализовано", "won", 100),
    ("Закрыто и не реализовано", "lost", 0),
]
# Whether the column named [0] shows the sum [1] (no-break spaces read as spaces).
COLUMN_SUM_IS = """([name, total]) => [...document.querySelectorAll('.deal-column')].some((c) =>
  c.querySelector('.column-title').textContent === name &&
  c.querySelector('.column-sum').textContent.replace(/[\\u00a0\\u202f]/g, ' ') === total)"""
OFFER, DRAFT, LOST = "Коммерческое предложение", "Проект договора", "Закрыто и не реализовано"


class Seeder:
    """Writes the board through the REST API as an administrator would."""

    def __init__(self, ui: Ui, session: aiohttp.ClientSession, token: str) -> None:
        self.ui = ui
        self.session = session
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(
            method, self.ui.url("/api/v1" + path), json=body, headers=self.headers
        ) as reply:
            data = await reply.json()
            assert reply.status in (200, 201), (path, reply.status, data)
            return data


SEEDED = (
    ("Окна для СтройМонтаж", OFFER, "1250000.00"),
    ("Остекление склада", OFFER, "480000.00"),
    ("Балконы Полимер", DRAFT, "350000.00"),
    ("Витражи Гусева", "Интерес", "90000.00"),
)
XSS_TITLE = 'Окна <img src=x onerror="window.__oknoXss=1"><script>window.__oknoXss=2</script>'


async def seed(ui: Ui, extra: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    async with unit_of_work(ui.hub) as uow:
        admin = await uow.session.get_one(User, ui.users["boss"].id)
        token = await create_api_token(uow, admin)
    api = Seeder(ui, ui.anonymous(), token)
    pipeline = await api.call(
        "POST",
        "/pipelines",
        {
            "name": "Продажи",
            "stages": [{"name": n, "outcome": o, "probability": p} for n, o, p in STAGES],
        },
    )
    stage = {s["name"]: s["id"] for s in pipeline["stages"]}
    manager = ui.users["petrova"].id
    async with unit_of_work(ui.hub) as uow:
        client = await crm.create_contact(uow, "Анна Соколова", responsible_user_id=manager)
        company = await crm.create_organisation(uow, "ООО «СтройМонтаж»", "7707083893", manager)
    links = {"contact_id": client.id, "organisation_id": company.id}
    deals = {}
    for title, stage_name, amount in SEEDED + extra:
        deal = await api.call(
            "POST",
            "/deals",
            {
                "title": title,
                "pipeline_id": pipeline["id"],
                "stage_id": stage[stage_name],
                "amount": amount,
                "responsible_id": manager,
                **(links if title == "Окна для СтройМонтаж" else {}),
            },
        )
        deals[title] = deal
    return {"api": api, "stage": stage, "deals": deals, "contact": client.id, "org": company.id}


def column(page: Any, name: str) -> Any:
    title = page.locator(".column-title", has_text=name)
    return page.locator(".deal-column", has=title)


async def stats(page: Any, name: str) -> tuple[str, str]:
    node = column(page, name)
    count = await node.locator(".column-count").text_content()
    total = await node.locator(".column-sum").text_content()
    # Intl writes no-break spaces between thousands and before the sign.
    return str(count), str(total).replace("\u00a0", " ").replace("\u202f", " ")


async def wait_stats(page: Any, name: str, count: str, total: str) -> None:
    node = column(page, name)
    await node.locator(".column-count", has_text=count).wait_for()
    await page.wait_for_function(COLUMN_SUM_IS, arg=[name, total])
    assert await stats(page, name) == (count, total)


async def test_deals_move_on_the_board_by_mouse_and_keyboard_and_others_see_it_live(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("lead", Role.supervisor, name="Олег Старший")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    seeded = await seed(ui)
    problems: list[str] = []
    manager_context = await signed_in_context(browser, ui, "petrova")
    lead_context = await signed_in_context(browser, ui, "lead")
    try:
        page = await manager_context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/deals"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await wait_stats(page, OFFER, "2", "1 730 000 ₽")
        await wait_stats(page, DRAFT, "1", "350 000 ₽")
        # Won and lost stand at the end, after the open stages in their order.
        titles = await page.locator(".column-title").all_text_contents()
        assert titles == [name for name, _, _ in STAGES]
        card = column(page, OFFER).locator(".deal-card", has_text="Окна для СтройМонтаж")
        assert "1 250 000 ₽" in (await card.text_content() or "").replace("\u00a0", " ")
        assert "Мария Петрова" in (await card.text_content() or "")
        assert await card.locator(".deal-client").text_content() == "Анна Соколова"
        assert await card.locator(".deal-org").text_content() == "ООО «СтройМонтаж»"

        other = await lead_context.new_page()
        watch_console(other, problems)
        await other.goto(ui.url("/deals"))
        await other.wait_for_selector("#conn-status[data-state=live]")
        await wait_stats(other, OFFER, "2", "1 730 000 ₽")
        # The supervisor has the deal open in the panel.
        await column(other, OFFER).locator(".deal-title", has_text="Окна для СтройМонтаж").click()
        other_history = other.locator("#deal-history .history-stage")
        await other_history.first.wait_for()
        assert await other_history.all_text_contents() == [OFFER]

        # Drag and drop: «Коммерческое предложение» -> «Проект договора».
        await card.drag_to(column(page, DRAFT).locator(".column-cards"))
        await column(page, DRAFT).locator(".deal-card", has_text="Окна для СтройМонтаж").wait_for()
        await wait_stats(page, OFFER, "1", "480 000 ₽")
        await wait_stats(page, DRAFT, "2", "1 600 000 ₽")
        # Stored: the API has it in the new stage.
        windows_id = seeded["deals"]["Окна для СтройМонтаж"]["id"]
        moved = await seeded["api"].call("GET", f"/deals/{windows_id}")
        assert moved["stage_id"] == seeded["stage"][DRAFT]
        # The supervisor's board follows without a reload.
        await column(other, DRAFT).locator(".deal-card", has_text="Окна для СтройМонтаж").wait_for()
        await wait_stats(other, OFFER, "1", "480 000 ₽")
        await wait_stats(other, DRAFT, "2", "1 600 000 ₽")
        # ...and so does the deal open in its panel, history included.
        await other_history.nth(1).wait_for()
        assert await other_history.all_text_contents() == [OFFER, DRAFT]
        assert await other.input_value("#deal-stage") == str(seeded["stage"][DRAFT])
        await other.click("#deal-panel-close")

        # The deal's card: the stage history shows the move, the time spent in each stage.
        await column(page, DRAFT).locator(".deal-title", has_text="Окна для СтройМонтаж").click()
        history = page.locator("#deal-history .history-step")
        await history.nth(1).wait_for()
        assert await history.locator(".history-stage").all_text_contents() == [OFFER, DRAFT]
        assert await history.nth(1).get_attribute("data-current") == "yes"
        assert page.url.endswith(f"/deals/{moved['id']}")
        # ...and links to the client's and the organisation's cards.
        client_link = page.locator("#deal-panel .deal-link-contact")
        assert await client_link.text_content() == "Анна Соколова"
        assert await client_link.get_attribute("href") == f"/clients/contacts/{seeded['contact']}"
        org_link = page.locator("#deal-panel .deal-link-organisation")
        assert await org_link.get_attribute("href") == f"/clients/organisations/{seeded['org']}"
        await page.click("#deal-panel-close")
        assert page.url.endswith("/deals")

        # The keyboard: focus the card, → chooses the next column, Enter moves it there.
        keyboard_card = column(page, OFFER).locator(".deal-card", has_text="Остекление склада")
        await keyboard_card.focus()
        await page.keyboard.press("ArrowRight")
        await page.locator("#deal-announcer", has_text=DRAFT).wait_for()
        assert await column(page, DRAFT).get_attribute("class") == "deal-column drop-target"
        await page.keyboard.press("Enter")
        await page.locator("#deal-announcer", has_text="перемещена").wait_for()
        assert (await page.text_content("#deal-announcer")) == (
            f"«Остекление склада» перемещена на этап «{DRAFT}»."
        )
        await wait_stats(page, OFFER, "0", "0 ₽")
        await wait_stats(page, DRAFT, "3", "2 080 000 ₽")
        await wait_stats(other, DRAFT, "3", "2 080 000 ₽")
        # The moved card keeps the focus, so the next key goes on from there.
        assert await page.evaluate("document.activeElement.dataset.id") == str(
            seeded["deals"]["Остекление склада"]["id"]
        )

        # The «Переместить» menu to a lost stage asks why, and moves only with a reason.
        lost_card = column(page, "Интерес").locator(".deal-card", has_text="Витражи Гусева")
        # All from the keyboard: Tab to the card's «Переместить», Enter opens the menu on its
        # first stage, ↑ wraps round to the last one (lost), Enter picks it.
        await lost_card.focus()
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.className") == "deal-move-button"
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.textContent") == "Возможная сделка"
        await page.keyboard.press("ArrowUp")
        assert await page.evaluate("document.activeElement.textContent") == LOST
        await page.keyboard.press("Enter")
        await page.locator("#loss-dialog[open]").wait_for()
        await page.keyboard.type("Выбрали конкурента")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await column(page, LOST).locator(".deal-card", has_text="Витражи Гусева").wait_for()
        await wait_stats(page, LOST, "1", "90 000 ₽")
        await wait_stats(other, LOST, "1", "90 000 ₽")
        lost = await seeded["api"].call("GET", f"/deals/{seeded['deals']['Витражи Гусева']['id']}")
        assert lost["loss_reason"] == "Выбрали конкурента"

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "deals-board.png"))
        assert problems == []
    finally:
        await manager_context.close()
        await lead_context.close()
        await ui.close()


async def test_a_deal_is_edited_in_its_panel_a_stale_edit_is_refused_and_the_list_totals(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    seeded = await seed(ui, extra=((XSS_TITLE, "Интерес", "10000.00"),))
    deals = seeded["deals"]
    service = await seeded["api"].call(
        "POST", "/pipelines", {"name": "Сервис", "stages": [{"name": "Заявка на ремонт"}]}
    )
    await seeded["api"].call(
        "POST",
        "/deals",
        {
            "title": "Замена уплотнителя",
            "pipeline_id": service["id"],
            "amount": "12000",
            "responsible_id": ui.users["petrova"].id,
        },
    )
    kind = await seeded["api"].call(
        "POST",
        "/custom-fields",
        {
            "entity": "deal",
            "label": "Тип объекта",
            "kind": "list",
            "options": ["Квартира", "Коттедж", "Офис"],
        },
    )
    measured = await seeded["api"].call(
        "POST", "/custom-fields", {"entity": "deal", "label": "Замер сделан", "kind": "flag"}
    )
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        # /deals/{id} opens the board with that deal in the panel.
        await page.goto(ui.url(f"/deals/{deals['Балконы Полимер']['id']}"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator("#deal-panel-title", has_text="Балконы Полимер").wait_for()
        await page.fill("#deal-form input[name=amount]", "400 000")
        # The administrator's custom fields are in the form, edited like the rest.
        await page.get_by_label("Тип объекта").select_option("Коттедж")
        await page.get_by_label("Замер сделан").check()
        await page.click("#deal-save")
        await page.locator("#deal-form .panel-notice", has_text="Сохранено.").wait_for()
        await wait_stats(page, DRAFT, "1", "400 000 ₽")
        saved = await seeded["api"].call("GET", f"/deals/{deals['Балконы Полимер']['id']}")
        assert saved["custom_fields"] == {kind["key"]: "Коттедж", measured["key"]: True}
        assert (saved["amount"], saved["version"]) == ("400000.00", 2)

        # Someone else saves the deal being edited: saving it now is refused (409), and the
        # panel shows the deal as it is, with the other person's amount.
        warehouse = deals["Остекление склада"]
        await page.locator(".deal-title", has_text="Остекление склада").click()
        await page.locator("#deal-panel-title", has_text="Остекление склада").wait_for()
        await page.fill("#deal-form input[name=title]", "Остекление склада, 2 очередь")
        await seeded["api"].call(
            "PATCH", f"/deals/{warehouse['id']}", {"version": 1, "amount": "500000.00"}
        )
        await wait_stats(page, OFFER, "2", "1 750 000 ₽")
        await page.locator("#deal-form .panel-notice", has_text="изменил другой").wait_for()
        await page.click("#deal-save")
        await page.locator("#deal-form .panel-notice", has_text="раньше вас").wait_for()
        assert await page.input_value("#deal-form input[name=title]") == "Остекление склада"
        assert await page.input_value("#deal-form input[name=amount]") == "500000.00"
        current = await seeded["api"].call("GET", f"/deals/{warehouse['id']}")
        assert (current["title"], current["version"]) == ("Остекление склада", 2)
        await page.click("#deal-panel-close")

        # A move racing someone else's edit: the API refuses the stale version (409), the
        # card stays where it is and the user is told.
        async def edited_meanwhile(route: Any) -> None:
            await seeded["api"].call(
                "PATCH",
                f"/deals/{deals['Витражи Гусева']['id']}",
                {"version": 1, "title": "Витражи"},
            )
            await route.continue_()

        await page.route("**/api/v1/deals/*/move", edited_meanwhile)
        raced = column(page, "Интерес").locator(".deal-card", has_text="Витражи Гусева")
        await raced.focus()
        await page.keyboard.press("ArrowRight")
        await page.keyboard.press("Enter")
        await page.locator("#toast", has_text="только что изменил другой").wait_for()
        await page.unroute("**/api/v1/deals/*/move")
        await (
            column(page, "Интерес").locator(".deal-card .deal-title", has_text="Витражи").wait_for()
        )
        assert await column(page, "Интерес").locator(".deal-title").all_text_contents() == [
            "Витражи",
            XSS_TITLE,
        ]
        await wait_stats(page, "Интерес", "2", "100 000 ₽")
        await wait_stats(page, "Возможная сделка", "0", "0 ₽")

        # «Новая сделка»: created in the first stage, counted and summed at once.
        await page.click("#deal-new")
        await page.fill("#deal-new-dialog input[name=title]", "Окна на дачу")
        await page.fill("#deal-new-dialog input[name=amount]", "75 500,50")
        await page.click("#deal-new-dialog button[type=submit]")
        await column(page, "Интерес").locator(".deal-card", has_text="Окна на дачу").wait_for()
        await wait_stats(page, "Интерес", "3", "175 500,50 ₽")
        created = column(page, "Интерес").locator(".deal-card", has_text="Окна на дачу")
        assert "Мария Петрова" in (await created.text_content() or "")

        # A title with markup is shown as text and never runs.
        xss = page.locator(".deal-card", has_text="onerror")
        assert await xss.locator(".deal-title").text_content() == XSS_TITLE
        assert await page.locator("#board img, #board script").count() == 0
        assert await page.evaluate("window.__oknoXss") is None

        # The list beside the board: totals of everything shown, then of one stage.
        await page.click("#view-list")
        totals = page.locator("#list-totals")
        await totals.wait_for()
        await page.wait_for_function(
            "() => document.querySelectorAll('#deals-rows tr').length === 6"
        )
        assert (await totals.text_content() or "").replace("\u00a0", " ") == (
            "Сделок: 6, на сумму 2 325 500,50 ₽"
        )
        await page.select_option("#list-filters select[name=sort]", label="Сначала крупные")
        first_row = page.locator("#deals-rows tr").first.locator(".deal-row-title")
        await first_row.filter(has_text="Окна для СтройМонтаж").wait_for()
        amounts = await page.locator("#deals-rows td.num:nth-child(5)").all_text_contents()
        assert [a.replace("\u00a0", " ") for a in amounts] == [
            "1 250 000 ₽",
            "500 000 ₽",
            "400 000 ₽",
            "90 000 ₽",
            "75 500,50 ₽",
            "10 000 ₽",
        ]
        await page.select_option("#list-filters select[name=stage]", label=DRAFT)
        await page.wait_for_function(
            "() => document.querySelectorAll('#deals-rows tr').length === 1"
        )
        await page.locator("#list-totals", has_text="Сделок: 1").wait_for()
        assert (await totals.text_content() or "").replace("\u00a0", " ") == (
            "Сделок: 1, на сумму 400 000 ₽"
        )
        assert await page.locator("#deals-rows .deal-row-title").all_text_contents() == [
            "Балконы Полимер"
        ]
        assert "view=list" in page.url

        # A deal in dollars is summed beside the rubles, never into them.
        await seeded["api"].call(
            "POST",
            "/deals",
            {
                "title": "Фасад для дилера",
                "pipeline_id": current["pipeline_id"],
                "stage_id": seeded["stage"][DRAFT],
                "amount": "2000.00",
                "currency": "USD",
                "responsible_id": ui.users["petrova"].id,
            },
        )
        await page.click("#view-board")
        await wait_stats(page, DRAFT, "2", "400 000 ₽ + 2 000 $")
        await page.click("#view-list")
        # The list's totals are of its last load: choosing the stage again reloads them.
        await page.select_option("#list-filters select[name=stage]", label=OFFER)
        await page.locator("#list-totals", has_text="Сделок: 2").wait_for()
        await page.select_option("#list-filters select[name=stage]", label=DRAFT)
        await page.wait_for_function(
            "() => document.querySelectorAll('#deals-rows tr').length === 2"
        )
        await page.locator("#list-totals", has_text="Сделок: 2").wait_for()
        assert (await totals.text_content() or "").replace("\u00a0", " ") == (
            "Сделок: 2, на сумму 400 000 ₽ + 2 000 $"
        )

        # The pipeline switcher: another pipeline's board, with its own stages.
        await page.click("#view-board")
        await page.select_option("#pipeline-select", label="Сервис")
        await column(page, "Заявка на ремонт").wait_for()
        assert await page.locator(".column-title").all_text_contents() == ["Заявка на ремонт"]
        await wait_stats(page, "Заявка на ремонт", "1", "12 000 ₽")
        assert f"pipeline={service['id']}" in page.url
        # The refused save and move are the browser's only complaints.
        conflict = "Failed to load resource: the server responded with a status of 409 (Conflict)"
        assert problems == [conflict, conflict]
    finally:
        await context.close()
        await ui.close()


async def test_a_long_column_loads_more_and_keeps_its_numbers_when_an_unloaded_deal_moves(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    manager = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    async with unit_of_work(ui.hub) as uow:
        admin = await uow.session.get_one(User, ui.users["boss"].id)
        token = await create_api_token(uow, admin)
    api = Seeder(ui, ui.anonymous(), token)
    pipeline = await api.call(
        "POST",
        "/pipelines",
        {"name": "Продажи", "stages": [{"name": "Интерес"}, {"name": "Договор"}]},
    )
    first, contract = (stage["id"] for stage in pipeline["stages"])
    created = [
        await api.call(
            "POST",
            "/deals",
            {
                "title": f"Окна № {n}",
                "stage_id": first,
                "amount": "1000",
                "responsible_id": manager.id,
            },
        )
        for n in range(1, 53)
    ]
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/deals"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await wait_stats(page, "Интерес", "52", "52 000 ₽")
        cards = column(page, "Интерес").locator(".deal-card")
        assert await cards.count() == 50  # the first 50 by time in the stage
        more = column(page, "Интерес").locator(".column-more")
        assert await more.is_visible()

        # The 52nd deal, not on the page, moves elsewhere: both columns still add up.
        await api.call("POST", f"/deals/{created[-1]['id']}/move", {"stage_id": contract})
        await column(page, "Договор").get_by_text("Окна № 52", exact=True).wait_for()
        await wait_stats(page, "Интерес", "51", "51 000 ₽")
        await wait_stats(page, "Договор", "1", "1 000 ₽")

        await more.click()
        await column(page, "Интерес").get_by_text("Окна № 51", exact=True).wait_for()
        assert await cards.count() == 51
        assert not await more.is_visible()
        await wait_stats(page, "Интерес", "51", "51 000 ₽")
        assert problems == []
    finally:
        await context.close()
        await ui.close()


async def test_a_deal_is_made_from_a_conversation_with_its_client_and_a_link_back(
    browser: Any, sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings())
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    manager = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    async with unit_of_work(ui.hub) as uow:
        admin = await uow.session.get_one(User, ui.users["boss"].id)
        token = await create_api_token(uow, admin)
    api = Seeder(ui, ui.anonymous(), token)
    await api.call("POST", "/pipelines", {"name": "Продажи", "stages": [{"name": "Интерес"}]})
    conversation_id = await new_conversation(ui.hub, manager.id, "Нужны окна в коттедж")
    conversation = await api.call("GET", f"/conversations/{conversation_id}")
    problems: list[str] = []
    context = await signed_in_context(browser, ui, "petrova")
    try:
        page = await context.new_page()
        watch_console(page, problems)
        await page.goto(ui.url(f"/#c{conversation_id}"))
        link = page.locator(f'#btn-new-deal[href="/deals?new=1&conversation_id={conversation_id}"]')
        await link.wait_for()
        await link.click()
        await page.locator("#deal-new-dialog[open]").wait_for()
        await page.locator("#new-from-conversation", has_text=f"№ {conversation_id}").wait_for()
        assert await page.locator("#deal-new-dialog .picker-name").first.text_content() == "Клиент"
        await page.fill("#deal-new-dialog input[name=title]", "Окна в коттедж")
        await page.fill("#deal-new-dialog input[name=amount]", "250000")
        await page.click("#deal-new-dialog button[type=submit]")
        card = column(page, "Интерес").locator(".deal-card", has_text="Окна в коттедж")
        await card.wait_for()
        assert await card.locator(".deal-client").text_content() == "Клиент"

        await card.locator(".deal-title").click()
        back = page.locator("#deal-panel .deal-link-conversation")
        await back.wait_for()
        assert await back.text_content() == f"Диалог № {conversation_id}"
        assert await back.get_attribute("href") == f"/#c{conversation_id}"
        deal_id = int(page.url.rsplit("/", 1)[1])
        deal = await api.call("GET", f"/deals/{deal_id}")
        assert deal["conversations"] == [conversation_id]
        assert deal["contact"]["id"] == conversation["contact"]["id"]
        assert (deal["source"], deal["amount"]) == ("webform", "250000.00")
        # ...and the client's card in the workspace links to it.
        await page.goto(ui.url(f"/#c{conversation_id}"))
        to_deal = page.locator(f'#card-deals a.deal-link[href="/deals/{deal_id}"]')
        await to_deal.wait_for()
        assert await to_deal.text_content() == "Окна в коттедж"
        assert problems == []
    finally:
        await context.close()
        await ui.close()
