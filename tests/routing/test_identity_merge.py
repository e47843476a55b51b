"""Identity across channels: several identities, contact-share linking, leads, duplicates,
merge and unmerge."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import unit_of_work
from hub.actions.leads import convert
from hub.actions.merge import merge, unmerge
from hub.core import Hub
from hub.models import (
    Activity,
    Contact,
    ContactMerge,
    ContactOrganisation,
    ContactStatus,
    Conversation,
    Deal,
    Identity,
    IdentityKind,
    Lead,
    LeadStatus,
    Message,
    Organisation,
    Pipeline,
    Stage,
)
from routing import duplicates
from routing.ingest import Ingestor
from tests.conftest import add_channel

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


async def make_client(
    hub: Hub, name: str, identities: list[tuple[IdentityKind, str]], **fields: Any
) -> int:
    async with hub.db.sessions() as session, session.begin():
        contact = Contact(
            name=name,
            status=ContactStatus.client,
            custom_fields=fields,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(contact)
        await session.flush()
        for kind, value in identities:
            session.add(
                Identity(contact_id=contact.id, kind=kind, value=value, raw=value, created_at=NOW)
            )
        return contact.id


def message(
    kind: str, external_id: str, *claims: tuple[str, str], text: str = "привет"
) -> InboundMessage:
    return InboundMessage(
        kind,
        "main",
        external_id,
        Sender("Анна", tuple(IdentityClaim(k, v) for k, v in claims)),
        text,
    )  # type: ignore[arg-type]


async def contact_of(hub: Hub, conversation_id: int | None) -> int:
    assert conversation_id is not None
    async with hub.db.sessions() as session:
        return (await session.get_one(Conversation, conversation_id)).contact_id


async def test_one_client_many_identities_every_channel_finds_her(hub: Hub) -> None:
    for kind in ("telegram", "vk", "email", "webform"):
        await add_channel(hub, kind, "main")
    anna = await make_client(
        hub,
        "Анна Соколова",
        [
            (IdentityKind.phone, "+79161234567"),
            (IdentityKind.phone, "+74951234567"),
            (IdentityKind.email, "anna.sokolova@mail.example"),
            (IdentityKind.telegram, "5823419076"),
            (IdentityKind.vk, "612345678"),
        ],
    )
    ingestor = Ingestor(hub)
    receipts = [
        await ingestor.submit(message("telegram", "1", ("telegram", "5823419076"))),
        await ingestor.submit(message("vk", "2", ("vk", "612345678"))),
        await ingestor.submit(message("email", "3", ("email", "ANNA.SOKOLOVA@mail.example"))),
        await ingestor.submit(message("webform", "4", ("phone", "8 (495) 123-45-67"))),
    ]
    assert [await contact_of(hub, r.conversation_id) for r in receipts] == [anna] * 4
    async with hub.db.sessions() as session:
        assert (await session.execute(select(Contact))).scalars().all()[0].id == anna
        assert len((await session.execute(select(Contact))).scalars().all()) == 1


async def test_telegram_contact_share_links_the_lead_to_the_client(hub: Hub) -> None:
    await add_channel(hub, "telegram", "main")
    client = await make_client(hub, "Анна Соколова", [(IdentityKind.phone, "+79161234567")])
    ingestor = Ingestor(hub)
    first = await ingestor.submit(message("telegram", "u1", ("telegram", "5823419076")))
    lead_contact = await contact_of(hub, first.conversation_id)
    assert lead_contact != client
    # She shares her own contact card: the bot now knows her phone.
    shared = await ingestor.submit(
        message("telegram", "u2", ("telegram", "5823419076"), ("phone", "79161234567"), text="")
    )
    assert await contact_of(hub, shared.conversation_id) == client
    async with hub.db.sessions() as session:
        telegram = (
            await session.execute(select(Identity).where(Identity.kind == IdentityKind.telegram))
        ).scalar_one()
        record = (await session.execute(select(ContactMerge))).scalar_one()
        first_conversation = await session.get_one(Conversation, first.conversation_id)
    assert telegram.contact_id == client
    assert (record.survivor_id, record.merged_id) == (client, lead_contact)
    assert first_conversation.contact_id == client  # her earlier chat history came along
    later = await ingestor.submit(message("telegram", "u3", ("telegram", "5823419076")))
    assert await contact_of(hub, later.conversation_id) == client


async def test_unparseable_phone_is_kept_as_text_and_never_matched(hub: Hub) -> None:
    await add_channel(hub, "webform", "main")
    ingestor = Ingestor(hub)
    first = await ingestor.submit(
        message("webform", "f1", ("phone", "12-34"), ("email", "a@b.example"))
    )
    second = await ingestor.submit(message("webform", "f2", ("phone", "12-34")))
    first_contact = await contact_of(hub, first.conversation_id)
    assert await contact_of(hub, second.conversation_id) != first_contact
    async with hub.db.sessions() as session:
        contact = await session.get_one(Contact, first_contact)
        phones = (
            (await session.execute(select(Identity).where(Identity.kind == IdentityKind.phone)))
            .scalars()
            .all()
        )
    assert contact.custom_fields["unparsed_phones"] == ["12-34"] and phones == []


async def test_lead_conversion_keeps_history_and_identities(hub: Hub) -> None:
    await add_channel(hub, "webform", "main")
    receipt = await Ingestor(hub).submit(message("webform", "f1", ("phone", "+7 903 111-22-33")))
    contact_id = await contact_of(hub, receipt.conversation_id)
    async with unit_of_work(hub) as uow:
        await convert(uow, await uow.session.get_one(Contact, contact_id), None)
    async with hub.db.sessions() as session:
        contact = await session.get_one(Contact, contact_id)
        lead = (await session.execute(select(Lead))).scalar_one()
        identities = (await session.execute(select(Identity))).scalars().all()
        messages = (await session.execute(select(Message))).scalars().all()
    assert contact.status is ContactStatus.client and lead.status is LeadStatus.converted
    assert [i.contact_id for i in identities] == [contact_id] and len(messages) == 1


async def test_duplicates_list_with_reasons(hub: Hub) -> None:
    a = await make_client(hub, "Иван Петров", [(IdentityKind.email, "ivan.petrov@gmail.com")])
    b = await make_client(hub, "Петров Иван", [(IdentityKind.email, "ivanpetrov+shop@gmail.com")])
    c = await make_client(hub, "Ольга", [(IdentityKind.phone, "+79031112233")])
    d = await make_client(hub, "Ольга С.", [], unparsed_phones=["903 111-22-33 доб. 5 или раб."])
    e = await make_client(hub, "Сергей Гусев", [])
    f = await make_client(hub, "Гусев Сергей", [])
    await make_client(hub, "Гусев Сергей", [])  # same name, other organisation: not suspected
    async with hub.db.sessions() as session, session.begin():
        org = Organisation(name="АО «Завод Полимер»", created_at=NOW)
        session.add(org)
        await session.flush()
        session.add_all(
            [
                ContactOrganisation(contact_id=e, organisation_id=org.id),
                ContactOrganisation(contact_id=f, organisation_id=org.id),
            ]
        )
    async with hub.db.sessions() as session:
        found = {(d.contact_ids, d.reason) for d in await duplicates.find(session)}
    assert found == {
        ((a, b), "same_email"),
        ((c, d), "same_phone"),
        ((e, f), "similar_name_same_organisation"),
    }


# Moving a deal to the survivor and back is a change to the deal: its updated_at tells when.
NOT_RESTORED = frozenset({"updated_at"})


async def snapshot(hub: Hub, *contact_ids: int) -> dict[str, Any]:
    async with hub.db.sessions() as session:

        def rows(model: Any, *columns: str) -> Any:
            return session.execute(select(model).where(model.contact_id.in_(contact_ids)))

        result: dict[str, Any] = {}
        for name, model in (
            ("identities", Identity),
            ("conversations", Conversation),
            ("deals", Deal),
            ("activities", Activity),
            ("leads", Lead),
            ("memberships", ContactOrganisation),
        ):
            items = (await rows(model)).scalars().all()
            result[name] = sorted(
                tuple(
                    sorted(
                        (k, repr(v))
                        for k, v in vars(i).items()
                        if not k.startswith("_") and k not in NOT_RESTORED
                    )
                )
                for i in items
            )
        contacts = (
            await session.execute(select(Contact).where(Contact.id.in_(contact_ids)))
        ).scalars()
        result["contacts"] = sorted(
            (
                c.id,
                c.name,
                c.status.value,
                c.responsible_user_id,
                repr(c.custom_fields),
                c.merged_into_id,
            )
            for c in contacts
        )
        return result


async def test_merge_moves_everything_and_unmerge_restores_exactly(hub: Hub) -> None:
    await add_channel(hub, "telegram", "main")
    survivor = await make_client(
        hub, "Иван Петров", [(IdentityKind.phone, "+79160000001")], vip="yes"
    )
    other = await make_client(
        hub, "Петров И.", [(IdentityKind.email, "petrov@stroy.example")], inn="7701234567", vip="no"
    )
    ingestor = Ingestor(hub)
    await ingestor.submit(message("telegram", "t1", ("phone", "+79160000001")))
    await ingestor.submit(message("telegram", "t2", ("email", "petrov@stroy.example")))
    async with hub.db.sessions() as session, session.begin():
        org = Organisation(name="ООО «СтройМонтаж»", created_at=NOW)
        pipeline = Pipeline(name="Продажи")
        session.add_all([org, pipeline])
        await session.flush()
        stage = Stage(pipeline_id=pipeline.id, name="Интерес", position=1)
        session.add(stage)
        await session.flush()
        session.add_all(
            [
                ContactOrganisation(contact_id=other, organisation_id=org.id, position="прораб"),
                Deal(
                    title="Окна",
                    amount=Decimal("120000"),
                    pipeline_id=pipeline.id,
                    stage_id=stage.id,
                    contact_id=other,
                    created_at=NOW,
                    stage_entered_at=NOW,
                    last_activity_at=NOW,
                ),
                Activity(kind="call", subject="Перезвонить", contact_id=other, created_at=NOW),
            ]
        )
    before = await snapshot(hub, survivor, other)

    async with unit_of_work(hub) as uow:
        record = await merge(
            uow,
            await uow.session.get_one(Contact, survivor),
            await uow.session.get_one(Contact, other),
            by_user_id=None,
        )
        record_id = record.id
    async with hub.db.sessions() as session:
        owners = {
            model.__tablename__: {
                r.contact_id for r in (await session.execute(select(model))).scalars()
            }
            for model in (Identity, Conversation, Deal, Activity, ContactOrganisation)
        }
        merged_contact = await session.get_one(Contact, survivor)
    assert all(ids == {survivor} for ids in owners.values()), owners
    assert merged_contact.custom_fields == {"vip": "yes", "inn": "7701234567"}

    async with unit_of_work(hub) as uow:
        await unmerge(uow, await uow.session.get_one(ContactMerge, record_id))
    assert await snapshot(hub, survivor, other) == before
