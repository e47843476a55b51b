"""Routing and identity endpoints: transfer, accept, decisions, duplicates, merge, leads,
teams and operators' routing settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from hub import queries
from hub.actions import leads, merge, unit_of_work
from hub.actions import routing as routing_actions
from hub.actions import users as user_actions
from hub.auth import has_role
from hub.models import (
    Contact,
    ContactMerge,
    Lead,
    Role,
    RoutingDecision,
    Team,
    TeamMember,
    User,
)
from hub.policy import DomainError, ensure_can_write
from hub.queries import ContactCard, ConversationOut
from hub.serialize import contact_brief, iso, user_brief
from routing import duplicates, transfer

from .contacts import ensure_visible
from .conversation_actions import locked_conversation
from .conversations import read_conversation
from .registry import ApiCall, RouteTable
from .routing_schemas import (
    ConvertIn,
    DecisionList,
    DecisionOut,
    DuplicateList,
    DuplicateOut,
    LeadStatusIn,
    LeadStatusOut,
    MergeIn,
    MergeOut,
    OperatorSettingsIn,
    OperatorSettingsOut,
    TeamIn,
    TeamList,
    TeamOut,
    TeamPatchIn,
    TransferIn,
    UnmergeIn,
)

routes = RouteTable("routing")


def _not_found(what: str, row_id: int) -> DomainError:
    return DomainError(f"no-such-{what}", 404, f"There is no such {what}.", {"id": row_id})


@routes.post(
    "/conversations/{id}/transfer",
    summary="Hand the conversation to an operator or a team, with a note saying why",
    body=TransferIn,
    response=ConversationOut,
    conflicts=True,
)
async def transfer_conversation(call: ApiCall[None, TransferIn]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        ensure_can_write(call.principal, conversation)
        me = await uow.session.get_one(User, call.principal.user_id)
        note = call.body.note.strip()
        try:
            if call.body.user_id is not None:
                target = await uow.session.get(User, call.body.user_id)
                if target is None:
                    raise _not_found("user", call.body.user_id)
                await transfer.to_operator(uow, conversation, target, me, note)
            else:
                assert call.body.team_id is not None  # the model demands one of the two
                team = await uow.session.get(Team, call.body.team_id)
                if team is None:
                    raise _not_found("team", call.body.team_id)
                await transfer.to_team(uow, conversation, team, me, note)
        except transfer.TransferError as exc:
            raise DomainError(exc.error_id, 409, str(exc)) from exc
    return await read_conversation(call.hub, conversation_id)


@routes.post(
    "/conversations/{id}/accept",
    summary="Accept a conversation offered to you, so it does not move on after the timeout",
    response=ConversationOut,
    conflicts=True,
)
async def accept_conversation(call: ApiCall[None, None]) -> ConversationOut:
    conversation_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        conversation = await locked_conversation(uow, conversation_id)
        if conversation.assignee_id != call.principal.user_id:
            raise DomainError("not-offered-to-you", 409, "This conversation is not offered to you.")
        await routing_actions.accept(uow, conversation, call.principal.user_id)
    return await read_conversation(call.hub, conversation_id)


@routes.get(
    "/conversations/{id}/routing",
    summary="Every routing decision taken on the conversation, with its reason, oldest first",
    response=DecisionList,
)
async def routing_history(call: ApiCall[None, None]) -> DecisionList:
    conversation_id = call.path_id()
    from_user, to_user, by_user = aliased(User), aliased(User), aliased(User)
    async with call.hub.db.sessions() as session:
        await read_conversation(call.hub, conversation_id)  # 404 when absent
        rows = await session.execute(
            select(RoutingDecision, from_user, to_user, by_user)
            .outerjoin(from_user, from_user.id == RoutingDecision.from_user_id)
            .outerjoin(to_user, to_user.id == RoutingDecision.to_user_id)
            .outerjoin(by_user, by_user.id == RoutingDecision.by_user_id)
            .where(RoutingDecision.conversation_id == conversation_id)
            .order_by(RoutingDecision.id)
        )
        items = [
            DecisionOut.model_validate(
                {
                    "id": d.id,
                    "kind": d.kind,
                    "reason": d.reason,
                    "reason_parts": d.reason_parts,
                    "created_at": iso(d.created_at),
                    "from_user": user_brief(f),
                    "to_user": user_brief(t),
                    "by_user": user_brief(b),
                    "team_id": d.team_id,
                }
            )
            for d, f, t, b in rows
        ]
    return DecisionList(items=items)


@routes.get(
    "/duplicates",
    summary="Contacts that look like the same person, with the reason",
    response=DuplicateList,
    role=Role.supervisor,
)
async def list_duplicates(call: ApiCall[None, None]) -> DuplicateList:
    async with call.hub.db.sessions() as session:
        found = await duplicates.find(session)
        ids = {i for d in found for i in d.contact_ids}
        contacts = {
            c.id: c
            for c in (await session.execute(select(Contact).where(Contact.id.in_(ids)))).scalars()
        }
    return DuplicateList(
        items=[
            DuplicateOut.model_validate(
                {
                    "contacts": [contact_brief(contacts[i]) for i in d.contact_ids],
                    "reason": d.reason,
                    "detail": d.detail,
                }
            )
            for d in found
        ]
    )


def _merge_out(record: ContactMerge) -> MergeOut:
    return MergeOut.model_validate(
        {
            "id": record.id,
            "survivor_id": record.survivor_id,
            "merged_id": record.merged_id,
            "moved": record.moved,
            "created_at": iso(record.created_at),
            "undone_at": iso(record.undone_at),
        }
    )


@routes.post(
    "/contacts/{id}/merge",
    summary="Merge another contact into this one (identities, conversations, deals, activities)",
    body=MergeIn,
    response=MergeOut,
    role=Role.supervisor,
    conflicts=True,
)
async def merge_contacts(call: ApiCall[None, MergeIn]) -> MergeOut:
    survivor_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        for contact_id in (survivor_id, call.body.merge_id):
            await ensure_visible(uow.session, contact_id)
        try:
            record = await merge.merge(
                uow,
                await uow.session.get_one(Contact, survivor_id),
                await uow.session.get_one(Contact, call.body.merge_id),
                by_user_id=call.principal.user_id,
            )
        except merge.MergeError as exc:
            raise DomainError(exc.error_id, 409, str(exc)) from exc
        return _merge_out(record)


@routes.post(
    "/contacts/{id}/unmerge",
    summary="Undo a merge into this contact, moving back exactly what it moved",
    body=UnmergeIn,
    response=MergeOut,
    role=Role.supervisor,
    conflicts=True,
)
async def unmerge_contacts(call: ApiCall[None, UnmergeIn]) -> MergeOut:
    survivor_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        stmt = select(ContactMerge).where(ContactMerge.survivor_id == survivor_id)
        if call.body.merge_record_id is not None:
            stmt = stmt.where(ContactMerge.id == call.body.merge_record_id)
        else:
            stmt = stmt.where(ContactMerge.undone_at.is_(None))
        record = (
            await uow.session.execute(stmt.order_by(ContactMerge.id.desc()).limit(1))
        ).scalar_one_or_none()
        if record is None:
            raise DomainError("no-such-merge", 404, "Nothing was merged into this contact.")
        try:
            await merge.unmerge(uow, record)
        except merge.MergeError as exc:
            raise DomainError(exc.error_id, 409, str(exc)) from exc
        return _merge_out(record)


@routes.post(
    "/contacts/{id}/convert",
    summary="Turn a lead into a client; history, identities and conversations stay",
    body=ConvertIn,
    response=ContactCard,
)
async def convert_lead(call: ApiCall[None, ConvertIn]) -> ContactCard:
    contact_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        await ensure_visible(uow.session, contact_id)
        contact = await uow.session.get_one(Contact, contact_id)
        await leads.convert(uow, contact, call.body.responsible_user_id or call.principal.user_id)
    async with call.hub.db.sessions() as session:
        card = await queries.contact_card(session, contact_id)
    assert card is not None
    return card


@routes.patch(
    "/leads/{id}",
    summary="Qualify a lead: new, in progress, qualified, converted or junk",
    body=LeadStatusIn,
    response=LeadStatusOut,
)
async def set_lead_status(call: ApiCall[None, LeadStatusIn]) -> LeadStatusOut:
    lead_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        lead = await uow.session.get(Lead, lead_id)
        if lead is None:
            raise _not_found("lead", lead_id)
        await leads.set_status(uow, lead, call.body.status)
        return LeadStatusOut(id=lead.id, status=lead.status)


async def _team_out(session: Any, team: Team) -> TeamOut:
    members = (
        await session.execute(
            select(TeamMember.user_id)
            .where(TeamMember.team_id == team.id)
            .order_by(TeamMember.user_id)
        )
    ).scalars()
    return TeamOut.model_validate(
        {
            "id": team.id,
            "name": team.name,
            "strategy": team.strategy,
            "accept_timeout_s": team.accept_timeout_s,
            "wait_limit_s": team.wait_limit_s,
            "business_hours": team.business_hours,
            "after_hours_team_id": team.after_hours_team_id,
            "member_ids": list(members),
        }
    )


@routes.get("/teams", summary="Teams with their routing settings and members", response=TeamList)
async def list_teams(call: ApiCall[None, None]) -> TeamList:
    async with call.hub.db.sessions() as session:
        teams = (await session.execute(select(Team).order_by(Team.name))).scalars().all()
        return TeamList(items=[await _team_out(session, t) for t in teams])


async def _apply_team(uow: Any, team: Team, values: dict[str, Any]) -> None:
    members = values.pop("member_ids", None)
    for key, value in values.items():
        setattr(team, key, value)
    await uow.session.flush()
    if members is not None:
        await uow.session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
        uow.session.add_all(TeamMember(team_id=team.id, user_id=u) for u in dict.fromkeys(members))
        await uow.session.flush()


@routes.post(
    "/teams",
    summary="Create a team",
    body=TeamIn,
    response=TeamOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_team(call: ApiCall[None, TeamIn]) -> TeamOut:
    async with unit_of_work(call.hub) as uow:
        if (await uow.session.execute(select(Team.id).where(Team.name == call.body.name))).first():
            raise DomainError(
                "team-exists", 409, f"A team named {call.body.name!r} exists already."
            )
        team = Team(name=call.body.name)
        uow.session.add(team)
        await _apply_team(uow, team, call.body.model_dump())
        return await _team_out(uow.session, team)


@routes.patch(
    "/teams/{id}",
    summary="Change a team's routing settings or members",
    body=TeamPatchIn,
    response=TeamOut,
    role=Role.admin,
)
async def update_team(call: ApiCall[None, TeamPatchIn]) -> TeamOut:
    team_id = call.path_id()
    async with unit_of_work(call.hub) as uow:
        team = await uow.session.get(Team, team_id)
        if team is None:
            raise _not_found("team", team_id)
        await _apply_team(uow, team, call.body.model_dump(exclude_unset=True))
        return await _team_out(uow.session, team)


@routes.patch(
    "/users/{id}/routing",
    summary="An operator's capacity, skills, phone extension and activity",
    body=OperatorSettingsIn,
    response=OperatorSettingsOut,
    role=Role.supervisor,
    conflicts=True,
)
async def operator_settings(call: ApiCall[None, OperatorSettingsIn]) -> OperatorSettingsOut:
    user_id = call.path_id()
    values = call.body.model_dump(exclude_unset=True)
    async with unit_of_work(call.hub) as uow:
        user = await uow.session.get(User, user_id)
        if user is None:
            raise _not_found("user", user_id)
        if "is_active" in values and not has_role(call.principal.role, user.role):
            raise DomainError("forbidden", 403, "Only an admin may deactivate an admin.")
        try:
            if "extension" in values:
                await user_actions.set_extension(uow, user, values.pop("extension") or None)
            if "is_active" in values:
                active = values.pop("is_active")
                await user_actions.update_user(uow, user, call.principal.user_id, is_active=active)
        except user_actions.ExtensionTakenError as exc:
            raise DomainError(
                "extension-taken",
                409,
                f"Extension {exc.extension} belongs to another active user.",
                {"field": "extension", "user_id": exc.holder_id},
            ) from None
        except user_actions.SelfChangeError as exc:
            raise DomainError("cannot-change-self", 409, str(exc), {"field": "is_active"}) from None
        for key, value in values.items():
            setattr(user, key, value)
        return OperatorSettingsOut(
            id=user.id,
            max_conversations=user.max_conversations,
            skills=list(user.skills or []),
            is_active=user.is_active,
            extension=user.extension,
        )
