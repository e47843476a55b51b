"""Web-form fixtures through the real app on both backends: answers and what gets stored."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, parse_qsl, urlencode

import pytest

from hub.models import Contact, Conversation, Identity, InboundEvent, Lead, Message
from tests.conftest import Backend

from .support import (
    BROWSER_ACCEPT,
    FORM_TYPE,
    FORMS,
    SITE,
    FormSite,
    Serve,
    open_form,
)

ANNA = [("email", "anna.sokolova@mail.example"), ("phone", "+79161234567")]
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


async def identities(site: FormSite) -> list[tuple[str, str]]:
    return sorted((i.kind.value, i.value) for i in await site.all(Identity))


async def test_basic_json_becomes_lead_with_source_details(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    sent = FORMS.json("submit__basic.json")
    response = await site.post_fixture("submit__basic.json", Origin=SITE, **{"User-Agent": "UA/1"})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    answer = await response.json()
    assert answer["status"] == "accepted" and answer["duplicate"] is False

    [event] = await site.all(InboundEvent)
    assert answer["request_number"] == event.id
    assert event.source == "webform:demo" and event.external_id == sent["submission_token"]
    [contact] = await site.all(Contact)
    assert contact.name == "Анна Соколова"
    assert await identities(site) == ANNA
    [lead] = await site.all(Lead)
    assert lead.source == "webform" and lead.contact_id == contact.id
    expected = {k: sent[k] for k in ("form_id", "page_url", "referrer", *UTM)}
    assert {k: lead.source_detail.get(k) for k in expected} == expected
    [message] = await site.all(Message)
    assert message.text == sent["message"]
    assert message.meta["consent"] is True and message.meta["user_agent"] == "UA/1"
    assert message.meta["client_ip"] == "127.0.0.1"
    assert message.meta["submitted_at"] == sent["submitted_at"]
    assert message.meta["request_number"] == event.id


async def test_duplicate_token_is_stored_once_with_the_same_number(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve)
    first = await (await site.post_fixture("submit__basic.json", Origin=SITE)).json()
    response = await site.post_fixture("submit__duplicate_token.json", Origin=SITE)
    assert response.status == 200
    second = await response.json()
    assert second["duplicate"] is True and first["duplicate"] is False
    assert second["request_number"] == first["request_number"]
    assert await site.count(InboundEvent) == 1
    assert await site.count(Message) == 1
    assert await site.count(Conversation) == 1


async def test_tokenless_double_submit_is_stored_once(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    body = FORMS.json("submit__phone_10_digits.json")
    del body["submission_token"]
    numbers = []
    for submitted_at in ("2026-06-15T11:42:09+03:00", "2026-06-15T11:42:10+03:00"):
        response = await site.client.post(
            "/forms/demo", json={**body, "submitted_at": submitted_at}
        )
        assert response.status == 200
        numbers.append((await response.json())["request_number"])
    assert numbers[0] == numbers[1]
    assert await site.count(InboundEvent) == 1


async def test_every_phone_style_matches_anna(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    for name in (
        "submit__basic.json",
        "submit__phone_10_digits.json",
        "submit__phone_plus7_spaces.urlencoded",
    ):
        response = await site.post_fixture(name)
        assert response.status == 200, name
    assert await site.count(Contact) == 1
    assert await identities(site) == ANNA
    assert await site.count(InboundEvent) == 3
    assert await site.count(Message) == 3


async def test_urlencoded_plus_and_ampersand_decode_exactly(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    sent = dict(parse_qsl(FORMS.bytes("submit__basic.urlencoded").decode()))
    response = await site.post_fixture("submit__basic.urlencoded", Origin=SITE)
    assert response.status == 200
    [message] = await site.all(Message)
    assert message.text == sent["message"]
    assert "5 окон + балконная дверь" in message.text and message.text.endswith("& замер.")
    assert message.meta["consent"] is True
    assert await identities(site) == [
        ("email", "d.orlov@yandex-mail.example"),
        ("phone", "+79031112233"),
    ]
    [lead] = await site.all(Lead)
    assert lead.source_detail["utm_source"] == "vk"
    assert lead.source_detail["utm_medium"] == "social"
    assert lead.source_detail["utm_campaign"] == "dom_2026"
    assert lead.source_detail["referrer"] == "https://vk.com/"
    [contact] = await site.all(Contact)
    assert contact.name == "Дмитрий Орлов"


async def test_windows_1251_urlencoded_body_decodes(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    fields = dict(parse_qsl(FORMS.bytes("submit__basic.urlencoded").decode()))
    body = urlencode(fields, encoding="cp1251").encode("ascii")
    assert body != FORMS.bytes("submit__basic.urlencoded")  # really a different encoding
    response = await site.post(body, f"{FORM_TYPE}; charset=windows-1251")
    assert response.status == 200
    [contact] = await site.all(Contact)
    [message] = await site.all(Message)
    assert contact.name == fields["name"] == "Дмитрий Орлов"
    assert message.text == fields["message"]


async def test_utm_missing_from_body_comes_from_page_url(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    body = FORMS.json("submit__basic.json")
    for key in UTM:
        body.pop(key)
    body["referrer"] = ""
    response = await site.client.post(
        "/forms/demo", json=body, headers={"Referer": "https://okna-mytishchi.example/kalkulyator/"}
    )
    assert response.status == 200
    [lead] = await site.all(Lead)
    page_query = parse_qs(body["page_url"].split("?", 1)[1])
    assert {k: lead.source_detail[k] for k in UTM} == {k: page_query[k][0] for k in UTM}
    assert lead.source_detail["utm_term"] == "пластиковые окна мытищи"
    assert lead.source_detail["referrer"] == "https://okna-mytishchi.example/kalkulyator/"


async def test_honeypot_answers_success_and_stores_nothing(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    site = await open_form(backend, serve)
    with caplog.at_level(logging.INFO):
        response = await site.post_fixture("submit__honeypot_filled.json", Origin=SITE)
    assert response.status == 200
    assert (await response.json())["status"] == "accepted"
    assert await site.count(InboundEvent) == 0
    assert await site.count(Contact) == 0 and await site.count(Conversation) == 0
    assert any("spam" in r.getMessage() and "127.0.0.1" in r.getMessage() for r in caplog.records)


async def test_oversized_is_413_stores_nothing_and_service_goes_on(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve)
    assert len(FORMS.bytes("submit__oversized_message_70kb.json")) > 64 * 1024
    response = await site.post_fixture("submit__oversized_message_70kb.json", Origin=SITE)
    assert response.status == 413
    assert (await response.json())["error"]["id"] == "body-too-large"
    assert await site.count(InboundEvent) == 0 and await site.count(Contact) == 0

    response = await site.post_fixture("submit__basic.json", Origin=SITE)
    assert response.status == 200
    assert await site.count(InboundEvent) == 1


async def test_xss_is_stored_verbatim(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    sent = FORMS.json("submit__xss_name_message.json")
    response = await site.post_fixture("submit__xss_name_message.json", Origin=SITE)
    assert response.status == 200
    [contact] = await site.all(Contact)
    [message] = await site.all(Message)
    assert contact.name == sent["name"]
    assert message.text == sent["message"]


async def test_missing_contact_is_422_naming_phone_and_email(
    backend: Backend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    site = await open_form(backend, serve)
    with caplog.at_level(logging.WARNING):
        response = await site.post_fixture("submit__missing_required_contact.json", Origin=SITE)
    assert response.status == 422
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # the page can read why
    error = (await response.json())["error"]
    assert error["id"] == "invalid-input"
    assert set(error["details"]) == {"phone", "email"}
    assert all(error["details"][f] for f in ("phone", "email"))
    assert await site.count(InboundEvent) == 0 and await site.count(Contact) == 0
    assert any(
        r.levelno == logging.WARNING
        and "127.0.0.1" in r.getMessage()
        and "invalid-input" in r.getMessage()
        for r in caplog.records
    )


async def test_plain_html_form_post_is_redirected_to_thanks(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve)
    response = await site.post_fixture("submit__basic.urlencoded", Accept=BROWSER_ACCEPT)
    assert response.status == 303
    [event] = await site.all(InboundEvent)
    assert response.headers["Location"] == f"/forms/demo/thanks?n={event.id}"
    [message] = await site.all(Message)
    assert message.text.endswith("& замер.")
