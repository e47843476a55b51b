"""The words of `hub.policy`: the errors a refusal raises and the actors who act.

A `DomainError` carries a stable id, an HTTP status, a message and details; the API's error
middleware and the websockets render it the same way, so no view maps exceptions itself. Kept
apart from the rules (`hub.policy`, which re-exports every name here, so callers import from
one place) because every layer raises these, while the rules are about who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.auth import Principal


class DomainError(Exception):
    """A use case refused or failed in a way the caller should be told about (rule 9)."""

    def __init__(self, error_id: str, status: int, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.status = status
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"id": self.error_id, "message": self.message, "details": self.details}


class NotFound(DomainError):
    def __init__(self, error_id: str, message: str, details: Any = None) -> None:
        super().__init__(error_id, 404, message, details)


class Forbidden(DomainError):
    def __init__(self, error_id: str, message: str, details: Any = None) -> None:
        super().__init__(error_id, 403, message, details)


class Conflict(DomainError):
    def __init__(self, error_id: str, message: str, details: Any = None) -> None:
        super().__init__(error_id, 409, message, details)


class InvalidInput(DomainError):
    """Per-field problems: details is a list of {field, location, type, message}."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        super().__init__("invalid-input", 422, "Some fields are not valid.", details)


class Unavailable(DomainError):
    def __init__(self, error_id: str, message: str, details: Any = None) -> None:
        super().__init__(error_id, 503, message, details)


@dataclass(frozen=True)
class RobotActor:
    """A robot rule acting through the same use cases a person uses."""

    robot_id: int
    name: str


@dataclass(frozen=True)
class SystemActor:
    """Okno itself: routing, the sweeper, connectors' ingest, the demo seed, the CLI."""

    name: str = "system"


# Who performs a use case: a signed-in user (`Principal`), a robot, or the system.
Actor = Principal | RobotActor | SystemActor
