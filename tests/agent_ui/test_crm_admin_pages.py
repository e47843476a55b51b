"""The CRM settings pages (custom fields, pipelines, visibility, robots) are the
administrator's: the server refuses them to supervisors and operators, and only the admin's
top bar links them."""

from __future__ import annotations

import json
import re

from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_admin_pages import status_and_text

PAGES = {
    "/admin/fields": "admin-fields.js",
    "/admin/pipelines": "admin-pipelines.js",
    "/admin/visibility": "admin-visibility.js",
    "/admin/robots": "admin-robots.js",
}


HEADINGS = {
    "/admin/fields": "Доп. поля",
    "/admin/pipelines": "Воронки",
    "/admin/visibility": "Видимость CRM",
    "/admin/robots": "Роботы",
}


async def test_crm_settings_pages_are_for_admins_only(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("boss", Role.admin)
    await ui.add_user("lead", Role.supervisor)
    await ui.add_user("agent", Role.operator)

    for path, script in PAGES.items():
        status, text = await status_and_text(ui, "boss", path)
        assert status == 200 and 'id="okno-config"' in text, path
        # Its own script, served by Okno with a content hash, and the link marked current.
        assert re.search(rf'src="/static/{re.escape(script)}\?v=[0-9a-f]{{12}}"', text), path
        assert re.search(rf'href="{path}"\s+aria-current="page"', text), path
        # The shared frame: the heading names the page, in the title too.
        heading = HEADINGS[path]
        assert f"<title>{heading} · Okno</title>" in text and f"<h1>{heading}</h1>" in text
        for link in PAGES:
            assert f'href="{link}"' in text
        for login in ("lead", "agent"):
            status, text = await status_and_text(ui, login, path)
            assert status == 403 and "okno-config" not in text, (login, path)
            assert "admin-fields.js" not in text and 'href="/admin/fields"' not in text
        status, _ = await status_and_text(ui, None, path)
        assert status == 302


async def test_crm_settings_page_is_in_the_users_language(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("boss", Role.admin)
    _, russian = await status_and_text(sqlite_ui, "boss", "/admin/pipelines?lang=ru")
    _, english = await status_and_text(sqlite_ui, "boss", "/admin/pipelines?lang=en")
    assert "<h1>Воронки</h1>" in russian and ">Доп. поля<" in russian
    assert "<h1>Pipelines</h1>" in english and ">Custom fields<" in english
    # The scripts' strings travel in the page's config, in its language.
    assert strings(russian)["pipelines.moveUp"] == "Переместить «{name}» выше"
    assert strings(english)["pipelines.moveUp"] == "Move “{name}” up"
    assert strings(russian)["fieldError.option-duplicate"] == "Этот вариант указан дважды."


def strings(html: str) -> dict[str, str]:
    found = re.search(r'id="okno-config">(.*?)</script>', html, re.S)
    assert found
    return dict(json.loads(found.group(1))["strings"])


async def test_static_scripts_of_the_pages_are_served(sqlite_ui: Ui) -> None:
    session = sqlite_ui.anonymous()
    for name in (
        "admin-fields.js",
        "admin-field-options.js",
        "admin-pipelines.js",
        "admin-stages.js",
        "admin-visibility.js",
        "admin-robots.js",
        "admin-robot-rule.js",
        "okno-page.js",
    ):
        async with session.get(sqlite_ui.url(f"/static/{name}")) as reply:
            assert reply.status == 200, name
            assert "javascript" in reply.headers["Content-Type"], name
