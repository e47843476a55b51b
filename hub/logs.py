"""How a node writes its log: plain lines (the default) or one JSON object per line
(`log_format = "json"`, OKNO_LOG_FORMAT=json) for a log collector.

Each record carries the request id of the HTTP request it was written under (set by
hub.host.request_id's middleware, echoed to the client as X-Request-Id), and, where known, the
channel (from a connector's logger, okno.channel.<kind>.<name>, or an `extra`) and the
conversation id (an `extra` the writer passes).
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
CHANNEL_LOGGER_PREFIX = "okno.channel."
NO_REQUEST = "-"

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar(
    "okno_request_id", default=NO_REQUEST
)


class ContextFilter(logging.Filter):
    """Puts the request id (and the channel of a connector's logger) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        if not hasattr(record, "channel") and record.name.startswith(CHANNEL_LOGGER_PREFIX):
            kind, _, name = record.name.removeprefix(CHANNEL_LOGGER_PREFIX).partition(".")
            record.channel = f"{kind}:{name}" if name else kind
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        for key in ("channel", "conversation_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, log_format: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN_FORMAT)
    )
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
