"""A validated submission plus request facts -> the InboundMessage the core stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectors.base import IdentityClaim, InboundMessage, Sender

from .submission import Submission, usable_email

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
SUBJECT_LIMIT = 120
_UTM_LIMIT = 500


@dataclass(frozen=True)
class RequestFacts:
    """What the HTTP request says about the visitor, beyond the form fields."""

    client_ip: str
    user_agent: str
    referer_header: str
    received_on: date


def utm_of(submission: Submission) -> dict[str, str]:
    """UTM from the body; each missing one from the page_url query (the landing page's tags)."""
    try:
        query = urlsplit(submission.page_url).query
        from_page = dict(parse_qsl(query, errors="replace"))
    except ValueError:  # an unparsable URL (bad IPv6 literal, say) has no tags to offer
        from_page = {}
    return {
        key: getattr(submission, key) or from_page.get(key, "").strip()[:_UTM_LIMIT]
        for key in UTM_FIELDS
    }


def dedup_key(submission: Submission, received_on: date) -> str:
    """The submission token, or a stable digest of what was typed.

    Without a token a double click still stores once. The day is part of the digest so that
    the same short text sent again next week ("перезвоните") is a new request, not lost.
    """
    if submission.submission_token:
        return submission.submission_token
    canonical = {
        "day": received_on.isoformat(),
        "form_id": submission.form_id,
        "name": submission.name,
        "phone": "".join(ch for ch in submission.phone if ch.isdigit()),
        "email": submission.email.lower(),
        "message": submission.message,
        "page_url": submission.page_url,
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "form-sha256:" + hashlib.sha256(text.encode()).hexdigest()


def subject_of(submission: Submission, title: str) -> str:
    prefix = title or submission.form_id or "Web form"
    first_line = next((ln.strip() for ln in submission.message.splitlines() if ln.strip()), "")
    subject = f"{prefix}: {first_line}" if first_line else prefix
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 1] + "…"


def to_inbound(
    submission: Submission, facts: RequestFacts, channel_name: str, title: str
) -> InboundMessage:
    claims: list[IdentityClaim] = []
    # A phone with no digits at all ("нет", "-") is no number to keep; any other, even one
    # nobody can parse, is claimed, so routing shows its raw text on the card.
    if any(ch.isdigit() for ch in submission.phone):
        claims.append(IdentityClaim("phone", submission.phone))
    if usable_email(submission.email):
        claims.append(IdentityClaim("email", submission.email))
    meta: dict[str, Any] = {
        "form_id": submission.form_id,
        "page_url": submission.page_url,
        "referrer": submission.referrer or facts.referer_header.strip()[:2048],
        **utm_of(submission),
        "consent": submission.consent,
        "submitted_at": submission.submitted_at,
        "submitted_at_utc": submission.submitted_at_utc,
        # The name as typed: the thread and the card show it even when the phone belongs to
        # a client known under another name («представился как …»).
        "visitor_name": submission.name,
        # The contacts as typed, shown in the thread: a phone nobody can parse is still read.
        "form_contacts": {"phone": submission.phone, "email": submission.email},
        "user_agent": facts.user_agent[:512],
        "client_ip": facts.client_ip,
    }
    if submission.quirks:
        # Values read otherwise than sent (an odd consent, a cut name): raw, for a human.
        meta["field_quirks"] = submission.quirks
    key = dedup_key(submission, facts.received_on)
    return InboundMessage(
        channel_kind="webform",
        channel_name=channel_name,
        external_id=key,
        sender=Sender(name=submission.name, identities=tuple(claims)),
        text=submission.message,
        subject=subject_of(submission, title),
        meta=meta,
        message_ref=key,
    )
