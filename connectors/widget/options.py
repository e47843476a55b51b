"""What an administrator configures for one website chat widget (`/widget/{name}.js`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from connectors.base import ConnectorOptions
from connectors.webform.options import normalise_origin


def _exact_origin(value: str) -> str:
    origin = normalise_origin(value)
    if origin == "*":
        # A chat holds a visitor's conversation: any site embedding it would be a phishing kit.
        raise ValueError("name each site exactly, like https://shop.example; '*' is not allowed")
    return origin


def _split_text(value: Any) -> Any:
    """`okno channel add widget --option allowed_origins=https://a.ru,https://b.ru` gives
    one string; the API gives a list. Both mean the same."""
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


# Validated one by one, so an error names the entry ("allowed_origins.1").
Origin = Annotated[str, AfterValidator(_exact_origin)]


class WidgetOptions(ConnectorOptions):
    # Sites whose pages may embed the chat (checked on the websocket's Origin header).
    allowed_origins: Annotated[
        list[Origin], BeforeValidator(_split_text), Field(min_length=1, max_length=100)
    ]
    # The panel's header; empty: the channel's title.
    title: str = Field(default="", max_length=100)
    # Shown above the conversation before the visitor writes anything.
    welcome_message: str = Field(default="", max_length=1000)
    # When nobody who could answer is online, show a request form instead of the chat.
    offline_form: bool = True
    max_message_chars: int = Field(default=4000, ge=100, le=20_000)
    # Messages (and contact/offline requests) per visitor per minute; 0 turns the limit off.
    messages_per_minute: int = Field(default=20, ge=0, le=1000)
    # Reverse proxies in front of Okno that append to X-Forwarded-For (for the logged IP).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    @field_validator("allowed_origins")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    def allows_origin(self, origin: str) -> bool:
        try:
            return _exact_origin(origin) in self.allowed_origins
        except ValueError:
            return False  # "null" (sandboxed frames, file://) or garbage
