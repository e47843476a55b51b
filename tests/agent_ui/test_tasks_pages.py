"""Who may open «Задачи» and what the page carries: every signed-in role, in Russian and
English, with the people each may plan for (operators see their team, not another's) and
his time zone; the top bar links it on every staff page."""

from __future__ import annotations

from hub.actions import unit_of_work
from hub.models import CrmVisibility, Role, Team, TeamMember
from tests.agent_ui.conftest import Ui
from tests.agent_ui.test_deals_pages import fetch, page_config


async def test_every_role_opens_tasks_with_the_people_it_may_plan_for(sqlite_ui: Ui) -> None:
    ui = sqlite_ui
    boss = await ui.add_user("boss", Role.admin, name="Ирина Админова")
    petrova = await ui.add_user("petrova", Role.operator, name="Мария Петрова")
    sidorov = await ui.add_user("sidorov", Role.operator, name="Игорь Сидоров")
    gusev = await ui.add_user("gusev", Role.operator, name="Павел Гусев")
    async with unit_of_work(ui.hub) as uow:
        uow.session.add(CrmVisibility(role=Role.operator.value, scope="own"))
        sales = Team(name="Продажи")
        uow.session.add(sales)
        await uow.session.flush()
        uow.session.add_all(
            [
                TeamMember(team_id=sales.id, user_id=petrova.id),
                TeamMember(team_id=sales.id, user_id=sidorov.id),
            ]
        )

    status, html, headers = await fetch(ui, "petrova", "/tasks?lang=ru")
    assert status == 200, html
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "<title>Задачи · Okno</title>" in html
    assert ">Новое дело<" in html and ">Просрочено <" in html and ">Завтра <" in html
    assert 'src="/static/tasks-page.js?v=' in html and 'href="/static/tasks.css?v=' in html
    assert '<a href="/tasks" id="nav-tasks" aria-current="page">Задачи' in html
    config = page_config(html)
    # An operator plans for himself and his team mates; Гусев is in no team of his.
    assert config["people"] == [
        {"id": sidorov.id, "name": "Игорь Сидоров"},
        {"id": petrova.id, "name": "Мария Петрова"},
    ]
    assert config["timeZone"] == "Europe/Moscow"
    assert config["strings"]["tasks.kind.call"] == "Звонок"
    assert config["strings"]["tasks.snooze.tomorrow"] == "до завтра"

    status, html, _ = await fetch(ui, "boss", "/tasks?lang=en")
    assert status == 200
    assert "<title>Tasks · Okno</title>" in html and ">New activity<" in html
    # An administrator plans for anyone (by name: Игорь < Ирина).
    assert [p["id"] for p in page_config(html)["people"]] == [
        sidorov.id,
        boss.id,
        petrova.id,
        gusev.id,
    ]

    # Every staff page's top bar has «Задачи» with its (script-filled) counter.
    for path in ("/", "/deals", "/clients"):
        status, html, _ = await fetch(ui, "petrova", path + "?lang=ru")
        assert status == 200
        link = '<a href="/tasks" id="nav-tasks" >Задачи<span class="nav-badge" id="tasks-badge"'
        assert link in html

    # «Календарь» carries the same people and zone, linked from the top bar.
    status, html, _ = await fetch(ui, "petrova", "/calendar?lang=ru")
    assert status == 200 and "<title>Календарь · Okno</title>" in html
    assert '<a href="/calendar" aria-current="page">Календарь</a>' in html
    assert 'src="/static/calendar-page.js?v=' in html and ">Неделя<" in html
    assert page_config(html)["people"] == config["people"]
    # Its hint names the keyboard's moves too, in either language.
    assert (
        "или выделите его и нажмите Shift+←/→, чтобы сдвинуть на день, Shift+↑/↓ — на час" in html
    )
    status, html, _ = await fetch(ui, "petrova", "/calendar?lang=en")
    assert "or focus it and press Shift+←/→ to move it a day, Shift+↑/↓ an hour" in html

    status, _, headers = await fetch(ui, None, "/tasks")
    assert status == 302 and headers["Location"] == "/login?next=/tasks"
