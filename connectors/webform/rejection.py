"""Why a request is refused: status, stable error id and a message the form can show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Rejection(Exception):
    """Raised anywhere in request handling; the connector turns it into a JSON error."""

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
