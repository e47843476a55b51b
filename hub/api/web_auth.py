"""Who is calling (bearer token or session cookie), resolved once per request; role and CSRF."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.auth import (
    SESSION_COOKIE,
    Principal,
    has_role,
    principal_from_session,
    principal_from_token,
    tokens_equal,
)
from hub.host.appkeys import HUB
from hub.models import Role
from hub.policy import DomainError

# Unset for anonymous requests.
PRINCIPAL_KEY = web.RequestKey("okno.principal", Principal)
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def resolve_principal(request: web.Request) -> Principal | None:
    hub = request.app[HUB]
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return await principal_from_token(hub, auth[len("Bearer ") :].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await principal_from_session(hub, cookie)
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    principal = await resolve_principal(request)
    if principal is not None:
        request[PRINCIPAL_KEY] = principal
    return await handler(request)


def current_principal(request: web.Request) -> Principal | None:
    return request.get(PRINCIPAL_KEY)


def require(request: web.Request, role: Role = Role.operator) -> Principal:
    """The caller, checked for `role` (or higher) and, for cookie sessions, for CSRF."""
    principal = current_principal(request)
    if principal is None:
        raise DomainError("not-authenticated", 401, "Log in or send a bearer token.")
    if not has_role(principal.role, role):
        raise DomainError("forbidden", 403, f"This needs the {role.value} role.")
    if principal.csrf_token is not None and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not tokens_equal(sent, principal.csrf_token):
            raise DomainError("csrf-failed", 403, f"Missing or wrong {CSRF_HEADER} header.")
    return principal
