"""The call model: what the tracker knows of a call while it lasts, and the record it leaves.

Definitions (the ones the fixtures' answer keys use):
- a call is one Linkedid; its origin is the leg whose Uniqueid equals the Linkedid;
- direction: a trunk origin is inbound; a phone origin is outbound when it reaches a trunk or
  was created by an Originate (click-to-call) that never reached another phone, else internal;
- answer: AgentConnect for a queue call, the origin's DialEnd ANSWER otherwise (for outbound:
  towards the trunk); answered_by is always the first answerer, later ones are transfers;
- wait_s: start -> answer (or -> end); for outbound, the far end's ringing only;
- talk_s: answer -> end, including any time after a transfer;
- an end lost with the link (the call was gone from the resync snapshot) is only known to lie
  in [last heard alive, the snapshot]: ended_at is the earliest of it, so talk time is never
  over-reported (as an answer seen only in a snapshot already is), and ended_not_after keeps
  the latest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .channels import LegKind

Direction = Literal["inbound", "outbound", "internal"]
Outcome = Literal["answered", "missed", "abandoned", "busy", "failed"]
TransferKind = Literal["blind", "attended", "redirect"]

FAILED_DIAL = frozenset({"CHANUNAVAIL", "CONGESTION", "INVALIDARGS"})


@dataclass(frozen=True)
class Call:
    """A finished call. `resynced` means part of it happened while the AMI link was down, so
    its times are estimates (the record is still made, from the resync snapshot)."""

    linkedid: str
    direction: Direction
    caller: str | None
    callee: str | None
    queue: str | None
    outcome: Outcome
    answered_by: str | None
    transferred_to: str | None
    transfer_kind: TransferKind | None
    wait_s: float
    talk_s: float | None
    hangup_cause: int | None
    recording: str | None
    agents_rung: tuple[str, ...]
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    resynced: bool = False
    # Set when the end fell in a gap of the link: it lies in [ended_at, ended_not_after].
    ended_not_after: datetime | None = None
    # When the answering operator handed the call on (a transfer's event), if they did.
    transferred_at: datetime | None = None

    @property
    def end_exact(self) -> bool:
        return self.ended_not_after is None

    @property
    def client_number(self) -> str | None:
        """The outside party's number, the one to match to a client."""
        if self.direction == "inbound":
            return self.caller
        if self.direction == "outbound":
            return self.callee
        return None

    def as_meta(self) -> dict[str, Any]:
        """JSON-ready fields, carried in the final CallEvent's meta."""
        return {
            "linkedid": self.linkedid,
            "direction": self.direction,
            "caller": self.caller,
            "callee": self.callee,
            "queue": self.queue,
            "outcome": self.outcome,
            "answered_by": self.answered_by,
            "transferred_to": self.transferred_to,
            "transfer_kind": self.transfer_kind,
            "wait_s": round(self.wait_s, 3),
            "talk_s": None if self.talk_s is None else round(self.talk_s, 3),
            "hangup_cause": self.hangup_cause,
            "recording": self.recording,
            "agents_rung": list(self.agents_rung),
            "started_at": self.started_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat(),
            "resynced": self.resynced,
            "ended_not_after": self.ended_not_after.isoformat() if self.ended_not_after else None,
            "transferred_at": self.transferred_at.isoformat() if self.transferred_at else None,
            "client_number": self.client_number,
        }


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass(slots=True, eq=False)
class Leg:
    uniqueid: str
    name: str
    linkedid: str
    kind: LegKind
    extension: str | None
    local_base: str | None
    created_at: float


@dataclass(slots=True, eq=False)
class LiveCall:
    linkedid: str
    started_at: float
    origin: Leg | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    caller: str | None = None
    callee: str | None = None
    queue: str | None = None
    # Created by an Originate (Newchannel in state Down), i.e. click-to-call.
    originated: bool = False
    originate_failed: bool = False
    in_queue: bool = False
    abandoned: bool = False
    answered: bool = False
    answered_at: float | None = None
    # Answered while the link was down: answered_at is the resync instant (the latest it can
    # have been, so talk time is never over-reported) until AgentComplete tells better.
    answer_estimated: bool = False
    answered_by: str | None = None
    # Outbound: when the far end (the trunk) started ringing, and how the dial ended.
    far_dial_at: float | None = None
    far_status: str | None = None
    reached_trunk: bool = False
    rang_other_phone: bool = False
    agents_rung: set[str] = field(default_factory=set)
    rung_legs: set[str] = field(default_factory=set)
    # Local pair base -> the extension its ;2 half got answered by.
    local_answers: dict[str, str] = field(default_factory=dict)
    transferred_to: str | None = None
    transfer_kind: TransferKind | None = None
    transferred_at: float | None = None
    recording: str | None = None
    origin_ended_at: float | None = None
    last_end: float | None = None
    # last_end came from a snapshot (the leg vanished in a gap): the latest it can have been.
    last_end_latest: float | None = None
    hangup_cause: int | None = None
    resynced: bool = False

    def parties_alive(self) -> bool:
        return any(leg.kind != "helper" for leg in self.legs.values())

    @property
    def direction(self) -> Direction:
        origin = self.origin
        if origin is None or origin.kind == "trunk":
            return "inbound"
        if self.reached_trunk or (self.originated and not self.rang_other_phone):
            return "outbound"
        return "internal"

    def outcome(self) -> Outcome:
        if self.answered:
            return "answered"
        if self.direction == "inbound":
            return "abandoned" if self.abandoned else "missed"
        if self.originate_failed and self.far_dial_at is None:
            return "failed"
        if self.far_status == "BUSY":
            return "busy"
        if self.far_status in FAILED_DIAL:
            return "failed"
        return "missed"

    def finish(self, at: float) -> Call:
        ended = self.last_end or self.origin_ended_at or at
        answered_at = self.answered_at if self.answered else None
        direction = self.direction
        if direction == "outbound" and self.far_dial_at is not None:
            wait_from = self.far_dial_at
        else:
            wait_from = self.started_at
        wait_until = answered_at if answered_at is not None else ended
        return Call(
            linkedid=self.linkedid,
            direction=direction,
            caller=self.caller,
            callee=self.callee,
            queue=self.queue,
            outcome=self.outcome(),
            answered_by=self.answered_by if self.answered else None,
            transferred_to=self.transferred_to,
            transfer_kind=self.transfer_kind,
            wait_s=max(0.0, wait_until - wait_from),
            talk_s=max(0.0, ended - answered_at) if answered_at is not None else None,
            hangup_cause=self.hangup_cause,
            recording=self.recording,
            agents_rung=tuple(sorted(self.agents_rung)),
            started_at=utc(self.started_at),
            answered_at=utc(answered_at) if answered_at is not None else None,
            ended_at=utc(ended),
            resynced=self.resynced,
            ended_not_after=(
                utc(self.last_end_latest)
                if self.last_end is not None and self.last_end_latest is not None
                else None
            ),
            transferred_at=utc(self.transferred_at) if self.transferred_at is not None else None,
        )
