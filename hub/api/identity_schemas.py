"""Request and response models of who a contact is: duplicates, merges, leads and conversion."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hub.models import LeadStatus
from hub.queries import ContactBrief, Shape, Timestamp

from .inputs import Body, RowId


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
