"""Leads: qualifying them (new, in progress, qualified, converted, junk)."""

from __future__ import annotations

from hub.actions import leads

from .identity_schemas import LeadStatusIn, LeadStatusOut
from .registry import ApiCall, RouteTable

routes = RouteTable("leads")


@routes.patch(
    "/leads/{id}",
    summary="Qualify a lead: new, in progress, qualified, converted or junk",
    body=LeadStatusIn,
    response=LeadStatusOut,
)
async def set_lead_status(call: ApiCall[None, LeadStatusIn]) -> LeadStatusOut:
    lead = await leads.qualify_lead(call.hub, call.principal, call.path_id(), call.body.status)
    return LeadStatusOut(id=lead.id, status=lead.status)
