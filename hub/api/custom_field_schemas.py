"""Request and response models of custom field definitions."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.actions.custom_fields import KEY_PATTERN
from hub.models import CrmEntity, FieldKind
from hub.queries import Shape

from .inputs import Body, OneLine, Query

Option = Annotated[str, OneLine, Field(min_length=1, max_length=200)]


class CustomFieldQuery(Query):
    entity: CrmEntity | None = Field(default=None, description="Only this entity's fields.")


class CustomFieldIn(Body):
    entity: CrmEntity
    label: Annotated[str, OneLine] = Field(min_length=1, max_length=200)
    kind: FieldKind
    key: str | None = Field(
        default=None,
        pattern=KEY_PATTERN,
        description="Where values are stored; default: the label in latin, made unique.",
    )
    required: bool = False
    options: list[Option] = Field(
        default_factory=list, max_length=500, description="The choices of a list field."
    )


class CustomFieldPatch(Body):
    """Only what is sent changes; the kind and the key never do."""

    label: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=200)
    required: bool | None = None
    options: list[Option] | None = Field(default=None, max_length=500)
    position: int | None = Field(default=None, ge=1, le=10_000, description="1 is first.")


class CustomFieldOut(Shape):
    id: int
    entity: CrmEntity
    key: str
    label: str
    kind: FieldKind
    required: bool
    options: list[str]
    position: int


class CustomFieldList(Shape):
    items: list[CustomFieldOut]
