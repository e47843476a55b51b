"""Which pages may post to a form, and the CORS headers that tell the browser so."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from .options import WebformOptions

PREFLIGHT_MAX_AGE = "3600"


def same_origin(origin: str, host: str) -> bool:
    """A post from Okno's own pages (its hosted form): Origin names the Host we serve."""
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc and host) and netloc.lower() == host.strip().lower()


def origin_allowed(
    options: WebformOptions, origin: str, hosts: Iterable[str], fetch_site: str = ""
) -> bool:
    """Whether a browser on `origin` may post here.

    No Origin header: not a browser cross-site request (curl, a server-side relay, an old
    browser's same-origin form post); CORS has nothing to protect there. Sec-Fetch-Site is
    set by the browser itself (pages cannot forge it), and covers Okno behind a proxy that
    rewrites the Host header.
    """
    if not origin or fetch_site == "same-origin":
        return True
    return options.allows_origin(origin) or any(same_origin(origin, h) for h in hosts)


def response_headers(options: WebformOptions, origin: str) -> dict[str, str]:
    """Headers for a POST answer: the allowed origin may read it (errors included)."""
    headers = {"Vary": "Origin"}
    if origin and options.allows_origin(origin):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After"
    return headers


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        "Vary": "Origin",
    }
