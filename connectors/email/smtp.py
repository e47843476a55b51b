"""Handing a composed mail to the SMTP server and reading what its answer means.

5xx is permanent (the outbox row fails with the server's words); 4xx, timeouts and broken
connections are temporary (retried). A refused login is the channel's configuration, not
the message: it is retried, so fixing the password lets the queued replies go out.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from connectors.base import Delivery

from .options import EmailOptions

log = logging.getLogger(__name__)


def _reply_text(code: int, message: str) -> str:
    return " ".join(f"{code} {message}".split())


def _by_code(code: int, message: str, context: str) -> Delivery:
    text = _reply_text(code, message)
    if 500 <= code < 600:
        return Delivery("failed", error=text)
    return Delivery("retry", error=f"{context}: {text}")


def delivery_for_error(exc: Exception) -> Delivery:
    """What an aiosmtplib failure means for the outbox row."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        if refused and all(500 <= r.code < 600 for r in refused):
            return Delivery(
                "failed", error="; ".join(_reply_text(r.code, r.message) for r in refused)
            )
        first = refused[0] if refused else None
        detail = _reply_text(first.code, first.message) if first else str(exc)
        return Delivery("retry", error=f"recipient deferred: {detail}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Delivery("retry", error=f"SMTP login refused: {_reply_text(exc.code, exc.message)}")
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return Delivery("retry", error=f"SMTP server refused the connection: {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, exc.message, "SMTP server deferred")
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return Delivery("retry", error=f"SMTP unavailable: {type(exc).__name__}: {exc}")
    raise exc


async def send_mail(options: EmailOptions, message: EmailMessage) -> Delivery:
    """Send; returns sent (with the Message-ID as the wire reference) or why not."""
    try:
        await aiosmtplib.send(
            message,
            hostname=options.smtp_host,
            port=options.smtp_port,
            username=options.username if options.smtp_auth else None,
            password=options.password if options.smtp_auth else None,
            use_tls=options.smtp_ssl,
            start_tls=options.smtp_starttls,
            timeout=options.timeout_s,
        )
    except Exception as exc:
        delivery = delivery_for_error(exc)
        log.warning("SMTP %s:%d: %s", options.smtp_host, options.smtp_port, delivery.error)
        return delivery
    return Delivery("sent", external_id=str(message["Message-ID"]))
