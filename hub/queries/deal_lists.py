"""Pipelines, the board of one pipeline, and the filtered list of deals with its totals.

Everything is filtered by the reader's `CrmView` first: a deal outside it is in no count,
no sum and no page.

The board answers in 2 + (number of stages) queries: the pipeline with its stages, one
GROUP BY for every column's count and sum, then each column's first cards. One query per
stage rather than one ROW_NUMBER() window over the pipeline: a window numbers every deal of
the pipeline (10,000 open ones on a busy board) before keeping 50 per stage, while each
per-stage query reads at most 51 rows off `ix_deals_stage_entered` (stage_id,
stage_entered_at) and stops; pipelines have a handful of stages, so the round trips are few.
A column's `next_cursor` continues in
`GET /deals?stage_id=..&sort=stage_entered_at&order=asc` (with the board's filters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Date, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.custom_values import FieldRule
from hub.models import Deal, Pipeline, Stage
from hub.models.crm import search_key
from hub.policy import InvalidInput

from .crm_access import CrmView
from .custom_filters import custom_condition
from .deals import DealCard, card_rows, card_select, cards, money
from .keyset import Sort, decode_cursor, encode_cursor
from .shapes import Shape

RUB = "RUB"

BOARD_COLUMN_CARDS = 50
SortKey = Literal["created_at", "amount", "stage_entered_at", "expected_close_on"]
# Deals without an expected close date sort after every dated one.
NO_DATE = date(9999, 12, 31)


class StageOut(Shape):
    id: int
    name: str
    position: int
    outcome: str
    probability: int


class PipelineOut(Shape):
    id: int
    name: str
    position: int
    stages: list[StageOut]


class PipelineList(Shape):
    items: list[PipelineOut]


class BoardColumn(Shape):
    stage: StageOut
    count: int
    amount: str = Field(description="The sum of the column's deals in rubles (RUB) only")
    amounts: dict[str, str] = Field(
        description="The sums per currency (ISO code → sum): deals in dollars are never added "
        "to deals in rubles"
    )
    deals: list[DealCard]
    next_cursor: str | None


class Board(Shape):
    pipeline: PipelineOut
    columns: list[BoardColumn]


class Totals(Shape):
    count: int
    amount: str = Field(description="The sum of the matching deals in rubles (RUB) only")
    amounts: dict[str, str] = Field(description="The sums per currency (ISO code → sum)")


def _by_currency(rows: Iterable[Any]) -> dict[str, str]:
    """(currency, sum) rows as the wire's {"RUB": "125000.00", ...}, rubles first."""
    sums = {currency: money(amount) for currency, amount in rows}
    return dict(sorted(sums.items(), key=lambda item: (item[0] != RUB, item[0])))


class DealPage(Shape):
    items: list[DealCard]
    next_cursor: str | None
    totals: Totals


@dataclass(frozen=True)
class DealFilter:
    pipeline_id: int | None = None
    stage_id: int | None = None
    outcome: str | None = None
    responsible_id: int | None = None
    contact_id: int | None = None
    organisation_id: int | None = None
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # Cleaned `cf.<key>` filters (hub/queries/custom_filters.clean_filters).
    custom: Sequence[tuple[FieldRule, Any]] = ()
    dialect: str = "sqlite"

    def conditions(self, view: CrmView) -> list[ColumnElement[bool]]:
        found = [view.where(Deal.responsible_user_id)]
        plain = {
            Deal.pipeline_id: self.pipeline_id,
            Deal.stage_id: self.stage_id,
            Deal.responsible_user_id: self.responsible_id,
            Deal.contact_id: self.contact_id,
            Deal.organisation_id: self.organisation_id,
        }
        found += [column == value for column, value in plain.items() if value is not None]
        if self.outcome is not None:
            found.append(Deal.stage_id.in_(select(Stage.id).where(Stage.outcome == self.outcome)))
        if self.q and search_key(self.q):
            found.append(Deal.title_key.startswith(search_key(self.q), autoescape=True))
        if self.created_from is not None:
            found.append(Deal.created_at >= self.created_from)
        if self.created_to is not None:
            found.append(Deal.created_at < self.created_to)
        for rule, value in self.custom:
            found.append(custom_condition(self.dialect, Deal.custom_fields, rule, value))
        return found


def _sort_column(key: SortKey) -> Any:
    if key == "expected_close_on":
        return func.coalesce(Deal.expected_close_on, literal(NO_DATE, Date))
    return {
        "created_at": Deal.created_at,
        "amount": Deal.amount,
        "stage_entered_at": Deal.stage_entered_at,
    }[key]


def _sort_value(deal: Deal, key: SortKey) -> Any:
    if key == "expected_close_on":
        return deal.expected_close_on or NO_DATE
    return getattr(deal, key)


