"""Request and response models of the routing and identity endpoints."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from hub.models import LeadStatus, Strategy
from hub.queries import ContactBrief, Shape, Timestamp, UserBrief
from routing.hours import DAY_KEYS

from .inputs import Body, RowId


class TransferIn(Body):
    user_id: RowId | None = None
    team_id: RowId | None = None
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of user_id and team_id")
        return self


class ReasonPartOut(Shape):
    code: str = Field(description="A key of the reason catalog (hub/reasons.py)")
    params: dict[str, str | int | float]


class DecisionOut(Shape):
    id: int
    kind: str
    reason: str = Field(description="The reason in English")
    reason_parts: list[ReasonPartOut] | None = Field(
        description="The same as codes with parameters, to show in the reader's language; "
        "null for decisions recorded before reasons had codes"
    )
    created_at: Timestamp
    from_user: UserBrief | None
    to_user: UserBrief | None
    by_user: UserBrief | None
    team_id: int | None


class DecisionList(Shape):
    items: list[DecisionOut]


class DuplicateOut(Shape):
    contacts: list[ContactBrief]
    # same_phone | same_email | similar_name_same_organisation
    reason: str
    detail: str


class DuplicateList(Shape):
    items: list[DuplicateOut]


class MergeIn(Body):
    merge_id: RowId = Field(description="The contact merged into the one in the path.")


class UnmergeIn(Body):
    merge_record_id: RowId | None = Field(
        default=None, description="Which merge to undo; default the latest into this contact."
    )


class MergeOut(Shape):
    id: int
    survivor_id: int
    merged_id: int
    moved: dict[str, Any]
    created_at: Timestamp
    undone_at: Timestamp | None


class ConvertIn(Body):
    responsible_user_id: RowId | None = None


class LeadStatusIn(Body):
    status: LeadStatus


class LeadStatusOut(Shape):
    id: int
    status: LeadStatus


class TeamIn(Body):
    name: str = Field(min_length=1, max_length=200)
    strategy: Strategy = Strategy.least_busy
    accept_timeout_s: int = Field(default=45, ge=5, le=3600)
    wait_limit_s: int = Field(default=300, ge=10, le=7 * 24 * 3600)
    business_hours: dict[str, Any] | None = None
    after_hours_team_id: RowId | None = None
    member_ids: list[RowId] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _hours_shape(self) -> TeamIn:
        check_hours(self.business_hours)
        return self


def check_hours(hours: dict[str, Any] | None) -> None:
    """{"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]]}}, checked in full."""
    if hours is None:
        return
    try:
        ZoneInfo(str(hours.get("tz", "Europe/Moscow")))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {hours.get('tz')!r}") from None
    for day, ranges in dict(hours.get("days", {})).items():
        if day not in DAY_KEYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAY_KEYS)}")
        for pair in ranges:
            if len(pair) != 2:
                raise ValueError(f"{day}: each range is [start, end]")
            for value in pair:
                hh, _, mm = str(value).partition(":")
                if not (hh.isdigit() and mm.isdigit() and int(hh) <= 24 and int(mm) < 60):
                    raise ValueError(f"bad time {value!r}, use HH:MM")


class TeamPatchIn(Body):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    strategy: Strategy | None = None
    accept_timeout_s: int | None = Field(default=None, ge=5, le=3600)
    wait_limit_s: int | None = Field(default=None, ge=10, le=7 * 24 * 3600)
    business_hours: dict[str, Any] | None = None
    after_hours_team_id: RowId | None = None
    member_ids: list[RowId] | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _hours_shape(self) -> TeamPatchIn:
        check_hours(self.business_hours)
        return self


class TeamOut(Shape):
    id: int
    name: str
    strategy: Strategy
    accept_timeout_s: int
    wait_limit_s: int
    business_hours: dict[str, Any] | None
    after_hours_team_id: int | None
    member_ids: list[int]


class TeamList(Shape):
    items: list[TeamOut]


# What a PBX dials: digits and the * and # of feature codes. "" clears the extension.
EXTENSION_PATTERN = r"^([0-9*#]{1,20})?$"


class OperatorSettingsIn(Body):
    max_conversations: int | None = Field(default=None, ge=1, le=100)
    skills: list[str] | None = Field(default=None, max_length=50)
    is_active: bool | None = None
    extension: str | None = Field(
        default=None,
        pattern=EXTENSION_PATTERN,
        description='Phone extension on the PBX, unique among active users; "" clears it.',
    )


class OperatorSettingsOut(Shape):
    id: int
    max_conversations: int
    skills: list[str]
    is_active: bool
    extension: str | None
