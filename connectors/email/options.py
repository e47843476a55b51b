"""What an administrator configures for one mailbox channel (IMAP in, SMTP out)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from connectors.base import ConnectorOptions

# Deliberately loose: the server decides what it accepts; this only catches typos.
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


class EmailOptions(ConnectorOptions):
    imap_host: str = Field(min_length=1, max_length=255)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_ssl: bool = True
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # STARTTLS upgrade on a plain port (587), or TLS from the first byte (465); not both.
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    # Some relays (a local MTA on port 25) take mail without a login.
    smtp_auth: bool = True
    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    # The mailbox's own address: the From of every reply.
    address: str = Field(max_length=320)
    # Shown after the operator's name: "Мария via Окно — отдел продаж".
    from_name: str = Field(default="", max_length=200)
    mailbox: str = Field(default="INBOX", min_length=1, max_length=255)
    # Right-hand side of Okno's Message-IDs; defaults to the address's domain.
    message_id_domain: str | None = Field(default=None, max_length=253)
    # Used when the server does not offer IMAP IDLE.
    poll_interval_s: float = Field(default=60.0, ge=0.05, le=3600.0)
    # IDLE is renewed this often (servers drop it after 30 minutes, RFC 2177).
    idle_timeout_s: float = Field(default=600.0, ge=0.05, le=1740.0)
    # Each IMAP/SMTP command's time limit.
    timeout_s: float = Field(default=30.0, ge=1.0, le=300.0)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not an e-mail address like sales@example.ru")
        return value

    @field_validator("message_id_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().lower()
        if not _DOMAIN.match(value) or "." not in value:
            raise ValueError(f"{value!r} is not a domain name")
        return value

    @field_validator("imap_host", "smtp_host", "mailbox", "username")
    @classmethod
    def _no_line_breaks(cls, value: str) -> str:
        # These go into protocol command lines: a CR/LF would inject a command.
        if any(c in value for c in "\r\n\0"):
            raise ValueError("must not contain line breaks")
        return value.strip()

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if any(c in value for c in "\r\n\0"):
            raise ValueError("must not contain line breaks")
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailOptions:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("smtp_ssl and smtp_starttls exclude each other: pick one")
        return self

    @property
    def id_domain(self) -> str:
        return self.message_id_domain or self.address.rsplit("@", 1)[1].lower()

    @property
    def checkpoint_key(self) -> str:
        return f"imap:{self.mailbox}"
