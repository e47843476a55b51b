"""Deals: created (from a conversation, a client card or by hand), edited, moved on the board.

Entry points take the actor: `create_deal`, `update_deal` (with the version the editor
started from), `move_deal`. A deal outside the actor's CRM view is "no such deal" (404, its
existence is not revealed); editing needs `ensure_can_edit_record` (the responsible manager,
his supervisor, an admin, robots and Okno itself).

Every stage a deal enters is a `DealStageChange` row (its creation is the move from
nowhere): who moved it (`user_id` for a person, `actor` "robot:<name>" or "system"
otherwise) and when, so the deal page shows the time spent in each stage. Each change emits
`deal.changed` with the board card, to everyone who may see the deal.

`add_deal`, `change_stage` and `link_conversation` (from `hub.actions.deal_writes`) are the
same writes inside a caller's unit of work (the demo seed, robots).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, bindparam, select

from hub.auth import Principal
from hub.core import Hub
from hub.custom_values import clean_custom_values
from hub.models import (
    Channel,
    Contact,
    ContactOrganisation,
    Conversation,
    CrmEntity,
    Deal,
    Organisation,
    Pipeline,
    Stage,
    StageOutcome,
    User,
)
from hub.policy import (
    Actor,
    ensure_can_edit_record,
    stale_version,
)
from hub.queries.crm_access import CrmView, crm_view, team_mates
from hub.queries.custom_fields import field_rules
from hub.queries.deals import CardContext, card_context, deal_detail, with_card_context

from .deal_writes import (
    add_deal,
    agree_payment,
    announce,
    bad,
    change_stage,
    link_conversation,
    mark_paid,
    no_such_deal,
    not_in_pipeline,
)
from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work

__all__ = [
    "EDITABLE",
    "add_deal",
    "agree_payment",
    "change_stage",
    "create_deal",
    "link_conversation",
    "mark_paid",
    "move_deal",
    "update_deal",
]


async def _for_update(uow: UnitOfWork, view: CrmView, deal_id: int) -> Deal:
    stmt = select(Deal).where(Deal.id == deal_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    deal = (await uow.session.execute(stmt)).scalar_one_or_none()
    if deal is None or not view.sees(deal.responsible_user_id):
        raise no_such_deal(deal_id)
    return deal


async def _editable(uow: UnitOfWork, actor: Actor, deal_id: int, version: int | None) -> Deal:
    """The deal, locked, if the actor sees it (404), may edit it (403) and edits the
    version standing now (409 with the current deal)."""
    deal = await _for_update(uow, await crm_view(uow.session, actor), deal_id)
    await _may_edit(uow, actor, deal, version)
    return deal


# Built once: a statement of this size cost a move more CPU to build (and to key for the
# compiled-statement cache) each time than to run.
_MOVE_READ = with_card_context(
    cast(
        "Select[Any]",
        select(Deal, Stage)
        .select_from(Deal)
        .outerjoin(Stage, Stage.id == bindparam("stage_id"))
        .where(Deal.id == bindparam("deal_id")),
    )
)
# The deal's row only: the stage and the names are read, not locked.
_MOVE_READ_PG = _MOVE_READ.with_for_update(of=Deal)


async def _movable(
    uow: UnitOfWork, actor: Actor, deal_id: int, stage_id: int, version: int | None
) -> tuple[Deal, Stage | None, CardContext]:
    """`_editable` for a move, in one query: the deal locked, with the stage asked for
    (None: no such stage) and what announcing it needs (`CardContext`: its card's names,
    whether a flag stands, who is told).
    A move is the busiest write of the board; each round trip is paid by every one."""
    stmt = _MOVE_READ_PG if uow.hub.db.dialect == "postgresql" else _MOVE_READ
    view = await crm_view(uow.session, actor)
    row = (await uow.session.execute(stmt, {"deal_id": deal_id, "stage_id": stage_id})).first()
    if row is None or not view.sees(row[0].responsible_user_id):
        raise no_such_deal(deal_id)
    deal, stage = row[0], row[1]
    await _may_edit(uow, actor, deal, version)
    return deal, stage, card_context(row)


async def _may_edit(uow: UnitOfWork, actor: Actor, deal: Deal, version: int | None) -> None:
    mates = (
        await team_mates(uow.session, actor.user_id)
        if isinstance(actor, Principal)
        else frozenset()
    )
    ensure_can_edit_record(actor, deal.responsible_user_id, mates)
    if version is not None and version != deal.version:
        current = await deal_detail(uow.session, deal.id, uow.now())
        raise stale_version(
            "deal", deal.id, deal.version, current.model_dump(mode="json") if current else None
        )


async def _first_stage(uow: UnitOfWork, pipeline_id: int) -> Stage | None:
    stmt = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
    return (await uow.session.execute(stmt.limit(1))).scalar_one_or_none()


async def _target_stage(uow: UnitOfWork, pipeline_id: int | None, stage_id: int | None) -> Stage:
    """The stage asked for, else the first of the pipeline asked for, else of the first."""
    if stage_id is not None:
        stage = await uow.session.get(Stage, stage_id)
        if stage is None:
            raise bad("stage_id", "no-such-stage", "there is no such stage")
        if pipeline_id is not None and stage.pipeline_id != pipeline_id:
            raise not_in_pipeline(stage)
    else:
        if pipeline_id is None:
            first = select(Pipeline.id).order_by(Pipeline.position, Pipeline.id).limit(1)
            pipeline_id = (await uow.session.execute(first)).scalar_one_or_none()
        elif await uow.session.get(Pipeline, pipeline_id) is None:
            raise bad("pipeline_id", "no-such-pipeline", "there is no such pipeline")
        found = None if pipeline_id is None else await _first_stage(uow, pipeline_id)
        if found is None:
            raise bad("pipeline_id", "no-pipeline", "set up a pipeline with stages first")
        stage = found
    if stage.outcome == StageOutcome.lost:
        raise bad("stage_id", "lost-stage", "a new deal cannot start lost")
    return stage


async def _check_links(uow: UnitOfWork, view: CrmView, values: Mapping[str, Any]) -> None:
    """Contact, organisation and responsible manager exist and the actor may see them."""
    contact_id = values.get("contact_id")
    if contact_id is not None:
        contact = await uow.session.get(Contact, contact_id)
        if (
            contact is None
            or contact.merged_into_id is not None
            or not view.sees(contact.responsible_user_id)
        ):
            raise bad("contact_id", "no-such-contact", "there is no such contact")
    organisation_id = values.get("organisation_id")
    if organisation_id is not None:
        organisation = await uow.session.get(Organisation, organisation_id)
        if organisation is None or not view.sees(organisation.responsible_user_id):
            raise bad("organisation_id", "no-such-organisation", "there is no such organisation")
    responsible_id = values.get("responsible_user_id")
    if responsible_id is not None:
        user = await uow.session.get(User, responsible_id)
        if user is None or not user.is_active:
            raise bad("responsible_id", "no-such-user", "there is no such active user")


async def _from_conversation(uow: UnitOfWork, conversation_id: int) -> dict[str, Any]:
    """What a deal made from this conversation starts with: its client, the client's first
    organisation, the channel's kind as source, and its operator (else the client's
    manager) as responsible."""
    row = (
        await uow.session.execute(
            select(Conversation, Contact, Channel.kind)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(Channel, Channel.id == Conversation.channel_id)
            .where(Conversation.id == conversation_id)
        )
    ).first()
    if row is None:
        raise bad("conversation_id", "no-such-conversation", "there is no such conversation")
    conversation, contact, kind = row
    first_organisation = (
        await uow.session.execute(
            select(ContactOrganisation.organisation_id)
            .where(ContactOrganisation.contact_id == contact.id)
            .order_by(ContactOrganisation.organisation_id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return {
        "contact_id": contact.merged_into_id or contact.id,
        "organisation_id": first_organisation,
        "source": kind,
        "responsible_user_id": conversation.assignee_id or contact.responsible_user_id,
    }


async def create_deal(
    hub: Hub,
    actor: Actor,
    *,
    title: str,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    amount: Decimal = Decimal("0"),
    currency: str = "RUB",
    contact_id: int | Keep | None = KEEP,
    organisation_id: int | Keep | None = KEEP,
    responsible_id: int | Keep | None = KEEP,
    expected_close_on: date | None = None,
    payment_due_on: date | None = None,
    source: str | Keep = KEEP,
    conversation_id: int | None = None,
    custom_fields: Mapping[str, Any] | None = None,
) -> int:
    """A new deal; what is not given (KEEP) comes from the conversation, and the
    responsible manager is otherwise the person creating it."""
    if not title.strip():
        raise bad("title", "blank", "must not be blank")
    async with unit_of_work(hub) as uow:
        view = await crm_view(uow.session, actor)
        values: dict[str, Any] = {
            "contact_id": None,
            "organisation_id": None,
            "source": "manual",
            "responsible_user_id": actor.user_id if isinstance(actor, Principal) else None,
        }
        if conversation_id is not None:
            values.update(await _from_conversation(uow, conversation_id))
        given = {
            "contact_id": contact_id,
            "organisation_id": organisation_id,
            "source": source,
            "responsible_user_id": responsible_id,
        }
        values.update({k: v for k, v in given.items() if v is not KEEP})
        await _check_links(uow, view, values)
        mates = (
            await team_mates(uow.session, actor.user_id)
            if isinstance(actor, Principal)
            else frozenset()
        )
        ensure_can_edit_record(actor, values["responsible_user_id"], mates)
        stage = await _target_stage(uow, pipeline_id, stage_id)
        rules = await field_rules(uow.session, CrmEntity.deal)
        deal = await add_deal(
            uow,
            actor,
            title=title,
            stage=stage,
            amount=amount,
            currency=currency,
            expected_close_on=expected_close_on,
            payment_due_on=payment_due_on,
            conversation_id=conversation_id,
            custom_fields=clean_custom_values(rules, custom_fields or {}, None),
            **values,
        )
        return deal.id


EDITABLE = (
    "title",
    "amount",
    "currency",
    "contact_id",
    "organisation_id",
    "responsible_id",
    "expected_close_on",
    "payment_due_on",
    # True marks the deal paid now (a deal paid already keeps its moment), False unmarks it.
    "paid",
    "source",
    "custom_fields",
)


async def update_deal(
    hub: Hub, actor: Actor, deal_id: int, version: int, changes: Mapping[str, Any]
) -> None:
    """Change the fields given (`EDITABLE`; custom fields given are merged, a blank one
    removed); the stage changes only by `move_deal`."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    if "title" in changes and not str(changes["title"]).strip():
        raise bad("title", "blank", "must not be blank")
    async with unit_of_work(hub) as uow:
        deal = await _editable(uow, actor, deal_id, version)
        values = {
            ("responsible_user_id" if k == "responsible_id" else k): v for k, v in changes.items()
        }
        await _check_links(uow, await crm_view(uow.session, actor), values)
        if "custom_fields" in values:
            rules = await field_rules(uow.session, CrmEntity.deal)
            values["custom_fields"] = clean_custom_values(
                rules, values["custom_fields"] or {}, deal.custom_fields or {}
            )
        if "title" in values:
            values["title"] = values["title"].strip()
        if "paid" in values:
            paid = bool(values.pop("paid"))
            values["paid_at"] = (deal.paid_at or uow.now()) if paid else None
        changed = {k: v for k, v in values.items() if getattr(deal, k) != v}
        if not changed:
            return
        was = deal.responsible_user_id
        if changed.get("payment_due_on") is not None or (
            "paid_at" in changed and changed["paid_at"] is None
        ):
            # A new payment date, or the paid mark taken off: owed again from now.
            changed["payment_owed_since"] = uow.now()
        for column, value in changed.items():
            setattr(deal, column, value)
        deal.version += 1
        deal.updated_at = uow.now()
        await uow.session.flush()
        await announce(uow, deal, "updated", None, was=was)


async def move_deal(
    hub: Hub,
    actor: Actor,
    deal_id: int,
    stage_id: int,
    *,
    version: int | None = None,
    loss_reason: str | None = None,
) -> bool:
    """Put the deal in another stage of its pipeline; False when it stands there already."""
    async with unit_of_work(hub) as uow:
        deal, stage, context = await _movable(uow, actor, deal_id, stage_id, version)
        if stage is None:
            raise bad("stage_id", "no-such-stage", "there is no such stage")
        return await change_stage(uow, actor, deal, stage, loss_reason, context=context)
