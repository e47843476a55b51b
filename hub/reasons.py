"""Why routing did something, as data: a code per step plus its parameters.

Decisions used to be stored as English sentences, so a Russian workspace showed them in
English. A `Reason` keeps the code and parameters (rendered by each page in its own
language through the catalogs) and still renders the English sentence for logs and API
clients. The templates below are the catalogs' msgids (agent_ui/js_strings.py offers them
to the pages as "reason.<code>"): change one, change both .po files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ParamValue = str | int | float

TEMPLATES: dict[str, str] = {
    "accepted": "accepted by the operator",
    "queue_alert": "waiting in the queue for {seconds} s; supervisors alerted",
    "round_robin": "round-robin among {free}",
    "longest_idle": "longest idle among {free}",
    "least_busy": "least-busy among {free} (load {load})",
    "after_hours_team": "outside {team} hours: to the after-hours team",
    "outside_hours": "outside {team} business hours",
    "owner_online": "responsible manager online",
    "manual_queue": "manual pick from the queue",
    "all_busy": "nobody free ({online} online, all at capacity)",
    "nobody_online": "no operator online",
    "went_offline": "{name} went offline",
    "went_silent": "{name} went offline (no heartbeat)",
    "transferred": "transferred to {target} by {by}",
    "transferred_note": "transferred to {target} by {by}: {note}",
    "transferred_team": "transferred to team {team} by {by}",
    "timeout_moved": "timeout after {seconds} s, moved from {holder}",
    "from_queue": "from the queue",
    "reopened": "reopened",
    "returned_by": "returned to the queue by {name}",
    "taken_by": "taken by {name}",
    "answered_call": "answered the call on {extension}",
    # What a person typed as the reason (a hand-over note): shown as written.
    "note": "{text}",
}


@dataclass(frozen=True)
class ReasonPart:
    code: str
    params: Mapping[str, ParamValue]

    def text(self) -> str:
        return TEMPLATES[self.code].format(**self.params)


@dataclass(frozen=True)
class Reason:
    """One or more steps, read left to right ("timeout after 45 s, moved from Anna,
    least-busy among 3 (load 1)")."""

    parts: tuple[ReasonPart, ...]

    def text(self) -> str:
        return ", ".join(part.text() for part in self.parts)

    def then(self, other: Reason) -> Reason:
        return Reason(self.parts + other.parts)

    def to_json(self) -> list[dict[str, Any]]:
        return [{"code": part.code, "params": dict(part.params)} for part in self.parts]

    @classmethod
    def from_json(cls, data: object) -> Reason | None:
        """The stored parts, or None for rows written before reasons had codes."""
        if not isinstance(data, list):
            return None
        parts = []
        for item in data:
            if not isinstance(item, dict) or item.get("code") not in TEMPLATES:
                return None
            params = item.get("params")
            parts.append(ReasonPart(str(item["code"]), dict(params) if params else {}))
        return cls(tuple(parts))


def reason(code: str, **params: ParamValue) -> Reason:
    if code not in TEMPLATES:
        raise KeyError(f"unknown routing reason {code!r}")
    return Reason((ReasonPart(code, params),))


def after(context: Reason | None, step: Reason) -> Reason:
    return step if context is None else context.then(step)
