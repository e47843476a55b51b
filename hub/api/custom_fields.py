"""Custom field definitions: everyone reads them (cards and registries show them), admins
define them."""

from __future__ import annotations

from sqlalchemy import select

from hub.actions import custom_fields as field_actions
from hub.models import CustomField, Role

from .custom_field_schemas import (
    CustomFieldIn,
    CustomFieldList,
    CustomFieldOut,
    CustomFieldPatch,
    CustomFieldQuery,
)
from .registry import ApiCall, RouteTable

routes = RouteTable("custom-fields")


def field_out(field: CustomField) -> CustomFieldOut:
    return CustomFieldOut.model_validate(
        {
            "id": field.id,
            "entity": field.entity,
            "key": field.key,
            "label": field.label,
            "kind": field.kind,
            "required": field.required,
            "options": list(field.options or []),
            "position": field.position,
        }
    )


@routes.get(
    "/custom-fields",
    summary="Custom fields of contacts, organisations and deals, in the shown order",
    query=CustomFieldQuery,
    response=CustomFieldList,
)
async def list_fields(call: ApiCall[CustomFieldQuery, None]) -> CustomFieldList:
    stmt = select(CustomField).order_by(CustomField.entity, CustomField.position, CustomField.id)
    if call.query.entity is not None:
        stmt = stmt.where(CustomField.entity == call.query.entity.value)
    async with call.hub.db.sessions() as session:
        found = (await session.scalars(stmt)).all()
    return CustomFieldList(items=[field_out(f) for f in found])


@routes.post(
    "/custom-fields",
    summary="Define a custom field (the key comes from the label when not given)",
    body=CustomFieldIn,
    response=CustomFieldOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_field(call: ApiCall[None, CustomFieldIn]) -> CustomFieldOut:
    body = call.body
    field = await field_actions.create_field(
        call.hub,
        call.principal,
        body.entity,
        body.label,
        body.kind,
        key=body.key,
        required=body.required,
        options=body.options,
    )
    return field_out(field)


@routes.patch(
    "/custom-fields/{id}",
    summary="Change a custom field's label, required flag, options or position",
    body=CustomFieldPatch,
    response=CustomFieldOut,
    role=Role.admin,
)
async def update_field(call: ApiCall[None, CustomFieldPatch]) -> CustomFieldOut:
    changes = {k: v for k, v in call.body.model_dump(exclude_unset=True).items() if v is not None}
    field = await field_actions.update_field(call.hub, call.principal, call.path_id(), **changes)
    return field_out(field)


@routes.delete(
    "/custom-fields/{id}",
    summary="Delete a custom field definition (values on records stay, unseen)",
    response=CustomFieldOut,
    role=Role.admin,
)
async def delete_field(call: ApiCall[None, None]) -> CustomFieldOut:
    return field_out(await field_actions.delete_field(call.hub, call.principal, call.path_id()))
