"""The writes of a deal's life inside a caller's unit of work: a new deal with its first
history row, a move with its row, a link to a conversation; each announced as
`deal.changed` with the board card, to everyone who may see the deal.

`hub.actions.deals` checks who may do what and calls these; the demo seed and robots call
them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from hub.auth import Principal
from hub.events import Audience, DealChanged
from hub.models import Deal, DealConversation, DealStageChange, Stage, StageOutcome
from hub.policy import Actor, DomainError, InvalidInput, NotFound, RobotActor
from hub.queries.crm_access import crm_audience
from hub.queries.deals import CardContext, card_of, card_payloads

from .uow import UnitOfWork

_DEALS = cast(Table, Deal.__table__)
_STAGE_CHANGES = cast(Table, DealStageChange.__table__)
_MOVED = (
    "stage_id", "stage_entered_at", "last_activity_at", "updated_at", "closed_at",
    "loss_reason", "version",
)  # fmt: skip
# A move's two writes, built once (building and keying a statement per move cost CPU).
_MOVE = (
    update(_DEALS)
    .where(_DEALS.c.id == bindparam("deal_id"))
    .values({name: bindparam(name, type_=_DEALS.c[name].type) for name in _MOVED})
)
_RECORD_MOVE = insert(_STAGE_CHANGES).values(
    {
        name: bindparam(name, type_=_STAGE_CHANGES.c[name].type)
        for name in ("deal_id", "from_stage_id", "to_stage_id", "changed_at", "user_id", "actor")
    }
)


def actor_label(actor: Actor) -> str:
    """How the history names who moved a deal beside `user_id`."""
    if isinstance(actor, Principal):
        return "user"
    if isinstance(actor, RobotActor):
        return f"robot:{actor.name}"
    return "system"


def bad(field: str, error_type: str, message: str) -> InvalidInput:
    return InvalidInput(
        [{"field": field, "location": "body", "type": error_type, "message": message}]
    )


def no_such_deal(deal_id: int) -> NotFound:
    return NotFound("no-such-deal", "There is no such deal.", {"id": deal_id})


def not_in_pipeline(stage: Stage) -> DomainError:
    return DomainError(
        "stage-not-in-pipeline",
        422,
        "This stage belongs to another pipeline.",
        [
            {
                "field": "stage_id",
                "location": "body",
                "type": "stage-not-in-pipeline",
                "message": f"stage {stage.id} is in pipeline {stage.pipeline_id}",
            }
        ],
    )


async def announce(
    uow: UnitOfWork,
    deal: Deal,
    change: str,
    from_stage_id: int | None,
    *,
    was: int | None = None,
    context: CardContext | None = None,
) -> None:
    """`deal.changed` to everyone who may see the deal (and who saw it before a hand-over).
    `context`: what the card and the audience need, when the caller read it with the deal (a
    move does: `hub.queries.deals.with_card_context`)."""
    # The card as JSON, built once (`card_json`), not validated into a DealCard and dumped.
    if context is not None:
        card = await card_of(uow.session, deal, context, uow.now())
    else:
        found = await card_payloads(uow.session, Deal.id == deal.id, uow.now())
        card = found[0][1]  # written just now, in this transaction
    audience = await crm_audience(
        uow.session, deal.responsible_user_id, context.scopes if context is not None else None
    )
    if was != deal.responsible_user_id and was is not None:
        before = await crm_audience(uow.session, was)
        audience = Audience(
            users=audience.users | before.users, roles=audience.roles | before.roles
        )
    uow.emit(
        DealChanged(
            audience=audience,
            deal=card,
            change=change,
            from_stage_id=from_stage_id,
        )
    )


def _record_move(uow: UnitOfWork, actor: Actor, deal: Deal, from_stage_id: int | None) -> None:
    uow.session.add(
        DealStageChange(
            deal_id=deal.id,
            from_stage_id=from_stage_id,
            to_stage_id=deal.stage_id,
            changed_at=uow.now(),
            user_id=actor.user_id if isinstance(actor, Principal) else None,
            actor=actor_label(actor),
        )
    )


async def add_deal(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    stage: Stage,
    amount: Decimal = Decimal("0"),
    currency: str = "RUB",
    contact_id: int | None = None,
    organisation_id: int | None = None,
    responsible_user_id: int | None = None,
    expected_close_on: date | None = None,
    payment_due_on: date | None = None,
    source: str = "manual",
    conversation_id: int | None = None,
    custom_fields: Mapping[str, Any] | None = None,
) -> Deal:
    """Write a deal standing in `stage` (the values are checked by the caller), its first
    history row, its link to the conversation it came from; announce it."""
    now = uow.now()
    deal = Deal(
        title=title.strip(),
        amount=amount,
        currency=currency,
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        contact_id=contact_id,
        organisation_id=organisation_id,
        responsible_user_id=responsible_user_id,
        expected_close_on=expected_close_on,
        payment_due_on=payment_due_on,
        payment_owed_since=now if payment_due_on is not None else None,
        source=source,
        source_conversation_id=conversation_id,
        custom_fields=dict(custom_fields or {}),
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        last_activity_at=now,
        closed_at=now if stage.outcome != StageOutcome.open else None,
        version=1,
    )
    uow.session.add(deal)
    await uow.session.flush()
    _record_move(uow, actor, deal, None)
    if conversation_id is not None:
        uow.session.add(DealConversation(deal_id=deal.id, conversation_id=conversation_id))
    await uow.session.flush()
    await announce(uow, deal, "created", None)
    return deal


async def change_stage(
    uow: UnitOfWork,
    actor: Actor,
    deal: Deal,
    stage: Stage,
    loss_reason: str | None = None,
    *,
    context: CardContext | None = None,
) -> bool:
    """Move the deal to `stage` of its pipeline; False (and nothing written) when it stands
    there already. Won and lost close the deal; back in an open stage it is open again.
    `context`: what announcing it needs, read with the deal (see `announce`)."""
    if stage.pipeline_id != deal.pipeline_id:
        raise not_in_pipeline(stage)
    if stage.id == deal.stage_id:
        return False
    reason = (loss_reason or "").strip()
    if stage.outcome == StageOutcome.lost and not reason:
        raise bad("loss_reason", "loss-reason-required", "say why the deal was lost")
    now = uow.now()
    from_stage_id = deal.stage_id
    values: dict[str, Any] = {
        "stage_id": stage.id,
        "stage_entered_at": now,
        "last_activity_at": now,
        "updated_at": now,
        "closed_at": now if stage.outcome != StageOutcome.open else None,
        "loss_reason": reason[:300] if stage.outcome == StageOutcome.lost else "",
        "version": deal.version + 1,
    }
    # Two Core statements, not the ORM's flush of a changed object and a new one (its unit
    # of work cost more CPU than the rest of a move): the deal as written is then set on
    # the object as its loaded state, so it is current and not written a second time.
    # Whatever else the caller changed on it is flushed first, as the ORM would have.
    await uow.session.flush()
    await uow.session.execute(_MOVE, {"deal_id": deal.id, **values})
    await uow.session.execute(
        _RECORD_MOVE,
        {
            "deal_id": deal.id,
            "from_stage_id": from_stage_id,
            "to_stage_id": stage.id,
            "changed_at": now,
            "user_id": actor.user_id if isinstance(actor, Principal) else None,
            "actor": actor_label(actor),
        },
    )
    for key, value in values.items():
        set_committed_value(deal, key, value)
    await announce(uow, deal, "moved", from_stage_id, context=context)
    return True


async def link_conversation(uow: UnitOfWork, deal: Deal, conversation_id: int) -> None:
    """The deal was discussed in (or came out of) this conversation."""
    if await uow.session.get(DealConversation, (deal.id, conversation_id)) is None:
        uow.session.add(DealConversation(deal_id=deal.id, conversation_id=conversation_id))
    if deal.source_conversation_id is None:
        deal.source_conversation_id = conversation_id
    await uow.session.flush()


async def agree_payment(uow: UnitOfWork, deal: Deal, due_on: date) -> None:
    """The payment terms agreed with the contract, as of now (the demo writes its history
    at the moments it happened)."""
    deal.payment_due_on = due_on
    deal.payment_owed_since = uow.now()


async def mark_paid(uow: UnitOfWork, deal: Deal) -> None:
    deal.paid_at = uow.now()
