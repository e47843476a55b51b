"""Never lose a lead over an optional field: odd values from legacy sites, through the real POST.

Both backends; each class with several variants, JSON and urlencoded. Expectations are
written out by hand, not derived from the code under test.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from hub.models import Contact, InboundEvent, Message
from hub.queries.card import contact_card
from tests.conftest import Backend

from .support import BROWSER_ACCEPT, FORM_TYPE, JSON_TYPE, FormSite, Serve, open_form


def _body(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "form_id": "legacy",
        "submission_token": f"legacy-site-token-{n:04d}",
        "name": "Ольга",
        "email": f"client{n}@mail.example",
        "message": f"Заявка {n}",
        **fields,
    }


async def _post(site: FormSite, body: dict[str, Any], urlencoded: bool = False) -> Any:
    if urlencoded:
        return await site.post(urlencode(body, doseq=True).encode(), FORM_TYPE)
    return await site.client.post(
        "/forms/demo", json=body, headers={"Content-Type": JSON_TYPE}, allow_redirects=False
    )


async def _meta_by_token(site: FormSite) -> dict[str, dict[str, Any]]:
    events = {e.id: e.external_id for e in await site.all(InboundEvent)}
    return {events[m.meta["request_number"]]: m.meta for m in await site.all(Message)}


async def test_consent_as_legacy_sites_send_it(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    cases: list[tuple[Any, bool, bool | None]] = [
        ("Y", False, True),
        ("N", True, False),
        ("1", True, True),
        (0, False, False),
        ("да", True, True),
        ("Нет", False, False),
        ("on", True, True),
        ("TRUE", False, True),
        ("yes", True, True),
        ("согласен?", False, None),  # unreadable: no reading, raw kept, still accepted
        ([1, 2], False, None),
    ]
    for n, (consent, urlencoded, _) in enumerate(cases):
        response = await _post(site, _body(n, consent=consent), urlencoded)
        assert response.status == 200, (consent, await response.text())
    metas = await _meta_by_token(site)
    for n, (consent, _, reading) in enumerate(cases):
        meta = metas[f"legacy-site-token-{n:04d}"]
        assert meta["consent"] is reading, consent
        assert ("consent" in meta.get("field_quirks", {})) is (reading is None), consent
    assert metas["legacy-site-token-0009"]["field_quirks"]["consent"]["raw"] == "согласен?"
    assert await site.count(Message) == len(cases)


async def test_strange_times_numbers_and_long_values_are_read_not_refused(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    bodies = [
        _body(1, submitted_at=1781503513, name=12345),  # PHP time(); a number as the name
        _body(2, submitted_at="15.06.2026 10:12", utm_source=["yandex", "direct"]),
        _body(3, submitted_at="вчера вечером", page_url="https://x.example/" + "p" * 3000),
        _body(4, submitted_at="Mon Jun 15 2026 09:05:13 GMT+0300 (Москва)", submission_token="1"),
    ]
    for i, body in enumerate(bodies):
        response = await _post(site, body, urlencoded=i == 1)
        assert response.status == 200, await response.text()
    metas = await _meta_by_token(site)
    first = metas["legacy-site-token-0001"]
    assert first["submitted_at_utc"] == "2026-06-15T06:05:13Z"
    assert first["visitor_name"] == "12345"
    assert first["field_quirks"]["name"] == {
        "raw": 12345,
        "note": "a number where text was expected",
    }
    second = metas["legacy-site-token-0002"]
    # urlencoded repeats keep the last value; the time has no zone: Moscow.
    assert second["utm_source"] == "direct"
    assert second["submitted_at_utc"] == "2026-06-15T07:12:00Z"
    third = metas["legacy-site-token-0003"]
    assert third["submitted_at"] == "вчера вечером" and third["submitted_at_utc"] is None
    assert third["field_quirks"]["submitted_at"]["raw"] == "вчера вечером"
    assert len(third["page_url"]) == 2048
    # A bad token is ignored: the request is keyed by its content instead.
    [fourth] = [m for k, m in metas.items() if k.startswith("form-sha256:")]
    assert fourth["submitted_at_utc"] == "2026-06-15T06:05:13Z"
    assert fourth["field_quirks"]["submission_token"]["raw"] == "1"
    assert await site.count(Contact) == 4


async def test_unparsed_phone_with_an_email_is_kept_raw_on_the_card(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    for n, phone, urlencoded in [(1, "8 916 123 45", False), (2, "доб. 1234567", True)]:
        response = await _post(site, _body(n, phone=phone), urlencoded)
        assert response.status == 200, await response.text()
    metas = await _meta_by_token(site)
    assert metas["legacy-site-token-0001"]["form_contacts"]["phone"] == "8 916 123 45"
    async with site.hub.db.sessions() as session:
        contacts = {c.name + c.custom_fields.get("unparsed_phones", ["?"])[0]: c.id
                    for c in await site.all(Contact)}  # fmt: skip
        assert sorted(contacts) == ["Ольга8 916 123 45", "Ольгадоб. 1234567"]
        card = await contact_card(session, contacts["Ольга8 916 123 45"])
    assert card is not None
    assert [(p.raw, p.unparsed) for p in card.phones] == [("8 916 123 45", True)]
    assert card.emails == ["client1@mail.example"]


async def test_a_bad_email_never_refuses_a_usable_phone(backend: Backend, serve: Serve) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    for n, email, urlencoded in [(1, "ivan@mail", False), (2, "ivan mail.ru", True)]:
        body = _body(n, email=email, phone=f"+7 916 000-00-0{n}")
        response = await _post(site, body, urlencoded)
        assert response.status == 200, await response.text()
    metas = await _meta_by_token(site)
    assert metas["legacy-site-token-0001"]["field_quirks"]["email"] == {
        "raw": "ivan@mail",
        "note": "not an e-mail address",
    }
    assert metas["legacy-site-token-0002"]["form_contacts"]["email"] == "ivan mail.ru"


async def test_a_phone_like_123_without_email_is_an_invalid_phone(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    cases = [
        ({"phone": "123", "email": ""}, False, {"phone"}),
        ({"phone": "12-34", "email": None}, True, {"phone"}),
        ({"phone": "abc", "email": "oleg@"}, False, {"phone", "email"}),
        ({"email": "нет почты"}, True, {"email"}),
    ]
    for n, (fields, urlencoded, bad) in enumerate(cases):
        body = {k: v for k, v in _body(n, **fields).items() if v is not None}
        response = await _post(site, body, urlencoded)
        assert response.status == 422, fields
        error = (await response.json())["error"]
        assert error["id"] == "invalid-contact", fields
        assert set(error["details"]) == bad
        if "phone" in bad:
            assert error["details"]["phone"] == "The phone number is not valid."
    assert await site.count(InboundEvent) == 0 and await site.count(Contact) == 0


async def test_a_script_less_form_refused_comes_back_to_the_form_saying_why(
    backend: Backend, serve: Serve
) -> None:
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    cases = [
        ({"phone": "123"}, "ru", "phone", "Телефон указан неверно."),
        ({"phone": "12", "email": "a@"}, "en", "email", "The phone number is not valid."),
        ({"email": "oleg"}, "ru", "email", "Электронная почта указана неверно."),
        ({"name": "Олег"}, "en", "phone", "Please give a phone number or an email."),
    ]
    for n, (fields, lang, marked, said) in enumerate(cases):
        body = urlencode({"submission_token": f"script-less-token-{n:04d}", **fields})
        response = await site.post(body.encode(), FORM_TYPE, Accept=BROWSER_ACCEPT)
        assert response.status == 303, fields
        location = response.headers["Location"]
        assert location.startswith("/forms/demo?error=invalid-"), location
        page = await site.client.get(location, headers={"Accept-Language": lang})
        html = await page.text()
        assert f'data-state="error">{said}</p>' in html, (fields, html)
        invalid = re.findall(r'name="(\w+)"[^>]*aria-invalid="true"', html)
        assert marked in invalid and "message" not in invalid, invalid
    assert await site.count(InboundEvent) == 0


async def test_values_json_columns_cannot_hold_are_kept_as_text(
    backend: Backend, serve: Serve
) -> None:
    """Python's JSON reader takes NaN and Infinity; PostgreSQL's jsonb does not."""
    site = await open_form(backend, serve, rate_limit_per_minute=0)
    bodies = [
        '{"submission_token": "legacy-site-token-0001", "email": "a@mail.example", '
        '"name": NaN, "utm_term": Infinity, "submitted_at": "9999-12-31T23:59:59-14:00"}',
        '{"submission_token": "legacy-site-token-0002", "email": "b@mail.example", '
        '"consent": -Infinity, "form_id": 123456789012345678901234567890}',
    ]
    for body in bodies:
        response = await site.post(body.encode(), JSON_TYPE)
        assert response.status == 200, await response.text()
    metas = await _meta_by_token(site)
    first, second = metas["legacy-site-token-0001"], metas["legacy-site-token-0002"]
    assert first["field_quirks"]["name"]["raw"] == "nan"
    assert first["utm_term"] == "inf" and first["field_quirks"]["utm_term"]["raw"] == "inf"
    assert first["submitted_at_utc"] is None  # past the last moment a datetime can hold
    assert second["consent"] is None and second["field_quirks"]["consent"]["raw"] == "-inf"
    assert second["form_id"] == "123456789012345678901234567890"
    assert second["field_quirks"]["form_id"]["raw"] == "123456789012345678901234567890"
