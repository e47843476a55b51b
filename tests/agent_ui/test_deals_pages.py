"""Who may open «Сделки» and what the page says: every signed-in role, in Russian and English;
the top bar links the CRM pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hub.models import Role
from tests.agent_ui.conftest import Ui

PACKAGE = Path(__file__).resolve().parents[2] / "agent_ui"


async def fetch(ui: Ui, login: str | None, path: str) -> tuple[int, str, dict[str, str]]:
    session = ui.anonymous() if login is None else await ui.signed_in(login)
    async with session.get(ui.url(path), allow_redirects=False) as reply:
        return reply.status, await reply.text(), dict(reply.headers)


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'id="okno-config">(.*?)</script>', html, re.S)
    assert match, "no okno-config block"
    config = json.loads(match.group(1))
    assert isinstance(config, dict)
    return config


async def test_every_role_opens_the_deals_page_in_its_language(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("boss", Role.admin, name="Ирина Админова")
    await ui.add_user("lead", Role.supervisor, name="Олег Старший")
    await ui.add_user("agent", Role.operator, name="Мария Петрова")

    for login, role in (("boss", "admin"), ("lead", "supervisor"), ("agent", "operator")):
        status, html, headers = await fetch(ui, login, "/deals?lang=ru")
        assert status == 200, html
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert '<html lang="ru">' in html
        assert "<title>Сделки · Okno</title>" in html
        assert ">Новая сделка<" in html and ">Доска<" in html and ">Список<" in html
        assert 'id="board"' in html and 'id="deal-panel"' in html and 'aria-live="polite"' in html
        assert 'src="/static/deals-page.js?v=' in html and 'href="/static/deals.css?v=' in html
        # The top bar: «Диалоги», «Клиенты», «Сделки», the current page marked.
        assert '<a href="/" >Диалоги</a>' in html
        assert '<a href="/clients" >Клиенты</a>' in html
        assert '<a href="/deals" aria-current="page">Сделки</a>' in html
        config = page_config(html)
        assert config["user"]["role"] == role and config["dealId"] is None
        assert config["csrf"] and config["wsPath"] == "/ws"
        assert config["strings"]["deals.move"] == "Переместить"
        assert config["strings"]["deals.daysInStage"] == "{n} дн. на этапе"

        status, html, _ = await fetch(ui, login, "/deals?lang=en")
        assert status == 200
        assert '<html lang="en">' in html and "<title>Deals · Okno</title>" in html
        assert ">New deal<" in html and "Новая сделка" not in html
        assert '<a href="/clients" >Clients</a>' in html
        assert '<a href="/deals" aria-current="page">Deals</a>' in html
        assert page_config(html)["strings"]["deals.move"] == "Move"

    # Supervisor and admin links stay where they were.
    _, html, _ = await fetch(ui, "boss", "/deals")
    assert 'href="/supervisor"' in html and 'href="/admin/operators"' in html
    _, html, _ = await fetch(ui, "agent", "/deals")
    assert 'href="/supervisor"' not in html and 'href="/admin/channels"' not in html


async def test_a_deal_address_opens_the_same_page_with_that_deal(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("agent", Role.operator)
    status, html, _ = await fetch(ui, "agent", "/deals/42")
    assert status == 200
    assert page_config(html)["dealId"] == 42
    status, _, _ = await fetch(ui, "agent", "/deals/not-a-number")
    assert status == 404


async def test_the_deals_pages_are_for_signed_in_users_only(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    for path in ("/deals", "/deals/7"):
        status, _, headers = await fetch(ui, None, path)
        assert status == 302
        assert headers["Location"] == f"/login?next={path}"


async def test_the_workspace_top_bar_links_clients_and_deals(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("agent", Role.operator)
    _, html, _ = await fetch(ui, "agent", "/?lang=ru")
    assert '<a href="/" aria-current="page">Диалоги</a>' in html
    assert '<a href="/clients" >Клиенты</a>' in html
    assert '<a href="/deals" >Сделки</a>' in html


def test_the_deals_scripts_never_write_markup() -> None:
    """Data reaches the deals pages as text (okno-dom's el/textContent), never as HTML."""
    scripts = sorted((PACKAGE / "static").glob("deals-*.js"))
    assert len(scripts) >= 7
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in text, f"{script.name} uses {sink}"
