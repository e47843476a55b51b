"""Web-form HTTP behaviour through the real app (SQLite only): CORS, media types, limits."""

from __future__ import annotations

import json

from hub.models import Contact, InboundEvent
from tests.conftest import Backend

from .support import (
    BROWSER_ACCEPT,
    FORMS,
    JSON_TYPE,
    SITE,
    Serve,
    open_form,
)

STRANGER = "https://evil.example"


async def test_preflight_from_allowed_origin(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve)
    response = await site.client.options(
        "/forms/demo",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert response.headers["Vary"] == "Origin"


async def test_preflight_and_post_from_other_origin_are_refused(
    sqlite_backend: Backend, serve: Serve
) -> None:
    site = await open_form(sqlite_backend, serve)
    preflight = await site.client.options(
        "/forms/demo", headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert (await preflight.json())["error"]["id"] == "origin-not-allowed"

    post = await site.post_fixture("submit__basic.json", Origin=STRANGER)
    assert post.status == 403
    assert "Access-Control-Allow-Origin" not in post.headers
    assert await site.count(InboundEvent) == 0


async def test_same_origin_and_originless_posts_are_accepted(
    sqlite_backend: Backend, serve: Serve
) -> None:
    site = await open_form(sqlite_backend, serve)
    own = f"http://{site.client.host}:{site.client.port}"
    assert (await site.post_fixture("submit__basic.json", Origin=own)).status == 200
    assert (await site.post_fixture("submit__phone_10_digits.json")).status == 200
    # Behind a proxy that rewrites Host, the browser's own Sec-Fetch-Site still says so.
    proxied = {"Origin": "https://okno.example", "Sec-Fetch-Site": "same-origin"}
    assert (await site.post_fixture("submit__xss_name_message.json", **proxied)).status == 200
    assert await site.count(InboundEvent) == 3


async def test_wildcard_origin_only_when_configured(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve, allowed_origins=["*"])
    response = await site.post_fixture("submit__basic.json", Origin=STRANGER)
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == STRANGER


async def test_send_beacon_text_plain_is_415(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve)
    recorded = FORMS.http("submit__wrong_content_type.http")
    headers, body = recorded.headers, recorded.body
    assert headers["Content-Type"].startswith("text/plain")
    response = await site.client.post("/forms/demo", data=body, headers=headers)
    assert response.status == 415
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    error = (await response.json())["error"]
    assert error["id"] == "unsupported-media-type"
    assert JSON_TYPE in error["message"]
    assert await site.count(InboundEvent) == 0 and await site.count(Contact) == 0


async def test_malformed_and_non_object_json_are_400(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve)
    for body in (b'{"phone": "+79161234567"', b'["phone", "+79161234567"]', b"[" * 50_000):
        response = await site.post(body, JSON_TYPE)
        assert response.status == 400, body[:30]
        assert (await response.json())["error"]["id"] == "malformed-json"
    assert await site.count(InboundEvent) == 0


async def test_declared_json_charset_is_honoured(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve)
    sent = FORMS.json("submit__basic.json")
    body = json.dumps(sent, ensure_ascii=False).encode("utf-16")
    response = await site.post(body, f"{JSON_TYPE}; charset=utf-16")
    assert response.status == 200
    [contact] = await site.all(Contact)
    assert contact.name == sent["name"]

    unknown = await site.post(b"{}", f"{JSON_TYPE}; charset=x-no-such")
    assert unknown.status == 415
    broken = await site.post(b'{"name": "\xff"}', JSON_TYPE)
    assert broken.status == 400


async def test_rate_limit_per_client_ip(sqlite_backend: Backend, serve: Serve) -> None:
    # One trusted proxy, so X-Forwarded-For can stand in for different visitors.
    site = await open_form(sqlite_backend, serve, rate_limit_per_minute=2, trusted_proxy_hops=1)
    visitor = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5", "Origin": SITE}
    template = FORMS.json("submit__basic.json")
    for i in range(2):
        body = {**template, "submission_token": f"rate-limit-token-{i:04d}"}
        response = await site.client.post("/forms/demo", json=body, headers=visitor)
        assert response.status == 200
    body = {**template, "submission_token": "rate-limit-token-9999"}
    limited = await site.client.post("/forms/demo", json=body, headers=visitor)
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["Access-Control-Allow-Origin"] == SITE
    assert (await limited.json())["error"]["id"] == "rate-limited"
    assert await site.count(InboundEvent) == 2

    # The spoofable left part of the header does not matter; another visitor is let in.
    other = {"X-Forwarded-For": "198.51.100.1, 203.0.113.6", "Origin": SITE}
    assert (await site.client.post("/forms/demo", json=body, headers=other)).status == 200
    [*_, last] = sorted(await site.all(InboundEvent), key=lambda e: e.id)
    assert last.payload["meta"]["client_ip"] == "203.0.113.6"


async def test_thank_you_url_redirect_for_html_forms(sqlite_backend: Backend, serve: Serve) -> None:
    thanks = "https://okna-mytishchi.example/spasibo/"
    site = await open_form(sqlite_backend, serve, thank_you_url=thanks)
    response = await site.post_fixture(
        "submit__phone_plus7_spaces.urlencoded", Accept=BROWSER_ACCEPT
    )
    assert response.status == 303 and response.headers["Location"] == thanks
    # fetch() of the same urlencoded body (Accept */*) gets JSON, not a redirect.
    again = await site.post_fixture("submit__phone_plus7_spaces.urlencoded", Accept="*/*")
    assert again.status == 200 and (await again.json())["duplicate"] is True


async def test_required_fields_option(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve, required_fields=["name", "consent"])
    body = {**FORMS.json("submit__phone_10_digits.json"), "name": " ", "consent": "off"}
    response = await site.client.post("/forms/demo", json=body)
    assert response.status == 422
    assert set((await response.json())["error"]["details"]) == {"name", "consent"}
    assert await site.count(InboundEvent) == 0


async def test_oversized_limit_follows_the_option(sqlite_backend: Backend, serve: Serve) -> None:
    site = await open_form(sqlite_backend, serve, max_body_bytes=128 * 1024)
    response = await site.post_fixture("submit__oversized_message_70kb.json")
    assert response.status == 200
    assert len(FORMS.bytes("submit__oversized_message_70kb.json")) > 64 * 1024


async def test_oversized_answer_is_readable_by_the_embedding_site(
    sqlite_backend: Backend, serve: Serve
) -> None:
    site = await open_form(sqlite_backend, serve)
    response = await site.post(
        FORMS.bytes("submit__oversized_message_70kb.json"), JSON_TYPE, Origin=SITE
    )
    assert response.status == 413
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert (await response.json())["error"]["id"] == "body-too-large"
