"""The web-form field contract (fixtures/README.md, webform) as a validated model.

Values are trimmed; a JSON `null` counts as blank; numbers sent for text fields (a phone
typed into a number input) are taken as text. Per-field messages are keyed by field name
so a form can show each next to its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .rejection import Rejection

CONTACT_MISSING = "Enter a phone number or an e-mail address."
REQUIRED = "This field is required."
HONEYPOT = "website"

_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"", "false", "off", "0", "no"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The token names the visitor's request page (/forms/{slug}/r/<token>), so it must be
# URL-safe and too long to guess; ":" is left out so it never collides with derived keys.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,120}$")
_MIN_PHONE_DIGITS = 5


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def _consent(value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("must be true or false (a checkbox sends 'on')")


def _text(limit: int | None) -> Any:
    return Field(default="", max_length=limit)


Text = Annotated[str, BeforeValidator(_blank_if_none)]
Consent = Annotated[bool, BeforeValidator(_consent)]


class Submission(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )

    form_id: Text = _text(100)
    submission_token: Text = _text(120)
    name: Text = _text(200)
    phone: Text = _text(50)
    email: Text = _text(320)
    # No own limit: the channel's body limit (413 before parsing) already bounds it.
    message: Text = _text(None)
    page_url: Text = _text(2048)
    referrer: Text = _text(2048)
    utm_source: Text = _text(500)
    utm_medium: Text = _text(500)
    utm_campaign: Text = _text(500)
    utm_content: Text = _text(500)
    utm_term: Text = _text(500)
    website: Text = _text(None)
    consent: Consent = False
    # The visitor's clock: kept as written, for reference only.
    submitted_at: Text = _text(64)

    @field_validator("submission_token")
    @classmethod
    def _token(cls, value: str) -> str:
        if value and not _TOKEN.match(value):
            raise ValueError("must be 16-120 letters, digits, '-' or '_' (a UUID fits)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.match(value):
            raise ValueError("is not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and sum(ch.isdigit() for ch in value) < _MIN_PHONE_DIGITS:
            raise ValueError("is not a phone number")
        return value


def is_spam(fields: Mapping[str, Any]) -> bool:
    """A filled honeypot: people never see the `website` input, form-filling bots do."""
    value = fields.get(HONEYPOT)
    return value is not None and str(value).strip() != ""


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "body"
        errors.setdefault(field, error["msg"].removeprefix("Value error, "))
    return errors


def _filled(fields: Mapping[str, Any], name: str) -> bool:
    value = fields.get(name)
    if name == "consent":
        try:
            return bool(_consent(value))
        except ValueError:
            return False
    return value is not None and str(value).strip() != ""


def validate_submission(fields: Mapping[str, Any], required: Iterable[str] = ()) -> Submission:
    """The validated submission, or a 422 Rejection listing every bad field at once."""
    errors: dict[str, str] = {}
    submission: Submission | None = None
    try:
        submission = Submission.model_validate(dict(fields))
    except ValidationError as exc:
        errors.update(_field_errors(exc))
    if not (_filled(fields, "phone") or _filled(fields, "email")):
        errors.setdefault("phone", CONTACT_MISSING)
        errors.setdefault("email", CONTACT_MISSING)
    for name in required:
        if not _filled(fields, name):
            errors.setdefault(name, REQUIRED)
    if errors or submission is None:
        raise Rejection(422, "invalid-input", "Some fields are missing or invalid.", errors)
    return submission
