"""The «Клиенты» pages: for every signed-in role, in Russian and English, and never to strangers."""

from __future__ import annotations

import json
import re
from typing import Any

from hub.actions import unit_of_work
from hub.models import Role, User
from tests.agent_ui.conftest import Ui

PAGES = (
    "/clients",
    "/clients?tab=organisations",
    "/clients/contacts/new",
    "/clients/contacts/12",
    "/clients/organisations/new",
    "/clients/organisations/7",
)


async def fetch(ui: Ui, login: str | None, path: str) -> tuple[int, str, dict[str, str]]:
    session = ui.anonymous() if login is None else await ui.signed_in(login)
    async with session.get(ui.url(path), allow_redirects=False) as reply:
        return reply.status, await reply.text(), dict(reply.headers)


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'id="okno-config">(.*?)</script>', html, re.S)
    assert match, "no config block"
    config = json.loads(match.group(1))
    assert isinstance(config, dict)
    return config


async def test_every_role_gets_the_pages_and_strangers_are_sent_to_log_in(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("boss", Role.admin, name="Ольга Админ")
    await ui.add_user("lead", Role.supervisor, name="Пётр Старший")
    agent = await ui.add_user("agent", Role.operator, name="Анна Менеджер")
    gone = await ui.add_user("gone", Role.operator, name="Уволенный Сотрудник")
    async with unit_of_work(ui.hub) as uow:
        (await uow.session.get_one(User, gone.id)).is_active = False

    for login in ("boss", "lead", "agent"):
        for path in PAGES:
            status, html, headers = await fetch(ui, login, path)
            assert status == 200, (login, path)
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            config = page_config(html)
            assert config["user"]["login"] == login
            assert config["csrf"]
            # Every active user may be chosen as responsible, operators' pages included.
            names = [m["name"] for m in config["managers"]]
            assert names == ["Анна Менеджер", "Ольга Админ", "Пётр Старший"]

    status, html, _ = await fetch(ui, "agent", "/clients/contacts/12")
    config = page_config(html)
    assert (config["entity"], config["recordId"]) == ("contact", 12)
    assert {"id": agent.id, "name": "Анна Менеджер"} in config["managers"]
    assert 'src="/static/clients-card.js?v=' in html
    status, html, _ = await fetch(ui, "agent", "/clients/organisations/new")
    config = page_config(html)
    assert (config["entity"], config["recordId"]) == ("organisation", None)
    status, html, _ = await fetch(ui, "agent", "/clients?tab=organisations")
    assert page_config(html)["tab"] == "organisations"
    assert 'data-tab="organisations" aria-selected="true"' in html
    assert 'src="/static/clients.js?v=' in html
    status, html, _ = await fetch(ui, "agent", "/clients")
    assert page_config(html)["tab"] == "contacts"

    for path in PAGES:
        status, html, headers = await fetch(ui, None, path)
        assert status == 302, path
        assert headers["Location"].startswith("/login?next=/clients")
        assert "okno-config" not in html
    status, _, _ = await fetch(ui, "agent", "/clients/contacts/abc")
    assert status == 404
    status, _, _ = await fetch(ui, "agent", "/clients/deals/1")
    assert status == 404


async def test_the_pages_speak_russian_and_english(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("agent", Role.operator)

    status, html, _ = await fetch(ui, "agent", "/clients")
    assert status == 200
    assert '<html lang="ru">' in html
    assert ">Новый контакт<" in html and ">Новая организация<" in html
    assert ">Контакты<" in html and ">Организации<" in html
    assert 'placeholder="Имя, телефон, e-mail или ИНН"' in html
    strings = page_config(html)["strings"]
    assert strings["rec.stale"] == "Карточку изменили, пока вы редактировали."
    assert strings["rec.changedElsewhere"].startswith("Изменено другим пользователем.")
    assert strings["fieldError.invalid-email"] == "Это не адрес e-mail."
    assert strings["fieldError.custom-not-a-number"] == "Нужно число."
    assert strings["clients.more"] == "Показать ещё"
    assert strings["rec.fix"] == "Исправить"
    assert strings["rec.convert"] == "Сделать клиентом"

    status, html, _ = await fetch(ui, "agent", "/clients/contacts/3?lang=en")
    assert status == 200
    assert '<html lang="en">' in html
    assert ">Make a client<" in html and ">Reload the card<" in html
    assert "Сделать клиентом" not in html.split('id="okno-config"')[0]
    strings = page_config(html)["strings"]
    assert strings["rec.stale"] == "The card was changed while you were editing it."
    assert strings["fieldError.invalid-email"] == "This is not an e-mail address."
