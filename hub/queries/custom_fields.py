"""The custom fields defined for an entity, in the administrator's order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.custom_values import FieldRule
from hub.models import CrmEntity, CustomField, FieldKind


async def custom_fields(session: AsyncSession, entity: CrmEntity) -> list[CustomField]:
    rows = await session.execute(
        select(CustomField)
        .where(CustomField.entity == entity.value)
        .order_by(CustomField.position, CustomField.id)
    )
    return list(rows.scalars())


async def field_rules(session: AsyncSession, entity: CrmEntity) -> list[FieldRule]:
    return [
        FieldRule(
            key=field.key,
            label=field.label,
            kind=FieldKind(field.kind),
            required=field.required,
            options=tuple(field.options),
        )
        for field in await custom_fields(session, entity)
    ]
