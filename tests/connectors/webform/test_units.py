"""The web-form connector's pure parts: options, parsing, limiter, keys; no server."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from connectors.base import InboundMessage, Outbound, WebhookRequest
from connectors.registry import ChannelConfigError, connector_class, validate_options
from connectors.testing import FakeContext
from connectors.webform import WebformConnector, WebformOptions
from connectors.webform.message import dedup_key, subject_of
from connectors.webform.parsing import accepts_html, parse_body
from connectors.webform.ratelimit import SlidingWindowLimiter, retry_after_header
from connectors.webform.rejection import Rejection
from connectors.webform.submission import Submission, validate_submission

from .support import FORM_TYPE, FORMS


def test_entry_point_and_option_defaults() -> None:
    assert connector_class("webform") is WebformConnector
    options = validate_options("webform", {})
    assert isinstance(options, WebformOptions)
    assert options.allowed_origins == [] and options.max_body_bytes == 65536
    assert options.rate_limit_per_minute == 10 and options.required_fields == []


def test_origins_are_normalised_and_checked() -> None:
    options = WebformOptions(
        allowed_origins=["HTTPS://Okna-Mytishchi.example:443/", "http://a.example:8080"]
    )
    assert options.allowed_origins == ["https://okna-mytishchi.example", "http://a.example:8080"]
    assert options.allows_origin("https://okna-mytishchi.example")
    assert not options.allows_origin("http://okna-mytishchi.example")
    assert not options.allows_origin("null")
    with pytest.raises(ChannelConfigError) as caught:
        validate_options("webform", {"allowed_origins": ["okna.example/page"]})
    assert "allowed_origins.0" in caught.value.errors
    with pytest.raises(ChannelConfigError) as caught:
        validate_options("webform", {"thank_you_url": "javascript:alert(1)", "max_body_bytes": 10})
    assert set(caught.value.errors) == {"thank_you_url", "max_body_bytes"}


def test_parse_body_media_types() -> None:
    assert parse_body("Application/JSON; charset=UTF-8", b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    form = parse_body(f"{FORM_TYPE}; charset=windows-1251", b"name=%C0%ED%ED%E0&x=1+2&x=3")
    assert form == {"name": "Анна", "x": "3"}
    with pytest.raises(Rejection) as caught:
        parse_body("multipart/form-data; boundary=x", b"--x--")
    assert caught.value.status == 415
    with pytest.raises(Rejection) as caught:
        parse_body(FORM_TYPE, b"name=%FF")
    assert (caught.value.status, caught.value.error_id) == (400, "bad-encoding")


def test_accepts_html() -> None:
    assert accepts_html("text/html,application/xhtml+xml,*/*;q=0.8")
    assert not accepts_html("*/*")
    assert not accepts_html("application/json, text/html;q=0")


def test_submission_fields() -> None:
    sub = validate_submission(
        {"phone": 9161234567, "email": None, "consent": "ON", "name": "  Анна  ", "extra": "x"}
    )
    assert (sub.phone, sub.email, sub.consent, sub.name) == ("9161234567", "", True, "Анна")
    # Odd optional fields never refuse a lead with a usable e-mail: each is read as well as
    # it can be and its raw value kept with the reason.
    sub = validate_submission(
        {
            "email": "oleg@mail.example",
            "name": "x" * 201,
            "consent": "maybe",
            "submission_token": "1",
        }
    )
    assert (len(sub.name), sub.consent, sub.submission_token) == (200, None, "")
    assert set(sub.quirks) == {"name", "consent", "submission_token"}
    assert sub.quirks["consent"]["raw"] == "maybe"


def test_dedup_key_and_subject() -> None:
    body = FORMS.json("submit__phone_10_digits.json")
    token_less = {**body, "submission_token": ""}
    day = date(2026, 6, 15)
    key = dedup_key(Submission.model_validate(token_less), day)
    assert key.startswith("form-sha256:")
    same = {**token_less, "submitted_at": "later", "phone": "916 123-45-67", "consent": False}
    assert dedup_key(Submission.model_validate(same), day) == key
    assert dedup_key(Submission.model_validate(token_less), date(2026, 6, 22)) != key
    changed = {**token_less, "message": "другой текст"}
    assert dedup_key(Submission.model_validate(changed), day) != key
    assert dedup_key(Submission.model_validate(body), day) == body["submission_token"]

    sub = Submission.model_validate({**body, "message": "\n  Первая строка\nвторая" + "я" * 300})
    assert subject_of(sub, "Замер") == "Замер: Первая строка"
    long = subject_of(Submission.model_validate({**body, "message": "я" * 300}), "")
    assert long.startswith("callback-popup: я") and len(long) == 120 and long.endswith("…")


def test_sliding_window_limiter() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(2, window=60.0, clock=lambda: now[0])
    assert limiter.hit("a") is None
    now[0] += 30
    assert limiter.hit("a") is None
    assert limiter.hit("b") is None
    assert limiter.hit("a") == pytest.approx(30.0)
    assert retry_after_header(29.2) == "30" and retry_after_header(0.01) == "1"
    now[0] += 30.5  # the first hit left the window
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None
    assert SlidingWindowLimiter(0).hit("a") is None


def recording_context() -> FakeContext:
    return FakeContext("webform", "demo", allow_background=False)


def request(body: bytes, **headers: str) -> WebhookRequest:
    return WebhookRequest(
        "POST", "/forms/demo", {k.lower(): v for k, v in headers.items()}, {}, body, "10.0.0.7"
    )


async def test_send_reports_the_request_page() -> None:
    connector = WebformConnector(recording_context(), WebformOptions())
    delivery = await connector.send(Outbound(1, 2, "Ответ", "token"))
    assert (delivery.status, delivery.external_id) == ("sent", "request-page")


async def test_storage_failure_is_503_not_success() -> None:
    ctx = recording_context()
    ctx.fail_submit = lambda item: True  # the database is down
    connector = WebformConnector(ctx, WebformOptions())
    body: dict[str, Any] = FORMS.json("submit__basic.json")
    answer = await connector.handle_webhook(
        request(json.dumps(body).encode(), **{"Content-Type": "application/json"})
    )
    assert answer.status == 503 and answer.headers["Retry-After"]
    assert json.loads(answer.body)["error"]["id"] == "unavailable"


async def test_connector_builds_the_inbound_message() -> None:
    ctx = recording_context()
    connector = WebformConnector(ctx, WebformOptions(title="Замер"))
    answer = await connector.handle_webhook(
        request(
            FORMS.bytes("submit__basic.urlencoded"),
            **{"Content-Type": FORM_TYPE, "User-Agent": "UA/2"},
        )
    )
    assert answer.status == 200
    [item] = ctx.items
    assert isinstance(item, InboundMessage)
    assert item.external_id == item.message_ref == "7b6a5f4e-3d2c-4b1a-8f9e-0d1c2b3a4f5e"
    assert item.sender.name == "Дмитрий Орлов"
    assert [(c.kind, c.value) for c in item.sender.identities] == [
        ("phone", "+7 (903) 111-22-33"),
        ("email", "d.orlov@yandex-mail.example"),
    ]
    assert item.subject.startswith("Замер: Дом в Пушкино")
    assert item.meta["client_ip"] == "10.0.0.7" and item.meta["user_agent"] == "UA/2"
    assert item.meta["utm_content"] == "" and item.meta["form_id"] == "zamer-main"
