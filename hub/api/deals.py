"""Deals: the filtered list with totals, a deal with its stage history, creating (also from
a conversation), editing with a version check, and moving to another stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub.actions import deals
from hub.actions.keep import KEEP
from hub.models import CrmEntity
from hub.policy import NotFound
from hub.queries.crm_access import crm_view
from hub.queries.custom_fields import field_rules
from hub.queries.custom_filters import clean_filters, custom_params
from hub.queries.deal_lists import DealFilter, DealPage, list_deals
from hub.queries.deals import DealDetail, deal_detail

from .deal_schemas import DealIn, DealListQuery, DealPatchIn, MoveIn
from .registry import ApiCall, RouteTable

routes = RouteTable("deals")


async def _detail(call: ApiCall[Any, Any], deal_id: int) -> DealDetail:
    """The deal if the caller's CRM view holds it; otherwise no such deal (404)."""
    async with call.hub.db.sessions() as session:
        view = await crm_view(session, call.principal)
        found = await deal_detail(session, deal_id, call.hub.clock())
    if found is None or not view.sees(found.responsible.id if found.responsible else None):
        raise NotFound("no-such-deal", "There is no such deal.", {"id": deal_id})
    return found


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


@routes.get(
    "/deals",
    summary="Deals with filters, sorting and keyset paging; totals count and sum them all "
    "(cf.<key>=value filters by a custom field)",
    query=DealListQuery,
    response=DealPage,
)
async def get_deals(call: ApiCall[DealListQuery, None]) -> DealPage:
    query = call.query
    created_to = _day_start(query.created_to)
    filters = DealFilter(
        pipeline_id=query.pipeline_id,
        stage_id=query.stage_id,
        outcome=query.outcome,
        responsible_id=query.responsible_id,
        contact_id=query.contact_id,
        organisation_id=query.organisation_id,
        q=query.q,
        created_from=_day_start(query.created_from),
        created_to=None if created_to is None else created_to + timedelta(days=1),
    )
    async with call.hub.db.sessions() as session:
        rules = await field_rules(session, CrmEntity.deal)
        custom = clean_filters(rules, custom_params(call.request.query))
        view = await crm_view(session, call.principal)
        return await list_deals(
            session,
            view,
            replace(filters, custom=custom, dialect=call.hub.db.dialect),
            call.hub.clock(),
            sort=query.sort,
            descending=query.order == "desc",
            limit=query.limit,
            cursor=query.cursor,
        )


@routes.post(
    "/deals",
    summary="Create a deal (from a conversation: pre-filled and linked to it)",
    body=DealIn,
    response=DealDetail,
    status=201,
)
async def create_deal(call: ApiCall[None, DealIn]) -> DealDetail:
    body = call.body
    given = body.model_fields_set
    deal_id = await deals.create_deal(
        call.hub,
        call.principal,
        title=body.title,
        pipeline_id=body.pipeline_id,
        stage_id=body.stage_id,
        amount=body.amount,
        currency=body.currency,
        contact_id=body.contact_id if "contact_id" in given else KEEP,
        organisation_id=body.organisation_id if "organisation_id" in given else KEEP,
        responsible_id=body.responsible_id if "responsible_id" in given else KEEP,
        expected_close_on=body.expected_close_on,
        payment_due_on=body.payment_due_on,
        source=body.source if body.source is not None else KEEP,
        conversation_id=body.conversation_id,
        custom_fields=body.custom_fields,
    )
    return await _detail(call, deal_id)


@routes.get("/deals/{id}", summary="A deal with its stage history", response=DealDetail)
async def get_deal(call: ApiCall[None, None]) -> DealDetail:
    return await _detail(call, call.path_id())


@routes.patch(
    "/deals/{id}",
    summary="Change a deal (409 stale-version when it changed since `version`)",
    body=DealPatchIn,
    response=DealDetail,
    conflicts=True,
)
async def update_deal(call: ApiCall[None, DealPatchIn]) -> DealDetail:
    changes = call.body.model_dump(exclude_unset=True, exclude={"version"})
    await deals.update_deal(call.hub, call.principal, call.path_id(), call.body.version, changes)
    return await _detail(call, call.path_id())


@routes.post(
    "/deals/{id}/move",
    summary="Move a deal to another stage of its pipeline (a lost stage needs loss_reason)",
    body=MoveIn,
    response=DealDetail,
    conflicts=True,
)
async def move_deal(call: ApiCall[None, MoveIn]) -> DealDetail:
    body = call.body
    await deals.move_deal(
        call.hub,
        call.principal,
        call.path_id(),
        body.stage_id,
        version=body.version,
        loss_reason=body.loss_reason,
    )
    return await _detail(call, call.path_id())
