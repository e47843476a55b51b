"""Request models of pipelines and deals: money, currency and dates checked per field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from hub.models import StageOutcome

from .inputs import Body, Limit, OneLine, Query, RowId

# Numeric(14, 2): up to twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")


def _money(value: Any) -> Decimal:
    """A number or a numeric string; not negative, at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PydanticCustomError("money", "must be an amount such as 125000.50")
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise PydanticCustomError("money", "must be an amount such as 125000.50") from None
    if not amount.is_finite():
        raise PydanticCustomError("money", "must be an amount such as 125000.50")
    if amount < 0:
        raise PydanticCustomError("money-negative", "must not be negative")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise PydanticCustomError("money-decimals", "at most two decimals (kopecks)")
    if amount > MAX_AMOUNT:
        raise PydanticCustomError("money-too-large", "must be below a trillion")
    return amount.quantize(Decimal("0.01"))


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,12}(\.\d{1,2})?$",
            "description": "A number or a string, not negative, two decimals at most.",
        }
    ),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. RUB.")]
Title = Annotated[str, Field(min_length=1, max_length=300), OneLine]
Source = Annotated[str, Field(max_length=100)]


class StageIn(Body):
    id: RowId | None = Field(default=None, description="An existing stage to keep; none: new.")
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    outcome: Literal["open", "won", "lost"] = StageOutcome.open  # type: ignore[assignment]
    probability: int = Field(default=0, ge=0, le=100, description="Chance to win, percent.")


class PipelineIn(Body):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    stages: list[StageIn] = Field(min_length=1, max_length=50)


class PipelinePatchIn(Body):
    """The stages given, in their new order, replace the list: one left out is deleted."""

    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
    stages: list[StageIn] | None = Field(default=None, min_length=1, max_length=50)


class BoardQuery(Query):
    responsible_id: RowId | None = None
    q: str | None = Field(default=None, max_length=100, description="Title prefix, any case.")


class DealListQuery(Query):
    pipeline_id: RowId | None = None
    stage_id: RowId | None = None
    outcome: Literal["open", "won", "lost"] | None = None
    responsible_id: RowId | None = None
    contact_id: RowId | None = None
    organisation_id: RowId | None = None
    q: str | None = Field(default=None, max_length=100, description="Title prefix, any case.")
    created_from: date | None = Field(default=None, description="Created on or after (UTC).")
    created_to: date | None = Field(default=None, description="Created on or before (UTC).")
    sort: Literal["created_at", "amount", "stage_entered_at", "expected_close_on"] = "created_at"
    order: Literal["asc", "desc"] = "desc"
    limit: Limit = 50
    cursor: str | None = Field(default=None, max_length=500, description="next_cursor given.")


class DealIn(Body):
    title: Title
    pipeline_id: RowId | None = None
    stage_id: RowId | None = None
    amount: Money = Decimal("0.00")
    currency: Currency = "RUB"
    contact_id: RowId | None = None
    organisation_id: RowId | None = None
    responsible_id: RowId | None = Field(default=None, description="Default: you.")
    expected_close_on: date | None = None
    payment_due_on: date | None = Field(default=None, description="The day to pay by.")
    source: Source | None = None
    conversation_id: RowId | None = Field(
        default=None,
        description="Pre-fills contact, organisation, source and responsible; links the deal.",
    )
    custom_fields: dict[str, Any] | None = None


class DealPatchIn(Body):
    """Only the fields given change; `version` is the one the edit started from."""

    version: int = Field(ge=1)
    title: Title | None = None
    amount: Money | None = None
    currency: Currency | None = None
    contact_id: RowId | None = None
    organisation_id: RowId | None = None
    responsible_id: RowId | None = None
    expected_close_on: date | None = None
    payment_due_on: date | None = Field(default=None, description="The day to pay by; null: none.")
    paid: bool | None = Field(
        default=None,
        description="true: mark paid now (paid_at; a paid deal keeps its moment); false: unmark.",
    )
    source: Source | None = None
    custom_fields: dict[str, Any] | None = None

    @field_validator("title", "amount", "currency", "source", "paid")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields sent: an omitted one stays as it is, a null one is refused.
        if value is None:
            raise PydanticCustomError("null", "cannot be null")
        return value


class MoveIn(Body):
    stage_id: RowId
    version: int | None = Field(default=None, ge=1, description="Refuse if changed since.")
    loss_reason: str | None = Field(default=None, max_length=300, description="For lost.")
