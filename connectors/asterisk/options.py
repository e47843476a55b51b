"""What an administrator configures for one Asterisk PBX (one channel per PBX)."""

from __future__ import annotations

import re
import string
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator

from connectors.base import ConnectorOptions

_LOGIN = re.compile(r"^\S{1,100}$")
# Asterisk names dialplan contexts and variables with letters, digits, - and _.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"is not a valid template: {exc}") from None


def _template(value: str, placeholder: str) -> str:
    value = value.strip()
    if _placeholders(value) != {placeholder}:
        raise ValueError(f"must contain {{{placeholder}}} and no other {{...}} field")
    if any(ch in value for ch in "\r\n"):
        raise ValueError("must be one line")
    return value


class AsteriskOptions(ConnectorOptions):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=100)
    secret: str = Field(min_length=1, max_length=200)
    # Extension -> operator login: who gets the screen-pop and the call. Operators may also
    # carry their extension on their own profile; this map wins for this PBX.
    extensions: dict[str, str] = Field(default_factory=dict)
    # A peer whose name matches is an operator's phone (its name is the extension).
    extension_pattern: str = r"^\d{2,6}$"
    # The operator's phone as Originate's Channel (click-to-call rings it first).
    phone_channel: str = "PJSIP/{extension}"
    # A queue member's interface, for QueuePause when the PBX has not listed it yet.
    queue_interface: str = "Local/{extension}@from-queue/n"
    # Dialplan context where click-to-call dials out and transfers find the target.
    originate_context: str = "from-internal"
    transfer_context: str | None = None
    # Atxfer needs the PBX's attended-transfer feature (features.conf atxfer); without it,
    # operators are offered blind transfers only.
    attended_transfer: bool = True
    # The channel variable holding the recording file (MixMonitor sets MIXMONITOR_FILENAME).
    recording_variable: str = "MIXMONITOR_FILENAME"
    # Where people listen to a recording, e.g. "https://pbx.example/recordings/{file}".
    recording_url_template: str | None = None
    ping_interval: float = Field(default=10.0, ge=0.5, le=300)
    action_timeout: float = Field(default=10.0, ge=0.5, le=120)

    @field_validator("host", "username")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ch in value for ch in "\r\n "):
            raise ValueError("must be one word")
        return value

    @field_validator("extension_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a regular expression: {exc}") from None
        return value

    @field_validator("phone_channel", "queue_interface")
    @classmethod
    def _extension_template(cls, value: str) -> str:
        return _template(value, "extension")

    @field_validator("recording_url_template")
    @classmethod
    def _recording_template(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = _template(value, "file")
        if not value.startswith(("http://", "https://", "/")):
            raise ValueError("must be an http(s) URL or a path on this site")
        return value

    @field_validator("originate_context", "transfer_context", "recording_variable")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _NAME.match(value):
            raise ValueError("must be letters, digits, - and _ only")
        return value

    @model_validator(mode="after")
    def _extensions(self) -> AsteriskOptions:
        pattern = re.compile(self.extension_pattern)
        bad = [ext for ext in self.extensions if not pattern.match(ext)]
        if bad:
            raise ValueError(f"extensions {sorted(bad)} do not match extension_pattern")
        logins = [login for login in self.extensions.values() if not _LOGIN.match(login)]
        if logins:
            raise ValueError(f"extensions map to invalid logins {sorted(logins)}")
        return self

    @property
    def context_for_transfer(self) -> str:
        return self.transfer_context or self.originate_context

    def recording_url(self, file: str | None) -> str | None:
        if not file or not self.recording_url_template:
            return None
        return self.recording_url_template.format(file=quote(file))

    def login_of(self, extension: str) -> str | None:
        return self.extensions.get(extension)

    def extension_of(self, login: str) -> str | None:
        return next((ext for ext, who in self.extensions.items() if who == login), None)
