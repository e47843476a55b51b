"""Request and response models of a conversation's routing: transfer and the decisions."""

from __future__ import annotations

from pydantic import Field, model_validator

from hub.queries import Shape, Timestamp, UserBrief

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
