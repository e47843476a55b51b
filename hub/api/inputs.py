"""Request models: query parameters and JSON bodies, validated before a view runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hub.actions.channels import NAME_PATTERN as CHANNEL_NAME_PATTERN
from hub.models import LeadStatus
from hub.text import has_control

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Page size.")]
# Ids are BIGINT: anything larger is refused here rather than overflowing in the database.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Cursor = Annotated[int, Field(ge=0, le=2**63 - 1, description="next_cursor of the previous page.")]


def _one_line(value: str) -> str:
    if has_control(value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


# A name or a title: refused (422) with a line break or a control character in it.
OneLine = AfterValidator(_one_line)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class _Input(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refused here (422), not a 500 from the database.
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters (U+0000)")
        return data


class Query(_Input):
    # Unknown parameters (cache busters and the like) are ignored, not refused.
    model_config = ConfigDict(extra="ignore")


class Body(_Input):
    model_config = ConfigDict(extra="forbid")


class ConversationListQuery(Query):
    status: Literal["open", "closed", "all"] = "open"
    assignee: str | None = Field(
        default=None,
        pattern=r"^(me|none|any|[1-9][0-9]{0,17})$",
        description=(
            "me, none (the shared queue), any, or a user id. Default: any for supervisors; "
            "for operators their own plus the unassigned ones."
        ),
    )
    channel: str | None = Field(default=None, max_length=40, description="Channel kind.")
    view: Literal["mine", "queue", "team", "all", "closed", "snoozed"] | None = Field(
        default=None,
        description=(
            "A workspace view; replaces status and assignee. team: open ones of my teams; "
            "all: supervisors only; closed: mine and my teams' (supervisors: every one); "
            "snoozed: mine put aside (they are not in mine meanwhile)."
        ),
    )
    tag: str | None = Field(default=None, max_length=50, description="Only with this tag.")
    since: AwareDatetime | None = Field(default=None, description="Last activity at or after.")
    until: AwareDatetime | None = Field(default=None, description="Last activity before.")
    limit: Limit = DEFAULT_LIMIT
    before_id: Cursor | None = None


class MessageListQuery(Query):
    after_id: Cursor | None = None
    limit: Limit = DEFAULT_LIMIT


class PageQuery(Query):
    limit: Limit = DEFAULT_LIMIT
    before_id: Cursor | None = None


class LeadListQuery(PageQuery):
    status: LeadStatus | None = None


class MessageIn(Body):
    kind: Literal["reply", "note"]
    # Before `text`, so the text check knows whether files come with it.
    attachments: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list,
        max_length=10,
        description="Replies only: the `id`s POST /files returned to this caller.",
    )
    text: str = Field(default="", max_length=10_000, description="May be empty with files.")
    via_channel_id: int | None = Field(
        default=None,
        description=(
            "Replies only: send it through this other channel of the same client (one of "
            "GET /conversations/{id}/reply-channels); omitted: the conversation's own."
        ),
    )

    @field_validator("via_channel_id")
    @classmethod
    def _reply_via(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("kind") == "note":
            raise ValueError("a note is not sent anywhere")
        return value

    @field_validator("attachments")
    @classmethod
    def _replies_only(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("kind") == "note":
            raise ValueError("notes cannot carry files")
        return value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip() and not info.data.get("attachments"):
            raise ValueError("must not be blank")
        return value


class AssignIn(Body):
    user_id: RowId | None = Field(description="The new assignee; null puts it back in the queue.")
    note: str = Field(default="", max_length=500, description="Why; shown to the team.")


ChannelName = Annotated[
    str,
    Field(
        pattern=CHANNEL_NAME_PATTERN,
        description="Lower-case letters, digits, _ and -; part of the channel's URLs.",
    ),
]
ChannelOptions = Annotated[
    dict[str, Any],
    Field(description="Checked against the kind's options_schema (see /channels/kinds)."),
]


class ChannelIn(Body):
    kind: str = Field(min_length=1, max_length=40, description="A kind from /channels/kinds.")
    name: ChannelName
    title: Annotated[str, OneLine] = Field(
        default="", max_length=200, description="Shown to agents; default: name."
    )
    team_id: RowId | None = None
    enabled: bool = Field(default=True, description="false: stored, not started.")
    options: ChannelOptions = Field(default_factory=dict)


class ChannelPatch(Body):
    """Only what is sent changes; in `options` an omitted secret (or "********") is kept."""

    title: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
    team_id: RowId | None = Field(default=None, description="null: no team.")
    enabled: bool | None = None
    options: ChannelOptions | None = None
