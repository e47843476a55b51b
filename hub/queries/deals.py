"""Deals as the board, the list, the events and the deal page show them.

A `DealCard` is what a board column holds and what `deal.changed` carries; the `Deal` page
adds its custom fields, links and the stage history with the time spent in each stage.
Cards are built set-based: one query for any number of cards (the deal with the names of
its contact, organisation and responsible manager, outer-joined). Time ("days in stage",
the last stage's seconds) is measured against the caller's clock, the hub's, so tests can
move it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import (
    Contact,
    Deal,
    DealConversation,
    DealStageChange,
    Organisation,
    RobotFlag,
    Role,
    Stage,
    User,
    VisibilityScope,
)
from hub.serialize import iso

from .card import NamedRef
from .crm_access import scopes_column, scopes_of
from .flags import FlagBrief, open_flags
from .shapes import Shape, Timestamp

CENT = Decimal("0.01")


def money(value: Decimal | int | float | None) -> str:
    """Amounts travel as strings with two decimals: "125000.00"."""
    return format(Decimal(str(value or 0)).quantize(CENT), "f")


class DealCard(Shape):
    id: int
    title: str
    amount: str
    currency: str
    pipeline_id: int
    stage_id: int
    contact: NamedRef | None
    organisation: NamedRef | None
    responsible: NamedRef | None
    stage_entered_at: Timestamp
    days_in_stage: int
    expected_close_on: str | None
    # The day the client is to pay by, and when the deal was marked paid (null: not paid).
    payment_due_on: str | None
    paid_at: Timestamp | None
    # Raised by robots and standing: {id, kind (the rule's code), label (its reason), ...}
    flags: list[FlagBrief]
    version: int


class StagePeriod(Shape):
    """One stay of the deal in a stage: from the move in to the next move (or now)."""

    stage: NamedRef
    entered_at: Timestamp
    left_at: Timestamp | None
    seconds: int
    by: NamedRef | None
    # "user" for a person (named in `by`), "robot:<name>", "system", "migration".
    actor: str


class DealDetail(DealCard):
    custom_fields: dict[str, Any]
    source: str
    loss_reason: str
    conversations: list[int]
    created_at: Timestamp
    closed_at: Timestamp | None
    history: list[StagePeriod]


_Owner = aliased(User)
# The deal, the names of its contact, organisation and responsible, its standing flags.
CardRow = tuple[Deal, str | None, str | None, str | None, list[dict[str, Any]]]


@dataclass(frozen=True)
class CardContext:
    """What announcing a deal's change needs beside the deal's own columns: the names its
    card shows, whether a flag stands on it, and the roles' visibility scopes (who is told)."""

    contact: str | None
    organisation: str | None
    responsible: str | None
    # Whether a robot's flag stands on the deal: most do not, and their card then needs no
    # query for its flags.
    flagged: bool
    scopes: dict[Role, VisibilityScope]


def with_card_context(stmt: Select[Any]) -> Select[Any]:
    """`stmt` (selecting from deals) with a `CardContext`'s five columns last (`card_context`
    reads them): a move reads them with the deal it locks, so announcing it needs no query
    of its own but for the flags of a flagged deal."""
    flagged = (
        select(RobotFlag.id)
        .where(
            RobotFlag.object_type == "deal",
            RobotFlag.object_id == Deal.id,
            RobotFlag.cleared_at.is_(None),
        )
        .exists()
    )
    return (
        stmt.add_columns(Contact.name, Organisation.name, _Owner.name, flagged, scopes_column())
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(Organisation, Organisation.id == Deal.organisation_id)
        .outerjoin(_Owner, _Owner.id == Deal.responsible_user_id)
    )


def card_context(row: Sequence[Any]) -> CardContext:
    """The `CardContext` of a row of `with_card_context`'s statement (its last columns)."""
    contact, organisation, responsible, flagged, scopes = row[-5:]
    return CardContext(contact, organisation, responsible, bool(flagged), scopes_of(scopes))


async def card_of(
    session: AsyncSession, deal: Deal, context: CardContext, now: datetime
) -> dict[str, Any]:
    """The card (as JSON) of a deal held with its names: its standing flags, if it has
    any, are the one query left."""
    flags = await open_flags(session, "deal", [deal.id]) if context.flagged else {}
    row: CardRow = (
        deal,
        context.contact,
        context.organisation,
        context.responsible,
        flags.get(deal.id, []),
    )
    return card_json(row, now)


def card_select() -> Select[Any]:
    """Deals with the names their card shows; add conditions, order and limit."""
    stmt = (
        select(Deal, Contact.name, Organisation.name, _Owner.name)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(Organisation, Organisation.id == Deal.organisation_id)
        .outerjoin(_Owner, _Owner.id == Deal.responsible_user_id)
    )
    # Select[Any]: what keyset.Sort orders, whatever the columns.
    return cast("Select[Any]", stmt)


async def card_rows(session: AsyncSession, stmt: Select[Any]) -> list[CardRow]:
    rows = (await session.execute(stmt)).all()
    # One more query for the whole page's flags, not one per card.
    flags = await open_flags(session, "deal", (row[0].id for row in rows))
    return [(deal, c, o, u, flags.get(deal.id, [])) for deal, c, o, u in rows]


