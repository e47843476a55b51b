"""Request and response models of the telephony views (hub/api/calls.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from hub.models import CallDirection, CallOutcome, Presence
from hub.queries import ContactBrief, Shape, Timestamp, UserBrief

from .inputs import Body, Cursor, Limit, Query, RowId
from .schemas import Page


class CallOperator(Shape):
    extension: str | None
    user: UserBrief | None


class CallOut(Shape):
    id: int
    channel_id: int
    linkedid: str
    direction: CallDirection
    caller: str | None
    callee: str | None
    # The outside party's number (E.164), the one matched to the client.
    client_number: str | None
    queue: str | None
    # null while the call is in progress.
    outcome: CallOutcome | None
    answered_by: CallOperator | None
    transferred_to: str | None
    transfer_kind: Literal["blind", "attended", "redirect"] | None
    # When the answering operator handed it on (null: not transferred).
    transferred_at: Timestamp | None
    agents_rung: list[str]
    wait_s: float | None
    talk_s: float | None
    hangup_cause: int | None
    recording: str | None
    recording_url: str | None
    # Part of the call happened while the PBX link was down: times are estimates.
    resynced: bool
    started_at: Timestamp
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    # Ended while the PBX link was down: the end lies in [ended_at, ended_not_after] and the
    # talk time runs to ended_at, the earliest it can have been.
    ended_not_after: Timestamp | None
    contact: ContactBrief | None
    conversation_id: int | None


class CallPage(Page):
    items: list[CallOut]


class CallListQuery(Query):
    contact_id: RowId | None = None
    user_id: RowId | None = Field(default=None, description="The operator who answered.")
    outcome: CallOutcome | None = None
    direction: CallDirection | None = None
    since: AwareDatetime | None = Field(default=None, description="Started at or after.")
    until: AwareDatetime | None = Field(default=None, description="Started before.")
    limit: Limit = 50
    before_id: Cursor | None = None


class CallIn(Body):
    contact_id: RowId | None = Field(default=None, description="Call this client's phone.")
    number: str | None = Field(default=None, max_length=50, description="Or this number.")
    channel: str | None = Field(default=None, max_length=100, description="PBX channel name.")

    @model_validator(mode="after")
    def _one_target(self) -> CallIn:
        if (self.contact_id is None) == (self.number is None):
            raise ValueError("give either contact_id or number")
        return self


class CallPlaced(Shape):
    status: Literal["calling"]
    channel: str
    extension: str
    number: str


class TransferIn(Body):
    extension: str | None = Field(
        default=None, pattern=r"^\+?[0-9*#]{1,32}$", description="An extension to transfer to."
    )
    user_id: RowId | None = Field(default=None, description="Or this operator's extension.")
    # Attended: the operator talks to the target first (Atxfer); else a blind Redirect.
    attended: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.extension is None) == (self.user_id is None):
            raise ValueError("give either extension or user_id")
        return self


class TransferStarted(Shape):
    status: Literal["transferring"]
    kind: Literal["blind", "attended"]
    target: str
    call: CallOut


class TransferTarget(Shape):
    user: UserBrief
    extension: str
    presence: Presence
    # On another call right now: a transfer to them would ring a busy phone.
    on_call: bool


class TransferTargets(Shape):
    channel: str
    # Whether this PBX takes attended transfers (else blind only).
    attended: bool
    # Operators with an extension on this PBX, the caller left out; online first.
    items: list[TransferTarget]
