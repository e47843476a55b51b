"""Logging in and out through the pages: CSRF on the login form, cookie flags, redirects."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from agent_ui.views_auth import LOGIN_CSRF_COOKIE
from hub.auth import SESSION_COOKIE
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Role
from tests.agent_ui.conftest import PASSWORD, Ui, csrf_from
from tests.conftest import Backend, Clock


def session_cookie(set_cookie_headers: list[str]) -> SimpleCookie:
    cookies: SimpleCookie = SimpleCookie()
    for header in set_cookie_headers:
        cookies.load(header)
    return cookies


async def test_workspace_sends_strangers_to_the_login_page(sqlite_ui: Ui) -> None:
    browser = sqlite_ui.anonymous()
    async with browser.get(sqlite_ui.url("/"), allow_redirects=False) as answer:
        assert answer.status == 302
        assert answer.headers["Location"].startswith("/login")
    async with browser.get(sqlite_ui.url("/supervisor"), allow_redirects=False) as answer:
        assert answer.status == 302


async def test_login_sets_a_locked_down_session_cookie(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    browser = sqlite_ui.anonymous()
    async with browser.get(sqlite_ui.url("/login")) as page:
        assert page.status == 200
        token = csrf_from(await page.text())
        assert "Content-Security-Policy" in page.headers
    async with browser.post(
        sqlite_ui.url("/login"),
        data={"login": "ivanov", "password": PASSWORD, "csrf_token": token, "next": "/"},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303 and answer.headers["Location"] == "/"
        cookie = session_cookie(answer.headers.getall("Set-Cookie"))[SESSION_COOKIE]
    assert cookie.value and cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == str(12 * 3600)
    assert not cookie["secure"]  # plain HTTP in this test; see the next test for HTTPS
    async with browser.get(sqlite_ui.url("/")) as workspace:
        assert workspace.status == 200
        html = await workspace.text()
    assert '<meta name="csrf-token"' in html and 'id="okno-config"' in html


async def test_secure_flag_follows_the_setting(
    sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(sqlite_backend.settings(cookie_secure=True))
    ui = Ui(await serve(app), app[HUB])
    await ui.add_user("ivanov")
    browser = ui.anonymous()
    async with browser.get(ui.url("/login")) as page:
        token = csrf_from(await page.text())
        nonce = page.cookies[LOGIN_CSRF_COOKIE]
    assert nonce["secure"] is True
    # The client keeps Secure cookies off plain HTTP, so the test hands it back itself.
    async with browser.post(
        ui.url("/login"),
        data={"login": "ivanov", "password": PASSWORD, "csrf_token": token},
        cookies={LOGIN_CSRF_COOKIE: nonce.value},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303
        cookie = session_cookie(answer.headers.getall("Set-Cookie"))[SESSION_COOKIE]
    assert cookie["secure"] is True and cookie["httponly"] is True
    await ui.close()


async def test_login_without_the_form_token_is_refused(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    browser = sqlite_ui.anonymous()
    async with browser.get(sqlite_ui.url("/login")) as page:
        token = csrf_from(await page.text())
    # A cross-site page can post the form but cannot read the cookie-bound token.
    for forged in ("", "0" * 64, token[:-1] + ("0" if token[-1] != "0" else "1")):
        async with browser.post(
            sqlite_ui.url("/login"),
            data={"login": "ivanov", "password": PASSWORD, "csrf_token": forged},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 403
            assert SESSION_COOKIE not in answer.cookies
    # The right token without its cookie (another browser) fails too.
    stranger = sqlite_ui.anonymous()
    async with stranger.post(
        sqlite_ui.url("/login"),
        data={"login": "ivanov", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 403


async def test_wrong_password_shows_the_form_again(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    browser = sqlite_ui.anonymous()
    async with browser.get(sqlite_ui.url("/login?lang=ru")) as page:
        token = csrf_from(await page.text())
    async with browser.post(
        sqlite_ui.url("/login"),
        data={"login": "ivanov", "password": "wrong-one", "csrf_token": token},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 401
        html = await answer.text()
        assert SESSION_COOKIE not in answer.cookies
    assert "Неверный логин или пароль." in html
    assert 'value="ivanov"' in html  # the login is kept, the password is not
    assert csrf_from(html)


async def test_next_only_leads_to_local_pages(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    for asked, landing in (
        ("/supervisor", "/supervisor"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
    ):
        browser = sqlite_ui.anonymous()
        async with browser.get(sqlite_ui.url("/login")) as page:
            token = csrf_from(await page.text())
        async with browser.post(
            sqlite_ui.url("/login"),
            data={"login": "ivanov", "password": PASSWORD, "csrf_token": token, "next": asked},
            allow_redirects=False,
        ) as answer:
            assert answer.headers["Location"] == landing


async def test_logout_needs_the_session_token_and_ends_the_session(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    browser = await sqlite_ui.login("ivanov")
    async with browser.get(sqlite_ui.url("/")) as page:
        token = csrf_from(await page.text())
    async with browser.post(
        sqlite_ui.url("/logout"), data={"csrf_token": "forged"}, allow_redirects=False
    ) as refused:
        assert refused.status == 403
    async with browser.get(sqlite_ui.url("/"), allow_redirects=False) as still_in:
        assert still_in.status == 200
    async with browser.post(
        sqlite_ui.url("/logout"), data={"csrf_token": token}, allow_redirects=False
    ) as answer:
        assert answer.status == 303 and answer.headers["Location"] == "/login"
    async with browser.get(sqlite_ui.url("/"), allow_redirects=False) as after:
        assert after.status == 302


async def test_supervisor_board_is_for_supervisors(sqlite_ui: Ui) -> None:
    await sqlite_ui.add_user("ivanov")
    await sqlite_ui.add_user("boss", Role.supervisor)
    operator = await sqlite_ui.signed_in("ivanov")
    async with operator.get(sqlite_ui.url("/supervisor")) as refused:
        assert refused.status == 403
    boss = await sqlite_ui.signed_in("boss")
    async with boss.get(sqlite_ui.url("/supervisor?lang=en")) as board:
        assert board.status == 200
        html = await board.text()
    assert "Open conversations" in html and "supervisor.js" in html
    async with boss.get(sqlite_ui.url("/")) as workspace:
        assert 'data-tab="all"' in await workspace.text()
    async with operator.get(sqlite_ui.url("/")) as workspace:
        assert 'data-tab="all"' not in await workspace.text()


async def test_failed_logins_make_the_guesser_wait_per_account_and_per_address(
    sqlite_backend: Backend, serve: Callable[..., Any]
) -> None:
    app = create_app(
        sqlite_backend.settings(login_failures_per_account=3, login_failures_per_address=5)
    )
    ui = Ui(await serve(app), app[HUB])
    clock = Clock()
    ui.hub.clock = clock
    await ui.add_user("ivanov")
    await ui.add_user("petrova")

    async def attempt(login: str, password: str) -> tuple[int, str]:
        browser = ui.anonymous()  # a fresh browser each time: a success signs it in
        async with browser.get(ui.url("/login?lang=ru")) as page:
            token = csrf_from(await page.text())
        async with browser.post(
            ui.url("/login?lang=ru"),
            data={"login": login, "password": password, "csrf_token": token},
            allow_redirects=False,
        ) as answer:
            return answer.status, await answer.text()

    for _ in range(3):
        assert (await attempt("ivanov", "guess"))[0] == 401
    # The account is paused: even the right password is not checked now.
    status, page = await attempt("ivanov", PASSWORD)
    assert status == 429
    assert "Слишком много неудачных попыток. Подождите 15 мин. и попробуйте снова." in page
    # Another account from the same address still logs in, until the address's budget is
    # spent too (3 failures above, 2 more here).
    assert (await attempt("petrova", PASSWORD))[0] == 303
    for _ in range(2):
        assert (await attempt("petrova", "guess"))[0] == 401
    assert (await attempt("petrova", PASSWORD))[0] == 429
    # Failures older than the window no longer count.
    clock.advance(14 * 60)
    assert (await attempt("ivanov", PASSWORD))[0] == 429
    clock.advance(61)
    assert (await attempt("ivanov", PASSWORD))[0] == 303
    assert (await attempt("petrova", PASSWORD))[0] == 303
    await ui.close()
