"""What an export writes beside a registry row: the fields the list does not carry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Deal, Organisation, Pipeline, Stage


async def organisation_extras(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(
            Organisation.id,
            Organisation.ogrn,
            Organisation.legal_address,
            Organisation.actual_address,
            Organisation.site,
        ).where(Organisation.id.in_(list(ids)))
    )
    return {
        row.id: {
            "ogrn": row.ogrn or "",
            "legal_address": row.legal_address or "",
            "actual_address": row.actual_address or "",
            "site": row.site or "",
        }
        for row in rows.all()
    }


async def deal_extras(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(Deal.id, Deal.source, Deal.custom_fields, Deal.loss_reason).where(
            Deal.id.in_(list(ids))
        )
    )
    return {
        row.id: {
            "source": row.source or "",
            "custom_fields": dict(row.custom_fields or {}),
            "loss_reason": row.loss_reason or "",
        }
        for row in rows.all()
    }


async def stage_names(session: AsyncSession) -> dict[int, tuple[str, str]]:
    """Stage id -> (pipeline name, stage name)."""
    rows = await session.execute(
        select(Stage.id, Pipeline.name, Stage.name).join(Pipeline, Pipeline.id == Stage.pipeline_id)
    )
    return {stage_id: (pipeline, stage) for stage_id, pipeline, stage in rows.all()}
