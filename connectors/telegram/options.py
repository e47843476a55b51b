"""What an administrator configures for one Telegram bot (one channel per bot)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from connectors.base import ConnectorOptions

# "<bot id>:<secret part>", as BotFather issues them; the secret part is 35 characters today.
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,64}$")
# Telegram's own rule for setWebhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _http_url(value: str, *, https_only: bool) -> str:
    parts = urlsplit(value.strip())
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be an {' or '.join(schemes)} URL")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    return value.strip()


class TelegramOptions(ConnectorOptions):
    token: str = Field(min_length=1, max_length=100)
    # polling: Okno asks Telegram for updates (no public address needed);
    # webhook: Telegram POSTs updates to /hooks/telegram/<channel name>.
    mode: Literal["webhook", "polling"] = "polling"
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; required in webhook mode.
    webhook_secret: str | None = Field(default=None, validate_default=True)
    # Public address of this channel's hook; when set, Okno registers it with setWebhook.
    webhook_url: str | None = Field(default=None, validate_default=True)
    # Messages in groups and supergroups are ignored unless this is on.
    allow_groups: bool = False
    # A self-hosted Bot API server (https://github.com/tdlib/telegram-bot-api) or a test double.
    api_base: str | None = None
    # Seconds one getUpdates long poll may wait for news (0, short polling, would spin).
    poll_timeout: int = Field(default=25, ge=1, le=50)

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        value = value.strip()
        if not _TOKEN.match(value):
            raise ValueError("must look like 123456789:AAF... (the token BotFather gave)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            if info.data.get("mode") == "webhook":
                raise ValueError("is required in webhook mode")
            return None
        if not _WEBHOOK_SECRET.match(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        if info.data.get("mode") != "webhook":
            raise ValueError("only applies in webhook mode")
        return _http_url(value, https_only=True)

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        return _http_url(value, https_only=False).rstrip("/") if value else None
