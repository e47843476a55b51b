"""Request models of activities and the calendar.

Times may come with an offset ("2026-06-15T11:00:00+03:00") or without one
("2026-06-15T11:00"): then they are the caller's own wall clock, in his time zone. A due
time that does not parse is refused per field by the registry (422 invalid-input).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from hub.models import ActivityKind

from .inputs import Body, Query, RowId

Subject = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=10_000)]
Minutes = Annotated[int, Field(ge=0, le=24 * 60, description="Up to a day.")]
People = Annotated[list[RowId], Field(max_length=50)]
WHEN = "With an offset, or without one: your own wall clock (your time zone)."


class _Fields(BaseModel):
    """What a new activity is made of; an edit sends some of it."""

    kind: ActivityKind = Field(default=ActivityKind.task)
    subject: Subject
    description: LongText = ""
    due_at: datetime | None = Field(default=None, description=WHEN)
    ends_at: datetime | None = Field(default=None, description="Sets the duration. " + WHEN)
    duration_min: Minutes | None = None
    all_day: bool = Field(default=False, description="On its date in every time zone.")
    responsible_id: RowId | None = Field(default=None, description="Default: you.")
    participant_ids: People = Field(default_factory=list, description="Our users.")
    contact_participant_ids: People = Field(
        default_factory=list, description="The client's contact persons."
    )
    contact_id: RowId | None = None
    organisation_id: RowId | None = None
    deal_id: RowId | None = None
    conversation_id: RowId | None = Field(
        default=None, description="The conversation it came from; brings its client along."
    )
    agenda: LongText = ""
    place: Annotated[str, Field(max_length=500)] = Field(default="", description="Or a link.")
    outcome: LongText = ""
    remind_at: datetime | None = Field(default=None, description=WHEN)


class ActivityIn(_Fields, Body):
    pass


class ActivityPatchIn(Body):
    """Only the fields given change; `version` is the one the edit started from."""

    version: int = Field(ge=1)
    kind: ActivityKind | None = None
    subject: Subject | None = None
    description: LongText | None = None
    due_at: datetime | None = None
    ends_at: datetime | None = None
    duration_min: Minutes | None = None
    all_day: bool | None = None
    responsible_id: RowId | None = None
    participant_ids: People | None = None
    contact_participant_ids: People | None = None
    contact_id: RowId | None = None
    organisation_id: RowId | None = None
    deal_id: RowId | None = None
    conversation_id: RowId | None = None
    agenda: LongText | None = None
    place: Annotated[str, Field(max_length=500)] | None = None
    outcome: LongText | None = None
    remind_at: datetime | None = Field(default=None, description="null: no reminder.")

    @field_validator(
        "kind",
        "subject",
        "description",
        "all_day",
        "participant_ids",
        "contact_participant_ids",
        "agenda",
        "place",
        "outcome",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields sent: an omitted one stays, a null one is refused.
        if value is None:
            raise PydanticCustomError("null", "cannot be null")
        return value


class CompleteIn(Body):
    result: Annotated[str, Field(max_length=10_000, description="What came of it.")]
    outcome: LongText | None = Field(default=None, description="A meeting's decisions.")
    version: int | None = Field(default=None, ge=1, description="Refuse if changed since.")
    next: ActivityIn | None = Field(
        default=None,
        description="The next activity; client, deal and responsible default to this one's.",
    )


class CancelIn(Body):
    reason: LongText = ""
    version: int | None = Field(default=None, ge=1)


class SnoozeIn(Body):
    preset: Literal["10m", "1h", "tomorrow"] = Field(
        description="10 minutes, an hour, or tomorrow at 9:00 in your time zone."
    )
    version: int | None = Field(default=None, ge=1)


class RescheduleIn(Body):
    due_at: datetime = Field(description=WHEN)
    duration_min: Minutes | None = None
    version: int | None = Field(default=None, ge=1)


class ActivityListQuery(Query):
    responsible: str | None = Field(
        default=None, pattern=r"^(me|[1-9][0-9]{0,17})$", description="me or a user id."
    )
    team_id: RowId | None = None
    contact_id: RowId | None = None
    deal_id: RowId | None = None
    organisation_id: RowId | None = None
    kind: ActivityKind | None = None
    status: Literal["planned", "done", "cancelled"] | None = None
    overdue: bool = Field(default=False, description="Planned and past due.")
    start: datetime | None = Field(default=None, alias="from", description=WHEN)
    end: datetime | None = Field(default=None, alias="to", description=WHEN)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)


def _user_ids(value: object) -> object:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and len(p) <= 18 for p in parts):
            raise PydanticCustomError("user-ids", "comma-separated user ids, e.g. 3,7")
        return list(dict.fromkeys(int(p) for p in parts))
    return value


class CalendarQuery(Query):
    users: Annotated[list[RowId], Field(min_length=1, max_length=100)] = Field(
        description="Comma-separated user ids."
    )
    start: datetime = Field(alias="from", description=WHEN)
    end: datetime = Field(alias="to", description=WHEN)

    @field_validator("users", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _user_ids(value)


class FreeQuery(CalendarQuery):
    duration: Minutes = Field(default=60, description="Minutes the slot must last.")


class CalendarSettingsIn(Body):
    time_zone: str = Field(min_length=1, max_length=64, description="IANA, e.g. Europe/Moscow.")
