"""Seed the demo company into an empty database, through the actions and the real ingest path.

Deterministic: the same data every time, with dates relative to the moment of seeding so the
board looks alive. Seeding a database that has the demo already changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import contacts as contact_actions
from hub.actions import conversations, crm, deals, messages, pipelines, unit_of_work
from hub.actions.channels import add_channel
from hub.actions.custom_fields import create_field
from hub.actions.organisations import create_organisation
from hub.actions.teams import create_team
from hub.actions.users import create_account
from hub.auth import Principal
from hub.core import Hub
from hub.demo import data, sales_data
from hub.demo.plans import seed_plans
from hub.models import Channel, Deal, Stage, User
from hub.policy import SystemActor
from hub.settings import Settings
from routing.identity import normalise_claims, unparsed_phones
from routing.ingest import Ingestor

# The company's accounts, teams and channels are set up as an admin would, by Okno itself.
SEEDER = SystemActor("demo")


class SeedOutcome(enum.StrEnum):
    seeded = "seeded"
    present = "present"  # the demo was seeded before
    not_empty = "not-empty"  # someone else's data: left alone


async def seed(hub: Hub) -> SeedOutcome:
    async with hub.db.sessions() as session:
        users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        demo_channel = (
            await session.execute(
                select(Channel.id).where(
                    Channel.kind == "webform", Channel.name == data.CHANNEL_NAME
                )
            )
        ).first()
    if demo_channel is not None:
        return SeedOutcome.present
    if users:
        return SeedOutcome.not_empty
    now = hub.clock()
    users_by_login = await _seed_people(hub)
    deal_ids = await _seed_crm(hub, users_by_login, now)
    conversation_ids = {}
    for conversation in data.CONVERSATIONS:
        conversation_ids[conversation.submission] = await _seed_conversation(
            hub, conversation, users_by_login, now
        )
    async with unit_of_work(hub) as uow:
        for deal in sales_data.DEALS:
            conversation_id = conversation_ids.get(deal.conversation or "")
            if conversation_id is not None:
                row = await uow.session.get_one(Deal, deal_ids[deal.title])
                await deals.link_conversation(uow, row, conversation_id)
    return SeedOutcome.seeded


async def _seed_people(hub: Hub) -> dict[str, int]:
    ids: dict[str, int] = {}
    for user in data.USERS:
        created = await create_account(
            hub, SEEDER, user.login, user.name, user.password, role=user.role, email=user.email
        )
        ids[user.login] = created.id
    team_ids = {}
    for name in data.TEAMS:
        members = [ids[u.login] for u in data.USERS if u.team == name]
        team_ids[name] = (await create_team(hub, SEEDER, name, member_ids=members)).id
    await add_channel(
        hub,
        SEEDER,
        "webform",
        data.CHANNEL_NAME,
        {"allowed_origins": []},
        title=data.CHANNEL_TITLE,
        team_id=team_ids[data.CHANNEL_TEAM],
    )
    await add_channel(
        hub,
        SEEDER,
        "widget",
        data.WIDGET_NAME,
        # Allowed origin: the demo's own address, where /widget/site/demo embeds it.
        {"allowed_origins": [_origin(hub.settings.public_url)]},
        title=data.WIDGET_TITLE,
        team_id=team_ids[data.CHANNEL_TEAM],
    )
    return ids


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _seed_crm(hub: Hub, users: dict[str, int], now: datetime) -> dict[str, int]:
    """Organisations, contacts, the pipeline, deals with their histories, activities;
    returns the deals' ids by title."""
    region = hub.settings.default_region
    for demo_field in sales_data.CUSTOM_FIELDS:
        await create_field(
            hub,
            SEEDER,
            demo_field.entity,
            demo_field.label,
            demo_field.kind,
            key=demo_field.key,
            options=demo_field.options,
        )
    organisations = {}
    for org in sales_data.ORGANISATIONS:
        saved = await create_organisation(
            hub,
            SEEDER,
            name=org.name,
            inn=org.inn,
            kpp=org.kpp,
            ogrn=org.ogrn,
            legal_address=org.legal_address,
            actual_address=org.actual_address,
            phones=org.phones,
            emails=org.emails,
            site=org.site,
            responsible_id=users[org.responsible],
            custom_fields=org.custom_fields,
        )
        organisations[org.name] = saved.organisation.id
    async with unit_of_work(hub) as uow:
        contacts = {}
        for person in data.CONTACTS:
            claims = [IdentityClaim("phone", p) for p in person.phones]
            claims += [IdentityClaim("email", e) for e in person.emails]
            contact = await crm.create_contact(
                uow,
                person.name,
                normalise_claims(claims, region),
                responsible_user_id=users[person.responsible],
                custom_fields=person.custom_fields,
                source=person.source,
                next_contact_at=(
                    None
                    if person.next_contact_in_days is None
                    else _working_hour(now + timedelta(days=person.next_contact_in_days))
                ),
            )
            await contact_actions.note_unparsed_phones(
                uow, contact.id, unparsed_phones(claims, region)
            )
            contacts[person.key] = contact.id
            if person.organisation:
                await crm.link_contact_organisation(
                    uow, contact.id, organisations[person.organisation], person.position
                )
        pipeline = await pipelines.add_pipeline(
            uow,
            sales_data.PIPELINE_NAME,
            [pipelines.StageSpec(*stage) for stage in sales_data.PIPELINE_STAGES],
        )
        stages: dict[str, Stage] = {
            s.name: s for s in await pipelines.pipeline_stages(uow, pipeline.id)
        }
    people = {u.login: Principal(users[u.login], u.login, u.name, u.role, "ru") for u in data.USERS}
    deal_ids = {}
    for deal in sales_data.DEALS:
        # Each step is written "when" it happened, so the board shows days in stage and the
        # deal's history the time spent in each stage.
        owner = people[deal.responsible]
        steps = [*deal.path, (deal.stage, deal.days_in_stage)]
        first_stage, days_ago = steps[0]
        async with unit_of_work(_at(hub, now - timedelta(days=days_ago))) as uow:
            created = await deals.add_deal(
                uow,
                owner,
                title=deal.title,
                stage=stages[first_stage],
                amount=deal.amount,
                contact_id=contacts[deal.contact] if deal.contact else None,
                organisation_id=organisations[deal.organisation] if deal.organisation else None,
                responsible_user_id=owner.user_id,
                source=deal.source,
                custom_fields=deal.custom_fields,
            )
            deal_ids[deal.title] = created.id
        for stage_name, days_ago in steps[1:]:
            async with unit_of_work(_at(hub, now - timedelta(days=days_ago))) as uow:
                row = await uow.session.get_one(Deal, created.id)
                await deals.change_stage(uow, owner, row, stages[stage_name], deal.loss_reason)
        if deal.payment_due_after_days is not None:
            await _seed_payment(hub, created.id, deal, now - timedelta(days=deal.days_in_stage))
    for activity in sales_data.ACTIVITIES:
        due = now + timedelta(days=activity.due_in_days)
        async with unit_of_work(_at(hub, min(due, now))) as uow:
            await crm.log_activity(
                uow,
                activity.kind,
                activity.subject,
                status=activity.status,
                deal_id=deal_ids[activity.deal],
                user_id=users[activity.user],
                due_at=due,
            )
    await seed_plans(hub, people, contacts, deal_ids, now)
    return deal_ids


