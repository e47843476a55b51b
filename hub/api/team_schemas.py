"""Request and response models of teams: routing settings, business hours and members."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from hub.models import Strategy
from hub.queries import Shape
from routing.hours import DAY_KEYS

from .inputs import Body, OneLine, RowId


class TeamIn(Body):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
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

    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
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
