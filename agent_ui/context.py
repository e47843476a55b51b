"""What every view needs: the page's locale and the browser session behind the request."""

from __future__ import annotations

from aiohttp import web

from hub.api.web_auth import current_principal
from hub.auth import Principal
from hub.host.appkeys import SETTINGS

from .i18n import LocaleChoice, negotiate


def session_principal(request: web.Request) -> Principal | None:
    """The caller if they came with a browser session (pages need its CSRF token)."""
    principal = current_principal(request)
    if principal is None or principal.csrf_token is None:
        return None
    return principal


def page_locale(request: web.Request, principal: Principal | None = None) -> LocaleChoice:
    user_locale = principal.locale if principal is not None else None
    return negotiate(request, user_locale, request.app[SETTINGS].default_locale)


def safe_next(value: str | None) -> str:
    """Only a local path: `//host` or `/\\host` would send the user to another site."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value
