"""Bodies of the robots' API. A rule's trigger, conditions and actions travel as JSON and
are validated by robots.rules (per field: "trigger.time.after.amount", "actions.0.url")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from hub.queries.flags import FlagOut
from hub.queries.shapes import Shape

from .inputs import Body, OneLine, Query


class RobotIn(Body):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    enabled: bool = False
    trigger: dict[str, Any]
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]]


class RobotPatchIn(Body):
    version: int = Field(description="The version the editor started from (409 if stale).")
    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    # Given together: the new version's rule.
    trigger: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None


class DryRunIn(Body):
    """Nothing: the saved rule; a trigger and actions: this draft, before saving it."""

    trigger: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None


class DraftIn(Body):
    """A rule being written in the editor, checked on real data before it is saved."""

    trigger: dict[str, Any]
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]]


class DryRunOut(Shape):
    # {object_type, object_id, episode_at, matched, actions} for each object, at most 100.
    items: list[dict[str, Any]]


class FiringQuery(Query):
    limit: int = Field(default=50, ge=1, le=500)


class FlagQuery(Query):
    object_type: str | None = Field(default=None, pattern=r"^(deal|conversation|call|lead)$")
    object_id: int | None = Field(default=None, ge=1)
    include_cleared: bool = False
    limit: int = Field(default=100, ge=1, le=500)


class FlagClearIn(Body):
    comment: str = Field(min_length=1, max_length=2000)


class FlagList(Shape):
    items: list[FlagOut]
