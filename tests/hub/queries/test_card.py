"""The client card has one shape: what GET /contacts/{id} returns is what the screen-pop of a
ringing phone carries, field for field, and it costs a fixed handful of queries."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from connectors.base import CallEvent
from hub import queries
from hub.actions import crm, deals, unit_of_work
from hub.bus import Subscription
from hub.events import Envelope
from hub.host.app import create_app
from hub.host.appkeys import HUB, INGESTOR
from hub.models import Channel, Deal, Message, Organisation, Pipeline, Stage
from hub.policy import SystemActor
from tests.conftest import Backend, Clock, add_channel
from tests.connectors.asterisk.hub_world import CLIENT_NUMBER, World, build_world

# Every timestamp the hub writes here comes from this clock.
AT = "2026-06-15T09:00:00+00:00"


@pytest.fixture
async def world(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[World]:
    app = create_app(backend.settings())
    client = await serve(app)
    app[HUB].clock = Clock()  # the hub is made at start-up
    world = await build_world(app, client)
    # A PBX channel that is never started: the test hands its call events to the ingestor.
    await add_channel(world.hub, "asterisk", "pbx", {"extensions": {"101": "ivanov"}})
    yield world


async def _ring(world: World, extension: str) -> Envelope:
    """The client's number rings `extension`; the call.ringing event that went out."""
    subscription = world.hub.bus.subscribe()
    try:
        await world.app[INGESTOR].submit(
            CallEvent(
                channel_kind="asterisk",
                channel_name="pbx",
                external_id=f"1781514000.7:ringing:{extension}",
                call_id="1781514000.7",
                state="ringing",
                caller=CLIENT_NUMBER,
                extension=extension,
                queue="sales",
                meta={"direction": "inbound", "client_number": CLIENT_NUMBER},
            )
        )
        return await _next(subscription, "call.ringing")
    finally:
        subscription.close()


async def _next(subscription: Subscription, kind: str) -> Envelope:
    async with asyncio.timeout(10):
        while True:
            envelope = await subscription.queue.get()
            if envelope is not None and envelope.kind == kind:
                return envelope


async def _ids(world: World) -> dict[str, int]:
    async with world.hub.db.sessions() as session:

        async def one(stmt: Any) -> int:
            return int((await session.execute(stmt)).scalar_one())

        return {
            "organisation": await one(select(Organisation.id)),
            "pipeline": await one(select(Pipeline.id)),
            "stage": await one(select(Stage.id).where(Stage.name == "Замер")),
            "deal": await one(select(Deal.id)),
            "message": await one(select(Message.id)),
            "conversation": await one(select(Message.conversation_id)),
            "site": await one(select(Channel.id).where(Channel.name == "site")),
        }


async def test_the_api_and_the_screen_pop_send_the_same_card(world: World) -> None:
    await world.webform_message("f-1", "8 495 123-45-67", "Анна Соколова", "Нужен замер")
    pop = await _ring(world, "101")
    status, api_card = await world.api("GET", f"/api/v1/contacts/{world.client_id}", "boss")
    assert status == 200

    ids = await _ids(world)
    ivanov = world.users["ivanov"].id
    responsible = {"id": ivanov, "login": "ivanov", "name": "Ivanov", "role": "operator"}
    expected = {
        "id": world.client_id,
        "name": "Анна Соколова",
        "status": "client",
        "identities": [
            {
                "kind": "phone",
                "value": "+74951234567",
                "raw": "+7 495 123-45-67",
                "unreachable_at": None,
            }
        ],
        "responsible": responsible,
        "created_at": AT,
        "custom_fields": {},
        "organisations": [
            {"id": ids["organisation"], "name": "ООО Окна", "inn": None, "position": "закупки"}
        ],
        "phones": [{"value": "+74951234567", "raw": "+7 495 123-45-67", "unparsed": False}],
        "emails": [],
        "source": "",
        "next_contact_at": None,
        "updated_at": AT,
        "version": 1,
        "open_deals": [
            {
                "id": ids["deal"],
                "title": "Окна в офис",
                "amount": "120000.00",
                "currency": "RUB",
                "pipeline": {"id": ids["pipeline"], "name": "Продажи"},
                "stage": {"id": ids["stage"], "name": "Замер"},
                "responsible": None,
                "stage_entered_at": AT,
            }
        ],
        "leads": [],
        "last_contacts": [
            {
                "message_id": ids["message"],
                "conversation_id": ids["conversation"],
                "channel": {"id": ids["site"], "kind": "webform", "name": "site", "title": "site"},
                "direction": "in",
                "text": "Нужен замер",
                "created_at": AT,
            }
        ],
        "introduced_as": [],
        "suggestions": [],
    }
    assert pop.payload["user_id"] == ivanov
    assert pop.payload["card"] == expected
    assert api_card == expected


async def test_a_card_costs_seven_queries_however_much_the_client_has(world: World) -> None:
    for n in range(3):
        # Each form request is a conversation of its own: three conversations, three messages.
        await world.webform_message(f"f-{n}", "8 495 123-45-67", "Анна Соколова", f"№{n}")
    async with unit_of_work(world.hub) as uow:
        stage = await uow.session.execute(select(Stage).where(Stage.name == "Замер"))
        measuring = stage.scalar_one()
        for n in range(3):
            organisation = await crm.create_organisation(uow, f"ООО Рама {n}")
            await crm.link_contact_organisation(uow, world.client_id, organisation.id, "")
            await deals.add_deal(
                uow,
                SystemActor(),
                title=f"Сделка {n}",
                stage=measuring,
                amount=Decimal(n),
                contact_id=world.client_id,
            )

    statements: dict[int, list[str]] = defaultdict(list)

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # The async driver runs a statement in the task awaiting it: the app's background
        # workers use the same engine, so statements are told apart by task.
        statements[id(asyncio.current_task())].append(statement)

    async def read() -> queries.ContactCard | None:
        async with world.hub.db.sessions() as session:
            return await queries.contact_card(session, world.client_id)

    engine = world.hub.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        task = asyncio.create_task(read())
        card = await task
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert card is not None
    assert (len(card.organisations), len(card.open_deals), len(card.last_contacts)) == (4, 4, 3)
    # SQLite's driver also reports its BEGIN; the card's reads are the SELECTs.
    reads = [q for q in statements[id(task)] if q.lstrip().upper().startswith("SELECT")]
    # The seventh: addresses proposed for the client; the eighth: names typed in form
    # requests (none here).
    assert len(reads) == 8
