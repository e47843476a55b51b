"""One trusted proxy hop: its X-Forwarded-For / -Proto are believed, anyone else's ignored;
over HTTPS the cookies are Secure and HSTS is sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import InboundEvent
from tests.agent_ui.conftest import PASSWORD, Ui, csrf_from
from tests.conftest import Backend

Serve = Callable[..., Any]
SPOOF = {"X-Forwarded-For": "198.51.100.23, 203.0.113.7", "X-Forwarded-Proto": "https"}


async def peer(request: web.Request) -> web.Response:
    return web.json_response({"remote": request.remote, "scheme": request.scheme})


async def seen(backend: Backend, serve: Serve, headers: dict[str, str], **settings: Any) -> Any:
    app = create_app(backend.settings(**settings))
    app.router.add_get("/test/peer", peer)  # what every view behind the middleware sees
    client: TestClient = await serve(app)
    async with client.get("/test/peer", headers=headers) as answer:
        return await answer.json(), answer.headers.get("Strict-Transport-Security")


async def test_without_a_trusted_proxy_the_forwarded_headers_are_ignored(
    sqlite_backend: Backend, serve: Serve
) -> None:
    body, hsts = await seen(sqlite_backend, serve, SPOOF)
    assert body == {"remote": "127.0.0.1", "scheme": "http"}
    assert hsts is None


async def test_a_spoofed_header_from_a_peer_that_is_not_the_proxy_is_ignored(
    sqlite_backend: Backend, serve: Serve
) -> None:
    body, hsts = await seen(sqlite_backend, serve, SPOOF, trusted_proxy="10.9.9.9, 10.8.0.0/16")
    assert body == {"remote": "127.0.0.1", "scheme": "http"}
    assert hsts is None


async def test_through_the_trusted_proxy_the_last_hop_is_the_client(
    sqlite_backend: Backend, serve: Serve
) -> None:
    body, hsts = await seen(sqlite_backend, serve, SPOOF, trusted_proxy="127.0.0.1")
    # 198.51.100.23 was written by the client itself; only the proxy's own entry counts.
    assert body == {"remote": "203.0.113.7", "scheme": "https"}
    assert hsts == "max-age=31536000"

    body, hsts = await seen(
        sqlite_backend,
        serve,
        {"X-Forwarded-For": "not-an-address", "X-Forwarded-Proto": "gopher"},
        trusted_proxy="127.0.0.0/8",
    )
    assert body == {"remote": "127.0.0.1", "scheme": "http"}
    assert hsts is None

    body, hsts = await seen(
        sqlite_backend, serve, SPOOF, trusted_proxy="127.0.0.1", hsts_max_age_s=0
    )
    assert body == {"remote": "203.0.113.7", "scheme": "https"}
    assert hsts is None


def _cookie(headers: Any, name: str) -> str:
    lines = [line for line in headers.getall("Set-Cookie", []) if line.startswith(f"{name}=")]
    assert len(lines) == 1, headers
    return str(lines[0])


async def test_logging_in_over_https_through_the_proxy_sets_secure_cookies(
    sqlite_backend: Backend, serve: Serve
) -> None:
    # cookie_secure stays at its default (off): the request's own scheme turns Secure on.
    app = create_app(sqlite_backend.settings(trusted_proxy="127.0.0.1"))
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("anna")
    https = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    browser = ui.anonymous()
    async with browser.get(ui.url("/login"), headers=https) as page:
        form_cookie = _cookie(page.headers, "okno_login_csrf")
        assert "Secure" in form_cookie
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        token = csrf_from(await page.text())
    # A cookie jar would not send a Secure cookie back over the test's plain HTTP: by hand.
    nonce = re.match(r"okno_login_csrf=([^;]+)", form_cookie)
    assert nonce
    async with browser.post(
        ui.url("/login"),
        data={"login": "anna", "password": PASSWORD, "csrf_token": token, "next": "/"},
        headers={**https, "Cookie": f"okno_login_csrf={nonce.group(1)}"},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303, await answer.text()
        session_cookie = _cookie(answer.headers, "okno_session")
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"

    # The same page over plain HTTP (the proxy says so) keeps the default.
    async with browser.get(ui.url("/login"), headers={"X-Forwarded-Proto": "http"}) as page:
        assert "Secure" not in _cookie(page.headers, "okno_login_csrf")
        assert "Strict-Transport-Security" not in page.headers
    await ui.close()


async def test_a_web_form_records_the_address_the_proxy_saw(backend: Backend, serve: Serve) -> None:
    async def client_ip_of(settings: dict[str, Any]) -> Any:
        app = create_app(backend.settings(**settings))
        ui = Ui(await serve(app), app[HUB])
        if not settings:
            await ui.add_webform()
        token = str(uuid.uuid4())
        data = {"submission_token": token, "name": "Анна", "phone": "+79161234567"}
        async with ui.anonymous().post(ui.url("/forms/demo"), json=data, headers=SPOOF) as sent:
            assert sent.status == 200, await sent.text()
        async with ui.hub.db.sessions() as session:
            event = (
                await session.execute(select(InboundEvent).where(InboundEvent.external_id == token))
            ).scalar_one()
        await ui.close()
        return event.payload["meta"]["client_ip"]

    assert await client_ip_of({}) == "127.0.0.1"
    assert await client_ip_of({"trusted_proxy": "127.0.0.1"}) == "203.0.113.7"
