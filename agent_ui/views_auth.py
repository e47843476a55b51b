"""GET/POST /login and POST /logout.

The login form is protected against login CSRF by a signed double submit: a random nonce
in a cookie, and in the form its HMAC under the node secret, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import WSCloseCode, web

from hub.actions import unit_of_work
from hub.actions.users import end_session, end_session_of_token, start_session
from hub.api.web_auth import CSRF_HEADER
from hub.auth import SESSION_COOKIE, authenticate_password, new_secret, tokens_equal
from hub.host.appkeys import HUB, SETTINGS

from .context import page_locale, safe_next, session_principal
from .i18n import N_
from .keys import FANOUT, PAGES
from .login_throttle import LOGIN_THROTTLE, LoginThrottle, minutes

LOGIN_CSRF_COOKIE = "okno_login_csrf"
LOGIN_FORM_MAX_AGE = 2 * 3600


log = logging.getLogger(__name__)


def login_form_token(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _login_page(
    request: web.Request,
    status: int = 200,
    error: str | None = None,
    login: str = "",
    params: dict[str, object] | None = None,
) -> web.Response:
    settings = request.app[SETTINGS]
    choice = page_locale(request)
    nonce = new_secret()
    pages = request.app[PAGES]
    response = pages.render(
        "login.html",
        choice,
        {
            "csrf_token": login_form_token(settings.secret_key, nonce),
            "error": pages.gettext(choice.locale, error).format(**(params or {}))
            if error
            else None,
            "login": login,
            "next": safe_next(request.query.get("next")),
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=LOGIN_FORM_MAX_AGE,
        path="/login",
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    if session_principal(request) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return _login_page(request)


async def login_submit(request: web.Request) -> web.Response:
    settings, hub = request.app[SETTINGS], request.app[HUB]
    form = await request.post()
    login = str(form.get("login", "")).strip()[:100]
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.get("csrf_token")
    expected = login_form_token(settings.secret_key, nonce)
    if not nonce or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        return _login_page(request, 403, N_("The form has expired. Please log in again."), login)
    throttle, address = request.app[LOGIN_THROTTLE], request.remote or ""
    wait = throttle.wait(login, address)
    if wait is not None:
        log.warning("login refused for a while: too many failures (login %r, %s)", login, address)
        page = _login_page(
            request,
            429,
            N_("Too many failed attempts. Please wait {minutes} min and try again."),
            login,
            {"minutes": minutes(wait)},
        )
        page.headers["Retry-After"] = str(max(1, int(wait) + 1))
        return page
    user = await authenticate_password(hub, login, str(form.get("password", "")))
    if user is None:
        throttle.failed(login, address)
        return _login_page(request, 401, N_("Wrong login or password."), login)
    throttle.succeeded(login)
    previous = request.cookies.get(SESSION_COOKIE)
    async with unit_of_work(hub) as uow:
        # Rotation: the session this browser had (anyone's) ends; the login gets a new one.
        replaced = await end_session_of_token(uow, previous) if previous else None
        token, _csrf = await start_session(uow, user, settings.session_max_age_s)
    if replaced is not None:
        await request.app[FANOUT].close_where(
            WSCloseCode.GOING_AWAY, b"logged in again", session_id=replaced
        )
    response = see_other(safe_next(str(form.get("next", "/"))))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age_s,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


async def logout(request: web.Request) -> web.Response:
    principal = session_principal(request)
    if principal is not None and principal.session_id is not None:
        form = await request.post()
        sent = str(form.get("csrf_token", "")) or request.headers.get(CSRF_HEADER, "")
        expected = principal.csrf_token or ""
        if not sent or not expected or not tokens_equal(sent, expected):
            raise web.HTTPForbidden(text="CSRF check failed")
        async with unit_of_work(request.app[HUB]) as uow:
            await end_session(uow, principal.session_id)
        await request.app[FANOUT].close_where(
            WSCloseCode.GOING_AWAY, b"logged out", session_id=principal.session_id
        )
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[LOGIN_THROTTLE] = LoginThrottle(
        settings.login_failures_per_account,
        settings.login_failures_per_address,
        settings.login_failure_window_s,
        # The hub's clock, so a test moves the window on instead of waiting it out.
        clock=lambda: app[HUB].clock().timestamp(),
    )
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
