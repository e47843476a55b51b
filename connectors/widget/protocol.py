"""The visitor's side of the widget socket: JSON frames in, validated; errors with an id.

Frames a visitor sends (`type` picks the model):
  hello    {token?, page_url?, name?}    first frame; the token is the browser's secret
  message  {client_id, text}             client_id: a UUID the browser picks, kept on resend
  typing   {}                            the visitor is typing (throttled, never stored)
  read     {up_to}                       seen our replies up to this message id
  contact  {client_id, name?, phone?, email?}        "leave your contacts"
  offline  {client_id, name, phone?, email?, text}   the request form shown when offline
  ping     {}
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

# A browser token: what `new_token` makes, or at least as much randomness from elsewhere.
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{22,128}$"  # noqa: S105 (a pattern, not a secret)
VISITOR_ID_LENGTH = 32
MAX_FRAME_CHARS = 64 * 1024
_SPACE = re.compile(r"\s+")


class FrameError(Exception):
    """A frame refused: `error_id` for programs, `message` for people."""

    def __init__(self, error_id: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.error_id = error_id
        self.message = message
        self.details = details or {}

    def frame(self) -> dict[str, Any]:
        return {"type": "error", "id": self.error_id, "message": self.message, **self.details}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def visitor_id_of(token: str) -> str:
    """What Okno stores of a visitor: a digest, never the token, so no one who can read the
    database (an operator's API, a backup) can speak as the visitor."""
    return hashlib.sha256(token.encode()).hexdigest()[:VISITOR_ID_LENGTH]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Hello(_Frame):
    type: Literal["hello"]
    token: Annotated[str, Field(pattern=TOKEN_PATTERN)] | None = None
    page_url: str = Field(default="", max_length=2048)
    name: str = Field(default="", max_length=200)


class Message(_Frame):
    type: Literal["message"]
    client_id: uuid.UUID
    # The channel's own limit (max_message_chars) is checked by the connector.
    text: str = Field(min_length=1, max_length=MAX_FRAME_CHARS)


class Typing(_Frame):
    type: Literal["typing"]


class Read(_Frame):
    type: Literal["read"]
    up_to: int = Field(ge=1, le=2**62)


class Ping(_Frame):
    type: Literal["ping"]


class _Contacts(_Frame):
    client_id: uuid.UUID
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=50)
    email: str = Field(default="", max_length=320)

    @model_validator(mode="after")
    def _reachable(self) -> _Contacts:
        if not self.phone and not self.email:
            raise ValueError("give a phone number or an e-mail")
        if self.email and "@" not in self.email:
            raise ValueError("the e-mail address needs an @")
        if self.phone and sum(ch.isdigit() for ch in self.phone) < 5:
            raise ValueError("the phone number has too few digits")
        return self

    def details(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("name", self.name), ("phone", self.phone), ("email", self.email))
            if v
        }


class Contact(_Contacts):
    type: Literal["contact"]


class Offline(_Contacts):
    type: Literal["offline"]
    name: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_FRAME_CHARS)


Frame = Hello | Message | Typing | Read | Ping | Contact | Offline
_FRAME: TypeAdapter[Frame] = TypeAdapter(Annotated[Frame, Field(discriminator="type")])


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        # loc starts with the union tag ("message", "text"); the tag says nothing new.
        loc = [str(p) for p in err["loc"][1:]] or ["frame"]
        errors[".".join(loc)] = str(err["msg"]).removeprefix("Value error, ")
    return errors


def parse_frame(raw: str) -> Frame:
    if len(raw) > MAX_FRAME_CHARS:
        raise FrameError("too-large", f"Frames are at most {MAX_FRAME_CHARS} characters.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("bad-json", "Frames must be JSON objects.") from None
    if not isinstance(data, dict):
        raise FrameError("bad-json", "Frames must be JSON objects.")
    kind = data.get("type")
    if kind not in ("hello", "message", "typing", "read", "ping", "contact", "offline"):
        raise FrameError("unknown-type", f"Unknown frame type {str(kind)[:40]!r}.")
    try:
        return _FRAME.validate_python(data)
    except ValidationError as exc:
        errors = _field_errors(exc)
        refused = {"client_id": str(data.get("client_id"))[:64]} if "client_id" in data else {}
        raise FrameError(
            "invalid-frame",
            "; ".join(f"{k}: {v}" for k, v in errors.items()),
            {"fields": errors, **refused},
        ) from None


def one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()
