"""Typed settings: OKNO_* environment variables over an optional TOML file over defaults.

Precedence is environment > TOML file (``OKNO_CONFIG`` or ``--config``) > defaults, so an
operator can ship one file per node and still override a single value at start-up.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/okno.db"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    # Unset means the in-process MemoryBus (single node).
    redis_url: str | None = None
    # Every Redis key and channel starts with this, so several Okno installs
    # (or test runs) can share one Redis without seeing each other.
    redis_prefix: str = "okno:"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Public base URL, used in links Okno prints or embeds (form snippet, widget).
    base_url: str | None = None
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    default_region: str = "RU"
    default_locale: str = "ru"
    # The company as canned answers name it ({{ company.name }}, {{ company.phone }}).
    company_name: str = ""
    company_phone: str = ""
    session_max_age_s: int = 12 * 3600
    # Secure cookies need HTTPS; on a plain-HTTP company network this stays off.
    cookie_secure: bool = False
    # A client writing again within this time after a conversation was closed reopens it.
    reopen_window_s: int = Field(default=24 * 3600, ge=0)
    # A browser silent this long (no websocket heartbeat) takes its operator offline.
    presence_timeout_s: int = Field(default=60, ge=5)
    routing_sweep_interval_s: float = 5.0
    # Single-consumer readers renew their lease every third of this; a dead node's
    # sources are taken over by another node within it.
    lease_ttl_s: float = Field(default=15.0, gt=0)
    inbound_retry_interval_s: float = 5.0
    # How often the node holding the robots' lease scans the time rules.
    robots_scan_interval_s: float = Field(default=30.0, gt=0)
    # The reminder scheduler looks for due reminders this often (one indexed query).
    reminder_tick_s: float = Field(default=2.0, gt=0)
    # A reminder delivered this long after its time is marked late (Okno was down).
    reminder_late_after_s: float = Field(default=60.0, ge=0)
    inbound_max_attempts: int = 20
    # Largest file an operator may upload (OKNO_MAX_UPLOAD_BYTES); bigger ones get a 413.
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    log_level: str = "INFO"
    # "plain" lines or one JSON object per line (OKNO_LOG_FORMAT=json), see hub/logs.py.
    log_format: Literal["plain", "json"] = "plain"
    # Failed logins allowed per account and per client address within the window; past
    # them the login form asks to wait (agent_ui/login_throttle.py). 0 turns a limit off.
    login_failures_per_account: int = Field(default=10, ge=0)
    login_failures_per_address: int = Field(default=50, ge=0)
    login_failure_window_s: float = Field(default=900.0, gt=0)
    # The address (or network) of the one reverse proxy in front of this node, several
    # comma-separated when there are two nginx servers. Requests from it take the client's
    # address from the last X-Forwarded-For entry and the scheme from X-Forwarded-Proto;
    # from anyone else those headers are ignored, so no client can choose its own address.
    trusted_proxy: str = ""
    # Strict-Transport-Security on answers to requests that came over HTTPS (through the
    # trusted proxy); 0 sends none.
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)
    # /metrics is served to a bearer token or to these networks (comma-separated, e.g.
    # "10.0.0.0/24, 127.0.0.1"); with neither set it does not exist (404).
    metrics_token: str | None = Field(default=None, min_length=16)
    metrics_networks: str = ""

    @field_validator("trusted_proxy", "metrics_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("default_region")
    @classmethod
    def _region_upper(cls, value: str) -> str:
        return value.upper()

    @property
    def public_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks ("10.0.0.5, 10.1.0.0/16") as networks."""
    parts = [part.strip() for part in value.split(",")]
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)


_ENV_PREFIX = "OKNO_"


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    fields = Settings.model_fields
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(_ENV_PREFIX):
            continue
        name = key[len(_ENV_PREFIX) :].lower()
        if name in fields:
            values[name] = raw
    return values


def load_settings(
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from defaults, an optional TOML file, the environment and overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or env.get("OKNO_CONFIG")
    if path:
        with open(path, "rb") as fh:
            values.update(tomllib.load(fh).get("okno", {}))
    values.update(_env_values(env))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(values)
