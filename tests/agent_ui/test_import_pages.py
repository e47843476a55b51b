"""The «Импорт» page: supervisors and admins get it (importing is theirs, as the API has it),
operators the "no access" page, strangers the login; «Экспорт» links on «Клиенты» and
«Сделки» for everyone, «Импорт» links only for those who may import."""

from __future__ import annotations

from hub.models import Role
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_clients_pages import fetch, page_config


async def test_who_gets_the_import_page(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("boss", Role.admin, name="Ольга Админ")
    await ui.add_user("lead", Role.supervisor, name="Пётр Старший")
    await ui.add_user("agent", Role.operator, name="Анна Менеджер")

    for login, admin in (("boss", True), ("lead", False)):
        status, html, headers = await fetch(ui, login, "/import")
        assert status == 200, login
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        config = page_config(html)
        assert (config["user"]["login"], config["entity"], config["jobId"]) == (
            login,
            "contact",
            None,
        )
        assert config["admin"] is admin
        assert config["csrf"]
        assert config["maxUploadBytes"] == 20 * 1024 * 1024
        assert 'src="/static/import-page.js?v=' in html
        assert '<option value="contact" selected>Контакты</option>' in html
        assert ">Загрузить<" in html and ">Начать импорт<" in html
        # «Клиенты» is the current section of the top bar.
        assert 'href="/clients" aria-current="page"' in html
        assert config["strings"]["import.skip"] == "Не загружать"

    status, html, _ = await fetch(ui, "lead", "/import?entity=deal&job=42")
    config = page_config(html)
    assert (config["entity"], config["jobId"]) == ("deal", 42)
    assert 'href="/deals" aria-current="page"' in html
    assert 'href="/deals?view=list"' in html
    status, html, _ = await fetch(ui, "lead", "/import?entity=lead&job=x1")
    assert (page_config(html)["entity"], page_config(html)["jobId"]) == ("contact", None)

    status, html, _ = await fetch(ui, "agent", "/import")
    assert status == 403
    assert "okno-config" not in html
    assert "Эта страница доступна только руководителям." in html

    status, html, headers = await fetch(ui, None, "/import?entity=deal")
    assert status == 302
    assert headers["Location"].startswith("/login?next=/import")


async def test_import_and_export_links_on_the_registries(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("lead", Role.supervisor)
    await ui.add_user("agent", Role.operator)

    status, html, _ = await fetch(ui, "lead", "/clients")
    assert status == 200
    assert 'id="clients-import" href="/import?entity=contact"' in html
    assert 'data-export-format="csv" href="/api/v1/contacts/export?format=csv"' in html
    assert ">Экспорт CSV<" in html and ">Экспорт XLSX<" in html
    status, html, _ = await fetch(ui, "lead", "/clients?tab=organisations")
    assert 'id="clients-import" href="/import?entity=organisation"' in html
    status, html, _ = await fetch(ui, "lead", "/deals")
    assert 'id="deals-import" href="/import?entity=deal"' in html
    assert 'id="deals-export-xlsx"' in html

    # Operators export what they see, and are not offered an import they may not make.
    status, html, _ = await fetch(ui, "agent", "/clients")
    assert status == 200
    assert 'id="clients-export-csv"' in html and 'id="clients-import"' not in html
    status, html, _ = await fetch(ui, "agent", "/deals")
    assert 'id="deals-export-csv"' in html and 'id="deals-import"' not in html


async def test_the_import_page_speaks_english(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    await ui.add_user("lead", Role.supervisor)
    status, html, _ = await fetch(ui, "lead", "/import?entity=organisation&lang=en")
    assert status == 200
    assert '<html lang="en">' in html
    assert ">Start the import<" in html and ">Download the report (CSV)<" in html
    assert '<option value="organisation" selected>Organisations</option>' in html
    strings = page_config(html)["strings"]
    assert strings["import.skip"] == "Do not import"
    assert strings["importError.not-an-xlsx"].startswith("This is not an Excel workbook")
