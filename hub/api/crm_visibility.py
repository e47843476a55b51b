"""Who sees which clients and deals, per role (operators and supervisors; admins see all)."""

from __future__ import annotations

from typing import Any

from hub.actions import crm_visibility
from hub.models import Role, VisibilityScope
from hub.queries.crm_access import scopes

from .contact_schemas import CrmVisibilityIn, CrmVisibilityOut
from .registry import ApiCall, RouteTable

routes = RouteTable("crm")


async def _current(call: ApiCall[None, Any]) -> CrmVisibilityOut:
    async with call.hub.db.sessions() as session:
        by_role = await scopes(session)
    return CrmVisibilityOut(
        operator=by_role[Role.operator],
        supervisor=by_role[Role.supervisor],
        admin=by_role[Role.admin],
    )


@routes.get(
    "/crm-visibility",
    summary="Which clients and deals each role sees: own, team or all",
    response=CrmVisibilityOut,
)
async def get_visibility(call: ApiCall[None, None]) -> CrmVisibilityOut:
    return await _current(call)


@routes.put(
    "/crm-visibility",
    summary="Set which clients and deals operators and supervisors see",
    body=CrmVisibilityIn,
    response=CrmVisibilityOut,
    role=Role.admin,
)
async def set_visibility(call: ApiCall[None, CrmVisibilityIn]) -> CrmVisibilityOut:
    given: dict[Role, VisibilityScope] = {}
    if call.body.operator is not None:
        given[Role.operator] = call.body.operator
    if call.body.supervisor is not None:
        given[Role.supervisor] = call.body.supervisor
    await crm_visibility.set_visibility(call.hub, call.principal, given)
    return await _current(call)
