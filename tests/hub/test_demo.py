"""The demo seed: idempotent, the sales pipeline in order, history through the real pipeline."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from hub import demo, queries
from hub.auth import authenticate_password
from hub.bus import create_bus
from hub.core import Hub
from hub.custom_values import clean_custom_values
from hub.db import Database
from hub.demo import data as demo_data
from hub.migrate import upgrade
from hub.models import (
    Activity,
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    CrmEntity,
    Deal,
    DealConversation,
    DealStageChange,
    Direction,
    InboundEvent,
    InboundStatus,
    Message,
    Organisation,
    OutboxItem,
    Pipeline,
    Stage,
    Team,
    TeamMember,
    User,
)
from hub.queries.contacts import public_custom_fields
from hub.queries.crm_access import SEES_ALL
from hub.queries.custom_fields import field_rules
from hub.requisites import requisite_problems
from tests.conftest import (
    _CHEAP_HASHER,
    PG_UP,
    REDIS_UP,
    REDIS_URL,
    Backend,
    _copy_sqlite,
    _pg_admin,
    _pg_url,
    add_user,
)

# Real argon2 hashes, with the cheapest parameters: verification reads them from the hash, and
# seeding stays quick on a loaded machine.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
WEDNESDAY_NOON_MSK = datetime(2026, 6, 17, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.actions.users.hash_password", CHEAP_HASHER.hash)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def seeded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Any,
) -> AsyncIterator[Backend]:
    """A database seeded once per backend for the tests that only read the demo: seeding is
    most of their time. Seeded on a Wednesday noon (Moscow), like the registry test wants."""
    name = ""
    if request.param == "sqlite":
        url = _copy_sqlite(sqlite_template, tmp_path_factory.mktemp("demo") / "okno.db")
        backend = Backend("sqlite", url, None, "unused:")
    else:
        if not (PG_UP and REDIS_UP):
            pytest.skip("PostgreSQL 127.0.0.1:5432 or Redis 127.0.0.1:6379 not reachable")
        name = f"okno_demo_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        await upgrade(_pg_url(name))
        backend = Backend("postgres", _pg_url(name), REDIS_URL, f"okno-demo-{name[-8:]}:")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("hub.auth._hasher", _CHEAP_HASHER)
            patch.setattr("hub.actions.users.hash_password", CHEAP_HASHER.hash)
            async with _hub_on(backend) as hub:
                hub.clock = lambda: WEDNESDAY_NOON_MSK
                assert await demo.seed(hub) is demo.SeedOutcome.seeded
        yield backend
    finally:
        if name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def _hub_on(backend: Backend) -> AsyncIterator[Hub]:
    settings = backend.settings()
    bus = create_bus(settings.redis_url, settings.redis_prefix)
    await bus.start()
    db = Database(settings.database_url)
    try:
        yield Hub(settings=settings, db=db, bus=bus)
    finally:
        await bus.close()
        await db.dispose()


@pytest.fixture
async def demo_hub(seeded: Backend) -> AsyncIterator[Hub]:
    """The seeded demo, read by one test (which must not change it)."""
    async with _hub_on(seeded) as hub:
        yield hub


COUNTED = (
    User,
    Team,
    TeamMember,
    Channel,
    Organisation,
    Contact,
    Deal,
    Activity,
    Conversation,
    Message,
    InboundEvent,
    OutboxItem,
    Stage,
)


async def counts(hub: Hub) -> dict[str, int]:
    async with hub.db.sessions() as session:
        return {
            model.__name__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in COUNTED
        }


async def test_seeding_twice_adds_nothing_the_second_time(hub: Hub) -> None:
    assert await demo.seed(hub) is demo.SeedOutcome.seeded
    first = await counts(hub)
    assert await demo.seed(hub) is demo.SeedOutcome.present
    assert await counts(hub) == first
    assert first["User"] >= 5 and first["Deal"] >= 5 and first["Conversation"] >= 3


async def test_pipeline_has_its_stages_in_order_with_deals_in_each(demo_hub: Hub) -> None:
    hub = demo_hub
    await demo.seed(hub)
    async with hub.db.sessions() as session:
        pipeline = (
            await session.execute(select(Pipeline).where(Pipeline.name == "Продажи"))
        ).scalar_one()
        stages = (
            await session.execute(
                select(Stage.id, Stage.name, Stage.position, Stage.outcome, Stage.probability)
                .where(Stage.pipeline_id == pipeline.id)
                .order_by(Stage.position)
            )
        ).all()
        deal_stages = set(
            (await session.execute(select(Deal.stage_id).where(Deal.pipeline_id == pipeline.id)))
            .scalars()
            .all()
        )
    assert [(name, position, outcome, p) for _, name, position, outcome, p in stages] == [
        ("Интерес", 1, "open", 10),
        ("Возможная сделка", 2, "open", 25),
        ("Коммерческое предложение", 3, "open", 50),
        ("Проект договора", 4, "open", 75),
        ("Договор", 5, "won", 100),
        ("Проиграна", 6, "lost", 0),
    ]
    # Deals stand in every stage, won and lost included.
    assert deal_stages == {stage_id for stage_id, *_ in stages}


async def test_deals_have_histories_spread_over_past_weeks(demo_hub: Hub) -> None:
    hub = demo_hub
    await demo.seed(hub)
    async with hub.db.sessions() as session:
        deals = (await session.execute(select(Deal).order_by(Deal.id))).scalars().all()
        moves = (await session.execute(select(DealStageChange))).scalars().all()
        links = (await session.execute(select(DealConversation))).scalars().all()
        lost = (
            await session.execute(
                select(Deal.loss_reason, Deal.closed_at)
                .join(Stage, Stage.id == Deal.stage_id)
                .where(Stage.outcome == "lost")
            )
        ).all()
    now = hub.clock()
    by_deal: dict[int, list[DealStageChange]] = {}
    for move in moves:
        by_deal.setdefault(move.deal_id, []).append(move)
    assert set(by_deal) == {d.id for d in deals}
    # Every deal starts with its move from nowhere, and its last move is where it stands.
    for deal in deals:
        history = sorted(by_deal[deal.id], key=lambda m: m.changed_at)
        assert history[0].from_stage_id is None
        assert history[-1].to_stage_id == deal.stage_id
        assert history[-1].changed_at == deal.stage_entered_at
        assert all(m.user_id == deal.responsible_user_id for m in history)
    ages = {(now - d.stage_entered_at).days for d in deals}
    assert len(ages) >= 5 and max(ages) >= 14  # days in stage differ, some deals are weeks old
    assert sum(len(h) > 2 for h in by_deal.values()) >= 4  # several went a long way
    assert len(lost) == 2 and all(reason and closed for reason, closed in lost)
    assert len({link.conversation_id for link in links}) == 3
    assert all(d.source == "webform" for d in deals if d.id in {x.deal_id for x in links})


async def test_past_conversation_went_through_the_pipeline(demo_hub: Hub) -> None:
    hub = demo_hub
    await demo.seed(hub)
    async with hub.db.sessions() as session:
        closed = (
            (
                await session.execute(
                    select(Conversation)
                    .where(Conversation.status == ConversationStatus.closed)
                    .order_by(Conversation.id)
                )
            )
            .scalars()
            .first()
        )
        assert closed is not None
        contact = await session.get_one(Contact, closed.contact_id)
        history = (
            await session.execute(
                select(Message.direction, Message.text, Message.meta)
                .where(Message.conversation_id == closed.id)
                .order_by(Message.id)
            )
        ).all()
        event = (
            await session.execute(
                select(InboundEvent).where(InboundEvent.conversation_id == closed.id)
            )
        ).scalar_one()
        channel = await session.get_one(Channel, closed.channel_id)
        queued = (
            (
                await session.execute(
                    select(Conversation).where(
                        Conversation.status == ConversationStatus.open,
                        Conversation.assignee_id.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
    # The form request matched the seeded client by phone instead of making a new lead.
    assert contact.name == "Иван Петров" and contact.status is ContactStatus.client
    assert [d for d, _, _ in history] == [Direction.inbound, Direction.outbound, Direction.note]
    assert history[0][2]["request_number"] == event.id
    assert event.status is InboundStatus.processed and event.source == "webform:demo"
    assert closed.assignee_id is not None and closed.first_response_at is not None
    assert closed.closed_at is not None and closed.closed_at > closed.created_at
    assert (channel.kind, channel.name, channel.title) == ("webform", "demo", "Заявка с сайта")
    assert channel.options["allowed_origins"] == []
    # A fresh request waits in the queue for whoever logs in first.
    assert len(queued) == 1


async def test_demo_logins_work_and_a_used_database_is_left_alone(hub: Hub) -> None:
    await add_user(hub, "someone")
    assert await demo.seed(hub) is demo.SeedOutcome.not_empty
    assert (await counts(hub))["Contact"] == 0


async def test_demo_passwords_are_the_printed_ones(demo_hub: Hub) -> None:
    hub = demo_hub
    await demo.seed(hub)
    banner = demo.banner(hub.settings, demo.SeedOutcome.seeded)
    for user in demo_data.USERS:
        assert user.password in banner
        assert await authenticate_password(hub, user.login, user.password) is not None


async def test_demo_clients_fill_the_registry_columns(demo_hub: Hub) -> None:
    hub = demo_hub
    # The demo's plans are relative to the moment of seeding, and an activity done by then
    # clears the next-contact date it set; seeded on a Sunday evening most dates would be gone.
    hub.clock = lambda: WEDNESDAY_NOON_MSK
    async with hub.db.sessions() as session:
        rows, _ = await queries.list_contacts(
            session,
            queries.ContactFilter(status=ContactStatus.client),
            SEES_ALL,
            region="RU",
            dialect=hub.db.dialect,
            sort="name",
            descending=False,
            cursor=None,
            limit=50,
        )
        by_name = {row.name: row for row in rows}
        gusev = await queries.contact_card(session, by_name["Виктор Гусев"].id)
    assert len(rows) == len(demo_data.CONTACTS)
    assert all(row.responsible is not None and row.source for row in rows)
    assert sum(row.next_contact_at is not None for row in rows) >= 4
    petrov = by_name["Иван Петров"]
    assert [(o.name, o.position) for o in petrov.organisations] == [
        ("ООО «СтройМонтаж»", "Генеральный директор")
    ]
    assert (petrov.source, petrov.responsible and petrov.responsible.login) == (
        "exhibition",
        "operator",
    )
    assert gusev is not None
    assert [(p.value, p.unparsed) for p in gusev.phones] == [
        ("+79267441905", False),
        ("926 744 19 0 доб. 12", True),
    ]


async def test_demo_crm_has_valid_requisites_and_defined_custom_fields(demo_hub: Hub) -> None:
    hub = demo_hub
    await demo.seed(hub)
    async with hub.db.sessions() as session:
        organisations = (await session.execute(select(Organisation))).scalars().all()
        rules = {entity: await field_rules(session, entity) for entity in CrmEntity}
        records: list[tuple[CrmEntity, dict[str, Any]]] = [
            (CrmEntity.organisation, o.custom_fields) for o in organisations
        ]
        for entity, model in ((CrmEntity.contact, Contact), (CrmEntity.deal, Deal)):
            rows = (await session.execute(select(model.custom_fields))).scalars().all()
            # Okno keeps unparsed phones beside a contact's custom values: not a field's.
            records += [(entity, public_custom_fields(values)) for values in rows]
    assert len(organisations) == 4
    for organisation in organisations:
        assert organisation.inn is not None and organisation.ogrn is not None
        assert requisite_problems(organisation.inn, organisation.kpp, organisation.ogrn) == []
        assert organisation.legal_address and organisation.actual_address
        assert organisation.phones and all(p.startswith("+7") for p in organisation.phones)
        assert organisation.custom_fields["otrasl"]
    assert {entity: len(found) >= 2 for entity, found in rules.items()} == {
        CrmEntity.contact: True,
        CrmEntity.organisation: True,
        CrmEntity.deal: True,
    }
    assert [r.label for r in rules[CrmEntity.contact]] == ["Должность ЛПР", "Город", "Объект"]
    # Every stored value is one its field's definition accepts as it is.
    for entity, values in records:
        assert clean_custom_values(rules[entity], values, values) == values
    assert sum(1 for entity, values in records if entity is CrmEntity.deal and values) >= 5


async def test_the_demo_has_a_contract_paid_and_one_owed_that_the_robot_flags(hub: Hub) -> None:
    from robots import engine
    from tests.robots import world

    await demo.seed(hub)
    async with hub.db.sessions() as session:
        won = {
            d.title: d
            for d in (await session.execute(select(Deal).where(Deal.payment_due_on.is_not(None))))
            .scalars()
            .all()
        }
    assert set(won) == {"Сервисное обслуживание окон 2026", "Регулировка фурнитуры в офисе"}
    owed = won["Сервисное обслуживание окон 2026"]  # signed 12 days ago, due 5 days after
    assert owed.payment_due_on == (owed.stage_entered_at + timedelta(days=5)).date()
    assert owed.paid_at is None
    paid = won["Регулировка фурнитуры в офисе"]  # signed 20 days ago, paid 8 days after
    assert paid.payment_due_on == (paid.stage_entered_at + timedelta(days=10)).date()
    assert paid.paid_at == paid.stage_entered_at + timedelta(days=8)

    rule_id = await world.builtin_rule(hub, "unpaid_after_contract")
    await engine.tick(hub)
    assert [(f.object_type, f.object_id) for f in await world.firings(hub, rule_id)] == [
        ("deal", owed.id)
    ]
