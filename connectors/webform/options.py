"""What an administrator configures for one web-form channel (one `/forms/{slug}` endpoint)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator

from connectors.base import ConnectorOptions

# Fields an administrator may additionally require; the contact rule (a phone or an e-mail)
# always applies and is not listed here.
RequirableField = Literal["name", "phone", "email", "message", "consent"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """`scheme://host[:port]` in the form browsers send in the Origin header.

    Raises ValueError for anything else, so a typo ("okna.example/", a path) is reported
    when the channel is saved instead of silently never matching.
    """
    text = value.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://example.ru")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r} is not an origin: drop the path, query and user")
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


# Validated one by one, so an error names the entry ("allowed_origins.1").
Origin = Annotated[str, AfterValidator(normalise_origin)]


class WebformOptions(ConnectorOptions):
    # Sites whose pages may post to this form from the browser (CORS). "*" allows every
    # site and must be written out on purpose; posts without an Origin header and posts
    # from Okno's own pages are always accepted.
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=100)
    # The hub answers 413 above this before the connector sees the body.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=4 * 1024 * 1024)
    # Submissions per client IP per minute (sliding window, per node); 0 turns it off.
    rate_limit_per_minute: int = Field(default=10, ge=0, le=10_000)
    required_fields: list[RequirableField] = Field(default_factory=list)
    # Where a plain HTML <form> post is redirected after success; default: Okno's page.
    thank_you_url: str | None = Field(default=None, max_length=2048)
    # Shown as the subject prefix of requests from this form.
    title: str = Field(default="", max_length=200)
    # Reverse proxies in front of Okno that append to X-Forwarded-For. 0 = use the peer
    # address; never trust the header without a proxy, or anyone could pick their own IP.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    @field_validator("allowed_origins")
    @classmethod
    def _unique_origins(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @field_validator("thank_you_url")
    @classmethod
    def _thank_you(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        relative = not parts.scheme and not parts.netloc and value.startswith("/")
        absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
        if not (relative or absolute) or value.startswith("//"):
            raise ValueError("must be an http(s) URL or a path starting with /")
        return value

    def allows_origin(self, origin: str) -> bool:
        if "*" in self.allowed_origins:
            return True
        try:
            return normalise_origin(origin) in self.allowed_origins
        except ValueError:
            return False  # "null" (sandboxed frames, file://) or garbage
