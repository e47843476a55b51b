"""Request models of organisations; the responses are the read models of
hub/queries/organisations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .inputs import DEFAULT_LIMIT, Body, Limit, OneLine, Query, RowId

Requisite = Annotated[str, Field(max_length=40)]
Address = Annotated[str, Field(max_length=1000)]
RawPhone = Annotated[str, Field(max_length=50)]
RawEmail = Annotated[str, Field(max_length=320)]


class OrganisationListQuery(Query):
    """Any other `cf.<key>=value` parameter filters by that custom field."""

    q: str | None = Field(
        default=None,
        max_length=200,
        description="Start of the name, any case; 10 or 12 digits: the INN.",
    )
    inn: str | None = Field(default=None, pattern=r"^[0-9]{10}([0-9]{2})?$")
    responsible_id: RowId | None = None
    sort: Literal["name", "created_at"] = "name"
    order: Literal["asc", "desc"] | None = Field(
        default=None, description="Default: asc by name, desc (newest first) by created_at."
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = Field(
        default=None, max_length=500, description="next_cursor of the previous page."
    )


class OrganisationIn(Body):
    name: Annotated[str, OneLine] = Field(min_length=1, max_length=300)
    inn: Requisite | None = Field(default=None, description="10 digits, or 12 for an ИП.")
    kpp: Requisite | None = None
    ogrn: Requisite | None = Field(default=None, description="ОГРН (13) or ОГРНИП (15).")
    legal_address: Address = ""
    actual_address: Address = ""
    phones: list[RawPhone] = Field(default_factory=list, max_length=20)
    emails: list[RawEmail] = Field(default_factory=list, max_length=20)
    site: str = Field(default="", max_length=300)
    responsible_id: RowId | None = Field(
        default=None, description="Default: whoever creates it; null: nobody."
    )
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class OrganisationPatch(Body):
    """`version` is the one the edit started from; only the other fields sent change."""

    version: int = Field(ge=1)
    name: Annotated[str, OneLine] | None = Field(default=None, min_length=1, max_length=300)
    inn: Requisite | None = None
    kpp: Requisite | None = None
    ogrn: Requisite | None = None
    legal_address: Address | None = None
    actual_address: Address | None = None
    phones: list[RawPhone] | None = Field(default=None, max_length=20)
    emails: list[RawEmail] | None = Field(default=None, max_length=20)
    site: str | None = Field(default=None, max_length=300)
    responsible_id: RowId | None = None
    custom_fields: dict[str, Any] | None = None