async def _seed_payment(hub: Hub, deal_id: int, deal: sales_data.DemoDeal, won: datetime) -> None:
    """The payment terms agreed with the contract, written when it was signed; the payment
    marked when it came."""
    assert deal.payment_due_after_days is not None
    async with unit_of_work(_at(hub, won)) as uow:
        row = await uow.session.get_one(Deal, deal_id)
        await deals.agree_payment(
            uow, row, (won + timedelta(days=deal.payment_due_after_days)).date()
        )
    if deal.paid_after_days is not None:
        async with unit_of_work(_at(hub, won + timedelta(days=deal.paid_after_days))) as uow:
            await deals.mark_paid(uow, await uow.session.get_one(Deal, deal_id))


async def _seed_conversation(
    hub: Hub, item: data.DemoConversation, users: dict[str, int], now: datetime
) -> int | None:
    """The client's request goes through the real ingest pipeline; the operator answers.
    Returns the conversation's id."""
    started = now - timedelta(hours=item.hours_ago)
    claims = [IdentityClaim("phone", item.phone)]
    if item.email:
        claims.append(IdentityClaim("email", item.email))
    meta = {"form_id": "demo", "page_url": item.page_url}
    if item.utm_source:
        meta["utm_source"] = item.utm_source
    receipt = await Ingestor(_at(hub, started)).submit(
        InboundMessage(
            channel_kind="webform",
            channel_name=data.CHANNEL_NAME,
            external_id=item.submission,
            sender=Sender(item.sender_name, tuple(claims)),
            text=item.text,
            meta=meta,
            message_ref=item.submission,
        )
    )
    if receipt.conversation_id is None or item.operator is None:
        return receipt.conversation_id
    moment = started
    for step in ("assign", "reply", "note", "close"):
        moment += timedelta(minutes=4)
        async with unit_of_work(_at(hub, moment)) as uow:
            conversation = await conversations.get_for_update(uow, receipt.conversation_id)
            if conversation is None:
                return None
            operator = await uow.session.get_one(User, users[item.operator])
            if step == "assign" and conversation.assignee_id != operator.id:
                await conversations.assign(uow, conversation, operator.id, "responsible manager")
            elif step == "reply" and item.reply:
                await messages.queue_reply(uow, conversation, operator, item.reply)
            elif step == "note" and item.note:
                await messages.add_note(uow, conversation, operator, item.note)
            elif step == "close" and item.closed:
                await conversations.close(uow, conversation)
    return receipt.conversation_id


def _working_hour(moment: datetime) -> datetime:
    """11:00 Moscow time (08:00 UTC) that day: when a manager would call."""
    return moment.replace(hour=8, minute=0, second=0, microsecond=0)


def _at(hub: Hub, moment: datetime) -> Hub:
    """The same hub with its clock stopped at `moment`, to write history."""
    return replace(hub, clock=lambda: moment)


def banner(settings: Settings, outcome: SeedOutcome) -> str:
    base = settings.public_url.rstrip("/")
    lines = [
        "",
        "Okno demo",
        f"  Workspace: {base}/",
        f"  Web form:  {base}/forms/{data.CHANNEL_NAME}",
        f"  Site chat: {base}/widget/{data.WIDGET_NAME}/demo",
    ]
    if outcome is SeedOutcome.not_empty:
        lines.append("  The database already had other data; the demo data was not added.")
    else:
        lines.append("  Logins (login / password):")
        lines += [
            f"    {u.login:<11} {u.password:<16} {u.role.value}, {u.name}" for u in data.USERS
        ]
    lines.append("  Stop with Ctrl+C.")
    return "\n".join(lines)
