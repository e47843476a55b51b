"""The web-form field contract (fixtures/README.md, webform), read leniently.

A lead is worth more than a tidy field: a submission is refused only when it gives no way
to reach the visitor (no usable phone and no usable e-mail) or misses a field the
administrator made required. Every other field is read as well as it can be (see
`readings`): an over-long value is cut, a number or a list becomes text, an unreadable
consent or time reads as none, and the raw value is kept in `quirks` with the reason, for
the connector to log and store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .readings import consent_of, moment_of, text_of
from .rejection import Rejection

CONTACT_MISSING = "Enter a phone number or an e-mail address."
PHONE_INVALID = "The phone number is not valid."
EMAIL_INVALID = "The e-mail address is not valid."
REQUIRED = "This field is required."
HONEYPOT = "website"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The token names the visitor's request page (/forms/{slug}/r/<token>), so it must be
# URL-safe and too long to guess; ":" is left out so it never collides with derived keys.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,120}$")
# Fewer digits than this cannot be dialled anywhere: "123" is a typo, not a phone.
_MIN_PHONE_DIGITS = 5
# How much of a raw value is kept next to its reading (the body limit bounds the sum).
_RAW_KEEP = 4000

# Text fields and their limits (None: bounded only by the channel's body limit).
TEXT_LIMITS: dict[str, int | None] = {
    "form_id": 100,
    "submission_token": 120,
    "name": 200,
    "phone": 50,
    "email": 320,
    "message": None,
    "page_url": 2048,
    "referrer": 2048,
    "utm_source": 500,
    "utm_medium": 500,
    "utm_campaign": 500,
    "utm_content": 500,
    "utm_term": 500,
    "submitted_at": 64,
}


class Submission(BaseModel):
    """What the connector goes on with: every field already read (see `read_submission`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    form_id: str = ""
    submission_token: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    message: str = ""
    page_url: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    # True/False as the checkbox said; None when the site sent something else.
    consent: bool | None = False
    # The visitor's clock: as written, and read as UTC when it could be.
    submitted_at: str = ""
    submitted_at_utc: str | None = None
    # field -> {"raw": what was sent, "note": why it was not taken as it was}
    quirks: dict[str, dict[str, Any]] = Field(default_factory=dict)


def is_spam(fields: Mapping[str, Any]) -> bool:
    """A filled honeypot: people never see the `website` input, form-filling bots do."""
    value = fields.get(HONEYPOT)
    return value is not None and text_of(value)[0] != ""


def usable_phone(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS


def usable_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def _raw(value: Any) -> Any:
    """The value as sent, in a form every JSON column stores: NaN and Infinity (which
    Python's JSON reader accepts) and integers past 2**53 are kept as their text."""
    if isinstance(value, str):
        return value[:_RAW_KEEP] + "…" if len(value) > _RAW_KEEP else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) <= 2**53:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return text_of(value)[0][:_RAW_KEEP]


def read_submission(fields: Mapping[str, Any]) -> Submission:
    """Every field read; never raises. Notes go to `quirks` with the raw value."""
    values: dict[str, Any] = {}
    quirks: dict[str, dict[str, Any]] = {}

    def note(name: str, why: str) -> None:
        quirks.setdefault(name, {"raw": _raw(fields.get(name)), "note": why})

    for name, limit in TEXT_LIMITS.items():
        text, why = text_of(fields.get(name))
        if limit is not None and len(text) > limit:
            text, why = text[:limit].rstrip(), f"longer than {limit} characters, cut"
        if why:
            note(name, why)
        values[name] = text
    if values["submission_token"] and not _TOKEN.match(values["submission_token"]):
        # Without a usable token the request is keyed by its content (`dedup_key`).
        note("submission_token", "not 16-120 letters, digits, '-' or '_'; ignored")
        values["submission_token"] = ""
    if values["phone"] and not usable_phone(values["phone"]):
        note("phone", "not a phone number")
    if values["email"] and not usable_email(values["email"]):
        note("email", "not an e-mail address")  # kept as typed, never claimed as identity
    consent, why = consent_of(fields.get("consent"))
    if why:
        note("consent", why)
    values["consent"] = consent
    moment, why = moment_of(fields.get("submitted_at"))
    if why:
        note("submitted_at", why)
    values["submitted_at_utc"] = moment
    values["quirks"] = quirks
    return Submission.model_validate(values)


def _contact_errors(fields: Mapping[str, Any], submission: Submission) -> dict[str, str]:
    """Why nobody could be reached: nothing given, or what was given is not usable."""
    if usable_phone(submission.phone) or usable_email(submission.email):
        return {}
    phone, email = text_of(fields.get("phone"))[0], text_of(fields.get("email"))[0]
    if not phone and not email:
        return {"phone": CONTACT_MISSING, "email": CONTACT_MISSING}
    errors = {"phone": PHONE_INVALID} if phone else {}
    if email:
        errors["email"] = EMAIL_INVALID
    return errors


def _filled(submission: Submission, name: str) -> bool:
    if name == "consent":
        return submission.consent is True
    if name == "email":
        return usable_email(submission.email)
    return bool(getattr(submission, name))


def validate_submission(fields: Mapping[str, Any], required: Iterable[str] = ()) -> Submission:
    """The read submission, or a 422 Rejection naming every field that stops it.

    `invalid-input` when no contact was given at all or a required field is blank;
    `invalid-contact` when a phone or e-mail was given but none of them is usable, so the
    form can say «Телефон указан неверно» rather than ask for a contact it was given.
    """
    submission = read_submission(fields)
    contact = _contact_errors(fields, submission)
    errors = dict(contact)
    for name in required:
        if not _filled(submission, name):
            errors.setdefault(name, REQUIRED)
    if not errors:
        return submission
    if contact and CONTACT_MISSING not in contact.values():
        raise Rejection(422, "invalid-contact", "The phone or e-mail is not valid.", errors)
    raise Rejection(422, "invalid-input", "Some fields are missing or invalid.", errors)
