"""Visitor pages: the hosted form, the embed script, thanks and the request status page."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import select

from hub.actions import messages, unit_of_work
from hub.actions.channels import update_channel
from hub.host.appkeys import RUNNER
from hub.models import Channel, Conversation, InboundEvent, User
from tests.agent_ui.conftest import Ui

XSS_NAME = "<script>alert('name')</script>Анна\"><img src=x onerror=alert(1)>"
XSS_TEXT = '<img src=x onerror="alert(document.cookie)"> Окно 1200×1400 <svg/onload=alert(2)>'


def submission(token: str, **fields: Any) -> dict[str, Any]:
    data = {
        "form_id": "demo",
        "submission_token": token,
        "name": "Анна Соколова",
        "phone": "8 (916) 123-45-67",
        "email": "",
        "message": "Нужен замер трёх окон",
        "website": "",
        "consent": True,
        "utm_source": "yandex",
    }
    data.update(fields)
    return data


async def submit(ui: Ui, data: dict[str, Any]) -> dict[str, Any]:
    async with ui.anonymous().post(ui.url("/forms/demo"), json=data) as answer:
        assert answer.status == 200, await answer.text()
        body: dict[str, Any] = await answer.json()
    return body


async def conversation_of(ui: Ui, token: str) -> Conversation:
    async with ui.hub.db.sessions() as session:
        event = (
            await session.execute(select(InboundEvent).where(InboundEvent.external_id == token))
        ).scalar_one()
        assert event.conversation_id is not None
        return await session.get_one(Conversation, event.conversation_id)


async def test_form_page_works_without_script(ui: Ui) -> None:
    await ui.add_webform()
    browser = ui.anonymous()
    async with browser.get(ui.url("/forms/demo?utm_source=vk&lang=ru")) as page:
        assert page.status == 200
        csp = page.headers["Content-Security-Policy"]
        html = await page.text()
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert 'method="post" action="/forms/demo"' in html
    assert 'name="website"' in html and 'class="okno-hp"' in html
    assert 'name="utm_source" value="vk"' in html
    token = re.search(r'name="submission_token" value="([^"]+)"', html)
    assert token
    # A browser without script posts the plain form and lands on the thanks page.
    async with browser.post(
        ui.url("/forms/demo"),
        data={
            "form_id": "demo",
            "submission_token": token.group(1),
            "name": "Иван",
            "phone": "+7 903 111-22-33",
            "message": "5 окон + дверь & замер",
            "consent": "on",
            "website": "",
        },
        headers={"Accept": "text/html,application/xhtml+xml"},
    ) as landed:
        assert landed.status == 200
        assert landed.url.path == "/forms/demo/thanks"
        number = landed.url.query["n"]
        thanks = await landed.text()
    assert f"Ваша заявка № {number} принята." in thanks


async def test_unknown_or_disabled_forms_are_not_found(ui: Ui) -> None:
    await ui.add_webform()
    browser = ui.anonymous()
    for path in (
        "/forms/nope",
        "/forms/nope.js",
        "/forms/nope/thanks?n=1",
        "/forms/demo/r/" + uuid.uuid4().hex,
    ):
        async with browser.get(ui.url(path)) as answer:
            assert answer.status == 404, path
    async with unit_of_work(ui.hub) as uow:
        channel = (await uow.session.execute(select(Channel))).scalar_one()
        await update_channel(uow, channel, enabled=False)
    await ui.server.app[RUNNER].stop_channel("webform", "demo")
    for path in ("/forms/demo", "/forms/demo.js"):
        async with browser.get(ui.url(path)) as answer:
            assert answer.status == 404, path


async def test_embed_script_carries_its_config_safely(ui: Ui) -> None:
    await ui.add_webform()
    async with ui.anonymous().get(ui.url("/forms/demo.js?lang=en")) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/javascript"
        source = await answer.text()
    assert "__OKNO_CONFIG__" not in source and "<" not in source.split("(function")[1]
    config = json.loads(source.rsplit("})(", 1)[1].removesuffix(");\n"))
    base = f"http://{ui.server.host}:{ui.server.port}"
    assert config["action"] == f"{base}/forms/demo"
    assert config["statusBase"] == f"{base}/forms/demo/r/"
    assert config["stylesheet"].startswith(f"{base}/static/form-embed.css?v=")
    assert config["strings"]["form.send"] == "Send"


async def test_status_page_shows_the_thread_without_notes(ui: Ui) -> None:
    await ui.add_webform()
    operator = await ui.add_user("ivanov", name="Мария Петрова")
    token = str(uuid.uuid4())
    accepted = await submit(ui, submission(token, name=XSS_NAME, message=XSS_TEXT))
    assert accepted["status"] == "accepted"
    conversation = await conversation_of(ui, token)
    async with unit_of_work(ui.hub) as uow:
        locked = await uow.session.get_one(Conversation, conversation.id)
        author = await uow.session.get_one(User, operator.id)
        await messages.queue_reply(
            uow, locked, author, "Здравствуйте! <b>Замерщик</b> приедет в субботу."
        )
        await messages.add_note(uow, locked, author, "Внутреннее: клиент из Мытищ")

    async with ui.anonymous().get(ui.url(f"/forms/demo/r/{token}")) as page:
        assert page.status == 200
        html = await page.text()
    assert f"Заявка № {accepted['request_number']}" in html
    assert "Здравствуйте! &lt;b&gt;Замерщик&lt;/b&gt; приедет в субботу." in html
    assert "Мария Петрова" in html
    assert "Внутреннее" not in html  # notes are for the team only
    # What the visitor wrote comes back as text, never as markup.
    assert "&lt;img src=x onerror=&#34;alert(document.cookie)&#34;&gt;" in html
    assert "<img src=x" not in html and "<svg" not in html
