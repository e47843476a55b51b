"""Canned answers: who sees and edits which, search by name and text, rendering with the
conversation's values, and templates that would do more than fill variables refused."""

from __future__ import annotations

from hub.actions import unit_of_work
from hub.models import Team, TeamMember
from tests.hub.api.conftest import Api

URL = "/api/v1/templates"


async def _team(api: Api, name: str, *logins: str) -> int:
    async with unit_of_work(api.hub) as uow:
        team = Team(name=name)
        uow.session.add(team)
        await uow.session.flush()
        for login in logins:
            uow.session.add(TeamMember(team_id=team.id, user_id=api.users[login].id))
        return team.id


async def _create(api: Api, login: str, **body: object) -> dict[str, object]:
    reply = await api.post(URL, login, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


async def _names(api: Api, login: str, **params: str) -> list[str]:
    reply = await api.get(URL, login, **params)
    assert reply.status == 200, reply.body
    return [item["name"] for item in reply.body["items"]]


async def test_each_person_sees_company_own_and_team_templates(api: Api) -> None:
    sales = await _team(api, "Продажи", "olga")
    service = await _team(api, "Сервис", "petr")
    await _create(api, "sveta", scope="company", name="Приветствие", body="Здравствуйте!")
    await _create(api, "sveta", scope="team", team_id=sales, name="Доставка", body="Везём сами")
    await _create(api, "sveta", scope="team", team_id=service, name="Гарантия", body="3 года")
    own = await _create(api, "olga", name="Моя подпись", body="С уважением, Ольга")
    await _create(api, "petr", name="Подпись Петра", body="Пётр")

    assert await _names(api, "olga") == ["Доставка", "Моя подпись", "Приветствие"]
    assert await _names(api, "petr") == ["Гарантия", "Подпись Петра", "Приветствие"]
    # A supervisor manages every team's, but sees nobody's personal ones.
    assert await _names(api, "sveta") == ["Гарантия", "Доставка", "Приветствие"]

    # An operator may not write team or company templates, nor touch a colleague's own.
    refused = await api.post(URL, "olga", {"scope": "company", "name": "X", "body": "x"})
    assert refused.status == 403 and refused.body["error"]["id"] == "forbidden"
    hidden = await api.call("PATCH", f"{URL}/{own['id']}", "petr", json={"name": "Чужая"})
    assert hidden.status == 404 and hidden.body["error"]["id"] == "no-such-template"
    assert (await api.call("DELETE", f"{URL}/{own['id']}", "sveta")).status == 404

    changed = await api.call("PATCH", f"{URL}/{own['id']}", "olga", json={"name": "Подпись"})
    assert changed.status == 200 and changed.body["name"] == "Подпись"
    gone = await api.call("DELETE", f"{URL}/{own['id']}", "olga")
    assert gone.status == 200 and gone.body == {"id": own["id"]}
    assert await _names(api, "olga") == ["Доставка", "Приветствие"]


async def test_search_by_words_of_name_or_text_in_any_case_and_language(api: Api) -> None:
    await _create(api, "sveta", scope="company", name="Доставка", body="Привезём за 2 дня")
    await _create(api, "sveta", scope="company", name="Замер", body="Замерщик приедет бесплатно")
    await _create(api, "sveta", scope="company", locale="en", name="Delivery", body="2 days")

    assert await _names(api, "olga", q="ДОСТАВ") == ["Доставка"]
    assert await _names(api, "olga", q="бесплатно замер") == ["Замер"]
    assert await _names(api, "olga", q="привезем") == ["Доставка"]  # ё typed as е
    assert await _names(api, "olga", q="2", locale="en") == ["Delivery"]
    assert await _names(api, "olga", q="100%") == []  # LIKE wildcards are plain text
    assert await _names(api, "olga", locale="ru") == ["Доставка", "Замер"]


async def test_render_fills_the_conversations_values(api: Api) -> None:
    conversation = await api.inbound(name="Анна Соколова", phone="8 916 555 12 34")
    template = await _create(
        api,
        "olga",
        name="Ответ",
        body=(
            "{{ client.name }}, здравствуйте! Заявка №{{ request.number }}. "
            "{% if deal.title %}Сделка {{ deal.title }}.{% else %}Сделки нет.{% endif %} "
            "{{ operator.name|upper }}, {{ client.phone }}"
        ),
    )
    reply = await api.post(
        f"{URL}/{template['id']}/render", "olga", {"conversation_id": conversation}
    )
    assert reply.status == 200, reply.body
    assert reply.body["text"] == (
        f"Анна Соколова, здравствуйте! Заявка №{conversation}. Сделки нет. "
        "ОЛЬГА ИВАНОВА, +79165551234"
    )
    # Another's personal template is not usable; a missing conversation is said so.
    other = await api.post(f"{URL}/{template['id']}/render", "petr", {"conversation_id": 1})
    assert other.status == 404 and other.body["error"]["id"] == "no-such-template"
    missing = await api.post(f"{URL}/{template['id']}/render", "olga", {"conversation_id": 99999})
    assert missing.status == 404 and missing.body["error"]["id"] == "no-such-conversation"


async def test_templates_that_could_do_more_than_fill_variables_are_refused(api: Api) -> None:
    refused = {
        "{% for i in range(10) %}x{% endfor %}": "template-not-allowed",
        "{% set a = 1 %}": "template-not-allowed",
        "{{ client.name.__class__ }}": "template-not-allowed",
        "{{ 'a' * 1000000000 }}": "template-not-allowed",
        "{{ client.name|center(1000000000) }}": "template-not-allowed",
        "{{ lipsum(1000) }}": "template-not-allowed",
        "{{ cycler }}": "template-unknown-variable",
        "{{ client.passport }}": "template-unknown-variable",
        "{{ client.name": "template-syntax",
    }
    for body, error_type in refused.items():
        reply = await api.post(URL, "olga", {"name": "Плохой", "body": body})
        assert reply.status == 422, (body, reply.body)
        (detail,) = reply.body["error"]["details"]
        assert (detail["field"], detail["type"]) == ("body", error_type), body
    assert await _names(api, "olga") == []
    # A team template names its team; the team must exist.
    no_team = await api.post(URL, "sveta", {"scope": "team", "name": "T", "body": "t"})
    assert no_team.status == 422
    ghost = await api.post(
        URL, "sveta", {"scope": "team", "team_id": 999, "name": "T", "body": "t"}
    )
    assert ghost.status == 404 and ghost.body["error"]["id"] == "no-such-team"
