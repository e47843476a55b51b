"""One log line, not a traceback, for HTTP requests too malformed to reach any handler; and
no secret from a URL in the access log.

aiohttp refuses a request it cannot parse (a header over its 8 KB line limit, a broken request
line) with a 400 before any route runs, and logs the refusal at ERROR with a full traceback.
On a public web-form endpoint that is noise a scanner or a bloated cookie can make at will, and
a traceback reads as our bug. The answer (400) stays aiohttp's; the log becomes one WARNING
line naming the peer and the reason. Any other error keeps its traceback.
"""

from __future__ import annotations

import logging
import re

from aiohttp.http_exceptions import HttpProcessingError

SERVER_LOGGER = "aiohttp.server"
ACCESS_LOGGER = "aiohttp.access"
REASON_LIMIT = 200
# Secrets that travel in a URL and would land in the access log with the request line: a
# personal calendar feed's token (the feed is read by calendar apps that send no header) and
# any query parameter named like a credential.
URL_SECRETS = (
    (re.compile(r"(/ical/)[A-Za-z0-9_-]+(\.ics)"), r"\1[redacted]\2"),
    (
        re.compile(r"([?&](?:token|access_token|secret|key|password|api_key)=)[^&\s\"]+", re.I),
        r"\1[redacted]",
    ),
)


class MalformedRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        code = getattr(exc, "code", None)
        if isinstance(exc, HttpProcessingError) and isinstance(code, int) and code < 500:
            reason = " ".join(str(exc.message or type(exc).__name__).split())[:REASON_LIMIT]
            peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "refused a malformed HTTP request from %s: %d %s"
            record.args = (peer, code, reason)
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


def redact_url_secrets(text: str) -> str:
    for pattern, replacement in URL_SECRETS:
        text = pattern.sub(replacement, text)
    return text


class UrlSecretFilter(logging.Filter):
    """Takes secrets out of the access log's request lines: aiohttp formats the whole line
    before logging it, and passes its parts as the record's extra fields (which a JSON log
    writes out), so both are rewritten."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = redact_url_secrets(text)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        for name, value in list(vars(record).items()):
            if name != "msg" and isinstance(value, str):
                setattr(record, name, redact_url_secrets(value))
        return True


def install() -> None:
    """Idempotent: every app of the process shares aiohttp's server and access loggers."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, MalformedRequestFilter) for f in logger.filters):
        logger.addFilter(MalformedRequestFilter())
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, UrlSecretFilter) for f in access.filters):
        access.addFilter(UrlSecretFilter())
