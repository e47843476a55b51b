"""The widget connector without a server: options, frames, and what it hands the core."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from connectors.base import InboundMessage, Outbound
from connectors.registry import ChannelConfigError, validate_options
from connectors.testing import FakeContext
from connectors.widget import PageFacts, WidgetConnector, WidgetOptions
from connectors.widget.protocol import (
    Contact,
    FrameError,
    Hello,
    Message,
    Offline,
    new_token,
    parse_frame,
    visitor_id_of,
)


def connector(**options: Any) -> tuple[WidgetConnector, FakeContext]:
    ctx = FakeContext("widget", "site", conversation_id=7, allow_background=False)
    values = {"allowed_origins": ["https://shop.example"], **options}
    return WidgetConnector(ctx, WidgetOptions.model_validate(values)), ctx


def errors_of(options: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ChannelConfigError) as refused:
        validate_options("widget", options)
    return refused.value.errors


def test_options_name_each_bad_field() -> None:
    assert errors_of({}) == {"allowed_origins": "Field required"}
    errors = errors_of(
        {
            "allowed_origins": ["https://ok.example", "shop.example/path", "*"],
            "max_message_chars": 10,
            "messages_per_minute": -1,
            "colour": "red",
        }
    )
    assert set(errors) == {
        "allowed_origins.1",
        "allowed_origins.2",
        "max_message_chars",
        "messages_per_minute",
        "colour",
    }
    assert "exactly" in errors["allowed_origins.2"]
    assert errors_of({"allowed_origins": []}) == {
        "allowed_origins": "Value should have at least 1 item after validation, not 0"
    }


def test_origins_are_normalised_and_matched_exactly() -> None:
    # The command line gives one comma-separated string; the API a list.
    options = validate_options(
        "widget", {"allowed_origins": "HTTPS://Shop.Example:443/, http://localhost:8080"}
    )
    assert isinstance(options, WidgetOptions)
    assert options.allowed_origins == ["https://shop.example", "http://localhost:8080"]
    assert options.allows_origin("https://shop.example")
    assert options.allows_origin("https://SHOP.example:443")
    for origin in ("https://shop.example.evil.ru", "http://shop.example", "null", "", "x"):
        assert not options.allows_origin(origin), origin


def test_frames_are_validated_with_ids() -> None:
    cid = str(uuid.uuid4())
    assert isinstance(parse_frame('{"type": "hello"}'), Hello)
    message = parse_frame(f'{{"type": "message", "client_id": "{cid}", "text": "  Привет "}}')
    assert isinstance(message, Message) and message.text == "Привет"
    cases = {
        "{": "bad-json",
        '"text"': "bad-json",
        '{"type": 5}': "unknown-type",
        '{"type": "hello", "token": "short"}': "invalid-frame",
        '{"type": "hello", "extra": 1}': "invalid-frame",
        f'{{"type": "message", "client_id": "{cid}", "text": "   "}}': "invalid-frame",
        f'{{"type": "contact", "client_id": "{cid}", "name": "Анна"}}': "invalid-frame",
        f'{{"type": "offline", "client_id": "{cid}", "email": "a@b.ru", "text": "x"}}': (
            "invalid-frame"
        ),
        '{"type": "read", "up_to": 0}': "invalid-frame",
        "[" * 100_000: "too-large",
    }
    for raw, error_id in cases.items():
        with pytest.raises(FrameError) as refused:
            parse_frame(raw)
        assert refused.value.error_id == error_id, raw[:60]
    with pytest.raises(FrameError) as refused:
        parse_frame(f'{{"type": "contact", "client_id": "{cid}", "email": "nope"}}')
    assert refused.value.frame()["fields"] == {"frame": "the e-mail address needs an @"}
    assert refused.value.frame()["client_id"] == cid


def test_the_visitor_id_is_a_stable_digest_of_the_token() -> None:
    token = new_token()
    assert len(token) >= 40 and visitor_id_of(token) == visitor_id_of(token)
    assert token not in visitor_id_of(token) and len(visitor_id_of(token)) == 32
    assert visitor_id_of(new_token()) != visitor_id_of(token)


async def test_a_message_is_keyed_by_visitor_and_client_id() -> None:
    widget, ctx = connector()
    cid = uuid.uuid4()
    facts = PageFacts("https://shop.example/okna", "Firefox", "10.0.0.5", "https://shop.example")
    frame = Message(type="message", client_id=cid, text="Сколько стоит?")
    await widget.visitor_message("v" * 32, frame, facts, name="Анна", thread_hint=12)
    await widget.visitor_message("v" * 32, frame, facts)
    first, second = ctx.submitted
    assert [r.duplicate for r in ctx.receipts] == [False, True] and ctx.items == [first]
    assert isinstance(first, InboundMessage) and isinstance(second, InboundMessage)
    assert first.external_id == second.external_id == f"{'v' * 32}:{cid}"
    assert first.message_ref == first.external_id
    assert [(c.kind, c.value) for c in first.sender.identities] == [("web_visitor", "v" * 32)]
    assert first.sender.name == "Анна"
    assert first.meta["page_url"] == "https://shop.example/okna"
    assert first.meta["thread_hint"] == 12 and "thread_hint" not in second.meta
    assert first.meta["widget_visitor"] == "v" * 32 and first.meta["client_id"] == str(cid)


async def test_contacts_and_offline_requests_carry_identities() -> None:
    widget, ctx = connector(title="Окна")
    facts = PageFacts()
    contact = Contact(type="contact", client_id=uuid.uuid4(), phone="+7 916 123-45-67")
    offline = Offline(
        type="offline",
        client_id=uuid.uuid4(),
        name="Анна",
        email="a@b.ru",
        text="Перезвоните\nвечером",
    )
    await widget.visitor_message("v" * 32, contact, facts)
    await widget.visitor_message("v" * 32, offline, facts)
    left, request = ctx.items
    assert isinstance(left, InboundMessage) and isinstance(request, InboundMessage)
    assert left.text == "" and left.meta["contact_details"] == {"phone": "+7 916 123-45-67"}
    assert {c.kind for c in left.sender.identities} == {"web_visitor", "phone"}
    assert request.subject == "Окна: Перезвоните вечером" and request.meta["offline_request"]
    assert {c.kind for c in request.sender.identities} == {"web_visitor", "email"}


async def test_limits_are_errors_not_stores() -> None:
    widget, ctx = connector(max_message_chars=100, messages_per_minute=2)
    frame = Message(type="message", client_id=uuid.uuid4(), text="x" * 101)
    with pytest.raises(FrameError) as refused:
        await widget.visitor_message("v" * 32, frame, PageFacts())
    assert refused.value.error_id == "too-long"
    ok = Message(type="message", client_id=uuid.uuid4(), text="ok")
    await widget.visitor_message("v" * 32, ok, PageFacts())
    await widget.visitor_message("v" * 32, ok, PageFacts())
    with pytest.raises(FrameError) as limited:
        await widget.visitor_message("v" * 32, ok, PageFacts())
    assert limited.value.error_id == "rate-limited"
    await widget.visitor_message("w" * 32, ok, PageFacts())  # per visitor
    assert len(ctx.submitted) == 3
    delivery = await widget.send(Outbound(5, 1, "hi", "v" * 32))
    assert delivery.status == "sent" and delivery.external_id == "widget:5"
