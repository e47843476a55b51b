"""Behind the one trusted reverse proxy: the real client address and scheme, HSTS, secure cookies.

nginx (deploy/nginx/okno.conf) terminates TLS and passes the client's address in
X-Forwarded-For and the scheme in X-Forwarded-Proto. Okno believes those headers only on
connections from the configured proxy (`trusted_proxy`), and then only the last
X-Forwarded-For entry: that is the one the proxy wrote; anything left of it came from the
client. From any other peer the headers are ignored, so nobody picks their own address
(rate limits, logs) or pretends to be on HTTPS.
"""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.settings import Settings, parse_networks

log = logging.getLogger(__name__)

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
_SCHEMES = frozenset({"http", "https"})


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_within(value: str | None, networks: Networks) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in networks)


def _last_entry(request: web.Request, header: str) -> str:
    # Several header lines count as one comma-separated list (RFC 9110 §5.3).
    joined = ",".join(request.headers.getall(header, []))
    entries = [part.strip() for part in joined.split(",") if part.strip()]
    return entries[-1] if entries else ""


def through_proxy(request: web.Request, proxies: Networks) -> web.Request:
    """The request as the client made it, when it came through the trusted proxy."""
    if not proxies or not is_within(request.remote, proxies):
        return request
    client = _address(_last_entry(request, "X-Forwarded-For"))
    scheme = _last_entry(request, "X-Forwarded-Proto").lower()
    if client is None and scheme not in _SCHEMES:
        return request
    return request.clone(
        remote=str(client) if client is not None else request.remote or "",
        scheme=scheme if scheme in _SCHEMES else request.scheme,
    )


def _harden(request: web.Request, response: web.StreamResponse, hsts: str | None) -> None:
    """Over HTTPS a cookie must never travel in clear, and the browser should not try HTTP."""
    if not request.secure or response.prepared:
        return  # a websocket or a stream has sent its headers already
    if hsts is not None:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    for morsel in response.cookies.values():
        morsel["secure"] = True


def forwarded_middleware(settings: Settings) -> Middleware:
    proxies: Networks = parse_networks(settings.trusted_proxy)
    hsts = f"max-age={settings.hsts_max_age_s}" if settings.hsts_max_age_s else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request = through_proxy(request, proxies)
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # redirects and errors raised by views
            _harden(request, exc, hsts)
            raise
        _harden(request, response, hsts)
        return response

    return middleware
