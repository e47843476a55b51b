"""Query parameters of the reports (`/reports/conversations`, `/reports/calls`, their
drill-downs and exports)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from hub.queries.metrics_calls import CallSettings
from hub.queries.metrics_common import DEFAULT_TZ, period_of
from hub.queries.metrics_conversations import Filters
from hub.queries.reports import ReportRequest

from .inputs import Query, RowId


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("not a time zone name") from exc
    return value


# Whose days a report counts: an IANA zone name.
ZoneName = Annotated[str, Field(max_length=60), AfterValidator(_known_zone)]

# The longest custom period a report covers (a quarter and a bit).
MAX_DAYS = 400


class ReportQuery(Query):
    period: Literal["today", "yesterday", "7d", "30d", "custom"] = "7d"
    from_: date | None = Field(default=None, alias="from", description="First day (custom).")
    to: date | None = Field(default=None, description="Last day, included (custom).")
    tz: ZoneName = DEFAULT_TZ
    group_by: Literal["day", "week", "operator", "team", "channel", "none"] = "day"
    team: RowId | None = None
    channel: RowId | None = None
    operator: RowId | None = None
    exact_only: bool = Field(
        default=False,
        description="Leave out calls some of whose times are estimates (resynced: answered "
        "or ended while the PBX link was down).",
    )
    short_abandon_s: float = Field(default=5.0, ge=0, le=600)
    service_level_s: float = Field(default=20.0, ge=0, le=3600)
    callback_min: float = Field(default=60.0, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _custom_days(self) -> ReportQuery:
        if self.period == "custom":
            if self.from_ is None or self.to is None:
                raise ValueError("a custom period needs from and to")
            if self.to < self.from_ or (self.to - self.from_).days >= MAX_DAYS:
                raise ValueError(f"to must be on or after from, at most {MAX_DAYS} days")
        return self

    def request(self, name: str, now: datetime) -> ReportRequest:
        period = period_of(self.period, now, self.tz, self.from_, self.to)
        return ReportRequest(
            name=name,
            period=period,
            group_by=self.group_by,
            filters=Filters(self.team, self.channel, self.operator),
            calls=CallSettings(
                team_id=self.team,
                channel_id=self.channel,
                operator_id=self.operator,
                short_abandon_s=self.short_abandon_s,
                service_level_s=self.service_level_s,
                callback_min=self.callback_min,
                exact_only=self.exact_only,
            ),
        )


class BoardQuery(Query):
    team: RowId | None = None
    channel: RowId | None = None
    tz: ZoneName = DEFAULT_TZ


class DrillQuery(ReportQuery):
    key: str = Field(max_length=40, description='The row\'s key, or "total".')
    column: str = Field(max_length=40, description="The figure clicked.")


class ExportQuery(ReportQuery):
    format: Literal["csv", "xlsx"] = "csv"
    columns: str | None = Field(
        default=None,
        max_length=2000,
        description="The columns the page shows, comma-separated (default: all).",
    )
