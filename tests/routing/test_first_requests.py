"""A group commit's first requests (senders nobody knows) written and routed together, on both
databases (routing/first_requests.py): the rows, the routing and the events they end with are
those of the same requests processed one by one, each kind of row written once per batch.

As in test_ingest_batches.py, of submissions made at once the first finds the writer free and
is written alone; the others queue behind it and make one batch."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import metric_facts
from hub.core import Hub
from hub.models import (
    AssignmentOffer,
    Contact,
    Conversation,
    ConversationHolding,
    EventLog,
    Identity,
    InboundEvent,
    InboundStatus,
    Lead,
    Message,
    RoutingDecision,
    Strategy,
    User,
)
from hub.queries.conversations import conversation_summaries
from tests.hub.queries.test_metric_facts import stored_days, stored_facts
from tests.routing.counting import statements, together
from tests.routing.scenario import World


@pytest.fixture
async def world(hub: Hub) -> World:
    return await World.create(hub)


def first_message(
    number: int,
    phone: str,
    channel: tuple[str, str] = ("telegram", "chat"),
    meta: dict[str, Any] | None = None,
) -> InboundMessage:
    return InboundMessage(
        channel_kind=channel[0],
        channel_name=channel[1],
        external_id=f"first-{number}",
        sender=Sender(name=f"Клиент {number}", identities=(IdentityClaim("phone", phone),)),
        text=f"Здравствуйте, вопрос {number}",
        meta=meta or {},
        message_ref=f"m-{number}",
    )


async def cards_shown_and_stored(
    hub: Hub, conversations: list[int]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """The conversations' cards as the batch's last events carried them (built from what the
    batch wrote: hub/actions/fresh_cards.py), and as the database gives them now."""
    events = await rows(hub, EventLog.kind, EventLog.payload, order=EventLog.id)
    shown = {
        p["conversation"]["id"]: p["conversation"]
        for kind, p in events
        if kind == "conversation.changed" and p["conversation"]["id"] in conversations
    }
    async with hub.db.sessions() as session:
        stored = await conversation_summaries(session, conversations, hub.db.dialect)
    return shown, {card["id"]: card for _, card in stored}


async def rows(hub: Hub, *columns: Any, order: Any) -> list[tuple[Any, ...]]:
    async with hub.db.sessions() as session:
        return [tuple(r) for r in (await session.execute(select(*columns).order_by(order))).all()]


async def test_a_batch_of_first_requests_is_written_and_routed_together(world: World) -> None:
    hub = world.hub
    await world.operator("a", capacity=2)
    await world.operator("b", capacity=1)
    await world.channel("telegram", "chat")
    phones = [f"+7916000000{n}" for n in range(5)]
    # The last as a Russian writes it at home: read in the default region, as +7….
    as_written = [*phones[:4], "8 (916) 000-00-04"]
    with statements(hub) as sent:
        receipts = await together(hub, *(first_message(n, p) for n, p in enumerate(as_written)))
    conversations = [r.conversation_id for r in receipts]
    assert None not in conversations and len(set(conversations)) == 5
    # Least busy: the first (alone) to a by id; in the batch b (empty), then a, and the last
    # two find both at capacity. Each decided with the loads its predecessors left.
    assert [await world.holder(c) for c in conversations if c] == ["a", "b", "a", None, None]
    assert await world.decisions(conversations[1] or 0) == ["assigned: least-busy among 2 (load 0)"]
    assert await world.decisions(conversations[2] or 0) == ["assigned: least-busy among 1 (load 1)"]
    assert await world.decisions(conversations[4] or 0) == [
        "queued: nobody free (2 online, all at capacity)"
    ]
    # Each kind of row once for the alone one and once for the batch of four; on
    # PostgreSQL the batch's contacts, identities, leads, conversations and messages are
    # one statement, chained (hub/actions/chained_insert.py).
    assert sent.count("INSERT INTO inbound_events") == 2
    chained = ("INSERT INTO contacts", "INSERT INTO identities", "INSERT INTO leads",
               "INSERT INTO conversations", "INSERT INTO messages")  # fmt: skip
    if hub.db.dialect == "postgresql":
        assert [sent.count(w) for w in chained] == [1, 1, 1, 1, 1]
        assert sent.count("WITH s0 AS") == 1
    else:
        assert [sent.count(w) for w in chained] == [2, 2, 2, 2, 2]
    routing_writes = ("INSERT INTO assignment_offers", "INSERT INTO conversation_holdings")
    if hub.db.dialect == "postgresql":
        # The batch's routing (decisions, offers, assignees, waits, turns, holdings) is one
        # statement (hub/actions/fresh_routing.py); the alone one's, the ORM's, apart.
        assert sent.count("WITH decided AS") == 1
        assert [sent.count(w) for w in routing_writes] == [1, 1]
        assert sent.count("INSERT INTO routing_decisions") == 1
    else:
        assert [sent.count(w) for w in routing_writes] == [2, 2]
        # The batch's decisions: its offers' and its waits'.
        assert sent.count("INSERT INTO routing_decisions") == 3
    # The alone one's event card looks for flags and tags; the batch's new conversations
    # can have none, and their cards (offered and queued alike) are read in one statement.
    assert len([s for s in sent if s.startswith("SELECT robot_flags.id,")]) == 1
    assert len([s for s in sent if s.startswith("SELECT conversation_tags.conversation_id,")]) == 1
    # The batch's one lookup of the identities its requests claim.
    lookups = ("SELECT identities.kind, identities.value", "SELECT i.kind, i.value")
    assert len([s for s in sent if s.startswith(lookups)]) == 1
    # The figures of conversations opened in the same transaction: written, none taken
    # away first (they can have none); teams and calendar read once, then kept.
    # (PostgreSQL: with their roll-ups, one statement each time, hub/actions/metric_writes.py.)
    facts_written = (
        "WITH facts AS" if hub.db.dialect == "postgresql" else "INSERT INTO metric_facts"
    )
    assert sent.count(facts_written) == 2
    assert sent.count("DELETE FROM metric_facts") == 0
    # Their sources are read back for the alone one only: the batch knows what it wrote.
    assert (
        len([s for s in sent if s.startswith("SELECT conversations.id, conversations.created_at,")])
        == 1
    )
    assert len([s for s in sent if s.startswith("SELECT anon_1.conversation_id, anon_1.id,")]) == 1
    assert len([s for s in sent if s.startswith("SELECT calendar_days.day,")]) == 1

    contacts = await rows(hub, Contact.name, Contact.name_key, Contact.status, order=Contact.id)
    assert [(n, k, s.value) for n, k, s in contacts] == [
        (f"Клиент {n}", f"клиент {n}", "lead") for n in range(5)
    ]
    assert await rows(hub, Identity.value, Identity.raw, order=Identity.id) == [
        (p, w) for p, w in zip(phones, as_written, strict=True)
    ]
    leads = await rows(hub, Lead.title, Lead.source, Lead.source_detail, order=Lead.id)
    assert leads == [(f"Здравствуйте, вопрос {n}", "telegram", {}) for n in range(5)]
    opened = await rows(
        hub,
        Conversation.subject,
        Conversation.weight,
        Conversation.queued_at,
        Conversation.waiting_since,
        Conversation.last_message_at,
        Conversation.first_assigned_at,
        order=Conversation.id,
    )
    now = world.clock.now
    assigned = [now, now, now, None, None]
    queued = [None, None, None, now, now]
    assert opened == [
        (f"Здравствуйте, вопрос {n}", 1.0, queued[n], now, now, assigned[n]) for n in range(5)
    ]
    messages = await rows(
        hub, Message.conversation_id, Message.text, Message.meta, order=Message.id
    )
    assert messages == [
        (c, f"Здравствуйте, вопрос {n}", {"request_number": r.event_id})
        for n, (c, r) in enumerate(zip(conversations, receipts, strict=True))
    ]
    users = {u.id: login for login, u in world.users.items()}
    offers = await rows(
        hub, AssignmentOffer.conversation_id, AssignmentOffer.user_id, order=AssignmentOffer.id
    )
    assert [(c, users[u]) for c, u in offers] == [
        (conversations[0], "a"), (conversations[1], "b"), (conversations[2], "a")
    ]  # fmt: skip
    held = ConversationHolding
    holdings = await rows(hub, held.conversation_id, held.user_id, order=held.id)
    assert [(c, users[u]) for c, u in holdings] == [(c, users[u]) for c, u in offers]
    turns = dict(await rows(hub, User.id, User.last_assigned_at, order=User.id))
    # a took the batch's second offer, one microsecond after b took its first.
    assert turns[world.users["b"].id] == now
    assert (turns[world.users["a"].id] - now).total_seconds() == pytest.approx(1e-6)
    events = await rows(hub, EventLog.kind, EventLog.payload, order=EventLog.id)
    batch = [
        (kind, p.get("change"), p["conversation_id"] if "message" in p else p["conversation"]["id"])
        for kind, p in events[-8:]
    ]
    # The batch's messages shown to the queue, then each routed: as one by one, in order.
    assert batch == [
        *[("message.created", None, c) for c in conversations[1:]],
        ("conversation.changed", "assigned", conversations[1]),
        ("conversation.changed", "assigned", conversations[2]),
        ("conversation.changed", "queued", conversations[3]),
        ("conversation.changed", "queued", conversations[4]),
    ]
    statuses = await rows(
        hub,
        InboundEvent.status,
        InboundEvent.conversation_id,
        InboundEvent.message_id,
        order=InboundEvent.id,
    )
    stored = await rows(hub, Message.id, Message.external_id, order=Message.id)
    assert statuses == [
        (InboundStatus.processed, c, m) for c, (m, _) in zip(conversations, stored, strict=True)
    ]
    assert [ref for _, ref in stored] == [f"m-{n}" for n in range(5)]
    # Offered with the default time to accept.
    expiries = await rows(hub, Conversation.offer_expires_at, order=Conversation.id)
    later = now + timedelta(seconds=45)
    assert [e for (e,) in expiries] == [later, later, later, None, None]
    # The batch's cards, built from what it wrote, are those the database gives.
    batch_ids = [c or 0 for c in conversations[1:]]
    shown, stored = await cards_shown_and_stored(hub, batch_ids)
    assert shown == stored and set(shown) == set(batch_ids)
    offered, waiting = shown[batch_ids[0]], shown[batch_ids[2]]
    assert offered["assignee"] == {"id": world.users["b"].id, "login": "b", "name": "B",
                                   "role": "operator"}  # fmt: skip
    assert offered["offer_expires_at"] is not None and offered["queued_at"] is None
    assert waiting["assignee"] is None and waiting["queued_at"] is not None
    assert waiting["contact"]["name"] == "Клиент 3" and waiting["contact"]["status"] == "lead"
    assert waiting["last_message"]["text"] == "Здравствуйте, вопрос 3"
    # Their figures, derived from what the batch wrote: a request each, and the offered
    # ones' queue wait (none: offered at the moment they came), by their holders.
    a, b = world.users["a"].id, world.users["b"].id
    assert await figures(hub) == [
        ("queue_wait", conversations[0], a, 0.0), ("queue_wait", conversations[1], b, 0.0),
        ("queue_wait", conversations[2], a, 0.0),
        ("requests", conversations[0], a, None), ("requests", conversations[1], b, None),
        ("requests", conversations[2], a, None), ("requests", conversations[3], None, None),
        ("requests", conversations[4], None, None),
    ]  # fmt: skip
    await same_as_rebuilt(hub)


async def figures(hub: Hub) -> list[tuple[Any, ...]]:
    """The facts stored: kind, conversation, operator, seconds."""
    return [(f[0], f[1], f[6], f[7]) for f in await stored_facts(hub)]


async def same_as_rebuilt(hub: Hub) -> None:
    """The facts and roll-ups stored as the batch went are those a rebuild derives."""
    live = await stored_facts(hub), await stored_days(hub)
    await metric_facts.rebuild(hub, hub.clock() - timedelta(days=1))
    assert (await stored_facts(hub), await stored_days(hub)) == live


async def test_a_sender_claimed_twice_in_a_batch_is_one_client_in_order(world: World) -> None:
    """Two messages of one new sender in a batch are processed one by one, after the batch's
    other first requests: one contact, one conversation, his messages in the order sent."""
    hub = world.hub
    await world.operator("a")
    await world.channel("telegram", "chat")
    receipts = await together(
        hub,
        first_message(0, "+79160000100"),
        first_message(1, "+79160000101"),
        first_message(2, "+79160000102"),
        first_message(3, "+79160000101"),
        first_message(4, "+79160000103"),
    )
    conversations = [r.conversation_id for r in receipts]
    assert conversations[3] == conversations[1]
    assert len(set(conversations)) == 4
    names = await rows(hub, Contact.name, order=Contact.id)
    # The alone one, the batch's two first requests, then the sender claimed twice.
    assert names == [("Клиент 0",), ("Клиент 2",), ("Клиент 4",), ("Клиент 1",)]
    async with hub.db.sessions() as session:
        texts = (
            await session.execute(
                select(Message.text)
                .where(Message.conversation_id == conversations[1])
                .order_by(Message.id)
            )
        ).scalars()
        assert list(texts) == ["Здравствуйте, вопрос 1", "Здравствуйте, вопрос 3"]


async def test_a_known_sender_in_the_batch_joins_his_open_conversation(world: World) -> None:
    hub = world.hub
    await world.operator("a")
    await world.channel("telegram", "chat")
    known = await world.inbound("+79160000200")
    receipts = await together(
        hub,
        first_message(0, "+79160000201"),
        first_message(1, "+79160000200"),
        first_message(2, "+79160000202"),
        first_message(3, "+79160000203"),
    )
    assert receipts[1].conversation_id == known
    async with hub.db.sessions() as session:
        contacts = (await session.execute(select(Contact.id))).all()
    assert len(contacts) == 4  # the known one and three new


async def test_batched_first_requests_keep_business_hours(world: World) -> None:
    # Monday 15 June 2026 09:00 UTC is 12:00 in Moscow; the teams work 13:00-18:00.
    hours = {"tz": "Europe/Moscow", "days": {"mon": [["13:00", "18:00"]]}}
    night = await world.team("night")
    await world.team("sales", business_hours=hours, after_hours_team_id=night)
    await world.team("calm", business_hours=hours)
    await world.operator("day", teams=("sales",))
    await world.operator("owl", teams=("night",))
    await world.channel("telegram", "chat", team="sales")
    await world.channel("vk", "group", team="calm")
    receipts = await together(
        world.hub,
        first_message(0, "+79160000300"),
        first_message(1, "+79160000301"),
        first_message(2, "+79160000302", channel=("vk", "group")),
        first_message(3, "+79160000303"),
    )
    conversations = [r.conversation_id or 0 for r in receipts]
    assert [await world.holder(c) for c in conversations] == ["owl", "owl", None, "owl"]
    assert await world.decisions(conversations[1]) == [
        "after_hours: outside sales hours: to the after-hours team",
        "assigned: least-busy among 1 (load 1)",
    ]
    assert await world.decisions(conversations[2]) == ["queued: outside calm business hours"]
    decided = await rows(
        world.hub,
        RoutingDecision.conversation_id,
        RoutingDecision.team_id,
        order=RoutingDecision.id,
    )
    # Each decision names the team the conversation was in when taken.
    assert [t for c, t in decided if c == conversations[1]] == [
        world.teams["night"], world.teams["night"]
    ]  # fmt: skip
    assert [t for c, t in decided if c == conversations[2]] == [world.teams["calm"]]
    teams = dict(
        await rows(world.hub, Conversation.id, Conversation.team_id, order=Conversation.id)
    )
    assert [teams[c] for c in conversations] == [
        world.teams["night"], world.teams["night"], world.teams["calm"], world.teams["night"]
    ]  # fmt: skip
    # Moved, offered, or queued outside hours: the batch's cards are the database's.
    shown, stored = await cards_shown_and_stored(world.hub, conversations[1:])
    assert shown == stored and set(shown) == set(conversations[1:])
    # And their figures are counted in the team each one ended up in.
    counted = await stored_facts(world.hub)
    requests = {f[1]: f[4] for f in counted if f[0] == "requests"}
    assert [requests[c] for c in conversations] == [teams[c] for c in conversations]
    await same_as_rebuilt(world.hub)


async def test_a_web_forms_source_and_an_unreadable_phone_are_kept(world: World) -> None:
    hub = world.hub
    await world.channel("webform", "site")
    page = {"form_id": "calc", "utm_source": "yandex", "page_url": "https://okna.example/"}
    unreadable = InboundMessage(
        channel_kind="webform",
        channel_name="site",
        external_id="first-9",
        sender=Sender(
            name="Ольга\nПетрова",
            identities=(IdentityClaim("phone", "12"), IdentityClaim("email", "olga@example.ru")),
        ),
        text="Перезвоните",
        subject="Замер",
        meta=page,
    )
    long = first_message(1, "+79160000401", ("webform", "site"), page)
    long = InboundMessage(**{**long.__dict__, "text": "Окна " * 40})  # 200 characters
    with statements(hub) as sent:
        receipts = await together(
            hub, first_message(0, "+79160000400", ("webform", "site"), page), long, unreadable
        )
    # Even the one written alone is looked up and written set-based: no one-by-one lookup.
    lookups = ("SELECT identities.kind, identities.value", "SELECT i.kind, i.value")
    assert len([s for s in sent if s.startswith(lookups)]) == 2
    assert not [s for s in sent if s.startswith("SELECT identities.contact_id")]
    titles = await rows(hub, Lead.title, order=Lead.id)
    subjects = await rows(hub, Conversation.subject, order=Conversation.id)
    assert titles[1] == (("Окна " * 16)[:80],) and subjects[1] == (("Окна " * 24)[:120],)
    assert [await world.holder(r.conversation_id or 0) for r in receipts] == [None] * 3
    assert await world.decisions(receipts[2].conversation_id or 0) == ["queued: no operator online"]
    contacts = await rows(hub, Contact.name, Contact.custom_fields, order=Contact.id)
    assert contacts[2] == ("Ольга Петрова", {"unparsed_phones": ["12"]})
    leads = await rows(hub, Lead.title, Lead.source, Lead.source_detail, order=Lead.id)
    assert leads[2] == (
        "Замер",
        "webform",
        {"form_id": "calc", "utm_source": "yandex", "page_url": "https://okna.example/"},
    )
    subjects = await rows(hub, Conversation.subject, order=Conversation.id)
    assert subjects[2] == ("Замер",)


async def test_an_unknown_address_answering_in_a_clients_thread_is_no_first_request(
    world: World,
) -> None:
    """An e-mail from an address nobody knows, answering in a client's thread (a colleague in
    Cc): a participant of that conversation, never a new lead, even among first requests."""
    hub = world.hub
    await world.channel("email", "mail")
    await world.channel("webform", "site")
    client = await world.inbound("+79160000500", channel="mail", kind="email")
    colleague = InboundMessage(
        channel_kind="email",
        channel_name="mail",
        external_id="<reply-1@example.ru>",
        sender=Sender(name="Коллега", identities=(IdentityClaim("email", "kollega@example.ru"),)),
        text="Присоединяюсь к вопросу",
        meta={"thread_hint": str(client)},
    )
    receipts = await together(
        hub,
        first_message(0, "+79160000501", ("webform", "site")),
        colleague,
        first_message(2, "+79160000502", ("webform", "site")),
    )
    assert receipts[1].conversation_id == client
    names = await rows(hub, Contact.name, order=Contact.id)
    assert names == [("Клиент",), ("Клиент 0",), ("Клиент 2",)]
    async with hub.db.sessions() as session:
        joined = (
            (await session.execute(select(Message.meta).where(Message.conversation_id == client)))
            .scalars()
            .all()
        )
    assert joined[-1]["participant"] == {"name": "Коллега", "address": "kollega@example.ru"}


async def test_a_manual_teams_first_requests_wait_for_a_pick(world: World) -> None:
    await world.team("sales", strategy=Strategy.manual)
    await world.operator("a", teams=("sales",))
    await world.channel("telegram", "chat", team="sales")
    receipts = await together(
        world.hub, first_message(0, "+79160000600"), first_message(1, "+79160000601"),
        first_message(2, "+79160000602"),
    )  # fmt: skip
    for receipt in receipts:
        assert await world.decisions(receipt.conversation_id or 0) == [
            "queued: manual pick from the queue"
        ]
    decided = await rows(world.hub, RoutingDecision.team_id, order=RoutingDecision.id)
    assert decided == [(world.teams["sales"],)] * 3


async def test_the_batchs_cards_show_the_moments_written_while_the_clock_moves(
    world: World,
) -> None:
    """The cards are built, not read back: each must show the very moments written, though
    the clock moves between the batch's inserts and its routing (a real one always does)."""
    hub = world.hub
    await world.operator("a", capacity=3)
    await world.channel("telegram", "chat")
    start = world.clock.now
    ticks = itertools.count(1)
    hub.clock = lambda: start + timedelta(milliseconds=next(ticks))
    receipts = await together(hub, *(first_message(n, f"+79165550{n:03d}") for n in range(40, 44)))
    batch = [r.conversation_id or 0 for r in receipts[1:]]
    shown, stored = await cards_shown_and_stored(hub, batch)
    assert shown == stored and set(shown) == set(batch)
    # Opened at one moment, routed at a later one: two offers and a wait.
    first = shown[batch[0]]
    assert first["created_at"] != first["first_assigned_at"]
    assert [shown[c]["assignee"] is not None for c in batch] == [True, True, False]
    assert shown[batch[2]]["queued_at"] != shown[batch[2]]["created_at"]
    # The offered ones waited in the queue from the inserts' moment to the routing's.
    waited = {f[1]: f[3] for f in await figures(hub) if f[0] == "queue_wait"}
    assert waited[batch[0]] == waited[batch[1]] and 0.001 <= waited[batch[0]] < 0.1
    assert batch[2] not in waited
    await same_as_rebuilt(hub)
