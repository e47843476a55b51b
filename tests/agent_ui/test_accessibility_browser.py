"""Accessibility in Debian's Chromium: axe-core, served by Okno itself from /static/ (no CDN),
is injected into the login page, the operator's workspace with a conversation open, the
supervisor board and the admin pages; none may have a serious or critical violation, and the
workspace and the board have a page heading (axe's moderate page-has-heading-one)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actions import unit_of_work
from hub.models import Role, Team
from tests.agent_ui.test_browser import browser, signed_in_context, watch_console
from tests.agent_ui.test_workspace_day_browser import Day, day
from tests.agent_ui.test_workspace_narrow_browser import TOO_WIDE

pytestmark = pytest.mark.browser

__all__ = ["browser", "day"]  # the fixtures, imported for this module's tests

AXE = "/static/axe.min.js"
BLOCKING = ("serious", "critical")
# Moderate findings held to all the same where named: a screen reader's first jump is to the h1.
HEADING = ("page-has-heading-one",)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}  # as signed_in_context opens it
# Each admin page: what shows that its script has filled it from the API, and the button
# that opens its form (checked open too: its labels are what a screen reader needs most).
ADMIN_PAGES = {
    "/admin/teams": ("#team-rows tr", "#team-add"),
    "/admin/channels": ("#channel-rows tr", "#channel-add"),
    "/admin/operators": ("#user-rows tr", "#user-add"),
    "/admin/fields": ("#field-rows tr, #fields-empty:visible", "#field-add"),
    "/admin/robots": ("#robot-rows tr, #robots-empty:visible", "#robot-add"),
    "/admin/pipelines": (".pipeline-card, #pipelines-empty:visible", None),
    "/admin/visibility": ("#visibility-form input:checked", None),
    "/admin/sla": ("#sla-rows tr, #sla-empty:visible", "#sla-add"),
    "/templates": ("#template-rows tr, #template-empty:visible", "#template-add"),
}

# The workspace's dialogs, each opened over the open conversation.
WORKSPACE_DIALOGS = ("#btn-transfer", "#btn-snooze", "#btn-save-view", "#btn-keys")


async def blocking_violations(page: Any, where: str, also: tuple[str, ...] = ()) -> list[str]:
    """axe's serious and critical findings on the page as it is now, and those of the rules
    named in `also` whatever their impact, one readable line each."""
    await page.add_script_tag(url=AXE)  # resolved against the page: Okno's own origin
    result = await page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    lines = []
    assert result["passes"], f"{where}: axe checked nothing"  # it did look at the page
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING and violation["id"] not in also:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        lines.append(
            f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}"
            f" — {len(violation['nodes'])} node(s), e.g. {targets}"
        )
    return lines


async def test_no_serious_or_critical_violations_on_the_main_pages(browser: Any, day: Day) -> None:
    ui = day.ui
    ivanov = await ui.add_user("ivanov", name="Ольга Иванова")
    await ui.add_user("boss", Role.supervisor, name="Ольга Руководитель")
    await ui.add_user("root", Role.admin, name="Анна Админова")
    async with unit_of_work(ui.hub) as uow:
        uow.session.add(Team(name="Сервис"))
    await day.client("Анна Клиентова", "Нужен замер окон", ivanov)
    await day.client("Борис Очередной", "Когда приедете?", None)
    found: list[str] = []
    problems: list[str] = []

    anonymous = await browser.new_context(locale="ru-RU")
    try:
        page = await anonymous.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/login"))
        await page.locator("#login").wait_for()
        found += await blocking_violations(page, "/login")
    finally:
        await anonymous.close()

    operator = await signed_in_context(browser, ui, "ivanov")
    try:
        page = await operator.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator("#conversation-list .conv-item", has_text="Анна Клиентова").click()
        await page.locator("#messages .msg", has_text="Нужен замер окон").wait_for()
        await page.locator("#card-identities", has_text="+7916555").wait_for()
        found += await blocking_violations(page, "/ (workspace)", HEADING)
        for opener in WORKSPACE_DIALOGS:
            await page.click(opener)
            dialog = page.locator("dialog[open]")
            await dialog.wait_for()
            found += await blocking_violations(page, f"/ (workspace, {opener})")
            await page.keyboard.press("Escape")
            await dialog.wait_for(state="detached")
        # At a phone's width the workspace is one pane at a time, with its own controls.
        await page.set_viewport_size(PHONE)
        found += await blocking_violations(page, "/ (workspace, 390 px)", HEADING)
    finally:
        await operator.close()

    supervisor = await signed_in_context(browser, ui, "boss")
    try:
        page = await supervisor.new_page()
        watch_console(page, problems)
        await page.goto(ui.url("/supervisor"))
        await page.wait_for_selector("#conn-status[data-state=live]")
        await page.locator(".agent", has_text="Ольга Иванова").wait_for()
        await page.locator("#board-conversations tr", has_text="Борис Очередной").wait_for()
        found += await blocking_violations(page, "/supervisor", HEADING)
        await page.set_viewport_size(PHONE)
        found += await blocking_violations(page, "/supervisor (390 px)", HEADING)
        # Readable on the phone: nothing pushed past the screen's edge.
        assert await page.evaluate(TOO_WIDE) == [], "/supervisor at 390 px"
        # A person on the board is a toggle reached by the keyboard: Enter filters the rows.
        agent = page.locator(".agent", has_text="Ольга Иванова")
        assert await agent.get_attribute("role") == "button"
        await agent.focus()
        await page.keyboard.press("Enter")
        await page.locator(".agent[aria-pressed=true]", has_text="Ольга Иванова").wait_for()
        await page.locator("#board-conversations tr", has_text="Борис Очередной").wait_for(
            state="detached"
        )
    finally:
        await supervisor.close()

    admin = await signed_in_context(browser, ui, "root")
    try:
        page = await admin.new_page()
        watch_console(page, problems)
        for path, (filled, add) in ADMIN_PAGES.items():
            await page.set_viewport_size(DESKTOP)
            await page.goto(ui.url(path))
            await page.locator(filled).first.wait_for()
            found += await blocking_violations(page, path)
            await page.set_viewport_size(PHONE)
            found += await blocking_violations(page, f"{path} (390 px)")
            await page.set_viewport_size(DESKTOP)
            if add is not None:
                await page.click(add)
                await page.locator("dialog[open] form").wait_for()
                found += await blocking_violations(page, f"{path} (form)")
    finally:
        await admin.close()

    assert found == [], "axe-core found serious or critical violations:\n" + "\n".join(found)
    assert problems == []
