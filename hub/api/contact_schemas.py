"""Contacts registry and card: the query of the list, the bodies of a create and an edit, and
what they answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from hub.models import ContactStatus, VisibilityScope
from hub.policy import InvalidInput
from hub.queries import ContactCard, ContactRow, NamedRef, Shape

from .inputs import DEFAULT_LIMIT, Body, Limit, OneLine, Query, RowId

Phone = Annotated[str, Field(max_length=100)]
Email = Annotated[str, Field(max_length=320)]


class ContactListQuery(Query):
    """Filters combine; `cf.<key>=value` (not listed: one per custom field) keeps contacts
    whose custom field equals the value (a multiple-choice field: includes it)."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description=(
            "A phone in any spelling, an e-mail (has @), an INN (10 or 12 digits: contacts of "
            "that organisation), else a name: see `match`."
        ),
    )
    match: Literal["contains", "prefix"] = Field(
        default="contains",
        description="How `q` matches a name (any case, ё as е): anywhere, or its beginning "
        "(the indexed, fastest search).",
    )
    phone: str | None = Field(
        default=None, max_length=50, description="Any common format; matched after normalising."
    )
    email: str | None = Field(default=None, max_length=320)
    status: ContactStatus | None = None
    responsible_id: RowId | None = None
    organisation_id: RowId | None = None
    source: str | None = Field(default=None, max_length=100)
    created_from: str | None = Field(
        default=None, max_length=40, description="YYYY-MM-DD (UTC) or an ISO 8601 moment."
    )
    created_to: str | None = Field(
        default=None,
        max_length=40,
        description="YYYY-MM-DD (UTC, that day included) or an ISO 8601 moment (excluded).",
    )
    sort: Literal["name", "created_at", "updated_at", "next_contact_at"] = "created_at"
    order: Literal["asc", "desc"] | None = Field(
        default=None,
        description="Default: desc for created_at and updated_at, asc for name and "
        "next_contact_at (contacts without one come last).",
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = Field(
        default=None, max_length=500, description="next_cursor of the previous page."
    )
    before_id: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Older form of paging: a contact id (contacts older than it), or a "
        "next_cursor.",
    )


def _moment(value: str, field_name: str, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            [
                {
                    "field": field_name,
                    "location": "query",
                    "type": "invalid-date",
                    "message": "Expected YYYY-MM-DD or an ISO 8601 date and time.",
                }
            ]
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def created_range(query: ContactListQuery) -> tuple[datetime | None, datetime | None]:
    start = (
        None if query.created_from is None else _moment(query.created_from, "created_from", False)
    )
    end = None if query.created_to is None else _moment(query.created_to, "created_to", True)
    return start, end


class OrganisationLinkIn(Body):
    id: RowId
    position: Annotated[str, OneLine] = Field(default="", max_length=200)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class ContactIn(Body):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=300)
    status: ContactStatus = ContactStatus.client
    phones: list[Phone] = Field(
        default_factory=list,
        max_length=20,
        description="As typed; normalised. One that cannot be parsed is kept as written "
        "(the card shows it with unparsed: true).",
    )
    emails: list[Email] = Field(default_factory=list, max_length=20)
    organisations: list[OrganisationLinkIn] = Field(default_factory=list, max_length=50)
    responsible_id: RowId | None = Field(
        default=None, description="Default: the person creating it; null: nobody."
    )
    source: str = Field(default="", max_length=100)
    next_contact_at: datetime | None = Field(default=None, description="Without an offset: UTC.")
    custom_fields: dict[str, Any] = Field(default_factory=dict)

    _utc_next = field_validator("next_contact_at")(_utc)


class ContactPatch(Body):
    """Only what is sent changes; phones, emails and organisations replace the whole list
    (to fix an unparsed phone, send the list with the corrected number instead of it)."""

    version: int = Field(ge=1, description="The version the edit started from.")
    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=300)
    status: ContactStatus | None = None
    phones: list[Phone] | None = Field(default=None, max_length=20)
    emails: list[Email] | None = Field(default=None, max_length=20)
    organisations: list[OrganisationLinkIn] | None = Field(default=None, max_length=50)
    responsible_id: RowId | None = Field(default=None, description="null: nobody.")
    source: str | None = Field(default=None, max_length=100)
    next_contact_at: datetime | None = None
    custom_fields: dict[str, Any] | None = Field(
        default=None, description='Merged into the current values; null or "" clears one.'
    )

    _utc_next = field_validator("next_contact_at")(_utc)


class EditWarning(Shape):
    """Saved, but not all of it: this phone or e-mail belongs to another contact (shown when
    the caller may see that contact, else null) and was not attached."""

    field: str
    type: Literal["duplicate-phone", "duplicate-email"]
    value: str
    contact: NamedRef | None


class ContactSaved(ContactCard):
    warnings: list[EditWarning]


class ContactRegistryPage(Shape):
    items: list[ContactRow]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class CrmVisibilityOut(Shape):
    """Which clients and deals each role sees: its own, its teams' (and unassigned), or all."""

    operator: VisibilityScope
    supervisor: VisibilityScope
    admin: VisibilityScope


class CrmVisibilityIn(Body):
    operator: VisibilityScope | None = None
    supervisor: VisibilityScope | None = None
