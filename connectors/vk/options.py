"""What an administrator configures for one VK community channel."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from connectors.base import ConnectorOptions

DEFAULT_API_VERSION = "5.199"


class VkOptions(ConnectorOptions):
    # The community (group) the bot speaks for; every event names it.
    group_id: int = Field(gt=0)
    # A community access token with the "messages" (and "docs"/"photos" for files) rights.
    access_token: str = Field(min_length=1, max_length=500)
    # "callback": VK POSTs events to /hooks/vk/{name}; "longpoll": Okno polls Bots Long Poll.
    mode: Literal["callback", "longpoll"] = "callback"
    # The "secret key" set in the community's Callback API settings (callback mode).
    callback_secret: str | None = Field(default=None, max_length=50, validate_default=True)
    # The string VK asks the server to return to confirm its address (callback mode).
    confirmation_code: str | None = Field(default=None, max_length=100, validate_default=True)
    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^5\.\d{1,4}$")
    # Where VK's methods are served, ending in "/method/"; only tests change it.
    api_base: str | None = Field(default=None, max_length=500)
    # Long-poll wait in seconds (VK allows up to 90).
    wait: int = Field(default=25, ge=1, le=90)
    # Look the sender's name up with users.get so leads are named (bounded, cached).
    fetch_sender_names: bool = True

    @field_validator("callback_secret", "confirmation_code")
    @classmethod
    def _needed_for_callbacks(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value.strip() if value else None
        # `mode` is declared first, so it is validated (and in info.data) by now.
        if value is None and info.data.get("mode") == "callback":
            raise ValueError("required in callback mode")
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.vk.ru/method/")
        return value.strip().rstrip("/") + "/"
