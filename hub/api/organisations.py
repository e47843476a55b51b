"""Organisations: the registry (search, filters, keyset pages), the card, creating and
editing (with the version the edit started from)."""

from __future__ import annotations

from typing import Any

from hub.actions import organisations as organisation_actions
from hub.actions.keep import KEEP
from hub.actions.organisations import SavedOrganisation
from hub.models import CrmEntity
from hub.policy import NotFound
from hub.queries.crm_access import crm_view
from hub.queries.custom_fields import field_rules
from hub.queries.custom_filters import clean_filters, custom_params
from hub.queries.organisations import (
    OrganisationDetail,
    OrganisationFilter,
    OrganisationPage,
    list_organisations,
    organisation_detail,
)

from .organisation_schemas import OrganisationIn, OrganisationListQuery, OrganisationPatch
from .registry import ApiCall, RouteTable

routes = RouteTable("organisations")

# Fields a PATCH may set to null (none); others sent as null are left as they are.
_NULLABLE = frozenset({"inn", "kpp", "ogrn", "responsible_id"})


async def _detail(call: ApiCall[Any, Any], organisation_id: int) -> OrganisationDetail:
    async with call.hub.db.sessions() as session:
        view = await crm_view(session, call.principal)
        found = await organisation_detail(session, view, organisation_id, call.hub.clock())
    if found is None:
        raise NotFound(
            "no-such-organisation", "There is no such organisation.", {"id": organisation_id}
        )
    return found


async def _saved(call: ApiCall[Any, Any], saved: SavedOrganisation) -> OrganisationDetail:
    detail = await _detail(call, saved.organisation.id)
    return OrganisationDetail.model_validate({**detail.model_dump(), "warnings": saved.warnings})


@routes.get(
    "/organisations",
    summary="Organisations: by name prefix or INN, responsible, custom fields (cf.<key>=)",
    query=OrganisationListQuery,
    response=OrganisationPage,
)
async def list_all(call: ApiCall[OrganisationListQuery, None]) -> OrganisationPage:
    query = call.query
    order = query.order or ("asc" if query.sort == "name" else "desc")
    async with call.hub.db.sessions() as session:
        rules = await field_rules(session, CrmEntity.organisation)
        custom = clean_filters(rules, custom_params(call.request.query))
        view = await crm_view(session, call.principal)
        return await list_organisations(
            session,
            view,
            dialect=call.hub.db.dialect,
            where=OrganisationFilter(
                q=query.q, inn=query.inn, responsible_id=query.responsible_id, custom=custom
            ),
            sort=query.sort,
            descending=order == "desc",
            cursor=query.cursor,
            limit=query.limit,
        )


@routes.get(
    "/organisations/{id}",
    summary="An organisation's card with its contact persons and deals",
    response=OrganisationDetail,
)
async def get_one(call: ApiCall[None, None]) -> OrganisationDetail:
    return await _detail(call, call.path_id())


@routes.post(
    "/organisations",
    summary="Create an organisation (a duplicate INN is a warning, not an error)",
    body=OrganisationIn,
    response=OrganisationDetail,
    status=201,
)
async def create(call: ApiCall[None, OrganisationIn]) -> OrganisationDetail:
    body = call.body.model_dump()
    if "responsible_id" not in call.body.model_fields_set:
        body["responsible_id"] = KEEP
    saved = await organisation_actions.create_organisation(call.hub, call.principal, **body)
    return await _saved(call, saved)


@routes.patch(
    "/organisations/{id}",
    summary="Change an organisation; a stale version is a 409 with the current card",
    body=OrganisationPatch,
    response=OrganisationDetail,
    conflicts=True,
)
async def update(call: ApiCall[None, OrganisationPatch]) -> OrganisationDetail:
    changes = call.body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    changes = {k: v for k, v in changes.items() if v is not None or k in _NULLABLE}
    saved = await organisation_actions.update_organisation(
        call.hub, call.principal, call.path_id(), version, **changes
    )
    return await _saved(call, saved)