def _ref(row_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if row_id is None else {"id": row_id, "name": name or ""}


def card_json(row: CardRow, now: datetime) -> dict[str, Any]:
    deal, contact_name, organisation_name, owner_name, flags = row
    return {
        "id": deal.id,
        "title": deal.title,
        "amount": money(deal.amount),
        "currency": deal.currency,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "contact": _ref(deal.contact_id, contact_name),
        "organisation": _ref(deal.organisation_id, organisation_name),
        "responsible": _ref(deal.responsible_user_id, owner_name),
        "stage_entered_at": iso(deal.stage_entered_at),
        "days_in_stage": max(0, (now - deal.stage_entered_at) // timedelta(days=1)),
        "expected_close_on": (
            deal.expected_close_on.isoformat() if deal.expected_close_on else None
        ),
        "payment_due_on": deal.payment_due_on.isoformat() if deal.payment_due_on else None,
        "paid_at": iso(deal.paid_at),
        "flags": flags,
        "version": deal.version,
    }


# What a card shows of the deal itself, as columns.
_CARD_COLUMNS = (
    Deal.id,
    Deal.title,
    Deal.amount,
    Deal.currency,
    Deal.pipeline_id,
    Deal.stage_id,
    Deal.contact_id,
    Deal.organisation_id,
    Deal.responsible_user_id,
    Deal.stage_entered_at,
    Deal.expected_close_on,
    Deal.payment_due_on,
    Deal.paid_at,
    Deal.version,
)


async def card_payloads(
    session: AsyncSession, where: ColumnElement[bool], now: datetime
) -> list[tuple[int | None, dict[str, Any]]]:
    """(responsible manager, the card as JSON) of many deals: read as columns, not ORM
    objects, and not validated again (`card_json` already holds what `DealCard` dumps), as a
    batch of robot flags re-announces thousands of cards at once."""
    stmt = (
        select(*_CARD_COLUMNS, Contact.name, Organisation.name, _Owner.name)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .outerjoin(Organisation, Organisation.id == Deal.organisation_id)
        .outerjoin(_Owner, _Owner.id == Deal.responsible_user_id)
        .where(where)
    )
    rows = (await session.execute(stmt)).all()
    flags = await open_flags(session, "deal", (row.id for row in rows))
    return [
        (
            row.responsible_user_id,
            card_json(cast("Any", (row, row[-3], row[-2], row[-1], flags.get(row.id, []))), now),
        )
        for row in rows
    ]


def cards(rows: Sequence[CardRow], now: datetime) -> list[DealCard]:
    return [DealCard.model_validate(card_json(row, now)) for row in rows]


async def deal_cards(
    session: AsyncSession, where: ColumnElement[bool], now: datetime
) -> list[DealCard]:
    """The cards of the deals matching `where` (e.g. an organisation's), newest first."""
    rows = await card_rows(session, card_select().where(where).order_by(Deal.id.desc()))
    return cards(rows, now)


async def deal_card(session: AsyncSession, deal_id: int, now: datetime) -> DealCard | None:
    found = await deal_cards(session, Deal.id == deal_id, now)
    return found[0] if found else None


async def responsible_of(session: AsyncSession, deal_id: int) -> tuple[bool, int | None]:
    """(whether the deal exists, its responsible manager): what visibility is judged on."""
    row = (
        await session.execute(select(Deal.responsible_user_id).where(Deal.id == deal_id))
    ).first()
    return (row is not None, row[0] if row is not None else None)


async def deal_detail(session: AsyncSession, deal_id: int, now: datetime) -> DealDetail | None:
    rows = await card_rows(session, card_select().where(Deal.id == deal_id))
    if not rows:
        return None
    deal = rows[0][0]
    linked = await session.execute(
        select(DealConversation.conversation_id)
        .where(DealConversation.deal_id == deal_id)
        .order_by(DealConversation.conversation_id)
    )
    return DealDetail.model_validate(
        {
            **card_json(rows[0], now),
            "custom_fields": deal.custom_fields or {},
            "source": deal.source,
            "loss_reason": deal.loss_reason,
            "conversations": list(linked.scalars()),
            "created_at": iso(deal.created_at),
            "closed_at": iso(deal.closed_at),
            "history": await stage_history(session, deal_id, now),
        }
    )


async def stage_history(session: AsyncSession, deal_id: int, now: datetime) -> list[StagePeriod]:
    """Each move into a stage, oldest first, with how long the deal stayed: until the next
    move, or until now for the stage it stands in."""
    changes = (
        await session.execute(
            select(DealStageChange, Stage.name, User.name)
            .join(Stage, Stage.id == DealStageChange.to_stage_id)
            .outerjoin(User, User.id == DealStageChange.user_id)
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.changed_at, DealStageChange.id)
        )
    ).all()
    periods = []
    for n, (change, stage_name, user_name) in enumerate(changes):
        left_at = changes[n + 1][0].changed_at if n + 1 < len(changes) else None
        seconds = int(((left_at or now) - change.changed_at).total_seconds())
        periods.append(
            StagePeriod.model_validate(
                {
                    "stage": {"id": change.to_stage_id, "name": stage_name},
                    "entered_at": iso(change.changed_at),
                    "left_at": iso(left_at),
                    "seconds": max(0, seconds),
                    "by": _ref(change.user_id, user_name),
                    "actor": change.actor,
                }
            )
        )
    return periods