_CURSOR_TYPES: dict[str, type] = {
    "created_at": datetime,
    "amount": Decimal,
    "stage_entered_at": datetime,
    "expected_close_on": date,
}


def _checked(cursor: tuple[Any, int], key: SortKey) -> tuple[Any, int]:
    """A cursor of another sort (a date where an amount goes) is bad input, not a 500."""
    if type(cursor[0]) is not _CURSOR_TYPES[key]:
        raise InvalidInput(
            [
                {
                    "field": "cursor",
                    "location": "query",
                    "type": "bad-cursor",
                    "message": "not a cursor of this sort",
                }
            ]
        )
    return cursor


async def list_pipelines(session: AsyncSession) -> PipelineList:
    pipelines = (
        await session.execute(select(Pipeline).order_by(Pipeline.position, Pipeline.id))
    ).scalars()
    stages = (
        await session.execute(select(Stage).order_by(Stage.pipeline_id, Stage.position))
    ).scalars()
    by_pipeline: dict[int, list[StageOut]] = {}
    for stage in stages:
        by_pipeline.setdefault(stage.pipeline_id, []).append(_stage_out(stage))
    return PipelineList(
        items=[
            PipelineOut(id=p.id, name=p.name, position=p.position, stages=by_pipeline.get(p.id, []))
            for p in pipelines
        ]
    )


def _stage_out(stage: Stage) -> StageOut:
    return StageOut(
        id=stage.id,
        name=stage.name,
        position=stage.position,
        outcome=stage.outcome,
        probability=stage.probability,
    )


async def board(
    session: AsyncSession,
    view: CrmView,
    pipeline_id: int,
    now: datetime,
    responsible_id: int | None = None,
    q: str | None = None,
) -> Board | None:
    pipeline = await session.get(Pipeline, pipeline_id)
    if pipeline is None:
        return None
    stages = list(
        (
            await session.execute(
                select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
            )
        ).scalars()
    )
    where = DealFilter(pipeline_id=pipeline_id, responsible_id=responsible_id, q=q).conditions(view)
    # Counted per stage and currency in one GROUP BY: sums of different currencies are kept
    # apart, never added up as if a dollar were a ruble.
    counts: dict[int, int] = {}
    sums: dict[int, list[tuple[str, Any]]] = {}
    for stage_id, currency, count, amount in await session.execute(
        select(Deal.stage_id, Deal.currency, func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .where(*where)
        .group_by(Deal.stage_id, Deal.currency)
    ):
        counts[stage_id] = counts.get(stage_id, 0) + count
        sums.setdefault(stage_id, []).append((currency, amount))
    sort = Sort(Deal.stage_entered_at, Deal.id)
    columns = []
    for stage in stages:
        stmt = sort.order(card_select().where(*where, Deal.stage_id == stage.id))
        rows = await card_rows(session, stmt.limit(BOARD_COLUMN_CARDS + 1))
        amounts = _by_currency(sums.get(stage.id, []))
        columns.append(
            BoardColumn(
                stage=_stage_out(stage),
                count=counts.get(stage.id, 0),
                amount=amounts.get(RUB, money(0)),
                amounts=amounts,
                deals=cards(rows[:BOARD_COLUMN_CARDS], now),
                next_cursor=_next(rows, BOARD_COLUMN_CARDS, "stage_entered_at"),
            )
        )
    return Board(
        pipeline=PipelineOut(
            id=pipeline.id,
            name=pipeline.name,
            position=pipeline.position,
            stages=[c.stage for c in columns],
        ),
        columns=columns,
    )


def _next(rows: list[Any], limit: int, key: SortKey) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1][0]
    return encode_cursor(_sort_value(last, key), last.id)


async def list_deals(
    session: AsyncSession,
    view: CrmView,
    filters: DealFilter,
    now: datetime,
    *,
    sort: SortKey = "created_at",
    descending: bool = True,
    limit: int = 50,
    cursor: str | None = None,
) -> DealPage:
    """One page of the matching deals, and the count and sum of all of them."""
    where = filters.conditions(view)
    per_currency = list(
        await session.execute(
            select(Deal.currency, func.count(), func.coalesce(func.sum(Deal.amount), 0))
            .where(*where)
            .group_by(Deal.currency)
        )
    )
    amounts = _by_currency((currency, amount) for currency, _, amount in per_currency)
    order = Sort(_sort_column(sort), Deal.id, descending)
    stmt = card_select().where(*where)
    if cursor is not None:
        stmt = stmt.where(order.after(_checked(decode_cursor(cursor), sort)))
    rows = await card_rows(session, order.order(stmt).limit(limit + 1))
    return DealPage(
        items=cards(rows[:limit], now),
        next_cursor=_next(rows, limit, sort),
        totals=Totals(
            count=sum(count for _, count, _ in per_currency),
            amount=amounts.get(RUB, money(0)),
            amounts=amounts,
        ),
    )
